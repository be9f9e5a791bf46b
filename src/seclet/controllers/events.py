"""Events of kube-controller-manager's controllers, as core v1 ``events`` in the store.

Role: client-go's ``record.EventRecorder`` as a controller gets it from
``NewBroadcaster().NewRecorder(scheme, EventSource{Component: ...})``: the Event is
named ``<involved name>.<hex nanoseconds>`` in the involved object's namespace
(``default`` for cluster-scoped ones such as PersistentVolumes), with
``source.component`` set and no host, ``reportingComponent`` the component and
``reportingInstance`` empty; a repeat of the same object, type, reason and message
(the EventCorrelator's key) bumps the stored event's ``count`` and
``lastTimestamp`` instead of creating another (kubectl shows ``(x3 over 40s)``); the
cache of recorded keys is an LRU of 4096 entries, as upstream's.
Writes go straight to the store (the controllers are embedded, as in k3s).
Callers: seclet.controllers.pv_binder, .local_path, .protection.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from seclet.controllers.clock import Clock, rfc3339
from seclet.store.api import JSONObject, NotFoundError, Store, StoreError

NORMAL = "Normal"
WARNING = "Warning"
MAX_LRU_CACHE_ENTRIES = 4096
"""The EventCorrelator's cache size (``maxLruCacheEntries``): older keys are forgotten."""


def object_reference(obj: Mapping[str, Any], kind: str) -> JSONObject:
    """``reference.GetReference`` of a core v1 object of ``kind``."""
    m = obj.get("metadata") or {}
    ref: JSONObject = {"kind": kind}
    if m.get("namespace"):
        ref["namespace"] = m["namespace"]
    ref.update(
        {
            "name": m.get("name", ""),
            "uid": m.get("uid", ""),
            "apiVersion": "v1",
            "resourceVersion": m.get("resourceVersion", ""),
        }
    )
    return ref


class EventRecorder:
    """Records core v1 events from ``component``."""

    def __init__(self, store: Store, clock: Clock, component: str) -> None:
        self.store = store
        self.clock = clock
        self.component = component
        self._seen: OrderedDict[tuple[str, str, str, str, str, str, str], tuple[str, str]] = (
            OrderedDict()
        )
        """EventCorrelator LRU cache: (kind, namespace, name, uid, type, reason, message)
        -> (event namespace, event name)."""

    def event(self, involved: JSONObject, type_: str, reason: str, message: str) -> None:
        """Record one event (a repeat increments the stored one's ``count``)."""
        key = (
            str(involved.get("kind", "")),
            str(involved.get("namespace", "")),
            str(involved.get("name", "")),
            str(involved.get("uid", "")),
            type_,
            reason,
            message,
        )
        now = self.clock.now()
        seen = self._seen.get(key)
        if seen is not None and self._bump(seen, now):
            self._seen.move_to_end(key)
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
            "source": {"component": self.component},
            "firstTimestamp": rfc3339(now),
            "lastTimestamp": rfc3339(now),
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": "",
        }
        try:
            self.store.create("events", namespace, name, obj)
        except StoreError:
            return
        self._seen[key] = (namespace, name)
        self._seen.move_to_end(key)
        while len(self._seen) > MAX_LRU_CACHE_ENTRIES:
            self._seen.popitem(last=False)

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
