"""Upstream's ``AtomicWriter``: project a set of files into a volume atomically.

Role: k/k ``pkg/volume/util/atomic_writer.go`` (``Write(payload, setPerms)``), used by
the configMap, secret, downwardAPI and projected plugins. The files live in a hidden
timestamped directory ``..YYYY_MM_DD_HH_MM_SS.<digits>`` (mode 0755); ``..data`` is a
symlink to it and every user-visible top-level name is a symlink ``<name> ->
..data/<name>``, so consumers see the old or the new set, never a mix: an update
writes a new timestamped directory and renames a fresh ``..data_tmp`` symlink over
``..data`` (rename is atomic). Paths starting with ``..`` are reserved.

Steps of ``write`` (upstream's numbering):
1. validate the payload (``validate_path``) and clean its paths;
2. read ``..data`` for the current timestamped directory;
3. walk it for paths that the new payload no longer has;
4. compare contents; nothing changed and nothing to remove -> only step 10 runs;
5. create a new timestamped directory (0755 whatever the umask);
6. write each file (parent directories 0777 & ~umask, the file chmod-ed to its mode);
7. ``set_perms(<timestamped dir name>)`` when given (the plugins' fsGroup walk);
8. symlink ``..data_tmp`` -> the new directory;
9. rename ``..data_tmp`` over ``..data``;
10. create the missing user-visible symlinks;
11. remove user-visible top-level names that are gone;
12. remove the previous timestamped directory.
Errors are ``OSError`` or ``PayloadError`` with upstream's text.
Callers: seclet.kubelet.volume.projection.
"""

# ruff: noqa: PTH101, PTH102, PTH103, PTH104, PTH107, PTH110, PTH112, PTH115, PTH118, PTH119, PTH120, PTH123, PTH211
# (str paths and fds on purpose: the calls mirror upstream's Go path/fd calls, and
# the fd-relative ones have no pathlib form)

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MAX_FILE_NAME_LENGTH = 255
MAX_PATH_LENGTH = 4096
DATA_DIR_NAME = "..data"
NEW_DATA_DIR_NAME = "..data_tmp"


class PayloadError(ValueError):
    """An invalid payload path (upstream's ``validatePath`` text)."""


@dataclass(frozen=True, slots=True)
class FileProjection:
    data: bytes
    mode: int


def validate_path(target: str) -> None:
    """upstream ``validatePath``: relative, no ``..`` element, not starting with
    ``..``, names <= 255 and the path <= 4096 characters."""
    if target == "":
        raise PayloadError('invalid path: must not be empty: ""')
    if target.startswith("/"):
        raise PayloadError(f"invalid path: must be relative path: {target}")
    if len(target) > MAX_PATH_LENGTH:
        raise PayloadError(
            f"invalid path: must be less than or equal to {MAX_PATH_LENGTH} characters"
        )
    items = target.split("/")
    for item in items:
        if item == "..":
            raise PayloadError(f"invalid path: must not contain '..': {target}")
        if len(item) > MAX_FILE_NAME_LENGTH:
            raise PayloadError(
                "invalid path: filenames must be less than or equal to "
                f"{MAX_FILE_NAME_LENGTH} characters"
            )
    if items[0].startswith("..") and len(items[0]) > 2:
        raise PayloadError(f"invalid path: must not start with '..': {target}")


def clean(path: str) -> str:
    """Go ``filepath.Clean`` for the relative paths a payload holds."""
    parts: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == ".." and parts and parts[-1] != "..":
            parts.pop()
            continue
        parts.append(seg)
    return "/".join(parts) or "."


def validate_payload(payload: Mapping[str, FileProjection]) -> dict[str, FileProjection]:
    """Step 1 (pure)."""
    out: dict[str, FileProjection] = {}
    for key, content in payload.items():
        validate_path(key)
        out[clean(key)] = content
    return out


def paths_to_remove(old: set[str], payload: Mapping[str, FileProjection]) -> set[str]:
    """Step 3 (pure): paths of the old version (relative, files and directories) that
    are neither a new file nor a parent directory of one."""
    keep: set[str] = set()
    for file in payload:
        sub = file
        while sub:
            keep.add(sub)
            sub = sub.rpartition("/")[0]
    return old - keep


def _old_paths(old_dir: str) -> set[str]:
    found: set[str] = set()
    for root, dirs, files in os.walk(old_dir):
        rel = os.path.relpath(root, old_dir)
        for name in (*dirs, *files):
            found.add(name if rel == "." else f"{rel}/{name}")
    return found


def _should_write(payload: Mapping[str, FileProjection], old_dir: str) -> bool:
    """Step 4: any file missing or with other bytes (modes are not compared)."""
    for rel, projection in payload.items():
        path = os.path.join(old_dir, rel)
        if not os.path.lexists(path):
            return True
        with open(path, "rb") as f:
            if f.read() != projection.data:
                return True
    return False


def _new_timestamp_dir(target: str) -> str:
    """Step 5: ``os.MkdirTemp(target, "..2006_01_02_15_04_05.")`` then chmod 0755."""
    prefix = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
    for _ in range(10000):
        path = os.path.join(target, prefix + str(secrets.randbits(32)))
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        os.chmod(path, 0o755)  # noqa: S103 - upstream: group and other traverse it
        return path
    raise FileExistsError(f"could not create a timestamped directory in {target}")


def _write_payload(payload: Mapping[str, FileProjection], directory: str) -> None:
    """Step 6."""
    for rel, projection in payload.items():
        full = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(full), 0o777, exist_ok=True)
        fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, projection.mode)
        try:
            os.write(fd, projection.data)
        finally:
            os.close(fd)
        os.chmod(full, projection.mode)


def _create_user_visible(payload: Mapping[str, FileProjection], target: str) -> None:
    """Step 10: ``<first path element> -> ..data/<first path element>``."""
    for rel in payload:
        link = rel.split("/", 1)[0]
        visible = os.path.join(target, link)
        try:
            os.readlink(visible)
        except FileNotFoundError:
            os.symlink(os.path.join(DATA_DIR_NAME, link), visible)
        except OSError:
            continue


def _remove_user_visible(paths: set[str], target: str) -> None:
    """Step 11: only top-level names (the symlinks) are removed."""
    last: OSError | None = None
    for p in paths:
        if "/" in p:
            continue
        try:
            os.remove(os.path.join(target, p))
        except OSError as e:
            last = e
    if last is not None:
        raise last


def write(
    target: str,
    payload: Mapping[str, FileProjection],
    set_perms: Callable[[str], None] | None = None,
) -> bool:
    """The steps above; True when a new version was published."""
    if not os.path.exists(target):
        raise FileNotFoundError(2, "no such file or directory", target)
    cleaned = validate_payload(payload)
    data_dir = os.path.join(target, DATA_DIR_NAME)
    try:
        old_ts = os.readlink(data_dir)
    except FileNotFoundError:
        old_ts = ""
    old_path = os.path.join(target, old_ts)
    to_remove: set[str] = set()
    should = True
    if old_ts:
        to_remove = paths_to_remove(
            _old_paths(old_path) if os.path.isdir(old_path) else set(), cleaned
        )
        if not _should_write(cleaned, old_path) and not to_remove:
            should = False
            old_ts = ""
    if should:
        ts_dir = _new_timestamp_dir(target)
        ts_name = os.path.basename(ts_dir)
        try:
            _write_payload(cleaned, ts_dir)
            if set_perms is not None:
                set_perms(ts_name)
            new_data = os.path.join(target, NEW_DATA_DIR_NAME)
            os.symlink(ts_name, new_data)
        except BaseException:
            shutil.rmtree(ts_dir, ignore_errors=True)
            raise
        try:
            os.rename(new_data, data_dir)
        except OSError:
            with contextlib.suppress(OSError):
                os.remove(new_data)
            shutil.rmtree(ts_dir, ignore_errors=True)
            raise
    _create_user_visible(cleaned, target)
    _remove_user_visible(to_remove, target)
    if old_ts:
        shutil.rmtree(old_path)
    return should
