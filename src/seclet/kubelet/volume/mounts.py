"""Mount syscalls for volumes: tmpfs, bind mounts of an fd, unmount, mount table.

Role: the thin I/O shell under the volume plugins (upstream's ``mount-utils``):
``mount(2)``/``umount2(2)`` through libc (no ``mount`` binary: the subPath bind mount
must name ``/proc/<pid>/fd/<n>`` of an fd this process holds, as
``subpath_linux.go doBindSubPath`` does), and the mount points under a directory read
from ``/proc/self/mountinfo`` (so a pod directory is never removed while something
is still mounted in it: removing it would cross into the mounted file system), and
``unmount_all`` of them (a pod's or its subPaths' tear-down).
Callers: seclet.kubelet.volume.emptydir, .subpath, seclet.kubelet.volumes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MNT_DETACH = 2

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class MountError(OSError):
    """A mount or unmount the kernel refused."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise MountError(err, f"{what}: {os.strerror(err)}")


def mount_tmpfs(target: str, options: str) -> None:
    """``mount -t tmpfs -o <options> tmpfs <target>`` (no flags: upstream's
    ``setupTmpfs`` passes only ``size=``, and a nosuid/nodev tmpfs could not be
    remounted read-only inside a user namespace, where those flags are locked)."""
    _check(
        _libc.mount(b"tmpfs", target.encode(), b"tmpfs", 0, options.encode() or None),
        f"mount tmpfs at {target}",
    )


def bind_mount(source: str, target: str) -> None:
    """``mount --bind --no-canonicalize <source> <target>`` (the source may be a
    ``/proc/<pid>/fd/<n>`` magic link: the kernel mounts what the fd holds)."""
    _check(
        _libc.mount(source.encode(), target.encode(), None, MS_BIND, None),
        f"bind mount {source} at {target}",
    )


def remount_read_only(target: str) -> None:
    """The ``ro`` of ``mount -o bind,ro``: a bind mount is made read-only by a remount."""
    _check(
        _libc.mount(None, target.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY, None),
        f"remount {target} read-only",
    )


def unmount(target: str) -> None:
    _check(_libc.umount2(target.encode(), 0), f"unmount {target}")


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as ``\\ooo``."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 4 <= len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mount_points(mountinfo: str) -> list[str]:
    """The mount points of a ``/proc/<pid>/mountinfo`` text, in its order (pure)."""
    points = []
    for line in mountinfo.splitlines():
        fields = line.split(" ")
        if len(fields) > 4:
            points.append(_unescape(fields[4]))
    return points


def mounts_under(directory: str) -> list[str]:
    """Mount points at or below ``directory``, deepest first (unmount order)."""
    try:
        text = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return []
    base = os.path.normpath(directory)
    found = {
        p for p in parse_mount_points(text) if p == base or p.startswith(base.rstrip("/") + "/")
    }
    return sorted(found, key=lambda p: (-p.count("/"), p))


def unmount_all(directory: str) -> list[str]:
    """Unmount every mount point at or below ``directory`` (deepest first); returns
    those left mounted (each failure is logged)."""
    left = []
    for point in mounts_under(directory):
        try:
            unmount(point)
        except OSError:
            log.exception("unmounting %s", point)
            left.append(point)
    return left


def is_mount_point(path: str) -> bool:
    return os.path.normpath(path) in mounts_under(path)
