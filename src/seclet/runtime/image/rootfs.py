"""Read files inside an unpacked image root without ever leaving it.

Role: the one module that reads an image's ``/etc/passwd`` and ``/etc/group``.
Paths inside an image are resolved as the container would see them: every symlink
(absolute or relative, at any depth) is followed *within* the root, as
containerd's ``fs.RootPath`` / runc's securejoin do, so an image whose
``/etc/passwd`` links to ``/../../host/etc/shadow`` reads the image's own
``/host/etc/shadow`` or nothing — never the host's. Sizes are capped.
Callers: ``seclet.cli.explain`` (``--image-root``), later the image store.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_ACCOUNT_FILE_BYTES = 4 * 1024 * 1024
"""Larger account files are refused (containerd reads them whole too)."""
MAX_SYMLINKS = 40
"""Linux's MAXSYMLINKS: more hops than this is a loop."""


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


def read_image_file(root: Path, path: str) -> str | None:
    """The text of ``path`` inside the image root, or None when it does not exist."""
    host = resolve_in_root(root, path)
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
