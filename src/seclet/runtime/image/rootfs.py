"""Read files inside an image without ever leaving it.

Role: the one module that reads an image's ``/etc/passwd`` and ``/etc/group``.
Paths inside an image are resolved as the container would see them: every symlink
(absolute or relative, at any depth) is followed *within* the root, as
containerd's ``fs.RootPath`` / runc's securejoin do, so an image whose
``/etc/passwd`` links to ``/../../host/etc/shadow`` reads the image's own
``/host/etc/shadow`` or nothing — never the host's. Sizes are capped.

An image is either one directory (``explain --image-root``, a mounted rootfs) or its
unpacked layers, nearest first, read as overlayfs merges them (``resolve_in_layers``):
the topmost layer holding a name wins; a ``0:0`` character device is a whiteout that
hides the name below it; a directory merges with the same directory of the layers
below until one of them is opaque (``trusted.overlay.opaque=y``) or holds a
non-directory there.
Callers: ``seclet.runtime.image.unpack`` (implied parents), ``seclet.runtime.runc``
(account files, mount points), ``seclet.cli.explain``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

MAX_ACCOUNT_FILE_BYTES = 4 * 1024 * 1024
"""Larger account files are refused (containerd reads them whole too)."""
MAX_SYMLINKS = 40
"""Linux's MAXSYMLINKS: more hops than this is a loop."""
OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque"


class ImageFileError(ValueError):
    """The path cannot be resolved inside the root (loop, too large, not a file)."""


def resolve_in_root(root: Path, path: str) -> Path:
    """The host path of ``path`` as seen from inside ``root`` (lexically confined).

    Steps: split the path; walk components; ``..`` never climbs above the root;
    a symlink's target is spliced in (absolute targets restart at the root).
    """
    root = root.absolute()
    pending = [c for c in path.split("/") if c not in ("", ".")]
    pending.reverse()
    parts: list[str] = []
    hops = 0
    while pending:
        comp = pending.pop()
        if comp in ("", "."):
            continue
        if comp == "..":
            if parts:
                parts.pop()
            continue
        candidate = root.joinpath(*parts, comp)
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            parts.append(comp)
            continue
        if not stat.S_ISLNK(st.st_mode):
            parts.append(comp)
            continue
        hops += 1
        if hops > MAX_SYMLINKS:
            raise ImageFileError(f"{path}: too many levels of symbolic links")
        target = str(candidate.readlink())
        if target.startswith("/"):
            parts = []
        for c in reversed([c for c in target.split("/") if c not in ("", ".")]):
            pending.append(c)
    return root.joinpath(*parts)


def _whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _opaque(path: Path) -> bool:
    try:
        return os.getxattr(path, OVERLAY_OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


def _child(
    below: Sequence[Path], name: str
) -> tuple[Path | None, os.stat_result | None, list[Path]]:
    """Look ``name`` up in a merged directory (``below``: its layers' directories,
    nearest first): (host path of the visible entry or None, its ``lstat``, the
    layers' directories it merges when it is a directory)."""
    found: Path | None = None
    found_st: os.stat_result | None = None
    merged: list[Path] = []
    for directory in below:
        candidate = directory / name
        try:
            st = os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if _whiteout(st) or (found is not None and not stat.S_ISDIR(st.st_mode)):
            break
        if found is None:
            found, found_st = candidate, st
            if not stat.S_ISDIR(st.st_mode):
                break
        merged.append(candidate)
        if _opaque(candidate):
            break
    return found, found_st, merged


def resolve_in_layers(layers: Sequence[Path], path: str) -> Path | None:
    """The host path of what ``path`` names in the merged ``layers`` (nearest
    first), every symlink followed inside the image; None when it does not exist
    (or names the image's root, which no single layer holds)."""
    pending = [c for c in path.split("/") if c not in ("", ".")]
    pending.reverse()
    root: tuple[Path | None, list[Path]] = (None, [layer.absolute() for layer in layers])
    stack = [root]
    hops = 0
    while pending:
        comp = pending.pop()
        if comp in ("", "."):
            continue
        if comp == "..":
            if len(stack) > 1:
                stack.pop()
            continue
        found, st, merged = _child(stack[-1][1], comp)
        if found is None or st is None:
            return None
        if stat.S_ISLNK(st.st_mode):
            hops += 1
            if hops > MAX_SYMLINKS:
                raise ImageFileError(f"{path}: too many levels of symbolic links")
            target = str(found.readlink())
            if target.startswith("/"):
                del stack[1:]
            pending.extend(reversed([c for c in target.split("/") if c not in ("", ".")]))
            continue
        if not stat.S_ISDIR(st.st_mode) and pending:
            return None  # a file used as a directory
        stack.append((found, merged))
    return stack[-1][0]


def read_image_file(root: Path | Sequence[Path], path: str) -> str | None:
    """The text of ``path`` inside the image (one root directory, or its layers
    nearest first), or None when it does not exist."""
    host = resolve_in_root(root, path) if isinstance(root, Path) else resolve_in_layers(root, path)
    if host is None:
        return None
    try:
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ImageFileError(f"{path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ImageFileError(f"{path}: not a regular file")
        data = fh.read(MAX_ACCOUNT_FILE_BYTES + 1)
    if len(data) > MAX_ACCOUNT_FILE_BYTES:
        raise ImageFileError(f"{path}: larger than {MAX_ACCOUNT_FILE_BYTES} bytes")
    return data.decode("utf-8", errors="replace")
