"""User-namespace id ranges for ``hostUsers: false`` pods.

Role: k/k ``pkg/kubelet/userns/userns_manager.go``: each such pod gets 65536 host
ids, the first a multiple of 65536, from the configured range, never overlapping;
the mapping is kept in ``<podDir>/userns`` as upstream writes it
(``{"uidMappings":[{"hostId":N,"containerId":0,"length":65536}],"gidMappings":[...]}``)
and read back when the kubelet starts, so ranges of running pods are never reused.
Callers: seclet.kubelet.worker.
"""

from __future__ import annotations

import json
from pathlib import Path

USERNS_LENGTH = 65536


class UsernsExhaustedError(Exception):
    pass


class UsernsAllocator:
    def __init__(self, first_id: int, length: int) -> None:
        if first_id % USERNS_LENGTH:
            first_id += USERNS_LENGTH - first_id % USERNS_LENGTH
        self.first_id = first_id
        self.slots = max(length // USERNS_LENGTH, 0)
        self._by_pod: dict[str, int] = {}

    def allocate(self, pod_uid: str) -> int:
        """The first host id of ``pod_uid``'s range (the same on every call)."""
        if pod_uid in self._by_pod:
            return self._by_pod[pod_uid]
        used = set(self._by_pod.values())
        for slot in range(self.slots):
            host_id = self.first_id + slot * USERNS_LENGTH
            if host_id not in used:
                self._by_pod[pod_uid] = host_id
                return host_id
        raise UsernsExhaustedError(
            f"limit on count of pods with user namespaces exceeded (limit is {self.slots}, "
            f"current pods with userns: {len(used)})"
        )

    def release(self, pod_uid: str) -> None:
        self._by_pod.pop(pod_uid, None)

    def record(self, pod_uid: str, host_id: int) -> None:
        """A range already in use (read back from ``<podDir>/userns`` at start)."""
        self._by_pod[pod_uid] = host_id


def mapping_json(host_id: int) -> str:
    one = [{"hostId": host_id, "containerId": 0, "length": USERNS_LENGTH}]
    return json.dumps({"uidMappings": one, "gidMappings": one}, separators=(",", ":"))


def write_mapping(pod_dir: Path, host_id: int) -> None:
    pod_dir.mkdir(parents=True, exist_ok=True)
    (pod_dir / "userns").write_text(mapping_json(host_id), encoding="utf-8")


def remove_mapping(pod_dir: Path) -> None:
    """Forget ``<podDir>/userns`` (upstream ``releaseWithLock`` removes the mappings
    file), so a restarted kubelet does not hold a released range."""
    (pod_dir / "userns").unlink(missing_ok=True)


def read_mapping(pod_dir: Path) -> int | None:
    """The first host id in ``<podDir>/userns``, None when absent or unreadable."""
    try:
        data = json.loads((pod_dir / "userns").read_text(encoding="utf-8"))
        return int(data["uidMappings"][0]["hostId"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def recorded_mappings(pods_dir: Path) -> dict[str, int]:
    """Pod uid -> first host id, for every pod directory with a ``userns`` file."""
    out: dict[str, int] = {}
    if not pods_dir.is_dir():
        return out
    for pod_dir in pods_dir.iterdir():
        host_id = read_mapping(pod_dir)
        if host_id is not None:
            out[pod_dir.name] = host_id
    return out
