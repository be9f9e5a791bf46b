"""hostPath: a path of the node, passed through and never chowned.

Role: k/k ``pkg/volume/hostpath/host_path.go``: the path is mounted as is; fsGroup
never applies (no ownership walk, whatever fsGroupChangePolicy says); ``type`` is
checked (``DirectoryOrCreate`` creates ``0755``, ``FileOrCreate`` an empty ``0644``
file, the others must exist with the right file type) with upstream's
``hostPath type check failed: <path> is not a directory`` texts. Also the
``hostPath`` source of a PersistentVolume (``seclet.kubelet.volume.pvc``).
Callers: seclet.kubelet.volumes (plugin table), seclet.kubelet.volume.pvc.
"""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from seclet.api import models
from seclet.kubelet.volume.plugin import (
    OWNERSHIP_NONE,
    Lookup,
    SetUpArgs,
    VolumeError,
    VolumePlan,
    setup_failed,
)

_CHECKS = {
    "Directory": (stat.S_ISDIR, "is not a directory"),
    "DirectoryOrCreate": (stat.S_ISDIR, "is not a directory"),
    "File": (stat.S_ISREG, "is not a file"),
    "FileOrCreate": (stat.S_ISREG, "is not a file"),
    "Socket": (stat.S_ISSOCK, "is not a socket file"),
    "CharDevice": (stat.S_ISCHR, "is not a character device"),
    "BlockDevice": (stat.S_ISBLK, "is not a block device"),
}


def check_host_path(name: str, host_path: str, kind: str) -> None:
    path = Path(host_path)
    if kind == "DirectoryOrCreate" and not path.exists():
        path.mkdir(mode=0o755, parents=True)
        return
    if kind == "FileOrCreate" and not path.exists():
        path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        path.touch(mode=0o644)
        return
    if kind not in _CHECKS:
        return
    test, what = _CHECKS[kind]
    try:
        mode = path.stat().st_mode
    except OSError:
        raise setup_failed(name, f"hostPath type check failed: {host_path} {what}") from None
    if not test(mode):
        raise setup_failed(name, f"hostPath type check failed: {host_path} {what}")


class HostPathPlugin:
    kind = "hostPath"

    def plan(
        self, volume: models.Volume, pod: models.Pod, root_dir: str, lookup: Lookup
    ) -> VolumePlan:
        hp = volume.hostPath or models.HostPathVolumeSource()
        return VolumePlan(
            name=volume.name or "",
            kind=self.kind,
            host_path=hp.path or "",
            host_path_type=hp.type or "",
            ownership=OWNERSHIP_NONE,
            volume=volume,
        )

    def supports_ownership(self, plan: VolumePlan) -> bool:
        return False

    def applies_mount_group(self, plan: VolumePlan) -> bool:
        return False

    async def set_up(self, plan: VolumePlan, args: SetUpArgs) -> None:
        await asyncio.to_thread(check_host_path, plan.name, plan.host_path, plan.host_path_type)

    async def tear_down(self, plan: VolumePlan) -> None:
        """Nothing: the node's path is left as it is."""


__all__ = ["HostPathPlugin", "VolumeError", "check_host_path"]
