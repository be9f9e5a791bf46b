"""The kubelet's node heartbeat keeps what users wrote on the Node.

Role: ``NodeStatusAgent.heartbeat`` (and a re-registration) after ``kubectl cordon``,
``label``, ``annotate``, ``taint``: only the status changes; a user's write racing the
heartbeat (between its read and its write) makes it read again and retry, never
overwrite. Callers: pytest.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from seclet.cri.types import VersionResponse
from seclet.host.facts import NodeFacts
from seclet.kubelet.clock import ScaledClock
from seclet.kubelet.config import KubeletConfig
from seclet.kubelet.hostinfo import HostInfo
from seclet.kubelet.node import NodeStatusAgent
from seclet.store.memory import MemoryStore

USER_SPEC = {
    "unschedulable": True,
    "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
}


class RacingStore(MemoryStore):
    """A store where a user's write lands right after the kubelet's next read."""

    race: dict[str, Any] | None = None

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any]:
        obj = super().get(resource, namespace, name)
        if resource == "nodes" and self.race is not None:
            change, self.race = self.race, None
            user = copy.deepcopy(obj)
            user["metadata"]["labels"]["disk"] = change["label"]
            user["spec"] = copy.deepcopy(USER_SPEC)
            super().update("nodes", "", name, user)
        return obj


def _agent(tmp_path: Path, store: MemoryStore) -> NodeStatusAgent:
    config = KubeletConfig(node_name="vm", root_dir=str(tmp_path), pod_logs_dir=str(tmp_path))
    host = HostInfo(memory_bytes=1024**3, cpus=2, ephemeral_storage_bytes=10 * 1024**3)
    version = VersionResponse(
        version="0.1.0", runtime_name="seclet", runtime_version="0.1.0", runtime_api_version="v1"
    )
    return NodeStatusAgent(store, ScaledClock(), config, NodeFacts.reference(), host, version)


def test_heartbeat_keeps_user_labels_annotations_spec(tmp_path: Path) -> None:
    store = MemoryStore()
    agent = _agent(tmp_path, store)
    agent.register()
    node = store.get("nodes", "", "vm")
    node["metadata"]["labels"]["disk"] = "ssd"
    node["metadata"]["annotations"]["team"] = "infra"
    node["spec"] = copy.deepcopy(USER_SPEC)
    store.update("nodes", "", "vm", node)
    beat = agent.heartbeat()
    assert beat is not None
    assert beat["metadata"]["labels"]["disk"] == "ssd"
    assert beat["metadata"]["annotations"]["team"] == "infra"
    assert beat["spec"] == USER_SPEC
    again = agent.register()  # a kubelet restart adopts the node: its labels merged in
    assert again["metadata"]["labels"]["disk"] == "ssd"
    assert again["metadata"]["labels"]["kubernetes.io/hostname"] == "vm"
    assert again["spec"] == USER_SPEC


def test_heartbeat_racing_a_user_write_retries(tmp_path: Path) -> None:
    store = RacingStore()
    agent = _agent(tmp_path, store)
    agent.register()
    store.race = {"label": "nvme"}
    beat = agent.heartbeat()
    assert beat is not None
    stored = store.get("nodes", "", "vm")
    assert stored["metadata"]["labels"]["disk"] == "nvme"
    assert stored["spec"] == USER_SPEC
    assert beat["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]


def test_schedulable_events_on_cordon_and_uncordon(tmp_path: Path) -> None:
    store = MemoryStore()
    agent = _agent(tmp_path, store)
    agent.register()
    agent.heartbeat()
    assert store.list("events", "default").items == []  # schedulable at start: no event
    node = store.get("nodes", "", "vm")
    node["spec"] = {"unschedulable": True}
    store.update("nodes", "", "vm", node)
    agent.heartbeat()
    agent.heartbeat()
    (event,) = store.list("events", "default").items
    assert (event["type"], event["reason"], event["message"]) == (
        "Normal", "NodeNotSchedulable", "Node vm status is now: NodeNotSchedulable"
    )
    assert event["involvedObject"] == {"kind": "Node", "name": "vm", "uid": "vm"}
    assert event["source"] == {"component": "kubelet", "host": "vm"}
    node = store.get("nodes", "", "vm")
    node["spec"] = {}
    store.update("nodes", "", "vm", node)
    agent.heartbeat()
    reasons = sorted(e["reason"] for e in store.list("events", "default").items)
    assert reasons == ["NodeNotSchedulable", "NodeSchedulable"]
