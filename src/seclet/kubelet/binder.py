"""The single node's scheduler: bind every unscheduled pod to this node.

Role: seclet has one node, so "scheduling" is binding: a pod with an empty
``spec.nodeName`` (and no scheduling gates) gets ``spec.nodeName`` set, a
``PodScheduled=True`` condition, and the ``Scheduled`` event from
``default-scheduler``: ``Successfully assigned <ns>/<pod> to <node>``.
Steps of ``bind``: 1. skip bound, gated or deleting pods; 2. update the pod with the
node name and condition (retry on conflict with the fresh object); 3. emit the event.
Callers: seclet.kubelet.kubelet (on every pod watch event).
"""

from __future__ import annotations

from seclet.kubelet.clock import Clock, rfc3339
from seclet.kubelet.events import EventRecorder, pod_reference
from seclet.store.api import ConflictError, JSONObject, NotFoundError, Store

SCHEDULER_NAME = "default-scheduler"


def needs_binding(pod: JSONObject) -> bool:
    spec = pod.get("spec") or {}
    meta = pod.get("metadata") or {}
    if spec.get("nodeName") or spec.get("schedulingGates") or meta.get("deletionTimestamp"):
        return False
    scheduler = spec.get("schedulerName") or SCHEDULER_NAME
    return scheduler == SCHEDULER_NAME


def bound(pod: JSONObject, node_name: str, now: float) -> JSONObject:
    """The pod as the binding subresource leaves it (pure)."""
    out = dict(pod)
    out["spec"] = dict(pod.get("spec") or {})
    out["spec"]["nodeName"] = node_name
    status = dict(pod.get("status") or {})
    conditions = [c for c in status.get("conditions") or () if c.get("type") != "PodScheduled"]
    conditions.append(
        {
            "type": "PodScheduled",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": rfc3339(now),
        }
    )
    status["conditions"] = conditions
    out["status"] = status
    return out


class Binder:
    def __init__(self, store: Store, clock: Clock, node_name: str) -> None:
        self.store = store
        self.clock = clock
        self.node_name = node_name
        self.recorder = EventRecorder(store, clock, SCHEDULER_NAME, node_name)

    def bind(self, pod: JSONObject) -> JSONObject | None:
        """Bind ``pod`` if it needs it; return the stored bound pod (None otherwise)."""
        meta = pod.get("metadata") or {}
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        for _ in range(5):
            if not needs_binding(pod):
                return None
            try:
                stored = self.store.update(
                    "pods",
                    namespace,
                    name,
                    bound(pod, self.node_name, self.clock.now()),
                    expected_resource_version=meta.get("resourceVersion"),
                )
            except ConflictError:
                try:
                    pod = self.store.get("pods", namespace, name)
                except NotFoundError:
                    return None
                meta = pod.get("metadata") or {}
                continue
            except NotFoundError:
                return None
            self.recorder.scheduler_event(
                pod_reference(stored),
                "Scheduled",
                f"Successfully assigned {namespace}/{name} to {self.node_name}",
            )
            return stored
        return None
