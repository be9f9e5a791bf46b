"""Host mounts the runtime makes itself: a container's overlay rootfs, a pod's /dev/shm.

Role: ``mount(2)``/``umount2(2)`` through libc (no helper process): the overlayfs
whose lower directories are the image's unpacked layers and whose upper and work
dirs live in the container's directory (containerd's overlayfs snapshotter; when the
options would not fit the one page ``mount(2)`` takes, the lowers are named by
``/proc/self/fd/<n>`` of ``O_PATH`` descriptors held during the call, where
containerd shortens them by changing directory), and the sandbox's
64 MiB ``/dev/shm`` tmpfs (containerd ``defaultShmSize``). Unmounting detaches lazily
and treats "not mounted" as done.
Callers: create_container, remove_container, run_pod_sandbox, stop/remove_pod_sandbox.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MNT_DETACH = 0x2
SHM_SIZE = 67108864
MOUNT_DATA_MAX = 4095
"""``mount(2)`` copies one page of options, its terminating NUL included."""


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mount(source: str, target: Path, fstype: str, flags: int, data: str) -> None:
    rc = _libc().mount(
        source.encode(), os.fsencode(target), fstype.encode(), ctypes.c_ulong(flags), data.encode()
    )
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {fstype} on {target}: {os.strerror(err)}")


def mount_overlay(lowers: Sequence[Path], upper: Path, work: Path, target: Path) -> None:
    """Mount an overlay of ``lowers`` (the image's read-only layers, nearest first)
    with ``upper``/``work`` at ``target``."""
    tail = f",upperdir={upper},workdir={work}"
    data = f"lowerdir={':'.join(str(p) for p in lowers)}{tail}"
    if len(data.encode()) <= MOUNT_DATA_MAX:
        _mount("overlay", target, "overlay", 0, data)
        return
    fds = [os.open(p, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for p in lowers]
    try:
        short = ":".join(f"/proc/self/fd/{fd}" for fd in fds)
        _mount("overlay", target, "overlay", 0, f"lowerdir={short}{tail}")
    finally:
        for fd in fds:
            os.close(fd)


def mount_shm(target: Path) -> None:
    """The sandbox's /dev/shm: tmpfs ``mode=1777,size=67108864``, nosuid,nodev,noexec."""
    _mount("shm", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"mode=1777,size={SHM_SIZE}")


def unmount(target: Path) -> None:
    """Lazily unmount ``target``; not mounted or missing is fine."""
    rc = _libc().umount2(os.fsencode(target), MNT_DETACH)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (errno.EINVAL, errno.ENOENT):
            return
        raise OSError(err, f"unmount {target}: {os.strerror(err)}")
