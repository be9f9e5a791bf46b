"""Was a container's process killed by the OOM killer?

Role: the ``OOMKilled`` reason. conmon leaves an ``oom`` file in the persist dir
when it saw the OOM event; as a second witness (conmon watches only some cgroup
layouts) the container's memory cgroup counts kills: cgroup v1
``memory.oom_control`` ``oom_kill <n>``, cgroup v2 ``memory.events`` ``oom_kill
<n>``. The cgroup exists until RemoveContainer (``runc delete``), which is when the
kubelet asks. ``cgroups_path`` is the spec's ``linux.cgroupsPath`` (cgroupfs
driver); ``cgroup_root`` is a parameter so tests can use a fake tree.
Callers: container_status.
"""

from __future__ import annotations

from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _kills(path: Path) -> int:
    try:
        text = path.read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill":
            try:
                return int(value.strip())
            except ValueError:
                return 0
    return 0


def oom_killed(persist_dir: Path, cgroups_path: str, cgroup_root: Path = CGROUP_ROOT) -> bool:
    if (persist_dir / "oom").exists():
        return True
    if not cgroups_path:
        return False
    rel = cgroups_path.lstrip("/")
    return (
        _kills(cgroup_root / "memory" / rel / "memory.oom_control") > 0
        or _kills(cgroup_root / rel / "memory.events") > 0
        or _kills(cgroup_root / "unified" / rel / "memory.events") > 0
    )
