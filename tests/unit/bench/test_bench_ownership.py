"""bench.ownership on a tiny tree: the benchmark still runs, builds identical trees and
checks its results (a smoke test; the figures come from running it by hand).
Callers: pytest."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from bench import ownership

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("chgrp") is None, reason="the bench chowns (root)"
)


def test_trees_are_identical_and_shaped(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    a = ownership.build_tree(tmp_path / "a", 500, outside)
    b = ownership.build_tree(tmp_path / "b", 500, outside)
    assert a == b
    assert a["files"] + a["dirs"] + a["symlinks"] == 500
    assert a["dirs"] > 0
    assert a["symlinks"] > 0
    names = sorted(str(p.relative_to(tmp_path / "a")) for p in (tmp_path / "a").rglob("*"))
    assert names == sorted(str(p.relative_to(tmp_path / "b")) for p in (tmp_path / "b").rglob("*"))


def test_a_tiny_run_reports_every_row() -> None:
    fig = ownership.run(entries=300, rounds=2, checks=5, variants=True, pod_rounds=1)
    assert fig["checked"] == 301
    assert set(fig["wall_s"]) == {
        "seclet",
        "coreutils",
        "upstream-shaped",
        "two threads",
        "seclet again",
        "coreutils again",
    }
    assert fig["root_check_s"]["median"] < ownership.ROOT_CHECK_TARGET_S
    assert set(fig["pod_start_s"]) == {case[0] for case in ownership.POD_CASES}
    text = ownership.report(fig)
    assert "seclet / coreutils, per-round median:" in text
    assert "OnRootMismatch, matching root:" in text
    assert "OnRootMismatch, root right" in text
