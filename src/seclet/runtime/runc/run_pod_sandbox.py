"""RunPodSandbox: pin the pod's namespaces, or start the pause process that holds them.

Role: the CRI verb, as containerd's ``RunPodSandbox`` with catatonit as pause — or,
for a pod that needs no pause process (``sandbox_spec.needs_infra``; CRI-O's
``drop_infra_ctr``, on unless ``RuntimeConfig.drop_infra`` is off), as CRI-O's: the
pod's network/IPC/UTS namespaces made and pinned by ``pinns``, saving the pause
container's ``runc run`` before the first container can start.
Steps:
1. decide: a new id, the namespace modes, the namespaced sysctls (refused for a
   namespace shared with the host, kubelet's wording), the hostname (the node's for
   hostNetwork), the cgroup parent: the kubelet's, or when it sends none the pod
   cgroup a kubelet with the cgroupfs driver would make
   (``/kubepods/<qos>/pod<uid>``, ``resources.pod_cgroup_parent``), so container
   limits land in a real memory/cpu cgroup under the pod's; on an SELinux node the
   pod's labels (``label.InitLabels`` of the pod's seLinuxOptions) with a fresh MCS
   pair unless the pod gives a level (``mcs``), recorded as the sandbox's
   ``selinux_label`` and set on the pause process;
2. lay out ``<root>/sandboxes/<id>``: ``hostname``, ``hosts`` and ``resolv.conf``
   (copies of the host's, as containerd's ``setupSandboxFiles``), the pod's
   ``/dev/shm`` tmpfs (host ``/dev/shm`` for hostIPC), an empty ``rootfs/``;
3. without a pause process: the record (naming its pins), then ``pinns.pin`` with
   the hostname and the sandbox's sysctls (``sandbox_spec.sandbox_sysctl_values``)
   after step 2's files are written; done.
   Otherwise: write config.json (``sandbox_spec.build_sandbox_spec``) and the record;
4. start it: ``runc run --detach`` (no conmon: the pause process has no stdio, log
   or exit code to keep; module ``pause``);
5. the kubelet's ``podPidsLimit`` on the pod cgroup's ``pids.max`` (``pod_cgroup``),
   before any container of the pod runs;
6. record the pause pid and its start time.
A failure undoes steps 2-4 and raises ``CRIError`` carrying runc's text (for a
pinning step, runc's text for that step in the pause container).
Callers: seclet.runtime.runc.service.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from pathlib import Path

from seclet.api import models
from seclet.cri.errors import CRIError
from seclet.cri.types import PodSandboxConfig
from seclet.host.facts import NodeFacts
from seclet.runtime.oci.plan import pod_hostname
from seclet.runtime.oci.resources import pod_cgroup_parent
from seclet.runtime.runc import driver, mcs, mounts, pause, pinns, records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.mountpoints import has_user_namespace, prepare_mountpoints
from seclet.runtime.runc.pod_cgroup import PidsLimitError, set_pids_limit
from seclet.runtime.runc.records import SandboxRecord
from seclet.runtime.runc.remove_pod_sandbox import discard_sandbox_dir
from seclet.runtime.runc.sandbox_spec import (
    PAUSE_PATH,
    SandboxSpecInputs,
    build_sandbox_spec,
    has_privileged_container,
    needs_infra,
    pinned_kinds,
    sandbox_sysctl_values,
)
from seclet.securitycontext.namespaces import NODE, namespaces_for_pod
from seclet.securitycontext.seccomp import RUNTIME_DEFAULT, kubelet_seccomp_profile
from seclet.securitycontext.selinux import selinux_labels
from seclet.securitycontext.sysctls import SysctlError, sandbox_sysctls

_HOST_SHM = "/dev/shm"  # noqa: S108


def _copy_host_file(src: Path, dst: Path) -> None:
    try:
        data = src.read_bytes()
    except OSError:
        data = b""
    dst.write_bytes(data)
    dst.chmod(0o644)


def _sandbox_labels(
    config: RuntimeConfig,
    node: NodeFacts,
    options: models.SELinuxOptions | None,
    reservations: mcs.Reservations,
) -> tuple[str, str, str]:
    """The sandbox's process and mount labels, and the pair allocated for them ("" when
    none was: SELinux off, or the pod's level)."""
    if not node.selinux_enabled:
        return "", "", ""
    labels = selinux_labels(options, enabled=True)
    if not labels.needs_mcs_allocation:
        return labels.process, labels.mount, ""
    level = reservations.allocate(config)
    return mcs.with_level(labels.process, level), mcs.with_level(labels.mount, level), level


async def run_pod_sandbox(
    config: RuntimeConfig,
    node: NodeFacts,
    req: PodSandboxConfig,
    reservations: mcs.Reservations | None = None,
) -> str:
    """The CRI verb (steps in the module docstring); ``reservations`` holds the MCS
    pairs of creates in flight (``RuncRuntime.mcs``)."""
    reservations = reservations if reservations is not None else mcs.Reservations()
    pod = req.pod
    spec = pod.spec or models.PodSpec()
    # 1. decide
    sandbox_id = secrets.token_hex(32)
    ns = namespaces_for_pod(pod)
    try:
        sysctls = sandbox_sysctls(pod)
    except SysctlError as exc:
        raise CRIError(str(exc)) from None
    hostname = node.hostname if ns.network == NODE else (req.hostname or pod_hostname(pod))
    psc = spec.securityContext
    cgroup_parent = req.cgroup_parent or pod_cgroup_parent(pod, uid=req.metadata.uid)
    seccomp = kubelet_seccomp_profile(
        pod,
        models.Container(),
        seccomp_root=config.seccomp_root,
        seccomp_default=config.seccomp_default,
    )
    privileged = has_privileged_container(pod)
    drop_infra = config.drop_infra and not needs_infra(
        ns, privileged=privileged, pod_pids_limit=req.pod_pids_limit
    )
    # 2. lay out the sandbox directory
    directory = config.sandbox_dir(sandbox_id)
    directory.mkdir(parents=True, mode=0o711)
    pins = pinns.pin_paths(directory, pinned_kinds(ns)) if drop_infra else {}
    process_label, mount_label, level = _sandbox_labels(
        config,
        node,
        psc.seLinuxOptions if psc is not None else None,
        reservations,
    )
    record = SandboxRecord(
        id=sandbox_id,
        name=req.metadata.name,
        uid=req.metadata.uid,
        namespace=req.metadata.namespace,
        attempt=req.metadata.attempt,
        created_at=time.time_ns(),
        hostname=hostname,
        host_network=ns.network == NODE,
        host_pid=ns.pid == NODE,
        host_ipc=ns.ipc == NODE,
        log_directory=req.log_directory,
        cgroup_parent=cgroup_parent,
        pod_cgroup_owned=not req.cgroup_parent,
        userns_host_id=req.userns_host_id,
        labels=dict(req.labels),
        annotations=dict(req.annotations),
        # claimed before the mount, so one save covers it: unmounting what was never
        # mounted is a no-op for every later cleanup
        shm_mounted=ns.ipc != NODE,
        drop_infra=drop_infra,
        pinned_namespaces=pins,
        selinux_label=process_label,
    )
    try:
        records.save(directory, record)
    finally:
        # saved, the record holds the pair; unsaved, nothing does
        reservations.settle(level)
    try:
        (directory / "hostname").write_text(hostname + "\n")
        (directory / "hostname").chmod(0o644)
        _copy_host_file(Path("/etc/hosts"), directory / "hosts")
        _copy_host_file(Path("/etc/resolv.conf"), directory / "resolv.conf")
        if ns.ipc == NODE:
            shm_source = _HOST_SHM
        else:
            shm = directory / "shm"
            shm.mkdir(mode=0o755)
            mounts.mount_shm(shm)
            shm_source = str(shm)
        if drop_infra:
            # 3. the pinned namespaces are the sandbox
            pinns.pin(pins, hostname, sandbox_sysctl_values(sysctls, ns))
            return sandbox_id
        rootfs = directory / "rootfs"
        rootfs.mkdir(mode=0o755)
        (rootfs / PAUSE_PATH.lstrip("/")).touch(mode=0o755)
        # 3. config.json
        oci = build_sandbox_spec(
            SandboxSpecInputs(
                sandbox_id=sandbox_id,
                name=req.metadata.name,
                namespace=req.metadata.namespace,
                uid=req.metadata.uid,
                hostname=hostname,
                namespaces=ns,
                catatonit=config.catatonit,
                shm_source=shm_source,
                log_directory=req.log_directory,
                cgroup_parent=cgroup_parent,
                userns_host_id=req.userns_host_id if req.userns_host_id is not None else 65536,
                run_as_user=psc.runAsUser if psc is not None else None,
                run_as_group=psc.runAsGroup if psc is not None else None,
                sysctls=sysctls,
                runtime_default_seccomp=seccomp.profile_type == RUNTIME_DEFAULT,
                privileged=privileged,
                node=node,
                selinux_process_label=process_label,
                selinux_mount_label=mount_label,
            )
        )
        if has_user_namespace(oci):
            prepare_mountpoints(rootfs, oci)
        records.write_json_atomic(directory / "config.json", oci)
        # 4. start
        pid = await driver.runc_run_detached(config, sandbox_id, directory)
        started = pause.start_time(pid)
        # 5. the pod's pids limit
        if req.pod_pids_limit > 0:
            set_pids_limit(cgroup_parent, req.pod_pids_limit)
    except pinns.PinError as exc:
        await discard_sandbox_dir(config, sandbox_id, runc_deleted=True)
        raise CRIError(
            f'failed to start sandbox "{sandbox_id}": failed to create containerd task: '
            "failed to create shim task: OCI runtime create failed: runc create failed: "
            f"unable to start container process: error during container init: {exc.strerror}: "
            "unknown"
        ) from None
    except driver.RuncError as exc:
        await discard_sandbox_dir(config, sandbox_id)
        raise CRIError(
            f'failed to start sandbox "{sandbox_id}": failed to create containerd task: '
            f"failed to create shim task: OCI runtime create failed: {exc.message}: unknown"
        ) from None
    except PidsLimitError as exc:
        await discard_sandbox_dir(config, sandbox_id)
        raise CRIError(f"failed to set the pod's pids limit: {exc}") from None
    except OSError as exc:
        await discard_sandbox_dir(config, sandbox_id)
        raise CRIError(f"failed to setup sandbox files: {exc}") from None
    except BaseException:
        await discard_sandbox_dir(config, sandbox_id)
        raise
    # 6. record the pid
    records.save(directory, dataclasses.replace(record, pid=pid, pid_start_time=started))
    return sandbox_id
