"""CreateContainer: resolve the image, build config.json, mount the rootfs.

Role: the CRI verb, as containerd's ``CreateContainer``: nothing runs yet (runc
creates the container at StartContainer, where containerd creates its task), so a
runc failure surfaces from StartContainer and a spec failure from here.
Steps:
1. the sandbox must exist and not be stopped;
2. the image (``ImageLookup``) — absent: ``ImageNotFoundError``; its ``/etc/passwd``
   and ``/etc/group`` (``image.rootfs.read_image_file``, once per layer stack);
3. mounts: the kubelet's (CRI ``Mount`` -> ``CRIMount``) then containerd's own
   ``/etc/hostname``, ``/etc/hosts``, ``/etc/resolv.conf`` (read-only with a
   read-only rootfs) and the pod's ``/dev/shm``, each unless the kubelet supplied
   that path;
4. a Localhost seccomp profile's text, read from the host;
5. ``build_container`` — ``SpecError`` becomes ``CRIError`` with containerd's
   wrapping (``failed to generate container "<id>" spec: failed to generate spec: ``);
   privileged with host devices: every host device node is added; a sandbox
   without a pause process: its pinned namespaces joined by path (``pinns``);
5b. SELinux (nothing at all on a node without it): a label without a level gets
   the sandbox's MCS pair when the container has no seLinuxOptions of its own, else a
   fresh pair (``mcs``); a privileged container runs unlabelled, its label recorded
   (containerd ``createContainer``); then every mount with ``selinux_relabel`` (the
   kubelet's, and containerd's own hostname/hosts/resolv.conf and the pod's /dev/shm)
   has its resolved source relabelled with the mount label, in a thread
   (``selinux_relabel``); a refusal or failure is containerd's ``relabel %q with %q
   failed: ...`` inside the spec error;
6. the container directory: overlay rootfs (image layers lower, upper/work here),
   config.json, the record (uid/gid/groups for ``status.user``, log path, the stop
   signal: ``lifecycle.stopSignal``, else the image's StopSignal, else SIGTERM).
Callers: seclet.runtime.runc.service.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import posixpath
import pwd
import secrets
import shutil
import time
from pathlib import Path

from seclet.cri.errors import CRIError, FailedPreconditionError, ImageNotFoundError
from seclet.cri.types import ContainerConfig, Mount, PodSandboxConfig
from seclet.host.facts import NodeFacts
from seclet.runtime.image.rootfs import ImageFileError, read_image_file
from seclet.runtime.image.stored import ImageLookup
from seclet.runtime.oci.builder import SpecError, build_container
from seclet.runtime.oci.inputs import ContainerSpecInputs, CRIMount, RuntimeContext
from seclet.runtime.runc import mcs, mounts, pinns, records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.host_devices import host_devices
from seclet.runtime.runc.mountpoints import has_user_namespace, prepare_mountpoints
from seclet.runtime.runc.records import ContainerRecord, SandboxRecord
from seclet.runtime.runc.selinux_relabel import (
    RelabelError,
    RelabelMount,
    protected_paths,
    relabel,
    relabel_error,
    relabel_sources,
    resolve_source,
)
from seclet.runtime.runc.stop_container import stop_signal
from seclet.securitycontext.seccomp import LOCALHOST, kubelet_seccomp_profile

_HOST_SHM = "/dev/shm"  # noqa: S108


def _cri_mount(m: Mount) -> CRIMount:
    return CRIMount(
        container_path=m.container_path,
        host_path=m.host_path,
        readonly=m.readonly,
        propagation=m.propagation.name,
        recursive_readonly=m.recursive_read_only,
    )


def container_mounts(
    config: RuntimeConfig, sandbox: SandboxRecord, req: ContainerConfig
) -> tuple[CRIMount, ...]:
    """The kubelet's mounts, then containerd's sandbox files not already supplied."""
    supplied = {posixpath.normpath(m.container_path) for m in req.mounts}
    out = [_cri_mount(m) for m in req.mounts]
    sc = req.container.securityContext
    readonly = bool(sc is not None and sc.readOnlyRootFilesystem)
    directory = config.sandbox_dir(sandbox.id)
    for path, source in (
        ("/etc/hostname", directory / "hostname"),
        ("/etc/hosts", directory / "hosts"),
        ("/etc/resolv.conf", directory / "resolv.conf"),
    ):
        if path not in supplied:
            out.append(CRIMount(container_path=path, host_path=str(source), readonly=readonly))
    if "/dev/shm" not in supplied:  # noqa: S108
        shm = _HOST_SHM if sandbox.host_ipc else str(directory / "shm")
        out.append(CRIMount(container_path="/dev/shm", host_path=shm))  # noqa: S108
    return tuple(out)


def relabel_mounts(req: ContainerConfig, mounts_: tuple[CRIMount, ...]) -> tuple[RelabelMount, ...]:
    """``container_mounts``' mounts with their ``selinux_relabel``: the kubelet's as it
    sent them; containerd's own (``linuxContainerMounts``) always, but the host's
    /dev/shm for hostIPC never."""
    out = [
        RelabelMount(m.container_path, m.host_path, kubelet.selinux_relabel)
        for m, kubelet in zip(mounts_, req.mounts, strict=False)
    ]
    out.extend(
        RelabelMount(m.container_path, m.host_path, m.host_path != _HOST_SHM)
        for m in mounts_[len(req.mounts) :]
    )
    return tuple(out)


def _daemon_homes() -> tuple[str, ...]:
    """go-selinux's extra excluded paths: ``$HOME`` and ``$SUDO_USER``'s home."""
    homes = [os.environ.get("HOME", "")]
    sudo_user = os.environ.get("SUDO_USER", "")
    if sudo_user:
        with contextlib.suppress(KeyError):
            homes.append(pwd.getpwnam(sudo_user).pw_dir)
    return tuple(homes)


def _relabel_all(sources: tuple[str, ...], mount_label: str) -> None:
    """Relabel each source in turn (I/O, run in a thread); ``RelabelError`` carries
    containerd's whole ``relabel ... failed: ...`` text."""
    protected = protected_paths(_daemon_homes())
    for host_path in sources:
        source = resolve_source(host_path)
        try:
            relabel(source, mount_label, protected=protected)
        except RelabelError as exc:
            raise RelabelError(relabel_error(source, mount_label, str(exc))) from None


@functools.lru_cache(maxsize=64)
def _image_account_file(layers: tuple[Path, ...], path: str) -> str | None:
    """``read_image_file`` of an image's account file, once per layer stack: layers
    live under their chain id (``<images>/layers/<chain hex>``) and never change, and
    every container of an image reads the same two files (``ImageFileError`` is
    raised each time, not cached)."""
    return read_image_file(layers, path)


def _localhost_profiles(config: RuntimeConfig, req: ContainerConfig) -> dict[str, str]:
    profile = kubelet_seccomp_profile(
        req.pod,
        req.container,
        seccomp_root=config.seccomp_root,
        seccomp_default=config.seccomp_default,
    )
    if profile.profile_type != LOCALHOST:
        return {}
    path = profile.localhost_ref.removeprefix("localhost/")
    try:
        return {path: Path(path).read_text()}
    except OSError:
        return {}


async def create_container(
    config: RuntimeConfig,
    node: NodeFacts,
    images: ImageLookup,
    pod_sandbox_id: str,
    req: ContainerConfig,
    sandbox_config: PodSandboxConfig,
    reservations: mcs.Reservations | None = None,
) -> str:
    """The CRI verb (steps in the module docstring); ``reservations`` holds the MCS
    pairs of creates in flight (``RuncRuntime.mcs``)."""
    reservations = reservations if reservations is not None else mcs.Reservations()
    claimed: list[str] = []
    try:
        return await _create_container(
            config, node, images, pod_sandbox_id, req, sandbox_config, reservations, claimed
        )
    finally:
        # saved, the record holds the pair; failed, nothing does
        for level in claimed:
            reservations.settle(level)


async def _create_container(
    config: RuntimeConfig,
    node: NodeFacts,
    images: ImageLookup,
    pod_sandbox_id: str,
    req: ContainerConfig,
    sandbox_config: PodSandboxConfig,
    reservations: mcs.Reservations,
    claimed: list[str],
) -> str:
    # 1. sandbox
    sandbox = records.load_sandbox(config, pod_sandbox_id)
    if sandbox.stopped:
        raise FailedPreconditionError(f'sandbox container "{pod_sandbox_id}" is not running')
    # 2. image and its account files
    ref = req.image.image
    stored = images.lookup(ref)
    if stored is None:
        raise ImageNotFoundError(f'failed to resolve image "{ref}": not found')
    try:
        passwd = _image_account_file(stored.layers, "/etc/passwd")
        group = _image_account_file(stored.layers, "/etc/group")
    except ImageFileError as exc:
        raise CRIError(str(exc)) from None
    # 3. + 4. mounts, seccomp profile text
    container_id = secrets.token_hex(32)
    runtime = RuntimeContext(
        container_id=container_id,
        sandbox_id=pod_sandbox_id,
        sandbox_pid=sandbox.pid or None,
        rootfs="rootfs",
        cgroup_parent=sandbox.cgroup_parent,
        seccomp_root=config.seccomp_root,
        seccomp_default=config.seccomp_default,
        localhost_seccomp_profiles=_localhost_profiles(config, req),
        userns_host_id=sandbox.userns_host_id if sandbox.userns_host_id is not None else 65536,
        mounts=container_mounts(config, sandbox, req),
        cri_command=req.command,
        cri_args=req.args,
        cri_envs=tuple((kv.key, kv.value) for kv in req.envs),
        extra_supplemental_groups=req.supplemental_groups,
        image_name=ref,
        privileged_without_host_devices=config.privileged_without_host_devices,
    )
    # 5. the spec
    try:
        build = build_container(
            ContainerSpecInputs(
                pod=req.pod,
                container=req.container,
                image=stored.config,
                passwd_text=passwd,
                group_text=group,
                node=node,
                runtime=runtime,
            )
        )
    except SpecError as exc:
        # containerd's CreateContainer: the spec options fail inside GenerateSpec.
        raise CRIError(
            f'failed to generate container "{container_id}" spec: failed to generate spec: {exc}'
        ) from None
    spec = build.spec
    # 5b. SELinux: the level, the privileged label, the relabels
    selinux_label = ""
    if node.selinux_enabled:
        if build.selinux_mcs_allocation:
            level = mcs.container_level(build.plan.cri.selinux_options, sandbox.selinux_label)
            if level is None:
                level = reservations.allocate(config)
                claimed.append(level)
            mcs.apply_level(spec, level)
        selinux_label = str(spec["process"].get("selinuxLabel", ""))
        if build.plan.cri.privileged:
            spec["process"].pop("selinuxLabel", None)
        mount_label = str(spec["linux"].get("mountLabel", ""))
        sources = relabel_sources(
            relabel_mounts(req, runtime.mounts), mount_label, selinux_enabled=True
        )
        if sources:
            try:
                await asyncio.to_thread(_relabel_all, sources, mount_label)
            except RelabelError as exc:
                raise CRIError(
                    f'failed to generate container "{container_id}" spec: '
                    f"failed to generate spec: {exc}"
                ) from None
    if sandbox.pinned_namespaces:
        pinns.join_pinned(spec, sandbox.pinned_namespaces)
    if build.host_devices:
        spec["linux"]["devices"] = host_devices()
    # 6. directory, rootfs, config.json, record
    directory = config.container_dir(container_id)
    directory.mkdir(parents=True, mode=0o711)
    try:
        for sub in ("rootfs", "upper", "work"):
            (directory / sub).mkdir(mode=0o755)
        mounts.mount_overlay(
            stored.layers, directory / "upper", directory / "work", directory / "rootfs"
        )
        if has_user_namespace(spec):
            prepare_mountpoints(directory / "rootfs", spec)
        records.write_json_atomic(directory / "config.json", spec)
        user = spec["process"]["user"]
        lifecycle = req.container.lifecycle
        signal = stop_signal(
            lifecycle.stopSignal if lifecycle is not None else None, stored.config.stop_signal
        )
        log_path = ""
        if sandbox_config.log_directory and req.log_path:
            log_path = posixpath.join(sandbox_config.log_directory, req.log_path)
        record = ContainerRecord(
            id=container_id,
            sandbox_id=pod_sandbox_id,
            name=req.metadata.name,
            attempt=req.metadata.attempt,
            created_at=time.time_ns(),
            image=ref,
            image_ref=stored.image.id,
            image_id=stored.image.repo_digests[0] if stored.image.repo_digests else "",
            log_path=log_path,
            uid=int(user.get("uid", 0)),
            gid=int(user.get("gid", 0)),
            additional_gids=tuple(int(g) for g in user.get("additionalGids", ())),
            stop_signal=signal,
            terminal=bool(spec["process"].get("terminal", False)),
            stdin=req.stdin,
            stdin_once=req.stdin_once,
            labels=dict(req.labels),
            annotations=dict(req.annotations),
            rootfs_mounted=True,
            cgroups_path=str(spec["linux"].get("cgroupsPath", "")),
            selinux_label=selinux_label,
        )
        records.save(directory, record)
    except BaseException as exc:
        mounts.unmount(directory / "rootfs")
        shutil.rmtree(directory, ignore_errors=True)
        if isinstance(exc, OSError):
            raise CRIError(f"failed to create containerd container: {exc}") from None
        raise
    return container_id
