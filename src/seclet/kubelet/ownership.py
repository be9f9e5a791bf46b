"""fsGroup volume ownership, exactly as upstream's ``SetVolumeOwnership``.

Role: k/k ``pkg/volume/volume_linux.go`` (``NewVolumeOwnership(...).ChangePermissions``):
decide (pure) whether the walk runs, then walk the volume post-order with ``lstat``
(symlinks never followed nor descended into), setting each entry's group to fsGroup
(``lchown(path, -1, fsGroup)``, symlinks included) and OR-ing permission bits:
files ``0660`` (``0440`` read-only), directories also ``0110`` and setgid. Errors on
an entry are ignored as upstream only logs them; a readdir error ends the walk.

Steps of ``change_ownership``:
1. ``fs_group`` None -> nothing;
2. ``OnRootMismatch`` and the root already right (``requires_permission_change``
   false: gid == fsGroup, a directory, ``0770``/``0550`` and setgid) -> nothing;
3. otherwise walk (children first, the root last) applying ``new_mode``.
Callers: seclet.kubelet.volumes (emptyDir: always with a nil policy, as upstream).
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

RW_MASK = 0o660
RO_MASK = 0o440
EXEC_MASK = 0o110
ON_ROOT_MISMATCH = "OnRootMismatch"


def requires_permission_change(root: os.stat_result | None, fs_group: int, read_only: bool) -> bool:
    """upstream ``requiresPermissionChange`` on the root's ``stat`` (None: stat failed).
    The root's uid is not looked at."""
    if root is None:
        return True
    if root.st_gid != fs_group:
        return True
    if not stat.S_ISDIR(root.st_mode):
        return True
    need = (RO_MASK if read_only else RW_MASK) | EXEC_MASK
    perm = stat.S_IMODE(root.st_mode)
    return (need & perm) != need or not root.st_mode & stat.S_ISGID


def should_walk(
    fs_group: int | None, policy: str | None, read_only: bool, root: os.stat_result | None
) -> bool:
    """Steps 1-2: does the recursive change run at all?"""
    if fs_group is None:
        return False
    if policy == ON_ROOT_MISMATCH:
        return requires_permission_change(root, fs_group, read_only)
    return True


def new_mode(mode: int, read_only: bool) -> int | None:
    """The permission bits ``chmod`` sets for an entry of ``lstat`` mode ``mode``;
    None for symlinks (never chmod-ed)."""
    if stat.S_ISLNK(mode):
        return None
    mask = RO_MASK if read_only else RW_MASK
    perm = stat.S_IMODE(mode) | mask
    if stat.S_ISDIR(mode):
        perm |= EXEC_MASK | stat.S_ISGID
    return perm


@dataclass(frozen=True, slots=True)
class Change:
    """One entry the walk touched (for tests and progress)."""

    path: str
    mode: int | None


def _change(path: Path, st: os.stat_result, fs_group: int, read_only: bool) -> Change:
    with contextlib.suppress(OSError):
        os.lchown(path, -1, fs_group)
    mode = new_mode(st.st_mode, read_only)
    if mode is not None:
        with contextlib.suppress(OSError):
            path.chmod(mode)
    return Change(str(path), mode)


def _walk(path: Path, fs_group: int, read_only: bool, out: list[Change]) -> None:
    """Post-order: children, then ``path``; directories entered only if ``lstat``
    says directory (a symlink to a directory is not)."""
    try:
        st = path.lstat()
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode):
        for child in path.iterdir():
            _walk(child, fs_group, read_only, out)
    out.append(_change(path, st, fs_group, read_only))


def change_ownership(
    root: str, fs_group: int | None, policy: str | None = None, read_only: bool = False
) -> list[Change]:
    """Apply fsGroup ownership to the volume at ``root`` (steps above)."""
    try:
        root_stat: os.stat_result | None = Path(root).stat()
    except OSError:
        root_stat = None
    if fs_group is None or not should_walk(fs_group, policy, read_only, root_stat):
        return []
    changes: list[Change] = []
    _walk(Path(root), fs_group, read_only, changes)
    return changes
