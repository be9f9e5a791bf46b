"""The scheduler's node plugins (seclet.kubelet.nodefilters) and the binder's use of them.

Role: NodeUnschedulable, TaintToleration, NodeAffinity (PreFilter and Filter) with
1.35's reason texts, their order, the FitError with DefaultPreemption's verdict, and
the retry of a waiting pod when the Node's labels or spec change (not its status).
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from seclet.kubelet.binder import Binder
from seclet.kubelet.clock import ScaledClock
from seclet.kubelet.nodefilters import node_affinity_prefilter, node_filter, tolerates
from seclet.store.memory import MemoryStore

NODE: dict[str, Any] = {
    "metadata": {"name": "vm", "labels": {"kubernetes.io/hostname": "vm", "disk": "ssd"}},
    "spec": {},
    "status": {},
}
POD: dict[str, Any] = {
    "metadata": {"name": "p", "namespace": "ns", "uid": "u1", "generation": 1},
    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    "status": {"phase": "Pending"},
}
TAIL = " preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."


def _pod(**spec: Any) -> dict[str, Any]:
    pod = copy.deepcopy(POD)
    pod["spec"].update(spec)
    return pod


def _node(**spec: Any) -> dict[str, Any]:
    node = copy.deepcopy(NODE)
    node["spec"].update(spec)
    return node


def test_tolerates() -> None:
    taint = {"key": "k", "value": "v", "effect": "NoSchedule"}
    assert tolerates({"key": "k", "value": "v"}, taint)
    assert tolerates({"key": "k", "operator": "Exists", "effect": "NoSchedule"}, taint)
    assert tolerates({"operator": "Exists"}, taint)
    assert not tolerates({"key": "k", "value": "w"}, taint)
    assert not tolerates({"key": "k", "operator": "Exists", "effect": "NoExecute"}, taint)
    assert not tolerates({"key": "k", "operator": "Gt", "value": "1"}, taint)


def test_filters_in_profile_order() -> None:
    cordoned = _node(unschedulable=True, taints=[{"key": "a", "effect": "NoSchedule"}])
    assert node_filter(_pod(), "vm", cordoned) == "node(s) were unschedulable"
    tolerating = _pod(
        tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists",
                      "effect": "NoSchedule"}]
    )
    assert node_filter(tolerating, "vm", cordoned) == "node(s) had untolerated taint(s)"
    assert node_filter(_pod(), "vm", _node(taints=[{"key": "a", "effect": "PreferNoSchedule"}])) == ""
    assert node_filter(_pod(), "vm", _node(taints=[{"key": "a", "effect": "NoExecute"}])) == (
        "node(s) had untolerated taint(s)"
    )
    assert node_filter(_pod(nodeSelector={"disk": "hdd"}), "vm", _node()) == (
        "node(s) didn't match Pod's node affinity/selector"
    )
    assert node_filter(_pod(nodeSelector={"disk": "ssd"}), "vm", _node()) == ""
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "disk", "operator": "NotIn", "values": ["ssd"]}]}]}}}
    assert node_filter(_pod(affinity=affinity), "vm", _node()) == (
        "node(s) didn't match Pod's node affinity/selector"
    )


def test_node_affinity_prefilter() -> None:
    def by_names(*terms: list[str]) -> dict[str, Any]:
        return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": t}]}
                for t in terms
            ]}}}

    assert node_affinity_prefilter(_pod(affinity=by_names(["vm"])), "vm") == ("", "")
    assert node_affinity_prefilter(_pod(affinity=by_names(["other"])), "vm") == (
        "", "node(s) didn't satisfy plugin(s) [NodeAffinity]"
    )
    assert node_affinity_prefilter(_pod(affinity=by_names([])), "vm") == (
        "pod affinity terms conflict", ""
    )


def _condition(store: MemoryStore) -> dict[str, Any]:
    pod = store.get("pods", "ns", "p")
    return next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")


def test_cordoned_pod_waits_then_binds_on_uncordon() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        store.create("nodes", "", "vm", _node(unschedulable=True))
        stored = store.create("pods", "ns", "p", _pod())
        binder = Binder(store, ScaledClock(), "vm")
        assert binder.bind(stored) is None
        message = "0/1 nodes are available: 1 node(s) were unschedulable." + TAIL
        cond = _condition(store)
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "False", "Unschedulable", message
        )
        (event,) = store.list("events", "ns").items
        assert (event["type"], event["reason"], event["message"]) == (
            "Warning", "FailedScheduling", message
        )
        await asyncio.sleep(0.05)
        node = store.get("nodes", "", "vm")
        node["status"] = {"heartbeat": 1}  # a status write: no retry
        store.update("nodes", "", "vm", node)
        await asyncio.sleep(0.1)
        (event,) = store.list("events", "ns").items
        assert "series" not in event  # not tried again
        node = store.get("nodes", "", "vm")
        node["metadata"]["labels"]["x"] = "y"  # a label change: tried again, a series
        store.update("nodes", "", "vm", node)
        await asyncio.sleep(0.1)
        (event,) = store.list("events", "ns").items
        assert event["series"]["count"] == 2
        node = store.get("nodes", "", "vm")
        node["spec"] = {}
        store.update("nodes", "", "vm", node)
        for _ in range(100):
            await asyncio.sleep(0.02)
            if store.get("pods", "ns", "p")["spec"].get("nodeName"):
                break
        assert store.get("pods", "ns", "p")["spec"]["nodeName"] == "vm"
        await binder.close()

    asyncio.run(scenario())


def test_node_prefilter_precedes_volume_prefilter_and_filters_precede_volumes() -> None:
    store = MemoryStore()
    store.create("nodes", "", "vm", _node(taints=[{"key": "a", "effect": "NoSchedule"}]))
    volume = {"name": "v", "persistentVolumeClaim": {"claimName": "missing"}}
    stored = store.create("pods", "ns", "p", _pod(volumes=[volume]))
    binder = Binder(store, ScaledClock(), "vm")
    binder.bind(stored)
    assert _condition(store)["message"] == (
        '0/1 nodes are available: persistentvolumeclaim "missing" not found.' + TAIL
    )
    store.create("nodes", "", "vm2", _node())
    binder2 = Binder(store, ScaledClock(), "vm")
    store.delete("pods", "ns", "p")
    stored = store.create("pods", "ns", "p", _pod())
    binder2.bind(stored)
    assert _condition(store)["message"] == (
        "0/1 nodes are available: 1 node(s) had untolerated taint(s)." + TAIL
    )
