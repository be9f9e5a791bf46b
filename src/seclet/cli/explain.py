"""``seclet explain``: what each container's first process really gets on this node.

Role: for every valid Pod of the inputs, build each container's OCI runtime config
exactly as the runtime will (``seclet.runtime.oci.builder``) and render the effective
process: the ``id`` line, the capability sets as /proc/PID/status shows them,
no_new_privs, seccomp, AppArmor, SELinux, the root filesystem, masked and read-only
paths, the hazards nothing reports, and how each volume the container mounts gets its
SELinux label (``seclet.securitycontext.selinux_mount``: ``-o context``, the runtime's
recursive relabel, or nothing; ``--assume-selinux`` plans as on a node with SELinux
enabled). ``-o json`` prints one object per container:
``{"pod", "namespace", "container", "spec", "warnings"}``.
Callers: ``seclet.cli.main``.

Steps of ``run``:
1. node facts: probed once (default) or the documented reference node (with
   ``--assume-selinux``, as if SELinux were enabled);
2. the image's account files (``--image-root``) and config (``--image-config``), or
   both from an image of the node's image store (``--image REF``: ``seclet server
   --data-dir``'s ``images/``, as ``seclet images ls`` lists it; never pulled);
3. per object: refusals and validation as ``validate``; per container (init
   containers first, then containers, as the kubelet starts them): build and render;
   a container the runtime would refuse prints the kubelet's reason; the pod's volume
   plans are made once (claims: the PersistentVolume is not known to explain).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seclet.api.featuregates import FeatureGates
from seclet.api.models import Container, Pod
from seclet.cli.admitted import admitted_pods
from seclet.cli.report import EXIT_UNUSABLE, Failure, finish
from seclet.host.facts import NodeFacts
from seclet.host.probe import probe_node_facts
from seclet.runtime.image.config import ImageConfigError, parse_image_config
from seclet.runtime.image.hosts import RegistryHosts
from seclet.runtime.image.rootfs import ImageFileError, read_image_file
from seclet.runtime.image.store import INDEX_FILE, ImageStore
from seclet.runtime.oci.builder import ContainerBuild, SpecError, build_container
from seclet.runtime.oci.explain import CapabilitySet, EffectiveProcess, resources_line
from seclet.runtime.oci.inputs import ContainerSpecInputs, ImageConfig, RuntimeContext
from seclet.securitycontext.nonroot import RunAsNonRootError, verify_run_as_non_root
from seclet.securitycontext.seccomp import SeccompError, check_localhost_profile
from seclet.securitycontext.selinux_mount import plan_line, plan_volume, volume_facts
from seclet.securitycontext.users import image_user_from_config, kubelet_image_user


@dataclass(frozen=True, slots=True)
class ImageFiles:
    """What ``--image-root`` and ``--image-config`` (or ``--image``) supplied."""

    config: ImageConfig
    passwd: str | None
    group: str | None


def _stored_image_files(ref: str, data_dir: Path) -> ImageFiles | str:
    """Step 2 for ``--image``: the stored image's config and account files."""
    root = data_dir / "images"
    if not (root / INDEX_FILE).is_file():
        return f"error: --image {ref}: no image store in {root} (see seclet images import)"
    try:
        store = ImageStore(root, RegistryHosts())
    except OSError as exc:
        return f"error: --image {ref}: image store {root}: {exc.strerror or exc}"
    try:
        stored = store.lookup(ref)
        if stored is None:
            return f"error: --image {ref}: no such image in {root} (see seclet images ls)"
        passwd = read_image_file(stored.layers, "/etc/passwd")
        group = read_image_file(stored.layers, "/etc/group")
    except ImageFileError as exc:
        return f"error: --image {ref}: {exc}"
    finally:
        store.close()
    return ImageFiles(stored.config, passwd, group)


def _image_files(args: argparse.Namespace) -> ImageFiles | str:
    """Step 2: the image's config and account files, or an error text."""
    if args.image:
        if args.image_root or args.image_config:
            return "error: --image cannot be combined with --image-root or --image-config"
        return _stored_image_files(args.image, Path(args.data_dir))
    config = ImageConfig()
    if args.image_config:
        try:
            config = parse_image_config(Path(args.image_config).read_text(encoding="utf-8"))
        except OSError as exc:
            return f"error: --image-config {args.image_config}: {exc.strerror}"
        except (ImageConfigError, UnicodeDecodeError) as exc:
            return f"error: --image-config {args.image_config}: {exc}"
    passwd = group = None
    if args.image_root:
        root = Path(args.image_root)
        if not root.is_dir():
            return f"error: --image-root {args.image_root}: not a directory"
        try:
            passwd = read_image_file(root, "/etc/passwd")
            group = read_image_file(root, "/etc/group")
        except ImageFileError as exc:
            return f"error: --image-root {args.image_root}: {exc}"
    return ImageFiles(config, passwd, group)


def _caps(label: str, caps: CapabilitySet) -> str:
    names = ",".join(n.removeprefix("CAP_").lower() for n in caps.names)
    return f"  {label + ':':<14}{caps.hex}" + (f"  {names}" if names else "")


def volume_plan_lines(pod: Pod, gates: FeatureGates, *, selinux_enabled: bool) -> dict[str, str]:
    """Each pod volume's SELinux plan line, by volume name. A claim's plan depends on
    the PersistentVolume bound to it (its plugin and access modes), which explain
    does not know."""
    spec = pod.spec
    assert spec is not None
    out: dict[str, str] = {}
    for volume in spec.volumes:
        name = volume.name or ""
        facts = volume_facts(pod, volume, None, {})
        if facts is None:
            claim = (
                volume.persistentVolumeClaim.claimName
                if volume.persistentVolumeClaim is not None
                else f"{pod.metadata.name if pod.metadata else ''}-{name}"
            )
            if volume.persistentVolumeClaim is not None or volume.ephemeral is not None:
                out[name] = (
                    f'volume {name}: depends on the PersistentVolume bound to claim "{claim}" '
                    "(MountOption only for fc, iscsi or CSI with seLinuxMount: true)"
                )
            continue
        plan = plan_volume(pod, facts, gates, selinux_enabled=selinux_enabled)
        out[name] = plan_line(plan)
    return out


def render_text(
    pod: Pod,
    ctr: Container,
    build: ContainerBuild,
    namespace: str,
    volume_plans: dict[str, str] | None = None,
) -> str:
    """The human form of one container's effective process (and, from
    ``volume_plans``, the SELinux plan of each volume it mounts)."""
    p: EffectiveProcess = build.process
    name = pod.metadata.name if pod.metadata else ""
    seccomp = {0: "0 (disabled)", 1: "1 (strict)", 2: "2 (filter)"}.get(
        p.seccomp_mode, str(p.seccomp_mode)
    )
    lines = [
        f"pod/{name} container {ctr.name} (namespace {namespace})",
        f"  {'id:':<14}{p.id_line}",
        _caps("CapInh", p.cap_inh),
        _caps("CapPrm", p.cap_prm),
        _caps("CapEff", p.cap_eff),
        _caps("CapBnd", p.cap_bnd),
        _caps("CapAmb", p.cap_amb),
        f"  {'NoNewPrivs:':<14}{int(p.no_new_privs)}",
        f"  {'Seccomp:':<14}{seccomp}, profile {p.seccomp_profile}",
        f"  {'AppArmor:':<14}{p.apparmor_profile or 'unconfined'}",
        f"  {'SELinux:':<14}{p.selinux_label or 'none'}",
        f"  {'Privileged:':<14}{'yes' if p.privileged else 'no'}",
        f"  {'Root fs:':<14}{'read-only' if p.readonly_rootfs else 'read-write'}",
        f"  {'Masked:':<14}{' '.join(p.masked_paths) or 'none'}",
        f"  {'Read-only:':<14}{' '.join(p.readonly_paths) or 'none'}",
        f"  {'Resources:':<14}{resources_line(build.spec)}",
    ]
    plans = volume_plans or {}
    mounted = dict.fromkeys(m.name or "" for m in ctr.volumeMounts)
    lines.extend(f"  {plans[m]}" for m in mounted if m in plans)
    lines.extend(f"  warning: {w}" for w in build.warnings)
    return "\n".join(lines)


MAX_PROFILE_BYTES = 1024 * 1024


def _localhost_profiles(pod: Pod, seccomp_root: str) -> dict[str, str]:
    """The Localhost seccomp profiles ``pod`` names, read from under ``seccomp_root``.

    The path is decided by the pure check (no absolute paths, no ``..``); a file whose
    real path leaves the root (a symlink out of it) is not read, and the builder then
    reports it missing, as it reports a file that does not exist.
    """
    spec = pod.spec
    if spec is None:
        return {}
    names: list[str] = []
    for sc in (
        spec.securityContext,
        *(c.securityContext for c in spec.initContainers),
        *(c.securityContext for c in spec.containers),
    ):
        profile = sc.seccompProfile if sc is not None else None
        if profile is not None and profile.type == "Localhost" and profile.localhostProfile:
            names.append(profile.localhostProfile)
    out: dict[str, str] = {}
    root = os.path.realpath(seccomp_root)
    for name in names:
        try:
            path = check_localhost_profile(seccomp_root, name)
        except SeccompError:
            continue
        real = os.path.realpath(path)
        if not real.startswith(root + os.sep):
            continue
        try:
            with open(real, "rb") as fh:  # noqa: PTH123 - bounded read of one file
                data = fh.read(MAX_PROFILE_BYTES + 1)
        except OSError:
            continue
        if len(data) <= MAX_PROFILE_BYTES:
            out[path] = data.decode("utf-8", errors="replace")
    return out


def run(args: argparse.Namespace, gates: FeatureGates) -> int:
    node = NodeFacts.reference() if args.node == "reference" else probe_node_facts()  # step 1
    if args.assume_selinux:
        node = dataclasses.replace(node, selinux_enabled=True)
    image = _image_files(args)
    if isinstance(image, str):
        print(image, file=sys.stderr)
        return EXIT_UNUSABLE
    failures: list[Failure] = []
    records: list[dict[str, Any]] = []
    texts: list[str] = []
    for _item, admitted in admitted_pods(args.filename, gates, failures, "explain"):
        pod = admitted.pod
        spec = pod.spec
        assert spec is not None
        plans = volume_plan_lines(pod, gates, selinux_enabled=node.selinux_enabled)
        runtime = RuntimeContext(
            seccomp_root=args.seccomp_root,
            localhost_seccomp_profiles=_localhost_profiles(pod, args.seccomp_root),
        )
        for ctr in (*spec.initContainers, *spec.containers):
            inputs = ContainerSpecInputs(
                pod=pod,
                container=ctr,
                image=image.config,
                passwd_text=image.passwd,
                group_text=image.group,
                node=node,
                runtime=runtime,
            )
            try:
                # The kubelet refuses before the runtime sees the container.
                verify_run_as_non_root(
                    pod, ctr, kubelet_image_user(image_user_from_config(image.config.user))
                )
                build = build_container(inputs)
            except RunAsNonRootError as exc:
                where = f"pod/{admitted.name} container {ctr.name}"
                line = f"{where}: CreateContainerConfigError: {exc}"
                failures.append(Failure(line, line, False))
                continue
            except SpecError as exc:
                line = f"pod/{admitted.name} container {ctr.name}: CreateContainerError: {exc}"
                if str(exc) == "no command specified" and not (args.image_config or args.image):
                    line += " (the image's Entrypoint/Cmd are unknown: pass --image-config)"
                failures.append(Failure(line, line, False))
                continue
            records.append(
                {
                    "pod": admitted.name,
                    "namespace": admitted.namespace,
                    "container": ctr.name,
                    "spec": build.spec,
                    "warnings": list(build.warnings),
                }
            )
            texts.append(render_text(pod, ctr, build, admitted.namespace, plans))
    if args.output == "json":
        print(json.dumps(records, indent=2, sort_keys=True))
    elif texts:
        print("\n\n".join(texts))
    return finish(failures, sys.stderr if args.output == "json" else None)
