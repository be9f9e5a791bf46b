"""Remove a pod cgroup that seclet made on the kubelet's behalf.

Role: runc creates a container's cgroup with every missing parent, and
``runc delete`` removes only the container's own; the pod cgroup
(``/kubepods/<qos>/pod<uid>``) is the kubelet's to remove (its pod cgroup
manager). When the kubelet sent no cgroup parent, seclet chose that path itself
(``SandboxRecord.pod_cgroup_owned``), so RemovePodSandbox removes it: ``rmdir`` in
every hierarchy under the cgroup root (v1 controllers, named hierarchies, the
hybrid ``unified`` mount, or the v2 root itself). ``rmdir`` only succeeds on a
cgroup without children or tasks, so another sandbox of the same pod keeps it; the
shared ``/kubepods`` and ``/kubepods/<qos>`` levels stay, as on a kubelet node.
``set_pids_limit`` writes the kubelet's ``podPidsLimit`` to the pod cgroup's
``pids.max`` (upstream's pod container manager sets ``PidsLimit`` when it is > 0), in
the v1 ``pids`` hierarchy or the v2 tree, after runc made the cgroup and enabled the
controller for the pause container.
Callers: seclet.runtime.runc.remove_pod_sandbox, seclet.runtime.runc.run_pod_sandbox.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from seclet.runtime.runc.oom import CGROUP_ROOT


def remove_pod_cgroup(parent: str, cgroup_root: Path = CGROUP_ROOT) -> None:
    """Best effort: ``rmdir <hierarchy>/<parent>`` wherever it exists and is empty."""
    rel = parent.strip("/")
    if not rel or ".." in rel.split("/"):
        return
    candidates = [cgroup_root / rel]
    with contextlib.suppress(OSError):
        candidates.extend(h / rel for h in sorted(cgroup_root.iterdir()) if h.is_dir())
    seen: set[Path] = set()
    for path in candidates:
        try:
            real = path.resolve()
        except OSError:
            continue
        if real in seen or not real.is_dir():
            continue
        seen.add(real)
        with contextlib.suppress(OSError):
            real.rmdir()


class PidsLimitError(OSError):
    """No ``pids.max`` of the pod cgroup could be written."""


def set_pids_limit(parent: str, limit: int, cgroup_root: Path = CGROUP_ROOT) -> None:
    """``pids.max`` = ``limit`` of cgroup ``parent`` (nothing for ``limit`` <= 0)."""
    rel = parent.strip("/")
    if limit <= 0 or not rel or ".." in rel.split("/"):
        return
    written = False
    for base in (cgroup_root / "pids", cgroup_root, cgroup_root / "unified"):
        target = base / rel / "pids.max"
        if target.exists():
            try:
                target.write_text(f"{limit}\n")
            except OSError as exc:
                raise PidsLimitError(f"cannot write {target}: {exc.strerror}") from None
            written = True
    if not written:
        raise PidsLimitError(f"no pids controller for cgroup {parent}")
