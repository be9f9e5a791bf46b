"""Unpack one image layer (tar, gzip) into its own directory, never writing outside it.

Role: ``unpack_layer`` extracts a layer into an empty directory in the overlay
filesystem's format, as containerd's overlayfs snapshotter applies a diff straight to
the snapshot's upper directory (``archive.Apply`` with ``OverlayConvertWhiteout`` and
``WithParents``); the node then mounts an image's layers as overlay lower directories,
each layer unpacked once and shared by every image that has it:

- Entry names are cleaned lexically and rooted: ``/etc/x`` and ``../../etc/x`` both
  land at ``<layer>/etc/x`` (containerd: ``filepath.Clean`` + ``fs.RootPath``); an
  entry that resolves to the root itself is ignored.
- Parent directories are walked one component at a time from a directory fd
  (``openat`` with ``O_NOFOLLOW | O_DIRECTORY``); a symlink met on the way is
  resolved *inside* the layer (absolute targets restart at its root, ``..`` stops at
  it), as ``fs.RootPath`` does, so the kernel never follows a link out. A missing
  parent is created with the mode, owner and times of the same directory in the
  nearest lower layer that has it (containerd's ``mkparent``: the first lower layer
  holding a non-directory there stops the search), else ``0755`` root.
- Hardlinks: a target whose name climbs above the root (``../../etc/shadow``) is
  refused (containerd silently re-roots it; seclet fails the layer); the target's
  parents are resolved inside the layer, and the link is to the entry itself, never
  through a final symlink. A target only a lower layer has fails, as in containerd.
- Whiteouts become overlayfs whiteouts: ``.wh.<name>`` a ``0:0`` character device
  ``<name>`` owned as the entry; ``.wh..wh..opq`` the ``trusted.overlay.opaque=y``
  attribute on its directory. Both need root (as containerd's conversion does).
- An existing entry is replaced unless both are directories (the directory's
  metadata is updated).
- Running as root: uid/gid (``lchown``), modes including setuid/setgid/sticky (set
  after the chown, which would clear them), ``SCHILY.xattr.*`` extended attributes
  (file capabilities), device nodes and fifos (``mknod``, as containerd does as root;
  runc's device cgroup, not the file, decides whether a container may open a
  device). Not root: ownership and device nodes are skipped, as rootless containerd
  skips them.
- Modification times are kept (directories' after the whole layer, as containerd).
- ``UnpackBudget`` bounds the uncompressed bytes and the entries of all the layers an
  image unpacks together, so a decompression bomb stops with ``UnpackError``.
zstd layers are refused: no zstd library is installed on the node.
Callers: seclet.runtime.image.store (in a worker thread), tests.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import io
import os
import shutil
import stat
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from seclet.runtime.image.rootfs import ImageFileError, resolve_in_root

WHITEOUT_PREFIX = ".wh."
WHITEOUT_OPAQUE = ".wh..wh..opq"
OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque"
MAX_SYMLINKS = 40
_COPY_CHUNK = 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class UnpackError(Exception):
    """A layer cannot be applied safely (hostile entry, limit reached, bad archive)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnpackLimits:
    """Bounds for one image: all its layers together."""

    max_bytes: int = 16 * 1024**3
    """Uncompressed tar bytes read (headers and contents), and, separately, bytes
    written to files (which sparse entries could make larger)."""
    max_entries: int = 1_000_000
    """Tar entries, whiteouts included."""


@dataclass(frozen=True, slots=True)
class Layer:
    """A layer blob on disk and its digest (for messages)."""

    path: Path
    digest: str


class UnpackBudget:
    """What is left of the limits while unpacking (mutable, one per image)."""

    def __init__(self, limits: UnpackLimits) -> None:
        self.limits = limits
        self.bytes = 0
        self.written = 0
        self.entries = 0

    def add_bytes(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.limits.max_bytes:
            raise UnpackError(
                f"image exceeds the unpack limit of {self.limits.max_bytes} uncompressed bytes"
            )

    def add_written(self, n: int) -> None:
        """Bytes written to files (more than read for sparse entries)."""
        self.written += n
        if self.written > self.limits.max_bytes:
            raise UnpackError(
                f"image exceeds the unpack limit of {self.limits.max_bytes} uncompressed bytes"
            )

    def add_entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise UnpackError(
                f"image exceeds the unpack limit of {self.limits.max_entries} entries"
            )


class _Counted(io.RawIOBase):
    """A readable stream that charges every byte read to the budget and hashes it
    (the layer's diff id)."""

    def __init__(self, inner: IO[bytes] | gzip.GzipFile, budget: UnpackBudget) -> None:
        self._inner = inner
        self._budget = budget
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._budget.add_bytes(n)
        self.sha256.update(data)
        return n


def clean_parts(name: str) -> tuple[str, ...] | None:
    """Lexically clean and root ``name``; None when it climbs above the root."""
    out: list[str] = []
    escaped = False
    for comp in name.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if out:
                out.pop()
            else:
                escaped = True
            continue
        out.append(comp)
    return None if escaped else tuple(out)


def rooted_parts(name: str) -> tuple[str, ...]:
    """``clean_parts`` with ``..`` clamped at the root (containerd's ``RootPath``)."""
    out: list[str] = []
    for comp in name.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if out:
                out.pop()
            continue
        out.append(comp)
    return tuple(out)


class _Tree:
    """The target directory, reached only through fds opened without following links;
    ``parents`` are the lower layers (nearest first) implied directories copy."""

    def __init__(self, root_fd: int, parents: Sequence[Path] = ()) -> None:
        self.root_fd = root_fd
        self.parents = tuple(parents)

    def implied(self, fd: int, parts: tuple[str, ...]) -> None:
        """A directory this layer's tar did not name but needs: take the mode, owner
        and times of the same directory in the nearest lower layer (containerd's
        ``mkparent``), else keep ``0755`` root."""
        for parent in self.parents:
            try:
                st = os.lstat(resolve_in_root(parent, "/".join(parts)))
            except FileNotFoundError:
                continue
            except (OSError, ImageFileError):
                return
            if not stat.S_ISDIR(st.st_mode):
                return  # replaced in that layer: the attributes are not copied
            with contextlib.suppress(PermissionError):
                os.fchown(fd, st.st_uid, st.st_gid)
            os.fchmod(fd, stat.S_IMODE(st.st_mode))
            os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
            return

    def open_dir(self, parts: Sequence[str], *, create: bool) -> tuple[int, tuple[str, ...]]:
        """An fd of the directory ``parts`` names inside the root, symlinks resolved
        inside the root; and its resolved components. Missing directories are made
        ``0755`` when ``create``, else ``FileNotFoundError``."""
        stack: list[tuple[int, str]] = [(os.dup(self.root_fd), "")]
        pending = list(reversed(parts))
        hops = 0
        try:
            while pending:
                comp = pending.pop()
                if comp in ("", "."):
                    continue
                if comp == "..":
                    if len(stack) > 1:
                        os.close(stack.pop()[0])
                    continue
                cur = stack[-1][0]
                try:
                    st = os.stat(comp, dir_fd=cur, follow_symlinks=False)
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(comp, 0o700, dir_fd=cur)
                    fd = os.open(comp, _DIR_FLAGS, dir_fd=cur)
                    stack.append((fd, comp))
                    os.fchmod(fd, 0o755)
                    self.implied(fd, tuple(name for _, name in stack[1:]))
                    continue
                if stat.S_ISLNK(st.st_mode):
                    hops += 1
                    if hops > MAX_SYMLINKS:
                        raise UnpackError(f"{'/'.join(parts)}: too many levels of symbolic links")
                    target = os.readlink(comp, dir_fd=cur)
                    if target.startswith("/"):
                        while len(stack) > 1:
                            os.close(stack.pop()[0])
                    pending.extend(reversed(target.split("/")))
                    continue
                if not stat.S_ISDIR(st.st_mode):
                    raise UnpackError(f"{'/'.join(parts)}: not a directory")
                stack.append((os.open(comp, _DIR_FLAGS, dir_fd=cur), comp))
            resolved = tuple(name for _, name in stack[1:])
            return stack.pop()[0], resolved
        finally:
            for other, _ in stack:
                os.close(other)


def _remove(dir_fd: int, name: str) -> None:
    """Remove ``name`` in ``dir_fd`` (a whole tree for a directory), never following links."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(name, dir_fd=dir_fd)
    else:
        os.unlink(name, dir_fd=dir_fd)


def _times(member: tarfile.TarInfo) -> tuple[int, int]:
    mtime = int(float(member.mtime) * 1_000_000_000)
    atime_text = member.pax_headers.get("atime")
    atime = int(float(atime_text) * 1_000_000_000) if atime_text else mtime
    return max(atime, mtime), mtime


def _xattrs(member: tarfile.TarInfo) -> Iterator[tuple[str, bytes]]:
    for key, value in member.pax_headers.items():
        if key.startswith("SCHILY.xattr."):
            yield key[len("SCHILY.xattr.") :], value.encode("utf-8", "surrogateescape")


def _set_xattrs(fd: int, member: tarfile.TarInfo) -> None:
    for key, value in _xattrs(member):
        try:
            os.setxattr(fd, key, value)
        except OSError as exc:
            if exc.errno not in (errno.ENOTSUP, errno.EPERM):  # skipped, as containerd does
                raise


class _Applier:
    """Applies one layer's entries (state: its directories, for their times)."""

    def __init__(self, tree: _Tree, budget: UnpackBudget, *, as_root: bool) -> None:
        self.tree = tree
        self.budget = budget
        self.as_root = as_root
        self.dirs: list[tuple[tuple[str, ...], tuple[int, int]]] = []

    def apply(self, tar: tarfile.TarFile) -> None:
        for member in tar:
            self.budget.add_entry()
            self.entry(tar, member)
        for parts, (atime, mtime) in reversed(self.dirs):
            with contextlib.suppress(FileNotFoundError, UnpackError, NotADirectoryError):
                fd, _ = self.tree.open_dir(parts, create=False)
                try:
                    os.utime(fd, ns=(atime, mtime))
                finally:
                    os.close(fd)

    def entry(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        parts = rooted_parts(member.name)
        if not parts:
            return
        *parent, base = parts
        pfd, ppath = self.tree.open_dir(parent, create=True)
        try:
            if base.startswith(WHITEOUT_PREFIX):
                self.whiteout(member, pfd, base)
                return
            self.write(tar, member, pfd, base)
            if member.isdir():
                self.dirs.append(((*ppath, base), _times(member)))
        finally:
            os.close(pfd)

    def whiteout(self, member: tarfile.TarInfo, pfd: int, base: str) -> None:
        """The overlayfs form of an AUFS whiteout (containerd's ``OverlayConvertWhiteout``)."""
        name = base[len(WHITEOUT_PREFIX) :]
        if base != WHITEOUT_OPAQUE and name in ("", ".", ".."):
            raise UnpackError(f"invalid whiteout entry {base!r}")
        if not self.as_root:
            raise UnpackError(f"{member.name}: whiteouts can only be unpacked as root")
        if base == WHITEOUT_OPAQUE:
            os.setxattr(pfd, OVERLAY_OPAQUE_XATTR, b"y")
            return
        _remove(pfd, name)
        os.mknod(name, stat.S_IFCHR, os.makedev(0, 0), dir_fd=pfd)
        os.chown(name, member.uid, member.gid, dir_fd=pfd, follow_symlinks=False)

    def write(self, tar: tarfile.TarFile, member: tarfile.TarInfo, pfd: int, base: str) -> None:
        try:
            existing = os.stat(base, dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError:
            existing = None
        if existing is not None and not (stat.S_ISDIR(existing.st_mode) and member.isdir()):
            _remove(pfd, base)
        mode = member.mode & 0o7777
        if member.isdir():
            if existing is None or not stat.S_ISDIR(existing.st_mode):
                os.mkdir(base, 0o700, dir_fd=pfd)
            fd = os.open(base, _DIR_FLAGS, dir_fd=pfd)
            try:
                self.own_fd(fd, member, mode)
            finally:
                os.close(fd)
        elif member.isreg():
            self.regular(tar, member, pfd, base, mode)
        elif member.issym():
            os.symlink(member.linkname, base, dir_fd=pfd)
            if self.as_root:
                os.chown(base, member.uid, member.gid, dir_fd=pfd, follow_symlinks=False)
            os.utime(base, ns=_times(member), dir_fd=pfd, follow_symlinks=False)
        elif member.islnk():
            self.hardlink(member, pfd, base)
        elif member.ischr() or member.isblk() or member.isfifo():
            self.special(member, pfd, base, mode)
        else:
            raise UnpackError(f"{member.name}: unhandled tar header type {member.type!r}")

    def own_fd(self, fd: int, member: tarfile.TarInfo, mode: int) -> None:
        if self.as_root:
            os.fchown(fd, member.uid, member.gid)
        os.fchmod(fd, mode)
        _set_xattrs(fd, member)

    def regular(
        self, tar: tarfile.TarFile, member: tarfile.TarInfo, pfd: int, base: str, mode: int
    ) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(base, flags, 0o600, dir_fd=pfd)
        try:
            source = tar.extractfile(member)
            if source is not None:
                with source:
                    while chunk := source.read(_COPY_CHUNK):
                        self.budget.add_written(len(chunk))
                        _write_all(fd, chunk)
            self.own_fd(fd, member, mode)
            os.utime(fd, ns=_times(member))
        finally:
            os.close(fd)

    def hardlink(self, member: tarfile.TarInfo, pfd: int, base: str) -> None:
        target = clean_parts(member.linkname)
        if not target:
            raise UnpackError(
                f"{member.name}: hardlink target {member.linkname!r} escapes the root"
            )
        *tparent, tbase = target
        try:
            tfd, _ = self.tree.open_dir(tparent, create=False)
        except (FileNotFoundError, NotADirectoryError):
            raise UnpackError(
                f"{member.name}: hardlink target {member.linkname!r} does not exist"
            ) from None
        try:
            os.link(tbase, base, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError:
            raise UnpackError(
                f"{member.name}: hardlink target {member.linkname!r} does not exist"
            ) from None
        finally:
            os.close(tfd)

    def special(self, member: tarfile.TarInfo, pfd: int, base: str, mode: int) -> None:
        if not self.as_root:
            return
        kind = stat.S_IFIFO
        if member.ischr():
            kind = stat.S_IFCHR
        elif member.isblk():
            kind = stat.S_IFBLK
        device = os.makedev(member.devmajor, member.devminor)
        os.mknod(base, kind | 0o600, device, dir_fd=pfd)
        os.chown(base, member.uid, member.gid, dir_fd=pfd, follow_symlinks=False)
        os.chmod(base, mode, dir_fd=pfd)  # the node made above, in a tree only we write
        os.utime(base, ns=_times(member), dir_fd=pfd, follow_symlinks=False)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _open_layer(raw: IO[bytes], layer: Layer) -> IO[bytes] | gzip.GzipFile:
    head = raw.read(4)
    raw.seek(0)
    if head.startswith(_GZIP_MAGIC):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if head == _ZSTD_MAGIC:
        raise UnpackError("zstd-compressed layers are not supported")
    return raw


def unpack_layer(
    layer: Layer,
    target: Path,
    budget: UnpackBudget,
    *,
    parents: Sequence[Path] = (),
    as_root: bool | None = None,
) -> str:
    """Unpack ``layer`` into the existing empty directory ``target`` over the lower
    layers ``parents`` (nearest first); return its diff id (``sha256:`` of the
    uncompressed tar, to check against the image config).

    ``as_root`` (default: running as uid 0) keeps ownership and makes device nodes
    and whiteouts. Raises ``UnpackError``: ``failed to extract layer <digest>: <reason>``.
    """
    owner = os.geteuid() == 0 if as_root is None else as_root
    root_fd = os.open(target, _DIR_FLAGS)
    try:
        with layer.path.open("rb") as raw:
            counted = _Counted(_open_layer(raw, layer), budget)
            stream = io.BufferedReader(counted, _COPY_CHUNK)
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                _Applier(_Tree(root_fd, parents), budget, as_root=owner).apply(tar)
            while stream.read(_COPY_CHUNK):
                pass
        return f"sha256:{counted.sha256.hexdigest()}"
    except UnpackError as exc:
        raise UnpackError(f"failed to extract layer {layer.digest}: {exc}") from None
    except (OSError, tarfile.TarError, EOFError, gzip.BadGzipFile) as exc:
        raise UnpackError(f"failed to extract layer {layer.digest}: {exc}") from None
    finally:
        os.close(root_fd)
