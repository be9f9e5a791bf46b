"""Upstream's AtomicWriter: ``..data`` swap, user-visible symlinks, path validation.
Callers: pytest."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from seclet.kubelet.volume.atomicwriter import (
    FileProjection,
    PayloadError,
    paths_to_remove,
    validate_path,
    write,
)


def _link(path: Path) -> str:
    return str(path.readlink())


def _fp(data: str, mode: int = 0o644) -> FileProjection:
    return FileProjection(data.encode(), mode)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", 'invalid path: must not be empty: ""'),
        ("/etc/passwd", "invalid path: must be relative path: /etc/passwd"),
        ("a/../b", "invalid path: must not contain '..': a/../b"),
        ("..", "invalid path: must not contain '..': .."),
        ("..data", "invalid path: must not start with '..': ..data"),
        ("..a/b", "invalid path: must not start with '..': ..a/b"),
        ("x" * 256, "invalid path: filenames must be less than or equal to 255 characters"),
        ("a/" * 2048 + "b", "invalid path: must be less than or equal to 4096 characters"),
    ],
)
def test_validate_path_refuses_as_upstream(path: str, message: str) -> None:
    with pytest.raises(PayloadError) as e:
        validate_path(path)
    assert str(e.value) == message


def test_validate_path_accepts_dotted_names() -> None:
    for ok in ("a", "a/b", ".a", "a..b", "a/..b"):
        validate_path(ok)


def test_first_write_layout(tmp_path: Path) -> None:
    assert write(str(tmp_path), {"podName": _fp("p"), "user/labels": _fp("l", 0o400)})
    data = _link(tmp_path / "..data")
    assert re.fullmatch(r"\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+", data), data
    assert stat.S_IMODE((tmp_path / data).stat().st_mode) == 0o755
    assert _link(tmp_path / "podName") == "..data/podName"
    assert _link(tmp_path / "user") == "..data/user"
    assert (tmp_path / "user/labels").read_text() == "l"
    assert stat.S_IMODE((tmp_path / data / "user/labels").stat().st_mode) == 0o400
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["..data", data, "podName", "user"])


def test_update_swaps_data_and_removes_old(tmp_path: Path) -> None:
    write(str(tmp_path), {"a": _fp("1"), "b": _fp("2")})
    old = _link(tmp_path / "..data")
    assert not write(str(tmp_path), {"a": _fp("1"), "b": _fp("2")})  # unchanged
    assert _link(tmp_path / "..data") == old
    assert write(str(tmp_path), {"a": _fp("3")})
    new = _link(tmp_path / "..data")
    assert new != old
    assert not (tmp_path / old).exists()
    assert not os.path.lexists(tmp_path / "b")  # gone key: its symlink removed
    assert (tmp_path / "a").read_text() == "3"
    assert not os.path.lexists(tmp_path / "..data_tmp")


def test_unchanged_payload_recreates_missing_symlinks(tmp_path: Path) -> None:
    """kubernetes#121472: data up to date, a user-visible link missing -> recreated."""
    write(str(tmp_path), {"a": _fp("1")})
    (tmp_path / "a").unlink()
    assert not write(str(tmp_path), {"a": _fp("1")})
    assert _link(tmp_path / "a") == "..data/a"


def test_set_perms_runs_before_the_swap(tmp_path: Path) -> None:
    seen: list[tuple[str, bool]] = []

    def set_perms(ts: str) -> None:
        seen.append((ts, (tmp_path / "..data").exists()))

    write(str(tmp_path), {"a": _fp("1")}, set_perms)
    assert seen == [(_link(tmp_path / "..data"), False)]


def test_invalid_payload_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(PayloadError):
        write(str(tmp_path), {"../escape": _fp("x")})
    assert list(tmp_path.iterdir()) == []


def test_paths_to_remove_keeps_parents() -> None:
    old = {"a", "d", "d/x", "d/y", "e"}
    assert paths_to_remove(old, {"d/x": _fp(""), "a": _fp("")}) == {"d/y", "e"}
