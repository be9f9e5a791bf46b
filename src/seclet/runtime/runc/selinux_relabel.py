"""SELinux relabelling of a container's bind-mount sources, as containerd does it.

Role: on a node with SELinux on, containerd's CRI plugin relabels the host source of
every CRI ``Mount`` whose ``selinux_relabel`` is true with the container's mount
label (``internal/cri/opts/spec_linux_opts.go`` ``withMounts``:
``label.Relabel(src, mountLabel, false)``, its error wrapped as
``relabel %q with %q failed: %w``), and containerd sets that flag itself on the
sandbox files it binds (``internal/cri/server/container_create.go``
``linuxContainerMounts``: ``/etc/hostname``, ``/etc/hosts``, ``/etc/resolv.conf``
always; ``/dev/shm`` only when it is the pod's own, not the host's for hostIPC).
Containerd relabels nothing else: the rootfs snapshot and the pause container's
files keep their labels (``git grep Relabel`` in containerd 2.x finds only
``withMounts``).

go-selinux v1.15.1 (the version containerd's go.mod pins), ``go-selinux/label/
label_linux.go`` ``Relabel`` and ``go-selinux/selinux_linux.go`` ``chcon``/``rchcon``:
- nothing happens when SELinux is off or the label is empty (no xattr is written);
- ``shared`` replaces the level with ``s0`` (containerd passes ``false``);
- a path in go-selinux's fixed list, or the daemon's ``$HOME`` (or ``$SUDO_USER``'s
  home), is refused: ``SELinux relabeling of <path> is not allowed`` (the path with one
  trailing ``/`` cut, not otherwise cleaned);
- otherwise the tree is walked without following symlinks (``pwalkdir`` over
  ``filepath.WalkDir``) and ``security.selinux`` set on each entry with
  ``lsetxattr`` (the label's bytes, no NUL), the root itself last; when the root
  already carries the label, entries that carry it are skipped (fast mode);
- an entry that vanished meanwhile (ENOENT) is skipped; any other failure stops the
  walk: ``lsetxattr(label=<label>) <path>: <errno text>`` (Go's ``*os.PathError``),
  or the walk's own ``lstat <root>: ...`` / ``open <dir>: ...``.
ENOTSUP: containerd tolerates it with ``err != ENOTSUP``, comparing the error value
itself; go-selinux has wrapped every lsetxattr failure in ``*os.PathError`` since
v1.3.1 (the same breakage moby fixed with ``errors.Is``, moby/moby#40945), so the
comparison never matches and a filesystem without xattr support fails the create
with ``... failed: lsetxattr(label=...) <path>: operation not supported``. seclet
does the same. (pwalkdir labels entries in parallel goroutines and can lose the
error of the very last entry; seclet walks in order and always reports the first.)

seclet acts whenever ``NodeFacts.selinux_enabled`` (the probed LSM), i.e. as containerd
configured with ``enable_selinux = true``; containerd's default is false, and then
``internal/cri/server/service_linux.go`` ``initPlatform`` calls
``selinux.SetDisabled()``, which makes all of the above a no-op even on an SELinux
host. Order: containerd relabels inside ``withMounts``, in the middle of spec
generation, so a relabel failure there wins over an error of a later spec option;
seclet relabels after the whole spec is built (its spec errors come first).

Pure: ``relabel_sources`` (which host paths, in ``withMounts``' order),
``refusal``/``protected_paths``, ``file_label``, ``relabel_error``. I/O (thin):
``relabel`` (the walk and the xattr writes), ``resolve_source``.
Callers: seclet.runtime.runc.create_container.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

XATTR_NAME = "security.selinux"

EXCLUDED_PATHS = frozenset(
    {
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/etc/passwd",
        "/etc/pki",
        "/etc/shadow",
        "/home",
        "/lib",
        "/lib64",
        "/media",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",  # noqa: S108
        "/usr",
        "/var",
        "/var/lib",
        "/var/log",
    }
)
"""go-selinux v1.15.1 ``chcon``'s ``excludePaths``."""


class RelabelError(Exception):
    """go-selinux's error text for a refused or failed relabel."""


@dataclass(frozen=True, slots=True)
class RelabelMount:
    """One bind mount as the relabel decision needs it."""

    container_path: str
    host_path: str
    selinux_relabel: bool


def relabel_sources(
    mounts: Sequence[RelabelMount], mount_label: str, *, selinux_enabled: bool
) -> tuple[str, ...]:
    """The host paths containerd relabels, in ``withMounts``' order: the CRI mounts
    sorted (stably) by the depth of their container path, those with
    ``selinux_relabel``. Nothing when SELinux is off or the label is empty
    (``label.Relabel`` returns at once)."""
    if not selinux_enabled or not mount_label:
        return ()
    ordered = sorted(mounts, key=lambda m: posixpath.normpath(m.container_path).count("/"))
    return tuple(m.host_path for m in ordered if m.selinux_relabel)


def protected_paths(homes: Iterable[str] = ()) -> frozenset[str]:
    """go-selinux's excluded paths plus the daemon's ``$HOME`` and ``$SUDO_USER``'s
    home (``homes``; empty strings are ignored, as go-selinux skips an unset one)."""
    extra = {h for h in homes if h}
    return EXCLUDED_PATHS | extra if extra else EXCLUDED_PATHS


def refusal(path: str, protected: frozenset[str] = EXCLUDED_PATHS) -> str | None:
    """``chcon``'s refusal text for ``path``, or None when it may be relabelled."""
    if path != "/" and path.endswith("/"):
        path = path[:-1]
    if path in protected:
        return f"SELinux relabeling of {path} is not allowed"
    return None


def file_label(label: str, *, shared: bool) -> str:
    """``label.Relabel``'s label: with ``shared`` the level becomes ``s0``."""
    if not shared or not label:
        return label
    parts = label.split(":", 3)
    return ":".join([*parts[:3], "s0"])


def _go_quote(text: str) -> str:
    """Go ``%q`` for the printable strings paths and labels are."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def relabel_error(source: str, mount_label: str, cause: str) -> str:
    """``withMounts``' wrapping: ``relabel %q with %q failed: %w``."""
    return f"relabel {_go_quote(source)} with {_go_quote(mount_label)} failed: {cause}"


def _go_errno(err: int) -> str:
    text = os.strerror(err)
    return text[:1].lower() + text[1:]


# --- I/O ---------------------------------------------------------------------------


def resolve_source(host_path: str) -> str:
    """``osi.ResolveSymbolicLink`` (``filepath.EvalSymlinks``) of a mount source:
    containerd relabels, and binds, the resolved path."""
    return os.path.realpath(host_path)


def _current(path: str) -> bytes | None:
    try:
        value = os.getxattr(path, XATTR_NAME, follow_symlinks=False)
    except OSError:
        return None
    return value.rstrip(b"\0")


def _set(path: str, label: str, value: bytes, fast: bool) -> None:
    """``rchcon``'s walk function for one entry."""
    if fast and _current(path) == value:
        return
    while True:
        try:
            os.setxattr(path, XATTR_NAME, value, follow_symlinks=False)
        except InterruptedError:
            continue
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return
            code = exc.errno or 0
            raise RelabelError(f"lsetxattr(label={label}) {path}: {_go_errno(code)}") from None
        return


def _walk(root: str, label: str, value: bytes, fast: bool) -> None:
    """Every entry under ``root`` (not ``root``), parents before children, without
    following symlinks; a directory that vanished is skipped."""
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if exc.errno == errno.ENOENT and directory != root:
                continue
            code = exc.errno or 0
            raise RelabelError(f"open {directory}: {_go_errno(code)}") from None
        subdirs = []
        for entry in entries:
            _set(entry.path, label, value, fast)
            if entry.is_dir(follow_symlinks=False):
                subdirs.append(entry.path)
        stack.extend(reversed(subdirs))


def relabel(
    path: str, label: str, *, shared: bool = False, protected: frozenset[str] = EXCLUDED_PATHS
) -> None:
    """``label.Relabel(path, label, shared)`` on a node where SELinux is on (the caller
    checks that): refuse a protected path, else label the tree, ``path`` itself last.
    Raises ``RelabelError`` with go-selinux's text."""
    label = file_label(label, shared=shared)
    if not label:
        return
    if not path:
        raise RelabelError("empty path")
    refused = refusal(path, protected)
    if refused is not None:
        raise RelabelError(refused)
    value = label.encode()
    fast = _current(path) == value
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        code = exc.errno or 0
        raise RelabelError(f"lstat {path}: {_go_errno(code)}") from None
    if stat.S_ISDIR(mode):
        _walk(path, label, value, fast)
    _set(path, label, value, fast)
