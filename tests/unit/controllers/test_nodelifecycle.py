"""The node lifecycle controller's NoSchedule tainting (seclet.controllers.nodelifecycle).

Role: cordon adds ``node.kubernetes.io/unschedulable:NoSchedule`` with ``timeAdded``
after the user's taints, uncordon removes it and nothing else; conditions map to their
taints; the controller's write through the manager. Callers: pytest.
"""

from __future__ import annotations

import asyncio
from typing import Any

from seclet.controllers.manager import ControllerManager
from seclet.controllers.nodelifecycle import NodeLifecycleController, decide
from seclet.kubelet.clock import ScaledClock
from seclet.store.memory import MemoryStore

NOW = "2026-01-01T00:00:00Z"
USER = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
READY = {"conditions": [{"type": "Ready", "status": "True"}]}


def _node(spec: dict[str, Any], status: dict[str, Any] = READY) -> dict[str, Any]:
    return {"metadata": {"name": "vm"}, "spec": spec, "status": status}


def test_decide() -> None:
    assert decide(_node({}), NOW) is None
    assert decide(_node({"unschedulable": True, "taints": [USER]}), NOW) == [
        USER,
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": NOW},
    ]
    cordoned = [USER, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
    assert decide(_node({"unschedulable": True, "taints": cordoned}), NOW) is None
    assert decide(_node({"taints": cordoned}), NOW) == [USER]
    # a user's NoExecute taint with the key is not the controller's
    other = {"key": "node.kubernetes.io/unschedulable", "effect": "NoExecute"}
    assert decide(_node({"taints": [other]}), NOW) is None
    not_ready = _node({}, {"conditions": [{"type": "Ready", "status": "False"},
                                          {"type": "DiskPressure", "status": "True"}]})
    assert [t["key"] for t in decide(not_ready, NOW) or ()] == [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/disk-pressure",
    ]


def test_controller_taints_cordoned_node() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        store.create("nodes", "", "vm", _node({}))
        manager = ControllerManager(store, ScaledClock(), [NodeLifecycleController(store, ScaledClock())])
        await manager.start()
        node = store.get("nodes", "", "vm")
        node["spec"] = {"unschedulable": True}
        store.update("nodes", "", "vm", node)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if store.get("nodes", "", "vm")["spec"].get("taints"):
                break
        stored = store.get("nodes", "", "vm")
        (taint,) = stored["spec"]["taints"]
        assert (taint["key"], taint["effect"]) == ("node.kubernetes.io/unschedulable", "NoSchedule")
        assert taint["timeAdded"].endswith("Z")
        stored["spec"] = {"taints": stored["spec"]["taints"]}
        store.update("nodes", "", "vm", stored)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if not store.get("nodes", "", "vm")["spec"].get("taints"):
                break
        assert store.get("nodes", "", "vm")["spec"] == {}
        await manager.stop()

    asyncio.run(scenario())
