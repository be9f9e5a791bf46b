"""emptyDir: a directory (or a tmpfs) that lives as long as the pod.

Role: k/k ``pkg/volume/emptydir/empty_dir.go``:
``<root>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>``, created ``0777``
(chmod-ed again against the umask, ``setupDir``); ``medium: Memory`` is a tmpfs
(``size=<bytes>``: ``memory_size``, no other option); other media ->
``unknown storage medium "<m>"``.
Attributes: ReadOnly false. Ownership: fsGroup with a nil policy (always recursive,
fsGroupChangePolicy ignored), once when the directory is created. ``set_up_dir`` is
also the wrapped emptyDir under configMap (disk) and secret/downwardAPI/projected
(Memory) volumes.
Steps of ``set_up_dir``: 1. mkdir 0777 (existing: keep as is, return); 2. Memory ->
mount tmpfs, chmod 0777; 3. ``hostUsers: false`` -> chown to the pod's root in host
terms; 4. fsGroup walk (nil policy, read-write).
Callers: seclet.kubelet.volumes (plugin table), seclet.kubelet.volume.projection.
"""

from __future__ import annotations

import asyncio
import math
import os
import stat
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

from seclet.api import models
from seclet.kubelet.ownership import change_ownership
from seclet.kubelet.volume.mounts import mount_tmpfs
from seclet.kubelet.volume.plugin import (
    OWNERSHIP_EPHEMERAL,
    Lookup,
    SetUpArgs,
    VolumeError,
    VolumePlan,
    setup_failed,
    volume_dir,
)
from seclet.validation.containers import parse_quantity

PLUGIN_DIR = "kubernetes.io~empty-dir"


def _memory_limit(c: models.Container) -> Fraction:
    res = c.resources or models.ResourceRequirements()
    return parse_quantity(res.limits.get("memory", 0)) or Fraction(0)


def memory_size(pod: models.Pod, size_limit: str, allocatable: Mapping[str, object] | None) -> str:
    """``calculateEmptyDirMemorySize`` (SizeMemoryBackedVolumes, GA): the node's
    allocatable memory, lowered to the pod's memory limit (``ResourceConfigForPod``:
    every container has one; the larger of their sum and the largest init
    container's) and then to the volume's sizeLimit, each only when positive and not
    larger. In bytes; "" when nothing is known (the kernel's default)."""
    spec = pod.spec or models.PodSpec()
    size = parse_quantity((allocatable or {}).get("memory", 0)) or Fraction(0)
    if spec.containers and all(_memory_limit(c) > 0 for c in spec.containers):
        pod_limit = sum((_memory_limit(c) for c in spec.containers), Fraction(0))
        pod_limit = max([pod_limit, *(_memory_limit(c) for c in spec.initContainers)])
        if pod_limit > 0 and (size == 0 or pod_limit <= size):
            size = pod_limit
    volume = parse_quantity(size_limit) if size_limit else None
    if volume is not None and volume > 0 and (size == 0 or volume <= size):
        size = volume
    return str(math.ceil(size)) if size > 0 else ""


def tmpfs_options(size_limit: str) -> str:
    """``generateTmpfsMountOptions``: ``size=<bytes>`` when the sizeLimit is set and
    positive (the kernel's default, half of RAM, otherwise)."""
    size = parse_quantity(size_limit) if size_limit else None
    if size is None or size <= 0:
        return ""
    return f"size={math.ceil(size)}"


def _make_dir(path: str) -> bool:
    """Step 1: True when the directory did not exist."""
    p = Path(path)
    fresh = not p.exists()
    p.mkdir(mode=0o777, parents=True, exist_ok=True)
    if fresh and stat.S_IMODE(p.stat().st_mode) != 0o777:
        p.chmod(0o777)
    return fresh


async def set_up_dir(name: str, path: str, medium: str, size_limit: str, args: SetUpArgs) -> bool:
    """The steps above; True when the directory was created now."""
    fresh = await asyncio.to_thread(_make_dir, path)
    if not fresh:
        return False
    if medium == "Memory":
        options = tmpfs_options(size_limit)
        try:
            await asyncio.to_thread(mount_tmpfs, path, options)
        except OSError as e:
            raise setup_failed(name, f"mount failed: {e.strerror}") from None
        await asyncio.to_thread(os.chmod, path, 0o777)
    if args.owner is not None:
        await asyncio.to_thread(os.chown, path, args.owner, args.owner)
    if args.walker is not None:
        try:
            await asyncio.to_thread(args.walker.walk_sync, path, args.fs_group, None, False)
        except OSError as e:  # the walk's error fails the mount, as upstream's SetUpAt
            raise setup_failed(name, str(e)) from None
    else:
        await asyncio.to_thread(change_ownership, path, args.fs_group, None, False)
    return True


class EmptyDirPlugin:
    kind = "emptyDir"

    def plan(
        self, volume: models.Volume, pod: models.Pod, root_dir: str, lookup: Lookup
    ) -> VolumePlan:
        name = volume.name or ""
        ed = volume.emptyDir or models.EmptyDirVolumeSource()
        medium = ed.medium or ""
        if medium not in ("", "Memory"):
            raise setup_failed(name, f'unknown storage medium "{medium}"')
        return VolumePlan(
            name=name,
            kind=self.kind,
            host_path=volume_dir(root_dir, pod, PLUGIN_DIR, name),
            medium=medium,
            size_limit=str(ed.sizeLimit or ""),
            ownership=OWNERSHIP_EPHEMERAL,
            volume=volume,
        )

    def supports_ownership(self, plan: VolumePlan) -> bool:
        return True

    def applies_mount_group(self, plan: VolumePlan) -> bool:
        return False

    async def set_up(self, plan: VolumePlan, args: SetUpArgs) -> None:
        size = plan.size_limit
        if plan.medium == "Memory":
            size = memory_size(args.pod, plan.size_limit, args.allocatable)
        await set_up_dir(plan.name, plan.host_path, plan.medium, size, args)

    async def tear_down(self, plan: VolumePlan) -> None:
        """Nothing of its own: the volume manager unmounts and removes the pod's
        volumes directory."""


__all__ = ["PLUGIN_DIR", "EmptyDirPlugin", "VolumeError", "set_up_dir"]
