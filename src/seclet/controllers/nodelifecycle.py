"""The node lifecycle controller's NoSchedule tainting: cordon and conditions as taints.

Role: kube-controller-manager's ``node-lifecycle-controller``, the part every cluster
runs (TaintNodesByCondition, ``doNoScheduleTaintingPass`` in
pkg/controller/nodelifecycle/node_lifecycle_controller.go): a node with
``spec.unschedulable: true`` gets the taint ``node.kubernetes.io/unschedulable:
NoSchedule``, and loses it when uncordoned; its conditions map to NoSchedule taints
too (Ready False -> ``node.kubernetes.io/not-ready``, Ready Unknown ->
``node.kubernetes.io/unreachable``, MemoryPressure/DiskPressure/PIDPressure/
NetworkUnavailable True -> ``node.kubernetes.io/memory-pressure`` etc.). Only
NoSchedule taints with those keys are the controller's; user taints stay.
``SwapNodeControllerTaint`` stamps each added taint's ``timeAdded`` (now) and
``AddOrUpdateTaintOnNode`` appends it after the existing ones; removal keeps the
others' order. The write is the controller's (managedFields manager
``kube-controller-manager``). The no-execute eviction of pods is not done.
Steps of ``sync``: 1. read the node (gone: nothing); 2. ``decide`` the taints to add
and remove (pure); 3. none -> stop; else update the node guarded by its
resourceVersion (a conflict is retried by the manager).
Callers: seclet.controllers.core (``seclet server``), tests.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from seclet.api import storagehelpers as sh
from seclet.api.managedfields import record_update
from seclet.controllers import writes
from seclet.controllers.clock import Clock, rfc3339
from seclet.controllers.manager import WorkQueue
from seclet.store.api import JSONObject, NotFoundError, Store

TAINT_UNSCHEDULABLE: Final = "node.kubernetes.io/unschedulable"
CONDITION_TAINTS: Final[dict[tuple[str, str], str]] = {
    ("Ready", "False"): "node.kubernetes.io/not-ready",
    ("Ready", "Unknown"): "node.kubernetes.io/unreachable",
    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable",
    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
}
"""``nodeConditionToTaintKeyStatusMap``."""
_OWNED: Final = frozenset(CONDITION_TAINTS.values()) | {TAINT_UNSCHEDULABLE}


def desired_keys(node: Mapping[str, Any]) -> list[str]:
    """The NoSchedule taint keys the node's conditions and cordon call for."""
    keys: list[str] = []
    for cond in (node.get("status") or {}).get("conditions") or ():
        key = CONDITION_TAINTS.get((str(cond.get("type")), str(cond.get("status"))))
        if key is not None:
            keys.append(key)
    if sh.spec(node).get("unschedulable"):
        keys.append(TAINT_UNSCHEDULABLE)
    return keys


def decide(node: Mapping[str, Any], now: str) -> list[JSONObject] | None:
    """The node's new ``spec.taints`` (None: nothing to change)."""
    taints = [t for t in sh.spec(node).get("taints") or () if isinstance(t, Mapping)]
    owned = {
        str(t.get("key")) for t in taints
        if t.get("effect") == "NoSchedule" and t.get("key") in _OWNED
    }
    want = desired_keys(node)
    add = [k for k in want if k not in owned]
    remove = owned - set(want)
    if not add and not remove:
        return None
    kept: list[JSONObject] = [
        dict(t) for t in taints
        if not (t.get("effect") == "NoSchedule" and t.get("key") in remove)
    ]
    for key in add:
        kept.append({"key": key, "effect": "NoSchedule", "timeAdded": now})
    return kept


class NodeLifecycleController:
    name: str = "node-lifecycle-controller"
    resources: tuple[str, ...] = ("nodes",)

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.queue = WorkQueue()

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        if type_ in ("ADDED", "MODIFIED"):
            self.queue.add(str(sh.meta(obj).get("name", "")))

    def resync(self) -> None:
        """Nothing beyond the watch (upstream also re-checks on its monitor period)."""

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        return ((self.queue, self.sync),)

    async def sync(self, name: str) -> None:
        """The steps in the module docstring."""
        try:
            node = self.store.get("nodes", "", name)
        except NotFoundError:
            return
        taints = decide(node, rfc3339(self.clock.now()))
        if taints is None:
            return
        new = copy.deepcopy(node)
        spec = dict(sh.spec(new))
        if taints:
            spec["taints"] = taints
        else:
            spec.pop("taints", None)
        new["spec"] = spec
        record_update(node, new, manager="kube-controller-manager", now=self.clock.now())
        writes.update(self.store, "nodes", new)


__all__ = ["NodeLifecycleController", "decide", "desired_keys"]
