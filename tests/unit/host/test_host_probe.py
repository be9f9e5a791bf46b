"""The machine probe on fake /proc and /sys trees: the resource facts.

Role: unit tests of ``seclet.host.probe``: MemTotal -> memory capacity in bytes,
the oom_score_adj floor (only without CAP_SYS_RESOURCE in the effective set), the
swap controller on cgroup v1 and v2, and libcontainer's huge page size names.
Callers: pytest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seclet.host.facts import NodeFacts
from seclet.host.probe import hugepage_size_name, probe_node_facts

WITHOUT_SYS_RESOURCE = "000001fffeffffff"
WITH_SYS_RESOURCE = "000001ffffffffff"


def _tree(
    tmp_path: Path, *, cap_eff: str, oom_score_adj: str = "0", v2: bool = False
) -> tuple[Path, Path]:
    proc, sys = tmp_path / "proc", tmp_path / "sys"
    (proc / "self").mkdir(parents=True)
    (proc / "self/status").write_text(f"Name:\tx\nCapEff:\t{cap_eff}\nCapBnd:\t{cap_eff}\n")
    (proc / "self/oom_score_adj").write_text(oom_score_adj + "\n")
    (proc / "meminfo").write_text("MemTotal:       24683656 kB\nMemFree:  1 kB\n")
    (proc / "self/cgroup").write_text("0::/seclet.scope\n")
    for size in ("hugepages-2048kB", "hugepages-1048576kB"):
        (sys / "kernel/mm/hugepages" / size).mkdir(parents=True)
    if v2:
        (sys / "fs/cgroup/seclet.scope").mkdir(parents=True)
        (sys / "fs/cgroup/cgroup.controllers").write_text("cpu memory\n")
        (sys / "fs/cgroup/seclet.scope/memory.swap.max").write_text("max\n")
    else:
        (sys / "fs/cgroup/memory").mkdir(parents=True)
        (sys / "fs/cgroup/unified").mkdir()
        (sys / "fs/cgroup/memory/memory.memsw.limit_in_bytes").write_text("9223372036854771712\n")
    return proc, sys


def test_reference_machine_facts(tmp_path: Path) -> None:
    proc, sys = _tree(tmp_path, cap_eff=WITHOUT_SYS_RESOURCE)
    facts = probe_node_facts(proc, sys)
    assert facts.cgroup_mode == "hybrid"
    assert facts.memory_capacity == 24683656 * 1024 == 25276063744
    assert facts.oom_score_adj_floor == 0
    assert facts.swap_controller is True
    assert facts.hugepage_sizes == ("1GB", "2MB")
    ref = NodeFacts.reference()
    assert (ref.memory_capacity, ref.oom_score_adj_floor, ref.swap_controller) == (
        25276063744,
        0,
        True,
    )
    assert ref.hugepage_sizes == ("1GB", "2MB")


def test_floor_is_our_own_value_only_without_the_capability(tmp_path: Path) -> None:
    proc, sys = _tree(tmp_path / "a", cap_eff=WITHOUT_SYS_RESOURCE, oom_score_adj="-500")
    assert probe_node_facts(proc, sys).oom_score_adj_floor == -500
    proc, sys = _tree(tmp_path / "b", cap_eff=WITH_SYS_RESOURCE, oom_score_adj="-500")
    assert probe_node_facts(proc, sys).oom_score_adj_floor is None


def test_swap_controller_v2_and_absent(tmp_path: Path) -> None:
    proc, sys = _tree(tmp_path / "v2", cap_eff=WITH_SYS_RESOURCE, v2=True)
    facts = probe_node_facts(proc, sys)
    assert (facts.cgroup_mode, facts.swap_controller) == ("v2", True)
    proc, sys = _tree(tmp_path / "v1", cap_eff=WITH_SYS_RESOURCE)
    (sys / "fs/cgroup/memory/memory.memsw.limit_in_bytes").unlink()
    assert probe_node_facts(proc, sys).swap_controller is False


@pytest.mark.parametrize(
    ("dirname", "name"),
    [
        ("hugepages-2048kB", "2MB"),
        ("hugepages-1048576kB", "1GB"),
        ("hugepages-64kB", "64KB"),
        ("hugepages-32768kB", "32MB"),
        ("hugepages-16777216kB", "16GB"),
        ("hugepages-1536kB", "1.5MB"),
        ("hugepages-x", None),
        ("other", None),
    ],
)
def test_hugepage_size_names(dirname: str, name: str | None) -> None:
    assert hugepage_size_name(dirname) == name
