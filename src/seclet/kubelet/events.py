"""Events the kubelet (and its built-in binder) records, as core v1 ``events`` objects.

Role: client-go's ``record.EventRecorder`` for one component: builds the Event
(``<involved>.<hex nanoseconds>`` name, involvedObject with ``fieldPath``
``spec.containers{c}`` / ``spec.initContainers{c}``, ``source`` component/host,
``count``/``firstTimestamp``/``lastTimestamp``), and aggregates repeats as the
EventCorrelator's logger does: the same object, type, reason and message within the
correlation window bump ``count`` and ``lastTimestamp`` of the stored event.
Writes go straight to the store (the kubelet is an embedded agent).
Callers: seclet.kubelet.worker, .images, .binder, .kubelet.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from seclet.kubelet.clock import Clock, rfc3339, rfc3339_micro
from seclet.store.api import JSONObject, NotFoundError, Store, StoreError

NORMAL = "Normal"
WARNING = "Warning"


def pod_reference(pod: JSONObject, field_path: str = "") -> JSONObject:
    """``ObjectReference`` of a pod (``GenerateContainerRef`` when ``field_path``)."""
    meta = pod.get("metadata") or {}
    ref: JSONObject = {
        "kind": "Pod",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": "v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if field_path:
        ref["fieldPath"] = field_path
    return ref


def container_field_path(pod: JSONObject, name: str) -> str:
    spec = pod.get("spec") or {}
    for c in spec.get("initContainers") or ():
        if c.get("name") == name:
            return f"spec.initContainers{{{name}}}"
    return f"spec.containers{{{name}}}"


@dataclass(frozen=True, slots=True)
class _Key:
    kind: str
    namespace: str
    name: str
    uid: str
    field_path: str
    type: str
    reason: str
    message: str


class EventRecorder:
    """Records events for ``component`` on ``host`` (the node name)."""

    def __init__(self, store: Store, clock: Clock, component: str, host: str) -> None:
        self.store = store
        self.clock = clock
        self.component = component
        self.host = host
        self._seen: dict[_Key, tuple[str, str]] = {}
        """Aggregation cache: key -> (namespace, event name)."""

    def event(self, involved: JSONObject, type_: str, reason: str, message: str) -> None:
        """Record one event; a repeat of a recorded one increments its ``count``."""
        key = _Key(
            involved.get("kind", ""),
            involved.get("namespace", ""),
            involved.get("name", ""),
            involved.get("uid", ""),
            involved.get("fieldPath", ""),
            type_,
            reason,
            message,
        )
        now = self.clock.now()
        seen = self._seen.get(key)
        if seen is not None and self._bump(seen, now):
            return
        namespace = involved.get("namespace") or "default"
        name = f"{involved.get('name', '')}.{int(now * 1e9):x}"
        obj: JSONObject = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": str(uuid.uuid4()),
                "creationTimestamp": rfc3339(now),
            },
            "involvedObject": dict(involved),
            "reason": reason,
            "message": message,
            "source": {"component": self.component, "host": self.host},
            "firstTimestamp": rfc3339(now),
            "lastTimestamp": rfc3339(now),
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        try:
            self.store.create("events", namespace, name, obj)
        except StoreError:
            return
        self._seen[key] = (namespace, name)

    def _bump(self, seen: tuple[str, str], now: float) -> bool:
        namespace, name = seen
        try:
            current = self.store.get("events", namespace, name)
        except NotFoundError:
            return False
        current["count"] = int(current.get("count") or 1) + 1
        current["lastTimestamp"] = rfc3339(now)
        try:
            self.store.update("events", namespace, name, current)
        except StoreError:
            return False
        return True

    def scheduler_event(self, involved: JSONObject, reason: str, message: str) -> None:
        """An events.k8s.io/v1-style event of ``default-scheduler`` (as its core v1 view:
        ``eventTime`` set, no ``count``/``firstTimestamp``)."""
        now = self.clock.now()
        namespace = involved.get("namespace") or "default"
        name = f"{involved.get('name', '')}.{int(now * 1e9):x}"
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": str(uuid.uuid4()),
                "creationTimestamp": rfc3339(now),
            },
            "involvedObject": dict(involved),
            "reason": reason,
            "message": message,
            "source": {"component": self.component},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "type": NORMAL,
            "eventTime": rfc3339_micro(now),
            "action": "Binding",
            "reportingComponent": self.component,
            "reportingInstance": f"{self.component}-{self.host}",
        }
        try:
            self.store.create("events", namespace, name, obj)
        except StoreError:
            return

    def forget(self, uid: str) -> None:
        """Drop the aggregation entries of a deleted pod."""
        for key in [k for k in self._seen if k.uid == uid]:
            del self._seen[key]
