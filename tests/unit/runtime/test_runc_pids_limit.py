"""The kubelet's podPidsLimit on the pod cgroup's pids.max: v1 pids hierarchy, v2 tree,
nothing for -1/0, traversal refused, a missing controller reported. Callers: pytest."""

from __future__ import annotations

from pathlib import Path

import pytest

from seclet.runtime.runc.pod_cgroup import PidsLimitError, set_pids_limit

PARENT = "/kubepods/besteffort/pod1234"


def _cgroup(root: Path, hierarchy: str) -> Path:
    directory = root / hierarchy / PARENT.lstrip("/")
    directory.mkdir(parents=True)
    (directory / "pids.max").write_text("max\n")
    return directory / "pids.max"


def test_v1_pids_hierarchy(tmp_path: Path) -> None:
    pids_max = _cgroup(tmp_path, "pids")
    set_pids_limit(PARENT, 100, tmp_path)
    assert pids_max.read_text() == "100\n"


def test_v2_tree(tmp_path: Path) -> None:
    pids_max = _cgroup(tmp_path, "")
    set_pids_limit(PARENT, 42, tmp_path)
    assert pids_max.read_text() == "42\n"


@pytest.mark.parametrize("limit", [-1, 0])
def test_unlimited_writes_nothing(tmp_path: Path, limit: int) -> None:
    pids_max = _cgroup(tmp_path, "pids")
    set_pids_limit(PARENT, limit, tmp_path)
    assert pids_max.read_text() == "max\n"


def test_traversal_is_ignored(tmp_path: Path) -> None:
    _cgroup(tmp_path, "pids")
    set_pids_limit("/kubepods/../../etc", 10, tmp_path)
    assert not (tmp_path / "etc").exists()


def test_missing_controller(tmp_path: Path) -> None:
    with pytest.raises(
        PidsLimitError, match="no pids controller for cgroup /kubepods/besteffort/pod1234"
    ):
        set_pids_limit(PARENT, 10, tmp_path)
