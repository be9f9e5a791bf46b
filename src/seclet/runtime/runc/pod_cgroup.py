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
Callers: seclet.runtime.runc.remove_pod_sandbox.
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
