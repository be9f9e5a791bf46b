"""subPath and subPathExpr: resolved inside the volume, never through a symlink out.

Role: k/k ``kubelet_pods.go makeMounts`` (the subPath part) and
``pkg/volume/util/subpath/subpath_linux.go``. A container's subPath is bind-mounted
from an fd opened segment by segment with ``O_NOFOLLOW`` below the volume, so a
symlink the pod planted cannot redirect the mount to the host; the bind target is
``<podDir>/volume-subpaths/<volume>/<container>/<volumeMount index>`` and the
container mounts that.

Steps of ``prepare`` (one volumeMount with a subPath):
1. ``subPathExpr``: expand ``$(VAR)`` from the container's environment; a variable
   that is missing or empty -> ``missing value for A, B`` (sorted);
2. an absolute subPath -> ``error SubPath `p` must not be an absolute path``; a
   ``..`` element -> ``unable to provision SubPath `p`: must not contain '..'``;
3. the path does not exist -> ``safe_make_dir`` with the volume root's mode (setgid
   included), creating each missing directory with ``mkdirat`` + ``openat(O_NOFOLLOW)``
   + ``fchmod``; failure -> ``failed to create subPath directory for volumeMount "v"
   of container "c"``;
4. ``bind_subpath``: resolve symlinks of the volume and of the path once; the
   resolved path must lie within the resolved volume; open it segment by segment
   (``O_PATH|O_NOFOLLOW``, a symlink met -> refused); create the bind target (0750
   directory or 0640 file); bind-mount ``/proc/<pid>/fd/<n>``; an existing mount of
   the same file is reused; failure -> ``failed to prepare subPath for volumeMount
   "v" of container "c"`` (the detail is logged only, as upstream: it could describe
   the host's file system).
``clean_subpaths`` unmounts and removes ``<podDir>/volume-subpaths`` on tear-down.
Callers: seclet.kubelet.volumes.
"""

# ruff: noqa: PTH101, PTH102, PTH103, PTH106, PTH107, PTH110, PTH112, PTH116, PTH118, PTH120, PTH123
# (str paths and fds on purpose: the calls mirror upstream's Go path/fd calls, and
# the fd-relative ones have no pathlib form)

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Mapping

from seclet.api.expansion import expand
from seclet.kubelet.volume.mounts import bind_mount, mounts_under, unmount, unmount_all

log = logging.getLogger(__name__)

SUBPATH_DIR = "volume-subpaths"
_NOFOLLOW = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC


class SubPathError(Exception):
    """The container cannot be created (CreateContainerConfigError, this message)."""


def expand_subpath_expr(expr: str, env: Mapping[str, str]) -> str:
    """Step 1: ``ExpandContainerVolumeMounts``."""
    missing: set[str] = set()

    class _Env(dict[str, str]):
        def get(self, key: str, default: object = None) -> str:
            value = env.get(key, "")
            if not value:
                missing.add(key)
            return value

    expanded = expand(expr, _Env())
    if missing:
        raise SubPathError(f"missing value for {', '.join(sorted(missing))}")
    return expanded


def check_subpath(sub_path: str) -> None:
    """Step 2 (pure)."""
    if sub_path.startswith("/"):
        raise SubPathError(f"error SubPath `{sub_path}` must not be an absolute path")
    if ".." in sub_path.split("/"):
        raise SubPathError(f"unable to provision SubPath `{sub_path}`: must not contain '..'")


def path_within_base(full: str, base: str) -> bool:
    """``mount.PathWithinBase``: ``filepath.Rel(base, full)`` does not start with ``..``."""
    rel = os.path.relpath(os.path.normpath(full), os.path.normpath(base))
    return rel != ".." and not rel.startswith("../")


def safe_open(path: str, base: str) -> int:
    """``doSafeOpen``: open ``path`` (already free of symlinks) below ``base`` one
    segment at a time with ``O_PATH|O_NOFOLLOW``; any symlink met is refused."""
    path, base = os.path.normpath(path), os.path.normpath(base)
    rel = os.path.relpath(path, base)
    segments = [] if rel == "." else rel.split("/")
    parent = os.open(base, _NOFOLLOW)
    current = base
    try:
        for seg in segments:
            current = os.path.join(current, seg)
            if not path_within_base(current, base):
                raise OSError(f"path {current} is outside of allowed base {base}")
            child = os.open(seg, _PATH_FLAGS, dir_fd=parent)
            if stat.S_ISLNK(os.fstat(child).st_mode):
                os.close(child)
                raise OSError(f"unexpected symlink found {current}")
            os.close(parent)
            parent = child
    except BaseException:
        os.close(parent)
        raise
    return parent


def safe_make_dir(sub_path: str, base: str, perm: int) -> None:
    """``SafeMakeDir``/``doSafeMakeDir``: create the missing directories of
    ``base/sub_path`` without following a symlink out of ``base``; each new directory
    gets ``perm`` (permission, setuid, setgid, sticky bits) by ``fchmod``."""
    real_base = os.path.realpath(base)
    pathname = os.path.join(real_base, sub_path)
    if not path_within_base(pathname, real_base):
        raise OSError(f"path {pathname} is outside of allowed base {real_base}")
    try:
        st = os.stat(pathname)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            return
        raise NotADirectoryError(20, "not a directory", pathname)
    existing, to_create = _existing_prefix(real_base, pathname)
    full_existing = os.path.realpath(existing)
    if not path_within_base(full_existing, real_base):
        raise OSError(f"path {full_existing} is outside of allowed base {real_base}")
    parent = safe_open(full_existing, real_base)
    try:
        for name in to_create:
            os.mkdir(name, perm & 0o777, dir_fd=parent)
            child = os.open(name, _NOFOLLOW, dir_fd=parent)
            os.close(parent)
            parent = child
            os.fchmod(parent, perm & 0o7777)
    finally:
        os.close(parent)


def _existing_prefix(base: str, pathname: str) -> tuple[str, list[str]]:
    """``findExistingPrefix``: the longest existing prefix (symlinks resolved by the
    opens) and the directories left to create."""
    rel = os.path.relpath(pathname, base)
    dirs = rel.split("/")
    fd = os.open(base, os.O_RDONLY | os.O_CLOEXEC)
    current = base
    try:
        for i, name in enumerate(dirs):
            try:
                child = os.open(name, os.O_PATH | os.O_CLOEXEC, dir_fd=fd)
            except FileNotFoundError:
                return current, dirs[i:]
            os.close(fd)
            fd = child
            current = os.path.join(current, name)
    finally:
        os.close(fd)
    return pathname, []


def bind_target(pod_dir: str, volume: str, container: str, index: int) -> str:
    return os.path.join(pod_dir, SUBPATH_DIR, volume, container, str(index))


def bind_subpath(
    path: str, volume_path: str, pod_dir: str, volume: str, container: str, index: int
) -> str:
    """Step 4 (``doBindSubPath``); returns the bind target."""
    volume_path = os.path.realpath(volume_path, strict=True)
    path = os.path.realpath(path, strict=True)
    if not path_within_base(path, volume_path):
        raise OSError(f"subpath {path!r} not within volume path {volume_path!r}")
    fd = safe_open(path, volume_path)
    try:
        target = bind_target(pod_dir, volume, container, index)
        if target in mounts_under(target):
            if os.path.samestat(os.lstat(path), os.lstat(target)):
                return target
            unmount(target)
        os.makedirs(os.path.dirname(target), 0o750, exist_ok=True)
        if stat.S_ISDIR(os.lstat(path).st_mode):
            with contextlib.suppress(FileExistsError):
                os.mkdir(target, 0o750)
        else:
            with open(target, "ab"):
                pass
            os.chmod(target, 0o640)
        try:
            bind_mount(f"/proc/{os.getpid()}/fd/{fd}", target)
        except OSError:
            _remove_empty(pod_dir, target)
            raise
        return target
    finally:
        os.close(fd)


def _remove_empty(pod_dir: str, target: str) -> None:
    with contextlib.suppress(OSError):
        if os.path.isdir(target):
            os.rmdir(target)
        else:
            os.remove(target)
    current = os.path.dirname(target)
    stop = os.path.join(pod_dir, SUBPATH_DIR)
    while current.startswith(stop) and current != os.path.dirname(stop):
        try:
            os.rmdir(current)
        except OSError:
            return
        current = os.path.dirname(current)


def prepare(
    *,
    sub_path: str,
    volume_path: str,
    pod_dir: str,
    volume: str,
    container: str,
    index: int,
) -> str:
    """Steps 2-4 for one volumeMount; the host path the container mounts."""
    check_subpath(sub_path)
    host_path = os.path.join(volume_path, sub_path)
    if not os.path.exists(host_path):
        try:
            perm = os.stat(volume_path).st_mode
            safe_make_dir(sub_path, volume_path, stat.S_IMODE(perm))
        except OSError as e:
            log.error("creating subPath %s in %s: %s", sub_path, volume_path, e)
            raise SubPathError(
                f'failed to create subPath directory for volumeMount "{volume}" '
                f'of container "{container}"'
            ) from None
    try:
        return bind_subpath(host_path, volume_path, pod_dir, volume, container, index)
    except OSError as e:
        log.error("preparing subPath %s of volume %s: %s", sub_path, volume, e)
        raise SubPathError(
            f'failed to prepare subPath for volumeMount "{volume}" of container "{container}"'
        ) from None


def _remove_tree_of_targets(base: str) -> None:
    """Remove ``<base>/<volume>/<container>/<index>`` and the directories above, one
    entry at a time and never recursively (``os.Remove`` as ``CleanupMountPoint``): a
    bind mount still in place makes its removal fail (EBUSY) instead of reaching
    into the volume it shows."""
    with contextlib.suppress(OSError):
        for volume in list(os.scandir(base)):
            for container in list(os.scandir(volume.path)):
                for index in list(os.scandir(container.path)):
                    with contextlib.suppress(OSError):
                        if index.is_dir(follow_symlinks=False):
                            os.rmdir(index.path)
                        else:
                            os.remove(index.path)
                with contextlib.suppress(OSError):
                    os.rmdir(container.path)
            with contextlib.suppress(OSError):
                os.rmdir(volume.path)
    with contextlib.suppress(OSError):
        os.rmdir(base)


def clean_subpaths(pod_dir: str) -> list[str]:
    """Unmount every subPath bind mount of the pod and remove ``volume-subpaths``;
    returns the mount points that could not be unmounted (then nothing is removed)."""
    base = os.path.join(pod_dir, SUBPATH_DIR)
    left = unmount_all(base)
    if not left:
        _remove_tree_of_targets(base)
    return left
