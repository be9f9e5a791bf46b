"""The taint eviction controller: pods on a node with NoExecute taints they do not tolerate.

Role: kube-controller-manager's ``taint-eviction-controller`` (on by default;
pkg/controller/tainteviction/taint_eviction.go) for this one node, so ``kubectl taint
node vm key=value:NoExecute`` evicts the running pods as a cluster does:
``processPodOnNode`` — no NoExecute taint: any scheduled eviction is cancelled; a
taint no toleration tolerates: evict now; all tolerated: evict after the smallest
``tolerationSeconds`` of the tolerations used (none: never), counted from when the
eviction was first scheduled (a later re-check never postpones it). The eviction
(``deletePodHandler``): the Normal event ``TaintManagerEviction`` ``Marking for
deletion Pod <ns>/<name>`` from ``taint-eviction-controller``, the pod's condition
``DisruptionTarget=True`` (reason ``DeletionByTaintManager``, message ``Taint
manager: deleting due to NoExecute taint``), then a DELETE with no options (graceful:
the kubelet stops it).
Steps of ``sync`` (a pod's key): 1. the pod, bound, not terminating (else nothing);
2. its node's NoExecute taints; 3. ``eviction_delay`` (pure); None -> cancel; 0 ->
evict; > 0 -> a timer that syncs the pod again when it is due.
Callers: seclet.controllers.core (``seclet server``), tests.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from seclet.api import storagehelpers as sh
from seclet.api.taints import tolerates
from seclet.controllers import writes
from seclet.controllers.clock import Clock, rfc3339
from seclet.controllers.garbagecollector import pod_deletion
from seclet.controllers.manager import WorkQueue
from seclet.record import EventRecorder
from seclet.store.api import JSONObject, NotFoundError, Store

COMPONENT: Final = "taint-eviction-controller"


def no_execute_taints(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        t
        for t in sh.spec(node).get("taints") or ()
        if isinstance(t, Mapping) and t.get("effect") == "NoExecute"
    ]


def eviction_delay(pod: Mapping[str, Any], taints: Sequence[Mapping[str, Any]]) -> float | None:
    """Seconds until the pod is evicted (0: now), None: never
    (``GetMatchingTolerations`` + ``getMinTolerationTime``)."""
    if not taints:
        return None
    tolerations = [t for t in sh.spec(pod).get("tolerations") or () if isinstance(t, Mapping)]
    used: list[Mapping[str, Any]] = []
    for taint in taints:
        match = next((t for t in tolerations if tolerates(t, taint)), None)
        if match is None:
            return 0.0
        used.append(match)
    finite = [t["tolerationSeconds"] for t in used if t.get("tolerationSeconds") is not None]
    if not finite:
        return None
    return float(max(0, min(int(s) for s in finite)))


def with_condition(pod: Mapping[str, Any], now: str) -> JSONObject:
    """The pod with ``DisruptionTarget=True`` from the taint manager."""
    out = copy.deepcopy(dict(pod))
    status = out.setdefault("status", {})
    conditions = [c for c in status.get("conditions") or () if c.get("type") != "DisruptionTarget"]
    old = next(
        (c for c in status.get("conditions") or () if c.get("type") == "DisruptionTarget"), None
    )
    conditions.append(
        {
            "type": "DisruptionTarget",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": (
                old.get("lastTransitionTime") if old and old.get("status") == "True" else now
            ),
            "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint",
        }
    )
    status["conditions"] = conditions
    return out


class TaintEvictionController:
    name: str = COMPONENT
    resources: tuple[str, ...] = ("nodes", "pods")

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.queue = WorkQueue()
        self.recorder = EventRecorder(store, clock, COMPONENT)
        self._node_taints: dict[str, list[Mapping[str, Any]]] = {}
        """Node name -> its NoExecute taints last seen."""
        self._started: dict[str, float] = {}
        """Pod key -> when its (delayed) eviction was first scheduled."""
        self._timers: dict[str, asyncio.Task[None]] = {}
        """Pod key -> the timer that syncs it again when its eviction is due."""

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        if resource == "pods":
            if type_ != "DELETED" and sh.spec(obj).get("nodeName"):
                m = sh.meta(obj)
                self.queue.add(f"{m.get('namespace', '')}/{m.get('name', '')}")
            return
        node_name = str(sh.meta(obj).get("name", ""))
        taints = [] if type_ == "DELETED" else no_execute_taints(obj)
        if self._node_taints.get(node_name) == taints:
            return  # ``handleNodeUpdate``: the NoExecute taints did not change
        self._node_taints[node_name] = taints
        for pod in self.store.list("pods").items:
            if sh.spec(pod).get("nodeName") == node_name:
                m = sh.meta(pod)
                self.queue.add(f"{m.get('namespace', '')}/{m.get('name', '')}")

    def resync(self) -> None:
        """Nothing beyond the watches."""

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        return ((self.queue, self.sync),)

    def _cancel(self, key: str) -> None:
        self._started.pop(key, None)
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    async def sync(self, key: str) -> None:
        """The steps in the module docstring."""
        namespace, _, name = key.partition("/")
        try:
            pod = self.store.get("pods", namespace, name)
        except NotFoundError:
            self._cancel(key)
            return
        node_name = sh.spec(pod).get("nodeName")
        if not node_name or sh.meta(pod).get("deletionTimestamp"):
            self._cancel(key)
            return
        try:
            node = self.store.get("nodes", "", str(node_name))
        except NotFoundError:
            return
        delay = eviction_delay(pod, no_execute_taints(node))
        if delay is None:
            self._cancel(key)
            return
        now = self.clock.now()
        if delay > 0:
            started = self._started.setdefault(key, now)
            due = started + delay
            if due > now:
                timer = self._timers.pop(key, None)
                if timer is not None:
                    timer.cancel()
                self._timers[key] = asyncio.get_running_loop().create_task(
                    self._later(key, due - now), name=f"taint-eviction-{key}"
                )
                return
        self._cancel(key)
        self._evict(pod)

    async def _later(self, key: str, seconds: float) -> None:
        await self.clock.sleep(seconds)
        self._timers.pop(key, None)
        await self.sync(key)

    def _evict(self, pod: JSONObject) -> None:
        meta = sh.meta(pod)
        namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        self.recorder.event(
            {
                "kind": "Pod",
                "namespace": namespace,
                "name": name,
                "uid": meta.get("uid", ""),
                "apiVersion": "v1",
            },
            "Normal",
            "TaintManagerEviction",
            f"Marking for deletion Pod {namespace}/{name}",
        )
        marked = writes.update(self.store, "pods", with_condition(pod, rfc3339(self.clock.now())))
        if marked is None:
            return
        deleting, at_once = pod_deletion(marked, self.clock.now())
        if at_once:
            self.store.delete("pods", namespace, name)
        else:  # graceful: the kubelet stops the pod and deletes it
            self.store.update(
                "pods",
                namespace,
                name,
                deleting,
                expected_resource_version=sh.meta(marked).get("resourceVersion"),
            )


__all__ = ["TaintEvictionController", "eviction_delay", "no_execute_taints", "with_condition"]
