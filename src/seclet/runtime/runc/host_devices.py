"""Every device node of the host, as OCI ``linux.devices`` entries.

Role: containerd's ``oci.WithHostDevices`` for privileged containers: walk ``/dev``
(skipping ``pts``, ``shm``, ``fd``, ``mqueue`` and hidden helper dirs, as
``HostDevices`` does) and describe each character or block device with its type,
major/minor, mode and owner.
Callers: seclet.runtime.runc.create_container.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

_SKIP_DIRS = frozenset({"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"})


def host_devices(root: Path = Path("/dev")) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISCHR(st.st_mode):
                kind = "c"
            elif stat.S_ISBLK(st.st_mode):
                kind = "b"
            else:
                continue
            if str(path) == "/dev/console":
                continue
            out.append(
                {
                    "path": str(path),
                    "type": kind,
                    "major": os.major(st.st_rdev),
                    "minor": os.minor(st.st_rdev),
                    "fileMode": stat.S_IMODE(st.st_mode),
                    "uid": st.st_uid,
                    "gid": st.st_gid,
                }
            )
    return out
