"""The taint eviction controller (seclet.controllers.tainteviction).

Role: upstream's decision (untolerated NoExecute taint: now; all tolerated: the
smallest tolerationSeconds; none: never), the TaintManagerEviction event, the
DisruptionTarget condition and the graceful delete. Callers: pytest.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from seclet.controllers.manager import ControllerManager
from seclet.controllers.tainteviction import TaintEvictionController, eviction_delay
from seclet.kubelet.clock import ScaledClock
from seclet.store.memory import MemoryStore

TAINT = {"key": "k", "value": "v", "effect": "NoExecute"}
POD: dict[str, Any] = {
    "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
    "spec": {"nodeName": "vm", "terminationGracePeriodSeconds": 30,
             "containers": [{"name": "c", "image": "busybox"}]},
    "status": {"phase": "Running"},
}


def _pod(*tolerations: dict[str, Any]) -> dict[str, Any]:
    pod = copy.deepcopy(POD)
    if tolerations:
        pod["spec"]["tolerations"] = list(tolerations)
    return pod


def test_eviction_delay() -> None:
    assert eviction_delay(_pod(), []) is None
    assert eviction_delay(_pod(), [TAINT]) == 0
    assert eviction_delay(_pod({"key": "k", "operator": "Exists"}), [TAINT]) is None
    assert eviction_delay(
        _pod({"key": "k", "operator": "Exists", "tolerationSeconds": 30},
             {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}),
        [TAINT],
    ) == 30  # the first toleration that tolerates the taint is the one used
    other = {"key": "o", "effect": "NoExecute"}
    assert eviction_delay(_pod({"key": "k", "operator": "Exists"}), [TAINT, other]) == 0


def test_untolerated_pod_is_marked_and_deleted_gracefully() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        store.create("nodes", "", "vm", {"metadata": {"name": "vm"}, "spec": {}})
        store.create("pods", "default", "p", _pod())
        clock = ScaledClock()
        manager = ControllerManager(store, clock, [TaintEvictionController(store, clock)])
        await manager.start()
        node = store.get("nodes", "", "vm")
        node["spec"] = {"taints": [TAINT]}
        store.update("nodes", "", "vm", node)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if store.get("pods", "default", "p")["metadata"].get("deletionTimestamp"):
                break
        pod = store.get("pods", "default", "p")
        assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
        (cond,) = pod["status"]["conditions"]
        assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
            "DisruptionTarget", "True", "DeletionByTaintManager",
            "Taint manager: deleting due to NoExecute taint",
        )
        await asyncio.sleep(0.05)
        (event,) = store.list("events", "default").items
        assert (event["type"], event["reason"], event["message"]) == (
            "Normal", "TaintManagerEviction", "Marking for deletion Pod default/p"
        )
        assert event["source"] == {"component": "taint-eviction-controller"}
        await manager.stop()

    asyncio.run(scenario())


def test_toleration_seconds_delay_the_eviction() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        store.create("nodes", "", "vm", {"metadata": {"name": "vm"}, "spec": {"taints": [TAINT]}})
        tolerating = _pod({"key": "k", "operator": "Exists", "tolerationSeconds": 10})
        store.create("pods", "default", "p", tolerating)
        clock = ScaledClock(speed=100)
        manager = ControllerManager(store, clock, [TaintEvictionController(store, clock)])
        await manager.start()
        await asyncio.sleep(0.03)  # 3 s on this clock: still tolerated
        assert "deletionTimestamp" not in store.get("pods", "default", "p")["metadata"]
        for _ in range(100):
            await asyncio.sleep(0.01)
            if store.get("pods", "default", "p")["metadata"].get("deletionTimestamp"):
                break
        assert store.get("pods", "default", "p")["metadata"]["deletionTimestamp"]
        await manager.stop()

    asyncio.run(scenario())
