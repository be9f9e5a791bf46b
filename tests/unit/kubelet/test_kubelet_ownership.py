"""fsGroup ownership: pure decisions, messages, and the walk on temp dirs (root: the walk
chowns to other groups). The walk is also held against ``_reference``, a line-by-line
path-based transcription of upstream's ``walkDeep`` + ``changeFilePermission``.
Callers: pytest."""

# ruff: noqa: PTH115, PTH208 (fd numbers and names, as the walk sees them)

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import logging
import os
import random
import stat
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from seclet.api import models
from seclet.kubelet import ownership
from seclet.kubelet.ownership import (
    EVENT_REASON,
    EVENT_TYPE,
    PATH_MAX,
    OwnershipResult,
    ProgressEvent,
    ProgressNotifier,
    WalkCounter,
    change_ownership,
    dirname_to_report,
    first_progress_message,
    go_errno_text,
    new_mode,
    path_error,
    progress_message,
    requires_permission_change,
    should_walk,
    slow_walk_warning,
)
from seclet.kubelet.volumes import VolumePlan, set_up, shifted_ids

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="chown to another group needs root")
GID = 2000
UID = "7a1a3c5e-6f0e-4b8c-9f57-0c1d2e3f4a5b"


def test_new_mode_files_dirs_symlinks() -> None:
    assert new_mode(stat.S_IFREG | 0o644, read_only=False) == 0o664
    assert new_mode(stat.S_IFREG | 0o600, read_only=True) == 0o640
    assert new_mode(stat.S_IFREG | 0o4755, read_only=False) == 0o4775  # setuid kept
    assert new_mode(stat.S_IFDIR | 0o755, read_only=False) == 0o2775
    assert new_mode(stat.S_IFDIR | 0o700, read_only=True) == 0o2750
    assert new_mode(stat.S_IFDIR | 0o1000, read_only=False) == 0o3770  # sticky kept
    assert new_mode(stat.S_IFLNK | 0o777, read_only=False) is None


def _stat(tmp: Path, mode: int) -> os.stat_result:
    tmp.chmod(mode)
    return tmp.stat()


def test_requires_permission_change(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    gid = d.stat().st_gid
    assert requires_permission_change(None, gid, False)
    assert requires_permission_change(_stat(d, 0o770), gid, False)  # no setgid
    assert not requires_permission_change(_stat(d, 0o2770), gid, False)
    assert not requires_permission_change(_stat(d, 0o2775), gid, False)  # a superset
    assert requires_permission_change(_stat(d, 0o2750), gid, False)
    assert requires_permission_change(_stat(d, 0o2760), gid, False)  # no 0010
    assert not requires_permission_change(_stat(d, 0o2550), gid, True)
    assert requires_permission_change(_stat(d, 0o2550), gid, False)
    assert requires_permission_change(_stat(d, 0o2770), gid + 1, False)
    f = tmp_path / "f"
    f.touch()
    f.chmod(0o2770)
    assert requires_permission_change(f.stat(), gid, False)


def test_should_walk() -> None:
    assert not should_walk(None, None, False, None)
    assert not should_walk(None, "OnRootMismatch", False, None)
    assert should_walk(1000, None, False, None)
    assert should_walk(1000, "Always", False, None)
    assert should_walk(1000, "OnRootMismatch", False, None)


def test_progress_messages_are_upstreams() -> None:
    vol = f"/var/lib/kubelet/pods/{UID}/volumes/kubernetes.io~csi/pvc-1/mount"
    short = f"{UID}/volumes/kubernetes.io~csi/pvc-1/mount"
    assert dirname_to_report(vol, UID) == short
    assert dirname_to_report("/data/vol", UID) == "/data/vol"
    assert dirname_to_report("/data/vol", "") == "/data/vol"
    assert first_progress_message(short) == (
        f"Setting volume ownership for {short} is taking longer than expected, consider "
        "using OnRootMismatch - https://kubernetes.io/docs/tasks/configure-pod-container/"
        "security-context/#configure-volume-permission-and-ownership-change-policy-for-pods"
    )
    assert progress_message(short, 2654670) == (
        f"Setting volume ownership for {short}, processed 2654670 files."
    )
    assert slow_walk_warning(vol) == (
        f"Setting volume ownership for {vol} and fsGroup set. If the volume has a lot of "
        "files then setting volume ownership could be slow, see "
        "https://github.com/kubernetes/kubernetes/issues/69699"
    )
    assert (EVENT_TYPE, EVENT_REASON) == ("Warning", "VolumePermissionChangeInProgress")


def test_go_error_texts() -> None:
    assert go_errno_text(errno.ENOENT) == "no such file or directory"
    assert go_errno_text(errno.ENAMETOOLONG) == "file name too long"
    assert go_errno_text(errno.ESTALE) == "stale NFS file handle"
    assert go_errno_text(errno.EIO) == "input/output error"
    exc = OSError(errno.EACCES, "x")
    assert path_error("open", "/v/d", exc) == "open /v/d: permission denied"


# --- the walk -----------------------------------------------------------------------


def _reference(root: str, fs_group: int, read_only: bool) -> str | None:
    """upstream's walkDeep + changeFilePermission, path-based and recursive, for the
    comparison tests only (small trees)."""

    def change(path: str, st: os.stat_result) -> None:
        with contextlib.suppress(OSError):
            os.lchown(path, -1, fs_group)
        mode = new_mode(st.st_mode, read_only)
        if mode is not None:
            with contextlib.suppress(OSError):
                os.chmod(path, mode)  # noqa: PTH101

    def walk(path: str, st: os.stat_result) -> None:
        if stat.S_ISDIR(st.st_mode):
            for name in os.listdir(path):
                child = f"{path}/{name}"
                walk(child, os.lstat(child))
        change(path, st)

    try:
        walk(root, os.lstat(root))
    except OSError as exc:
        return path_error("lstat", exc.filename, exc)
    return None


def _snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames, ""]:
            p = Path(dirpath) / name if name else Path(dirpath)
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid)
    return out


def _random_tree(root: Path, seed: int, outside: Path) -> None:
    """Files and directories of assorted modes and owners (setuid, setgid, sticky,
    read-only, other uids), symlinks to files, to directories and out of the tree."""
    rnd = random.Random(seed)
    root.mkdir()
    dirs = [root]
    modes = [0o644, 0o600, 0o755, 0o4755, 0o2755, 0o2710, 0o1777, 0o400, 0o000, 0o664]
    for i in range(300):
        parent = rnd.choice(dirs)
        kind = rnd.random()
        p = parent / f"e{i}"
        if kind < 0.2:
            p.mkdir()
            dirs.append(p)
        elif kind < 0.27:
            p.symlink_to(rnd.choice([outside, outside / "secret", Path("e0"), Path("..")]))
            continue
        else:
            p.write_bytes(b"x")
        os.chown(p, rnd.choice([0, 1000, 1001]), rnd.choice([0, GID, 3000]))
        p.chmod(rnd.choice(modes))


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("y")
    (outside / "secret").chmod(0o600)
    outside.chmod(0o700)
    return outside


@needs_root
@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_walk_matches_upstreams_walk_entry_for_entry(
    tmp_path: Path, seed: int, read_only: bool
) -> None:
    outside = _outside(tmp_path)
    _random_tree(tmp_path / "ours", seed, outside)
    _random_tree(tmp_path / "theirs", seed, outside)
    before = _snapshot(tmp_path / "ours")
    assert before == _snapshot(tmp_path / "theirs")
    result = change_ownership(str(tmp_path / "ours"), GID, "Always", read_only)
    assert _reference(str(tmp_path / "theirs"), GID, read_only) is None
    after = _snapshot(tmp_path / "ours")
    assert after == _snapshot(tmp_path / "theirs")
    assert after != before
    assert result == OwnershipResult(walked=True, files=len(before), error=None)
    assert {gid for _, _, gid in after.values()} == {GID}
    assert {(m, u) for m, u, _ in before.values() if stat.S_ISLNK(m)} == {
        (m, u) for m, u, _ in after.values() if stat.S_ISLNK(m)
    }
    assert stat.S_IMODE((outside / "secret").stat().st_mode) == 0o600
    assert (outside / "secret").stat().st_gid == 0
    assert stat.S_IMODE(outside.stat().st_mode) == 0o700


@needs_root
def test_walk_exact_modes_and_groups(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    vol = tmp_path / "vol"
    (vol / "sub").mkdir(parents=True)
    (vol / "sub" / "file").write_text("x")
    (vol / "sub" / "file").chmod(0o600)
    os.chown(vol / "sub" / "file", 1234, 0)
    (vol / "suid").write_text("x")
    (vol / "suid").chmod(0o4755)
    (vol / "sgid").write_text("x")
    (vol / "sgid").chmod(0o2755)
    (vol / "link").symlink_to(outside)
    (vol / "flink").symlink_to(outside / "secret")
    (vol / "private").mkdir(mode=0o700)
    vol.chmod(0o755)
    result = change_ownership(str(vol), GID)
    assert result == OwnershipResult(walked=True, files=8, error=None)

    def owner(p: Path) -> tuple[int, int, int]:
        st = p.lstat()
        return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid

    assert owner(vol / "sub" / "file") == (0o660, 1234, GID)  # uid kept
    assert owner(vol / "sub") == (0o2775, 0, GID)
    assert owner(vol / "private") == (0o2770, 0, GID)
    assert owner(vol) == (0o2775, 0, GID)
    # the lchown clears setuid/setgid of executables; upstream's chmod puts them back
    assert owner(vol / "suid") == (0o4775, 0, GID)
    assert owner(vol / "sgid") == (0o2775, 0, GID)
    assert (vol / "link").lstat().st_gid == GID  # lchown on the link itself
    assert (vol / "flink").lstat().st_gid == GID
    assert owner(outside / "secret") == (0o600, 0, 0)  # never followed
    assert owner(outside) == (0o700, 0, 0)


@needs_root
def test_walk_read_only_masks(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    (vol / "d").mkdir(parents=True, mode=0o700)
    (vol / "d" / "f").write_text("x")
    (vol / "d" / "f").chmod(0o600)
    vol.chmod(0o700)
    change_ownership(str(vol), GID, None, read_only=True)
    assert stat.S_IMODE((vol / "d" / "f").stat().st_mode) == 0o640
    assert stat.S_IMODE((vol / "d").stat().st_mode) == 0o2750
    assert stat.S_IMODE(vol.stat().st_mode) == 0o2750


@needs_root
def test_walk_is_post_order_with_the_root_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vol = tmp_path / "vol"
    (vol / "a" / "b").mkdir(parents=True)
    (vol / "a" / "b" / "f").write_text("x")
    (vol / "a" / "g").write_text("x")
    (vol / "h").write_text("x")
    seen: list[str] = []
    real_chown, real_fchown = os.chown, os.fchown

    def chown(path: str, uid: int, gid: int, **kw: Any) -> None:
        seen.append(path)
        real_chown(path, uid, gid, **kw)

    def fchown(fd: int, uid: int, gid: int) -> None:
        seen.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        real_fchown(fd, uid, gid)

    monkeypatch.setattr(os, "chown", chown)
    monkeypatch.setattr(os, "fchown", fchown)
    change_ownership(str(vol), GID)
    assert seen[-1] == "vol"
    assert seen.index("f") < seen.index("b") < seen.index("a")
    assert seen.index("g") < seen.index("a")
    assert sorted(seen) == ["a", "b", "f", "g", "h", "vol"]


@needs_root
def test_on_root_mismatch_skips_when_root_is_right(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "f").write_text("x")
    (vol / "f").chmod(0o600)
    os.chown(vol, 4321, GID)  # the root's uid is not looked at
    vol.chmod(0o2770)
    assert change_ownership(str(vol), GID, "OnRootMismatch") == OwnershipResult(walked=False)
    assert stat.S_IMODE((vol / "f").stat().st_mode) == 0o600
    assert change_ownership(str(vol), GID + 1, "OnRootMismatch").walked  # gid differs
    os.chown(vol, -1, GID)
    vol.chmod(0o770)  # setgid missing (kubernetes#105435): the walk runs
    assert change_ownership(str(vol), GID, "OnRootMismatch").files == 2
    assert stat.S_IMODE((vol / "f").stat().st_mode) == 0o660
    assert (vol / "f").stat().st_gid == GID
    assert change_ownership(str(vol), None, "OnRootMismatch") == OwnershipResult(walked=False)


@needs_root
def test_on_root_mismatch_follows_a_symlinked_root_the_walk_does_not(tmp_path: Path) -> None:
    """``requiresPermissionChange`` uses ``os.Stat`` (follows), ``walkDeep`` ``Lstat``."""
    target = tmp_path / "target"
    target.mkdir()
    (target / "f").write_text("x")
    link = tmp_path / "link"
    link.symlink_to(target)
    os.chown(target, -1, GID)
    target.chmod(0o2770)
    assert not change_ownership(str(link), GID, "OnRootMismatch").walked
    target.chmod(0o755)
    result = change_ownership(str(link), GID, "OnRootMismatch")
    assert result == OwnershipResult(walked=True, files=1, error=None)
    assert link.lstat().st_gid == GID
    assert stat.S_IMODE(target.stat().st_mode) == 0o755  # not chmod-ed through the link
    assert (target / "f").stat().st_gid == 0  # not descended into


@needs_root
def test_root_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    f.chmod(0o604)
    assert change_ownership(str(f), GID) == OwnershipResult(walked=True, files=1)
    assert (stat.S_IMODE(f.stat().st_mode), f.stat().st_gid) == (0o664, GID)


def test_go_clean() -> None:
    assert (
        ownership.go_clean("/var/lib/kubelet/pods/x/volumes/v/")
        == "/var/lib/kubelet/pods/x/volumes/v"
    )
    assert ownership.go_clean("//a/./b/../c") == "/a/c"
    assert ownership.go_clean("a//b") == "a/b"


@needs_root
def test_entry_errors_name_the_joined_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "gone").write_text("x")
    real_lstat = os.lstat

    def lstat(path: str, **kw: Any) -> os.stat_result:
        if path == "gone":
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return real_lstat(path, **kw)

    monkeypatch.setattr(os, "lstat", lstat)
    result = change_ownership(f"{vol}/", GID)
    assert result.error == f"lstat {vol}/gone: no such file or directory"


def test_missing_root_is_upstreams_lstat_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    assert change_ownership(missing, GID, "OnRootMismatch") == OwnershipResult(
        walked=True, files=0, error=f"lstat {missing}: no such file or directory"
    )


@needs_root
def test_a_vanished_entry_ends_the_walk_with_its_lstat_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vol = tmp_path / "vol"
    vol.mkdir(mode=0o755)
    (vol / "gone").write_text("x")
    real_lstat = os.lstat

    def lstat(path: str, **kw: Any) -> os.stat_result:
        if path == "gone":
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return real_lstat(path, **kw)

    monkeypatch.setattr(os, "lstat", lstat)
    result = change_ownership(str(vol), GID)
    assert result.error == f"lstat {vol}/gone: no such file or directory"
    assert stat.S_IMODE(real_lstat(vol).st_mode) == 0o755  # the root is not reached
    assert real_lstat(vol).st_gid == 0


@needs_root
def test_a_vanished_symlink_ends_the_walk_too(tmp_path: Path) -> None:
    """A symlink is not ``lstat``-ed (d_type says what it is): its ``lchown`` failing
    with ENOENT stands for upstream's ``lstat`` failing."""
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "l").symlink_to("x")
    real_chown = os.chown

    def chown(path: str, uid: int, gid: int, **kw: Any) -> None:
        if path == "l":
            (vol / "l").unlink()
        real_chown(path, uid, gid, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "chown", chown)
        result = change_ownership(str(vol), GID)
    assert result == OwnershipResult(
        walked=True, files=0, error=f"lstat {vol}/l: no such file or directory"
    )


@needs_root
def test_a_directory_that_cannot_be_opened_ends_the_walk_with_the_open_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """upstream: ``lstat`` says directory, ``readDirNames``' ``os.Open`` fails: its error
    ends the walk (here ELOOP twice: the d_type try, then the ``lstat`` one)."""
    vol = tmp_path / "vol"
    (vol / "sub").mkdir(parents=True)
    (vol / "f").write_text("x")
    vol.chmod(0o755)
    real_open = os.open

    def fake_open(path: str, flags: int, mode: int = 0o777, **kw: Any) -> int:
        if path == "sub":
            raise OSError(errno.ELOOP, "Too many levels of symbolic links", path)
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(os, "open", fake_open)
    result = change_ownership(str(vol), GID)
    assert result.error == f"open {vol}/sub: too many levels of symbolic links"
    assert stat.S_IMODE(vol.stat().st_mode) == 0o755
    assert (vol / "sub").stat().st_gid == 0


def _deep(base: Path, depth: int, name: str) -> list[str]:
    """``depth`` nested directories named ``name`` under ``base``, created through fds
    (the full path may exceed PATH_MAX); returns their relative names."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(name, 0o700, dir_fd=fd)
            new = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = new
        with os.fdopen(os.open("leaf", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd), "w") as f:
            f.write("x")
    finally:
        os.close(fd)
    return [name] * depth


def _rm_chain(base: Path, name: str) -> None:
    """Remove a ``_deep`` chain: ``shutil.rmtree`` (and so pytest's temp-dir cleanup)
    recurses once per level and fails past the recursion limit; coreutils' ``rm`` does
    not."""
    subprocess.run(["rm", "-rf", "--one-file-system", str(base / name)], check=True)


@needs_root
@pytest.mark.parametrize("max_open", [2, ownership.MAX_OPEN_DIRS])
def test_deep_trees_past_the_recursion_limit_and_the_fd_budget(
    tmp_path: Path, max_open: int
) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    _deep(vol, 1100, "d")
    try:
        opened_before = len(os.listdir("/proc/self/fd"))
        result = change_ownership(str(vol), GID, max_open_dirs=max_open)
        assert result == OwnershipResult(walked=True, files=1102, error=None)
        assert len(os.listdir("/proc/self/fd")) == opened_before
        leaf = "/".join(["d"] * 1100) + "/leaf"
        fd = os.open(vol, os.O_RDONLY | os.O_DIRECTORY)
        try:
            st = os.lstat(leaf, dir_fd=fd)
            mid = os.lstat("/".join(["d"] * 550), dir_fd=fd)
        finally:
            os.close(fd)
    finally:
        _rm_chain(vol, "d")
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o660, GID)
    assert (stat.S_IMODE(mid.st_mode), mid.st_gid) == (0o2770, GID)


@needs_root
def test_a_path_of_path_max_bytes_fails_as_gos_lstat(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    name = "n" * 200
    depth = (PATH_MAX - len(str(vol))) // (len(name) + 1) + 1
    _deep(vol, depth, name)
    try:
        result = change_ownership(str(vol), GID)
    finally:
        _rm_chain(vol, name)
    assert result.error is not None
    failing = result.error.removeprefix("lstat ").removesuffix(": file name too long")
    assert result.error.endswith(": file name too long")
    assert len(failing.encode()) >= PATH_MAX
    assert len(failing.encode()) - len(name) - 1 < PATH_MAX
    assert result.files == 0


# --- progress -----------------------------------------------------------------------


def _slow_chown(monkeypatch: pytest.MonkeyPatch, delay: float) -> None:
    real_chown = os.chown

    def chown(path: str, uid: int, gid: int, **kw: Any) -> None:
        time.sleep(delay)
        real_chown(path, uid, gid, **kw)

    monkeypatch.setattr(os, "chown", chown)


def _files(root: Path, n: int) -> None:
    root.mkdir(parents=True)
    for i in range(n):
        (root / f"f{i}").write_text("x")


def test_progress_events_after_first_report_then_every_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    vol = tmp_path / "pods" / UID / "volumes" / "kubernetes.io~empty-dir" / "cache"
    _files(vol, 40)
    _slow_chown(monkeypatch, 0.03)  # ~1.2 s in all
    events: list[tuple[float, ProgressEvent]] = []
    lock = threading.Lock()

    def emit(event: ProgressEvent) -> None:
        with lock:
            events.append((time.monotonic(), event))

    counter = WalkCounter()
    caplog.set_level(logging.WARNING, logger="seclet.kubelet.ownership")
    start = time.monotonic()
    result = change_ownership(
        str(vol),
        os.getegid(),
        notifier=ProgressNotifier(UID, emit),
        counter=counter,
        first_report=0.2,
        report_every=0.2,
    )
    end = time.monotonic()
    assert result == OwnershipResult(walked=True, files=41, error=None)
    assert counter.files == 41
    time.sleep(0.5)
    assert all(t <= end for t, _ in events)  # nothing once the walk has ended
    short = f"{UID}/volumes/kubernetes.io~empty-dir/cache"
    assert events[0][1] == ProgressEvent("Warning", EVENT_REASON, first_progress_message(short))
    assert events[0][0] - start >= 0.2
    later = [e for _, e in events[1:]]
    assert len(later) >= 1
    counts = []
    for e in later:
        assert (e.type, e.reason) == ("Warning", "VolumePermissionChangeInProgress")
        prefix = f"Setting volume ownership for {short}, processed "
        assert e.message.startswith(prefix)
        assert e.message.endswith(" files.")
        counts.append(int(e.message.removeprefix(prefix).removesuffix(" files.")))
    assert counts == sorted(counts)
    assert 0 < counts[0] <= 41
    for (t1, _), (t2, _) in itertools.pairwise(events):
        assert t2 - t1 >= 0.19
    assert slow_walk_warning(str(vol)) in caplog.messages


def test_progress_as_upstreams_test_progress_tracking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """upstream's ``TestProgressTracking``: an empty volume whose one change takes
    long (upstream: 300 ms; 600 ms here, for a loaded machine), first report at 50 ms,
    then every 200 ms: the first event, then "processed 1 files." (the entry is counted
    as its change starts)."""
    vol = tmp_path / "pod1uid" / "volumes" / "faketype"
    vol.mkdir(parents=True)
    real_fchown = os.fchown

    def fchown(fd: int, uid: int, gid: int) -> None:
        time.sleep(0.6)
        real_fchown(fd, uid, gid)

    monkeypatch.setattr(os, "fchown", fchown)
    events: list[ProgressEvent] = []
    change_ownership(
        str(vol),
        os.getegid(),
        "Always",
        notifier=ProgressNotifier("pod1uid", events.append),
        first_report=0.05,
        report_every=0.2,
    )
    time.sleep(0.5)
    seen = [f"{e.type} {e.reason} {e.message}" for e in events]
    assert seen[0] == (
        "Warning VolumePermissionChangeInProgress Setting volume ownership for "
        "pod1uid/volumes/faketype is taking longer than expected, consider using "
        "OnRootMismatch - https://kubernetes.io/docs/tasks/configure-pod-container/"
        "security-context/#configure-volume-permission-and-ownership-change-policy-for-pods"
    )
    assert seen[1:2] == [
        "Warning VolumePermissionChangeInProgress Setting volume ownership for "
        "pod1uid/volumes/faketype, processed 1 files."
    ]
    assert set(seen[1:]) == {seen[1]}


def test_progress_without_notifier_only_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    vol = tmp_path / "vol"
    _files(vol, 10)
    _slow_chown(monkeypatch, 0.05)
    caplog.set_level(logging.WARNING, logger="seclet.kubelet.ownership")
    change_ownership(str(vol), os.getegid(), first_report=0.05, report_every=0.05)
    assert caplog.messages == [slow_walk_warning(str(vol))]


def test_a_quick_walk_reports_nothing(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    _files(vol, 10)
    events: list[ProgressEvent] = []
    result = change_ownership(
        str(vol), os.getegid(), notifier=ProgressNotifier(UID, events.append), first_report=0.5
    )
    assert result.files == 11
    time.sleep(0.7)
    assert events == []


def test_progress_can_be_polled_from_another_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vol = tmp_path / "vol"
    _files(vol, 20)
    _slow_chown(monkeypatch, 0.02)
    counter = WalkCounter()

    async def main() -> list[int]:
        task = asyncio.ensure_future(
            asyncio.to_thread(change_ownership, str(vol), os.getegid(), counter=counter)
        )
        seen = []
        while not task.done():
            seen.append(counter.files)
            await asyncio.sleep(0.02)
        await task
        return seen

    seen = asyncio.run(main())
    assert counter.files == 21
    assert any(0 < n < 21 for n in seen)
    assert seen == sorted(seen)


@needs_root
def test_lchown_is_always_made_like_upstreams_capabilities_dropped(tmp_path: Path) -> None:
    """Even when the group is already fsGroup, upstream's ``Lchown`` runs and the kernel
    drops the file's capabilities (``security.capability``); seclet keeps that."""
    vol = tmp_path / "vol"
    vol.mkdir()
    f = vol / "bin"
    f.write_text("x")
    os.chown(f, -1, GID)
    f.chmod(0o775)
    cap = bytes.fromhex("0100000200200000000000000000000000000000")  # v2 net_raw
    try:
        os.setxattr(f, "security.capability", cap)
    except OSError as exc:
        pytest.skip(f"no security.capability here: {exc}")
    change_ownership(str(vol), GID)
    with pytest.raises(OSError) as info:
        os.getxattr(f, "security.capability")
    assert info.value.errno == errno.ENODATA
    assert stat.S_IMODE(f.stat().st_mode) == 0o775


def test_user_namespaced_volumes_are_shifted_into_the_pods_range(tmp_path: Path) -> None:
    """hostUsers: false without idmapped mounts: the emptyDir belongs to the pod's root
    and the fsGroup walk uses fsGroup in host terms, so inside the pod they read as
    root and the fsGroup (host 65536+200 is the pod's 200)."""
    assert shifted_ids(200, None) == (None, 200)
    assert shifted_ids(200, 65536) == (65536, 65536 + 200)
    assert shifted_ids(None, 131072) == (131072, None)
    assert shifted_ids(70000, 65536) == (65536, 70000)  # not mappable: left unshifted
    plan = VolumePlan(name="v", kind="emptyDir", host_path=str(tmp_path / "v"))
    pod = models.Pod(spec=models.PodSpec(securityContext=models.PodSecurityContext(fsGroup=200)))
    asyncio.run(set_up((plan,), pod, 65536))
    st = (tmp_path / "v").stat()
    assert (st.st_uid, st.st_gid) == (65536, 65736)
    assert stat.S_IMODE(st.st_mode) == 0o2777
