"""The pod's volumes: plan (pure), set up and tear down (I/O), and container mounts.

Role: the part of upstream's volume manager seclet supports today.
- ``emptyDir``: ``<root>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>``, created
  ``0777`` (chmod-ed again against the umask, as ``empty_dir.go setupDir``), then
  fsGroup ownership with a nil policy (always recursive); ``medium: Memory`` is a
  tmpfs (``size=`` the sizeLimit when set); other media are refused with upstream's
  ``unknown storage medium "<m>"``.
- ``hostPath``: passed through, never chowned; ``type`` checked (``DirectoryOrCreate``
  creates ``0755``, ``FileOrCreate`` an empty ``0644`` file, the others must exist).
- the ``kube-api-access-*`` projected token volume is not injected by seclet and is
  skipped (no mount); other volume types are refused with a ``FailedMount`` message.
Steps of ``set_up``: 1. plan every volume (refuse unsupported ones, before touching
disk); 2. create each emptyDir (tmpfs mount for Memory; owned by the pod's root in
host terms for a ``hostUsers: false`` pod, see ``shifted_ids``); 3. apply fsGroup
ownership to each emptyDir; 4. check/create hostPaths. ``tear_down_volumes`` (a terminal pod)
removes only ``<podDir>/volumes``; ``tear_down`` (a deleted pod) the whole directory.
Callers: seclet.kubelet.worker.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from seclet.api import models
from seclet.cri.types import Mount, MountPropagation
from seclet.kubelet.ownership import change_ownership
from seclet.securitycontext.namespaces import USERNS_LENGTH

EMPTY_DIR_PLUGIN = "kubernetes.io~empty-dir"
KUBE_API_ACCESS_PREFIX = "kube-api-access-"


class VolumeError(Exception):
    """A volume that cannot be set up; the message is the FailedMount event's."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumePlan:
    name: str
    kind: str
    """``emptyDir``, ``hostPath`` or ``skip`` (kube-api-access)."""
    host_path: str = ""
    medium: str = ""
    size_limit: str = ""
    host_path_type: str = ""


def _kind(volume: models.Volume) -> str:
    for field in models.Volume._fields:
        if field != "name" and getattr(volume, field) is not None:
            return field
    return "emptyDir"


def plan_volumes(pod: models.Pod, root_dir: str) -> tuple[VolumePlan, ...]:
    """Step 1 (pure): the plan of every volume, or VolumeError for the first refused."""
    spec = pod.spec or models.PodSpec()
    uid = (pod.metadata or models.ObjectMeta()).uid or ""
    base = Path(root_dir) / "pods" / uid / "volumes"
    plans = []
    for volume in spec.volumes:
        name = volume.name or ""
        kind = _kind(volume)
        if kind == "emptyDir":
            ed = volume.emptyDir or models.EmptyDirVolumeSource()
            medium = ed.medium or ""
            if medium not in ("", "Memory"):
                raise VolumeError(
                    f'MountVolume.SetUp failed for volume "{name}" : '
                    f'unknown storage medium "{medium}"'
                )
            plans.append(
                VolumePlan(
                    name=name,
                    kind=kind,
                    host_path=str(base / EMPTY_DIR_PLUGIN / name),
                    medium=medium,
                    size_limit=str(ed.sizeLimit or ""),
                )
            )
        elif kind == "hostPath":
            hp = volume.hostPath or models.HostPathVolumeSource()
            plans.append(
                VolumePlan(
                    name=name,
                    kind=kind,
                    host_path=hp.path or "",
                    host_path_type=hp.type or "",
                )
            )
        elif kind == "projected" and name.startswith(KUBE_API_ACCESS_PREFIX):
            plans.append(VolumePlan(name=name, kind="skip"))
        else:
            raise VolumeError(
                f'MountVolume.SetUp failed for volume "{name}" : '
                f"{kind} volumes are not supported by seclet yet"
            )
    return tuple(plans)


def _check_host_path(plan: VolumePlan) -> None:
    path = Path(plan.host_path)
    kind = plan.host_path_type
    prefix = f'MountVolume.SetUp failed for volume "{plan.name}" : hostPath type check failed: '
    if kind == "DirectoryOrCreate" and not path.exists():
        path.mkdir(mode=0o755, parents=True)
        return
    if kind == "FileOrCreate" and not path.exists():
        path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        path.touch(mode=0o644)
        return
    checks = {
        "Directory": (stat.S_ISDIR, "is not a directory"),
        "DirectoryOrCreate": (stat.S_ISDIR, "is not a directory"),
        "File": (stat.S_ISREG, "is not a file"),
        "FileOrCreate": (stat.S_ISREG, "is not a file"),
        "Socket": (stat.S_ISSOCK, "is not a socket file"),
        "CharDevice": (stat.S_ISCHR, "is not a character device"),
        "BlockDevice": (stat.S_ISBLK, "is not a block device"),
    }
    if kind not in checks:
        return
    test, what = checks[kind]
    try:
        mode = path.stat().st_mode
    except OSError:
        raise VolumeError(f"{prefix}{plan.host_path} {what}") from None
    if not test(mode):
        raise VolumeError(f"{prefix}{plan.host_path} {what}")


async def _mount_tmpfs(plan: VolumePlan) -> None:
    options = "nosuid,nodev"
    if plan.size_limit:
        options += f",size={plan.size_limit}"
    proc = await asyncio.create_subprocess_exec(
        "mount",
        "-t",
        "tmpfs",
        "-o",
        options,
        "tmpfs",
        plan.host_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    if proc.returncode:
        raise VolumeError(
            f'MountVolume.SetUp failed for volume "{plan.name}" : mount failed: '
            f"{out.decode(errors='replace').strip()}"
        )


def _make_empty_dir(plan: VolumePlan) -> bool:
    """Create the directory ``0777``; True when it did not exist."""
    path = Path(plan.host_path)
    fresh = not path.exists()
    path.mkdir(mode=0o777, parents=True, exist_ok=True)
    if fresh and stat.S_IMODE(path.stat().st_mode) != 0o777:
        path.chmod(0o777)
    return fresh


def shifted_ids(fs_group: int | None, userns_host_id: int | None) -> tuple[int | None, int | None]:
    """(owner of a new emptyDir, group of the fsGroup walk) on the host.

    Without a user namespace: (None: keep root, fsGroup). With ``hostUsers: false`` the
    pod sees host id ``userns_host_id + n`` as ``n``; runc 1.1 has no idmapped mounts,
    so the ownership is shifted on disk instead: the volume's root belongs to the pod's
    root and the fsGroup walk uses the pod's fsGroup in host terms (an fsGroup outside
    the 65536 mapped ids cannot be shown inside and is applied unshifted)."""
    if userns_host_id is None:
        return None, fs_group
    group = fs_group
    if fs_group is not None and fs_group < USERNS_LENGTH:
        group = userns_host_id + fs_group
    return userns_host_id, group


async def set_up(
    plans: tuple[VolumePlan, ...], pod: models.Pod, userns_host_id: int | None = None
) -> None:
    """Steps 2-4 (idempotent: an existing emptyDir is kept as it is)."""
    sc = (pod.spec or models.PodSpec()).securityContext
    owner, fs_group = shifted_ids(sc.fsGroup if sc is not None else None, userns_host_id)
    for plan in plans:
        if plan.kind == "emptyDir":
            fresh = await asyncio.to_thread(_make_empty_dir, plan)
            if fresh and plan.medium == "Memory":
                await _mount_tmpfs(plan)
                await asyncio.to_thread(Path(plan.host_path).chmod, 0o777)
            if fresh and owner is not None:
                await asyncio.to_thread(os.chown, plan.host_path, owner, owner)
            if fresh:
                await asyncio.to_thread(change_ownership, plan.host_path, fs_group, None, False)
        elif plan.kind == "hostPath":
            await asyncio.to_thread(_check_host_path, plan)


def _mounted_empty_dirs(pod_dir: str) -> list[str]:
    base = Path(pod_dir) / "volumes" / EMPTY_DIR_PLUGIN
    if not base.is_dir():
        return []
    return [str(p) for p in base.iterdir() if p.is_mount()]


async def _unmount_empty_dirs(pod_dir: str) -> None:
    for path in await asyncio.to_thread(_mounted_empty_dirs, pod_dir):
        proc = await asyncio.create_subprocess_exec(
            "umount", path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        await proc.wait()


async def tear_down_volumes(pod_dir: str) -> None:
    """A terminal pod's volumes (upstream unmounts them once the pod is terminated,
    before ``SyncTerminatedPod`` finishes): unmount its tmpfs emptyDirs and remove
    ``<podDir>/volumes``; the rest of the pod directory (termination-log files, the
    userns file) stays until the pod is deleted."""
    await _unmount_empty_dirs(pod_dir)
    await asyncio.to_thread(shutil.rmtree, str(Path(pod_dir) / "volumes"), True)


async def tear_down(pod_dir: str) -> None:
    """Unmount the pod's tmpfs emptyDirs, then remove its directory."""
    await _unmount_empty_dirs(pod_dir)
    await asyncio.to_thread(shutil.rmtree, pod_dir, True)


_PROPAGATION = {
    "HostToContainer": MountPropagation.PROPAGATION_HOST_TO_CONTAINER,
    "Bidirectional": MountPropagation.PROPAGATION_BIDIRECTIONAL,
}


def container_mounts(
    container: models.Container, plans: tuple[VolumePlan, ...]
) -> tuple[Mount, ...]:
    """CRI mounts of ``container``'s volumeMounts (pure; subPath joined, kube-api-access
    skipped)."""
    by_name = {p.name: p for p in plans}
    mounts = []
    for vm in container.volumeMounts:
        plan = by_name.get(vm.name or "")
        if plan is None or plan.kind == "skip":
            continue
        host = plan.host_path
        if vm.subPath:
            host = str(Path(host) / vm.subPath)
        mounts.append(
            Mount(
                container_path=vm.mountPath or "",
                host_path=host,
                readonly=bool(vm.readOnly),
                propagation=_PROPAGATION.get(
                    vm.mountPropagation or "", MountPropagation.PROPAGATION_PRIVATE
                ),
                recursive_read_only=vm.recursiveReadOnly in ("Enabled",),
            )
        )
    return tuple(mounts)
