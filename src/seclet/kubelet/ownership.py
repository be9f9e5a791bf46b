"""fsGroup volume ownership, exactly as upstream's ``VolumeOwnership.ChangePermissions``.

Role: k/k 1.35 ``pkg/volume/volume_linux.go`` (``NewVolumeOwnership(...)
.AddProgressNotifier(pod, recorder).ChangePermissions()``; before 1.33
``SetVolumeOwnership``), at the speed of the kernel.
Callers: seclet.kubelet.volumes (emptyDir: always with a nil policy, as upstream) and
the volume plugins that honour fsGroup; bench.ownership.

Upstream's behaviour, kept exactly:
- ``fs_group`` None: nothing. ``skipPermissionChange``: only with ``OnRootMismatch``,
  when ``requiresPermissionChange`` is false on the root's ``stat`` (it *follows* a
  symlinked root): gid == fsGroup, a directory, the perm bits a superset of ``0770``
  (``0550`` read-only) and setgid set. The uid is never looked at. One ``stat``: O(1).
- ``walkDeep``: the root is ``lstat``-ed (not followed); directories are listed whole,
  unsorted, in readdir order; symlinks are never followed nor descended into;
  post-order: a directory's entries first, the directory after, the root last.
- per entry (``changeFilePermission``): ``lchown(-1, fsGroup)`` (uid kept, symlinks
  included), then, except for symlinks, ``chmod`` to the ``lstat`` mode OR ``0660``
  (``0440`` read-only), directories also ``0110`` and setgid (``new_mode``). chown and
  chmod errors are only logged (``Lchown failed`` / ``chmod failed``).
- a failing ``lstat`` of an entry or of the root (``lstat <path>: <errno>``) and a
  failing directory open (``open <path>: ...``) or read (``readdirent <path>: ...``)
  end the walk: the error is returned (Go's ``*PathError`` text) and upstream fails the
  mount with it; entries already done stay changed. A path of 4096 bytes or more fails
  its ``lstat`` with ``file name too long``, as Go's path-based calls do.
- progress (``ChangePermissions``/``initiateProgressMonitor``/``monitorProgress``/
  ``logWarning``): ``firstEventReportDuration`` (30 s) after the walk starts, the log
  warning ``slow_walk_warning``; with a notifier (upstream: a pod), at once a ``Warning``
  event, reason ``VolumePermissionChangeInProgress``, message ``first_progress_message``;
  then every ``progressReportDuration`` (60 s) the same reason with
  ``progress_message`` (``processed <N> files``: upstream's ``fileCounter``, bumped as
  each entry's change starts, directories (after their entries) and symlinks included).
  The directory in the events is ``dirname_to_report`` (the path from the pod UID on).
  Nothing is reported once the walk has ended.

How it is fast (bench/ownership.py measures each choice; the walk is syscall-bound):
- fd-relative calls: each directory is opened once (``O_DIRECTORY|O_NOFOLLOW``) and
  its entries are ``fstatat``/``fchownat(AT_SYMLINK_NOFOLLOW)``/``fchmodat``-ed by name
  against it, so the kernel resolves one component instead of the whole path, and a
  directory swapped for a symlink mid-walk is never followed; the directory itself is
  ``fstat``/``fchown``/``fchmod``-ed through its own fd.
- ``d_type`` from ``scandir``: symlinks need no ``lstat`` (only their type is used
  upstream); a directory's mode is read by ``fstat`` on the fd just opened.
- ``chmod`` is skipped when it would not change the mode. The ``lchown`` is always made,
  so each entry's ctime is updated as upstream's, and the kernel's side effects of a
  chown (``security.capability`` dropped, setuid/setgid cleared on non-directories)
  happen as upstream; the ``chmod`` of a non-directory that had setuid/setgid is
  therefore never skipped (upstream's chmod restores those bits). The only difference
  is the ctime of an entry whose mode was already right, by the few microseconds
  between the two calls.
- one thread walks. Measured on the shared 2-core machine (100,000 entries, 7-10
  paired rounds per run, five runs): the root's subtrees split over two threads took
  the same CPU and 0.89x-1.2x the wall time of one thread depending on the load, and a
  two-thread pipeline (one thread ``lstat``-s, the other ``lchown``/``chmod``-s in the
  same order) 1.47x: each call holds the GIL about as long as the kernel takes, so a
  second thread mostly waits for it. No steady gain, and one thread keeps upstream's
  sequential order, so an error stops the walk at the same entry.
- iterative, not recursive (no recursion limit); at most ``MAX_OPEN_DIRS`` directory
  fds are open at once: past that depth a directory's parent fd is closed while it is
  walked and re-opened as ``..`` of it afterwards (O(1); checked by device and inode,
  else re-opened by path).
- a ``lstat``/``open`` that fails with ``ENOENT`` because an entry vanished between
  readdir and its turn is reported as upstream's ``lstat`` failure (the order is the
  same: upstream's ``lstat`` would have seen it gone).

API (the caller is async code running the walk in ``asyncio.to_thread``)::

    result = change_ownership(path, fs_group, policy, read_only,
                              notifier=ProgressNotifier(pod_uid, emit),
                              counter=None, first_report=30.0, report_every=60.0)

``emit(ProgressEvent)`` is called from a monitor thread (not the caller's loop: use
``loop.call_soon_threadsafe``); ``counter`` (a ``WalkCounter``) may be polled from any
thread. ``result``: ``walked`` (False when skipped), ``files`` (entries done) and
``error`` (None, or the Go error text the mount fails with). Old call sites
``change_ownership(path, fs_group, policy, read_only)`` keep working.

Steps of ``change_ownership``:
1. ``fs_group`` None -> nothing;
2. ``OnRootMismatch`` and ``requires_permission_change`` false on the root -> nothing;
3. start the progress monitor (first report after ``first_report`` s);
4. walk (children first, the root last) applying ``new_mode``; stop the monitor.
"""

from __future__ import annotations

import errno
import logging
import os
import posixpath
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

RW_MASK = 0o660
RO_MASK = 0o440
EXEC_MASK = 0o110
ON_ROOT_MISMATCH = "OnRootMismatch"
FIRST_EVENT_REPORT_S = 30.0
PROGRESS_REPORT_S = 60.0
EVENT_REASON = "VolumePermissionChangeInProgress"
EVENT_TYPE = "Warning"
PATH_MAX = 4096
NAME_MAX = 255
MAX_OPEN_DIRS = 64
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_SUID_SGID = stat.S_ISUID | stat.S_ISGID
_S_IFMT = 0o170000
_POLICY_DOC = (
    "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"
    "#configure-volume-permission-and-ownership-change-policy-for-pods"
)


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
    perm = stat.S_IMODE(root.st_mode) & 0o777
    return (need & perm) != need or not root.st_mode & stat.S_ISGID


def should_walk(
    fs_group: int | None, policy: str | None, read_only: bool, root: os.stat_result | None
) -> bool:
    """Steps 1-2: does the recursive change run at all? (``skipPermissionChange``
    negated: any policy but ``OnRootMismatch``, nil included, always walks.)"""
    if fs_group is None:
        return False
    if policy == ON_ROOT_MISMATCH:
        return requires_permission_change(root, fs_group, read_only)
    return True


def new_mode(mode: int, read_only: bool) -> int | None:
    """The permission bits ``chmod`` sets for an entry of ``lstat`` mode ``mode``;
    None for symlinks (never chmod-ed). Go's ``os.Chmod`` keeps setuid, setgid and
    sticky of ``info.Mode()``, like ``S_IMODE``."""
    if stat.S_ISLNK(mode):
        return None
    perm = stat.S_IMODE(mode) | (RO_MASK if read_only else RW_MASK)
    if stat.S_ISDIR(mode):
        perm |= EXEC_MASK | stat.S_ISGID
    return perm


def dirname_to_report(directory: str, pod_uid: str) -> str:
    """upstream ``getDirnameToReport``: ``directory`` from the pod UID on (the whole
    path when the UID is not in it)."""
    index = directory.find(pod_uid) if pod_uid else -1
    return directory if index == -1 else directory[index:]


def slow_walk_warning(directory: str) -> str:
    """The kubelet's log warning ``first_report`` s into a walk (with or without pod)."""
    return (
        f"Setting volume ownership for {directory} and fsGroup set. If the volume has a "
        "lot of files then setting volume ownership could be slow, see "
        "https://github.com/kubernetes/kubernetes/issues/69699"
    )


def first_progress_message(dirname: str) -> str:
    """The first ``VolumePermissionChangeInProgress`` event's message."""
    return (
        f"Setting volume ownership for {dirname} is taking longer than expected, "
        f"consider using OnRootMismatch - {_POLICY_DOC}"
    )


def progress_message(dirname: str, files: int) -> str:
    """The message of each later ``VolumePermissionChangeInProgress`` event."""
    return f"Setting volume ownership for {dirname}, processed {files} files."


_GO_ERRNO_TEXT = {errno.ESTALE: "stale NFS file handle"}


def go_errno_text(code: int) -> str:
    """Go's ``syscall.Errno.Error()`` text: glibc's with a lower-case first letter,
    except where Go's table differs."""
    text = _GO_ERRNO_TEXT.get(code)
    if text is not None:
        return text
    text = os.strerror(code)
    return text[:1].lower() + text[1:]


def path_error(op: str, path: str, exc: OSError) -> str:
    """Go's ``*os.PathError`` text: ``<op> <path>: <errno text>``."""
    return f"{op} {path}: {go_errno_text(exc.errno or errno.EIO)}"


def go_clean(path: str) -> str:
    """Go's ``filepath.Clean`` (entries' paths are ``filepath.Join(dir, name)``)."""
    clean = posixpath.normpath(path)
    return clean[1:] if clean.startswith("//") else clean


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One event for the pod the volume belongs to."""

    type: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class ProgressNotifier:
    """upstream ``AddProgressNotifier(pod, recorder)``: the pod's UID (to shorten the
    directory in messages) and where events go. ``emit`` runs on the monitor thread."""

    pod_uid: str
    emit: Callable[[ProgressEvent], None]


class WalkCounter:
    """Entries done so far (upstream's ``fileCounter``). Written by the walking thread
    only; any thread may read ``files``."""

    __slots__ = ("files",)

    def __init__(self) -> None:
        self.files = 0


@dataclass(frozen=True, slots=True)
class OwnershipResult:
    """``walked``: the recursive change ran; ``files``: entries done; ``error``: the
    walk's error (Go's text), with which upstream fails the mount."""

    walked: bool
    files: int = 0
    error: str | None = None


class _WalkError(Exception):
    """Ends the walk with upstream's error text."""


def _monitor(
    stop: threading.Event,
    directory: str,
    counter: WalkCounter,
    notifier: ProgressNotifier | None,
    first_report: float,
    report_every: float,
) -> None:
    """upstream's ``time.AfterFunc(firstEventReportDuration, initiateProgressMonitor)``
    and ``monitorProgress``: runs on its own thread until ``stop`` is set."""
    if stop.wait(first_report):
        return
    log.warning("%s", slow_walk_warning(directory))
    if notifier is None:
        return
    dirname = dirname_to_report(directory, notifier.pod_uid)
    notifier.emit(ProgressEvent(EVENT_TYPE, EVENT_REASON, first_progress_message(dirname)))
    while not stop.wait(report_every):
        message = progress_message(dirname, counter.files)
        log.warning("%s", message)
        notifier.emit(ProgressEvent(EVENT_TYPE, EVENT_REASON, message))


def _lchown_failed(path: str, exc: OSError) -> None:
    log.debug("Lchown failed path=%s err=%s", path, go_errno_text(exc.errno or errno.EIO))


def _chmod_failed(path: str, exc: OSError) -> None:
    log.debug("chmod failed path=%s err=%s", path, go_errno_text(exc.errno or errno.EIO))


def _needs_chmod(mode: int, perm: int) -> bool:
    """False when ``chmod(perm)`` would leave an ``lstat`` mode ``mode`` as it is,
    also after the ``lchown`` before it (which clears setuid/setgid of non-dirs)."""
    if perm != stat.S_IMODE(mode):
        return True
    return not stat.S_ISDIR(mode) and bool(mode & _SUID_SGID)


class _Frame:
    """A directory being walked: its fd (-1: closed to stay under ``MAX_OPEN_DIRS``),
    its path, its mode and identity (device, inode) from ``fstat``, its entries
    (listed whole, as upstream) and whether one of its entries' paths may reach
    ``PATH_MAX``."""

    __slots__ = ("entries", "fd", "ident", "long", "mode", "path")

    def __init__(
        self, fd: int, path: str, st: os.stat_result, entries: Iterator[os.DirEntry[str]]
    ) -> None:
        self.fd = fd
        self.path = path
        self.mode = st.st_mode
        self.ident = (st.st_dev, st.st_ino)
        self.entries = entries
        self.long = len(os.fsencode(path)) + 1 + NAME_MAX >= PATH_MAX


class _Walker:
    """One walk's constants and its counter; ``run`` is upstream's ``walkDeep`` with
    ``changeFilePermission`` as its callback."""

    def __init__(self, fs_group: int, read_only: bool, counter: WalkCounter, max_open: int) -> None:
        self.gid = fs_group
        self.mask = RO_MASK if read_only else RW_MASK
        self.dir_mask = self.mask | EXEC_MASK | stat.S_ISGID
        self.counter = counter
        self.max_open = max(1, max_open)

    def run(self, root: str) -> None:
        try:
            st = os.lstat(root)
        except OSError as exc:
            raise _WalkError(path_error("lstat", root, exc)) from None
        if not stat.S_ISDIR(st.st_mode):
            self._change_path(root, st.st_mode)
            return
        try:
            fd = os.open(root, _DIR_FLAGS)
        except OSError as exc:
            raise _WalkError(path_error("open", root, exc)) from None
        stack = [_Frame(fd, go_clean(root), st, self._list(fd, root))]
        try:
            self._walk(stack)
        finally:
            for frame in stack:
                if frame.fd >= 0:
                    os.close(frame.fd)

    def _list(self, fd: int, path: str) -> Iterator[os.DirEntry[str]]:
        """All entries of the directory (upstream: ``Readdirnames(-1)``, unsorted)."""
        try:
            scan = os.scandir(fd)
        except OSError as exc:
            raise _WalkError(path_error("open", path, exc)) from None
        try:
            with scan:
                return iter(list(scan))
        except OSError as exc:
            raise _WalkError(path_error("readdirent", path, exc)) from None

    def _walk(self, stack: list[_Frame]) -> None:
        """Post-order over the stack of open directories: each entry of the top frame in
        readdir order; a subdirectory is pushed (and walked) before the next entry; a
        frame whose entries are done is finished (``_finish_dir``) and popped."""
        counter = self.counter
        gid = self.gid
        mask = self.mask
        chown = os.chown
        chmod = os.chmod
        lstat = os.lstat
        while stack:
            frame = stack[-1]
            dfd = frame.fd
            if dfd < 0:
                dfd = frame.fd = self._reopen(frame.path)
            path = frame.path
            long = frame.long
            for entry in frame.entries:
                name = entry.name
                if long:
                    self._check_length(path, name)
                if entry.is_symlink():
                    try:
                        chown(name, -1, gid, dir_fd=dfd, follow_symlinks=False)
                    except FileNotFoundError as exc:
                        raise _WalkError(path_error("lstat", f"{path}/{name}", exc)) from None
                    except OSError as exc:
                        _lchown_failed(f"{path}/{name}", exc)
                    counter.files += 1
                    continue
                if entry.is_dir(follow_symlinks=False) and self._descend(stack, frame, name):
                    break
                try:
                    mode = lstat(name, dir_fd=dfd).st_mode
                except OSError as exc:
                    raise _WalkError(path_error("lstat", f"{path}/{name}", exc)) from None
                kind = mode & _S_IFMT
                if kind == stat.S_IFDIR and self._descend(stack, frame, name, True):
                    break  # a directory after all (DT_UNKNOWN, or changed since readdir)
                counter.files += 1  # upstream counts an entry before changing it
                try:
                    chown(name, -1, gid, dir_fd=dfd, follow_symlinks=False)
                except OSError as exc:
                    _lchown_failed(f"{path}/{name}", exc)
                if kind != stat.S_IFLNK:
                    perm = mode & 0o7777
                    # chmod only when it changes the mode (see the module docstring)
                    if perm | mask != perm or mode & _SUID_SGID:
                        try:
                            chmod(name, perm | mask, dir_fd=dfd)
                        except OSError as exc:
                            _chmod_failed(f"{path}/{name}", exc)
            else:
                stack.pop()
                if stack and stack[-1].fd < 0:
                    self._reopen_parent(stack[-1], frame.fd)
                self._finish_dir(frame)

    def _descend(
        self, stack: list[_Frame], parent: _Frame, name: str, lstat_said_dir: bool = False
    ) -> bool:
        """Open the subdirectory ``name`` and push it (True). When ``d_type`` said
        directory but it is no longer one (replaced since readdir): False, the caller
        goes by ``lstat``; when ``lstat`` said directory too, upstream's ``os.Open``
        error."""
        path = f"{parent.path}/{name}"
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent.fd)
        except OSError as exc:
            if exc.errno in (errno.ENOTDIR, errno.ELOOP) and not lstat_said_dir:
                return False
            op = "lstat" if exc.errno == errno.ENOENT else "open"
            raise _WalkError(path_error(op, path, exc)) from None
        try:
            frame = _Frame(fd, path, os.fstat(fd), self._list(fd, path))
        except BaseException:
            os.close(fd)
            raise
        if len(stack) >= self.max_open:
            os.close(parent.fd)
            parent.fd = -1
        stack.append(frame)
        return True

    def _reopen_parent(self, parent: _Frame, child_fd: int) -> None:
        """A closed parent again, in O(1): ``..`` of the child just walked, if it is the
        same directory (device and inode); else by path."""
        try:
            fd = os.open("..", _DIR_FLAGS, dir_fd=child_fd)
        except OSError:
            return
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) == parent.ident:
            parent.fd = fd
        else:
            os.close(fd)

    def _reopen(self, path: str) -> int:
        try:
            return os.open(path, _DIR_FLAGS)
        except OSError as exc:
            raise _WalkError(path_error("open", path, exc)) from None

    def _finish_dir(self, frame: _Frame) -> None:
        """The directory after its entries: ``fchown`` and ``fchmod`` through its fd."""
        fd = frame.fd
        frame.fd = -1
        self.counter.files += 1
        try:
            try:
                os.fchown(fd, -1, self.gid)
            except OSError as exc:
                _lchown_failed(frame.path, exc)
            perm = stat.S_IMODE(frame.mode) | self.dir_mask
            if perm != stat.S_IMODE(frame.mode):
                try:
                    os.fchmod(fd, perm)
                except OSError as exc:
                    _chmod_failed(frame.path, exc)
        finally:
            os.close(fd)

    def _check_length(self, path: str, name: str) -> None:
        full = f"{path}/{name}"
        if len(os.fsencode(full)) >= PATH_MAX:
            raise _WalkError(path_error("lstat", full, OSError(errno.ENAMETOOLONG, "")))

    def _change_path(self, path: str, mode: int) -> None:
        """A root that is not a directory (a file, or a symlink: never followed)."""
        self.counter.files += 1
        try:
            os.chown(path, -1, self.gid, follow_symlinks=False)
        except OSError as exc:
            _lchown_failed(path, exc)
        perm = new_mode(mode, self.mask == RO_MASK)
        if perm is not None and _needs_chmod(mode, perm):
            try:
                os.chmod(path, perm)  # noqa: PTH101 (a str path, like the fd calls)
            except OSError as exc:
                _chmod_failed(path, exc)


def change_ownership(
    root: str,
    fs_group: int | None,
    policy: str | None = None,
    read_only: bool = False,
    *,
    notifier: ProgressNotifier | None = None,
    counter: WalkCounter | None = None,
    first_report: float = FIRST_EVENT_REPORT_S,
    report_every: float = PROGRESS_REPORT_S,
    max_open_dirs: int = MAX_OPEN_DIRS,
) -> OwnershipResult:
    """Apply fsGroup ownership to the volume at ``root`` (steps above). Blocking: run
    it in a thread."""
    if fs_group is None:
        return OwnershipResult(walked=False)
    if policy == ON_ROOT_MISMATCH:
        try:
            root_stat: os.stat_result | None = os.stat(root)  # noqa: PTH116
        except OSError:
            root_stat = None
        if not requires_permission_change(root_stat, fs_group, read_only):
            log.debug("Skipping permission and ownership change for volume path=%s", root)
            return OwnershipResult(walked=False)
    count = counter if counter is not None else WalkCounter()
    stop = threading.Event()
    monitor = threading.Thread(
        target=_monitor,
        args=(stop, root, count, notifier, first_report, report_every),
        name="ownership-progress",
        daemon=True,
    )
    monitor.start()
    error = None
    try:
        _Walker(fs_group, read_only, count, max_open_dirs).run(root)
    except _WalkError as exc:
        error = str(exc)
    finally:
        stop.set()
        monitor.join()
    return OwnershipResult(walked=True, files=count.files, error=error)
