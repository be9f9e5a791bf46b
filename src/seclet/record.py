"""Recording core v1 Events in the store: client-go's ``record`` and ``events`` recorders.

Role: the one recorder the kubelet (and its built-in scheduler) and the embedded
kube-controller-manager controllers write Events with; each package configures it
(``seclet.kubelet.events``, ``seclet.controllers.events``), neither may import the
other, so it sits below both, over the store.
- ``EventRecorder.event``: ``record.EventRecorder`` (core v1) as
  ``NewBroadcaster().NewRecorder(scheme, EventSource{Component, Host})`` gives it:
  the Event is named ``<involved name>.<hex nanoseconds>`` in the involved object's
  namespace (``default`` for cluster-scoped objects), ``source`` is the component and
  the host when there is one (``omitempty``), ``reportingComponent`` the component and
  ``reportingInstance`` the host. A repeat of the same object (kind, namespace, name,
  uid, fieldPath), type, reason and message — the EventCorrelator's key — bumps the
  stored event's ``count`` and ``lastTimestamp`` instead of creating another (kubectl
  shows ``(x3 over 40s)``); the cache of recorded keys is an LRU of ``cache_entries``
  (upstream's ``maxLruCacheEntries`` is 4096; ``None`` keeps every key until
  ``forget``).
- ``EventRecorder.action_event`` / ``series``: the events.k8s.io/v1 recorder
  (``tools/events``) as its core v1 view: ``eventTime`` and ``action`` set, no
  ``count``/``firstTimestamp``/``lastTimestamp``, source the component only,
  ``reportingInstance`` ``<component>-<host>``; a series is marked on the stored event
  by ``series`` (the caller decides when, as the scheduler does).
Writes go straight to the store (the kubelet and controllers are embedded, as in
k3s); a failed write drops the event, as the broadcaster does after its retries.
Callers: seclet.kubelet.events, seclet.controllers.events, seclet.kubelet.binder.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from seclet.clock import Clock, rfc3339, rfc3339_micro
from seclet.store.api import JSONObject, NotFoundError, Store, StoreError

NORMAL = "Normal"
WARNING = "Warning"
MAX_LRU_CACHE_ENTRIES = 4096
"""The EventCorrelator's cache size (``maxLruCacheEntries``): older keys are forgotten."""

_Key = tuple[str, str, str, str, str, str, str, str]
"""(kind, namespace, name, uid, fieldPath, type, reason, message)."""


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
    """Records events of ``component`` (on ``host``, the node name, when not empty)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        component: str,
        host: str = "",
        *,
        cache_entries: int | None = MAX_LRU_CACHE_ENTRIES,
    ) -> None:
        self.store = store
        self.clock = clock
        self.component = component
        self.host = host
        self.cache_entries = cache_entries
        self._seen: OrderedDict[_Key, tuple[str, str]] = OrderedDict()
        """EventCorrelator cache: key -> (event namespace, event name), oldest first."""

    def event(self, involved: JSONObject, type_: str, reason: str, message: str) -> None:
        """Record one core v1 event (a repeat increments the stored one's ``count``)."""
        key: _Key = (
            str(involved.get("kind", "")),
            str(involved.get("namespace", "")),
            str(involved.get("name", "")),
            str(involved.get("uid", "")),
            str(involved.get("fieldPath", "")),
            type_,
            reason,
            message,
        )
        now = self.clock.now()
        seen = self._seen.get(key)
        if seen is not None and self._bump(seen, now):
            self._seen.move_to_end(key)
            return
        source: JSONObject = {"component": self.component}
        if self.host:
            source["host"] = self.host
        created = self._create(
            involved, reason, message, source, now,
            {
                "firstTimestamp": rfc3339(now),
                "lastTimestamp": rfc3339(now),
                "count": 1,
                "type": type_,
                "eventTime": None,
                "reportingComponent": self.component,
                "reportingInstance": self.host,
            },
        )
        if created is None:
            return
        self._seen[key] = created
        self._seen.move_to_end(key)
        while self.cache_entries is not None and len(self._seen) > self.cache_entries:
            self._seen.popitem(last=False)

    def action_event(
        self, involved: JSONObject, type_: str, reason: str, action: str, message: str
    ) -> tuple[str, str] | None:
        """Record one events.k8s.io/v1 event (its core v1 view); returns its
        (namespace, name), or None when it could not be written."""
        now = self.clock.now()
        return self._create(
            involved, reason, message, {"component": self.component}, now,
            {
                "firstTimestamp": None,
                "lastTimestamp": None,
                "type": type_,
                "eventTime": rfc3339_micro(now),
                "action": action,
                "reportingComponent": self.component,
                "reportingInstance": f"{self.component}-{self.host}",
            },
        )

    def series(self, namespace: str, name: str, count: int) -> None:
        """Mark the stored events.k8s.io event ``namespace/name`` as a series of ``count``
        observed now."""
        try:
            current = self.store.get("events", namespace, name)
        except NotFoundError:
            return
        current["series"] = {"count": count, "lastObservedTime": rfc3339_micro(self.clock.now())}
        try:
            self.store.update("events", namespace, name, current)
        except StoreError:
            return

    def forget(self, uid: str) -> None:
        """Drop the aggregation entries of a deleted object."""
        for key in [k for k in self._seen if k[3] == uid]:
            del self._seen[key]

    def _create(
        self,
        involved: JSONObject,
        reason: str,
        message: str,
        source: JSONObject,
        now: float,
        rest: JSONObject,
    ) -> tuple[str, str] | None:
        """Write a new Event named after ``involved`` and ``now``; ``rest`` follows
        ``source`` in the object. Returns its (namespace, name)."""
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
            "source": source,
            **rest,
        }
        try:
            self.store.create("events", namespace, name, obj)
        except StoreError:
            return None
        return namespace, name

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
