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
  ``reportingInstance`` the host. Every event goes through client-go's
  ``EventCorrelator`` (``tools/record/events_cache.go``, its defaults): a repeat of
  the same object (kind, namespace, name, uid, apiVersion, fieldPath), type, reason
  and message bumps the stored event's ``count`` and ``lastTimestamp`` instead of
  creating another (kubectl shows ``(x3 over 40s)``); the 10th distinct message of
  similar events within 10 minutes becomes one ``(combined from similar events):``
  event; a source may record 25 events about an object, then one per 5 minutes (the
  rest are dropped, their count still kept). Its caches are LRUs of
  ``cache_entries`` keys (``maxLruCacheEntries``, 4096).
- ``EventRecorder.action_event`` / ``series``: the events.k8s.io/v1 recorder
  (``tools/events``) as its core v1 view: ``eventTime`` and ``action`` set, no
  ``count``/``firstTimestamp``/``lastTimestamp``, source the component only,
  ``reportingInstance`` ``<component>-<host>``; a series is marked on the stored event
  by ``series`` (the caller decides when, as the scheduler does).
Writes go straight to the store (the kubelet and controllers are embedded, as in
k3s); a failed write drops the event, as the broadcaster does after its retries. As
client-go's broadcaster records from its own goroutine, a core v1 event observed
inside the event loop is correlated and written once the caller yields (in order),
after what the caller's step set going (a watcher of the pod status it wrote hears
of that first), so recording never lengthens the caller's path (a pod start, a
status write).
Core v1 events carry the managedFields entry their POST/PATCH would get upstream
(manager ``kubelet``, ``kube-scheduler`` or ``kube-controller-manager``).
Callers: seclet.kubelet.events, seclet.controllers.events, seclet.kubelet.binder.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from seclet.api.managedfields import record_update
from seclet.clock import Clock, rfc3339, rfc3339_micro
from seclet.store.api import JSONObject, NotFoundError, Store, StoreError

NORMAL = "Normal"
WARNING = "Warning"
MAX_LRU_CACHE_ENTRIES = 4096
"""The EventCorrelator's cache size (``maxLruCacheEntries``): older keys are forgotten."""
AGGREGATE_MAX_EVENTS = 10
"""``defaultAggregateMaxEvents``: distinct messages of similar events before aggregating."""
AGGREGATE_INTERVAL_SECONDS = 600
"""``defaultAggregateIntervalInSeconds``: a similar event older than this starts afresh."""
AGGREGATE_PREFIX = "(combined from similar events): "
"""``EventAggregatorByReasonMessageFunc``."""
SPAM_BURST = 25
"""``defaultSpamBurst``: events a source may record about one object at once."""
SPAM_QPS = 1.0 / 300.0
"""``defaultSpamQPS``: then one more every 5 minutes."""
FIELD_MANAGERS = {"kubelet": "kubelet", "default-scheduler": "kube-scheduler"}
"""The field manager (the writing binary's User-Agent prefix) of a component's core
v1 events; the other components are kube-controller-manager's controllers."""

_K = TypeVar("_K", bound=tuple[str, ...])
_V = TypeVar("_V")


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


class _LRU(Generic[_K, _V]):
    """groupcache's ``lru.Cache``: a hit or an add makes the key the newest; past
    ``size`` keys the oldest goes (``None``: no bound)."""

    def __init__(self, size: int | None) -> None:
        self.size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()

    def get(self, key: _K) -> _V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def add(self, key: _K, value: _V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while self.size is not None and len(self._items) > self.size:
            self._items.popitem(last=False)

    def drop_uid(self, uid: str) -> None:
        for key in [k for k in self._items if k[0] == uid]:
            del self._items[key]


@dataclass(slots=True)
class _TokenBucket:
    """``flowcontrol.NewTokenBucketRateLimiter`` (golang.org/x/time/rate): starts full
    with ``burst`` tokens, refills ``qps`` per second up to ``burst``; ``try_accept``
    takes one when there is one (a refusal changes nothing)."""

    tokens: float
    last: float

    def try_accept(self, now: float) -> bool:
        tokens = min(float(SPAM_BURST), self.tokens + max(0.0, now - self.last) * SPAM_QPS)
        if tokens < 1:
            return False
        self.tokens = tokens - 1
        self.last = now
        return True


@dataclass(slots=True)
class _Similar:
    """``aggregateRecord``: the distinct messages of similar events, and the last time."""

    messages: set[str]
    last: float


@dataclass(frozen=True, slots=True)
class _Observed:
    """``eventLog``: the count so far, the first timestamp and the stored event."""

    count: int
    first: float
    namespace: str
    name: str


class EventRecorder:
    """Records events of ``component`` (on ``host``, the node name, when not empty),
    through client-go's ``EventCorrelator`` (``NewEventCorrelator`` defaults)."""

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
        self.manager = FIELD_MANAGERS.get(component, "kube-controller-manager")
        self._observed: _LRU[tuple[str, ...], _Observed] = _LRU(cache_entries)
        """``eventLogger``: event key (or aggregate key) -> the last observation."""
        self._similar: _LRU[tuple[str, ...], _Similar] = _LRU(cache_entries)
        """``EventAggregator``: aggregate key -> the messages seen in the interval."""
        self._spam: _LRU[tuple[str, ...], _TokenBucket] = _LRU(cache_entries)
        """``EventSourceObjectSpamFilter``: source + object -> its token bucket."""
        self._pending: deque[tuple[JSONObject, str, str, str, float]] = deque()
        """Events observed inside the loop, not recorded yet (``event``)."""

    def event(self, involved: JSONObject, type_: str, reason: str, message: str) -> None:
        """Record one core v1 event observed now: inside an event loop, queued and
        recorded once the caller yields (as client-go's broadcaster records from its
        own goroutine, off the caller's path), in the order they came; elsewhere at
        once."""
        now = self.clock.now()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._record(dict(involved), type_, reason, message, now)
            return
        if not self._pending:
            # two hops: the drain runs after the callbacks the caller's step scheduled
            # (a watcher woken by the caller's next write hears of it first)
            loop.call_soon(loop.call_soon, self._drain)
        self._pending.append((dict(involved), type_, reason, message, now))

    def _drain(self) -> None:
        while self._pending:
            self._record(*self._pending.popleft())

    def _record(
        self, involved: JSONObject, type_: str, reason: str, message: str, now: float
    ) -> None:
        """Record one core v1 event, as ``recordToSink`` does with ``EventCorrelate``.

        Steps:
        1. aggregate (``EventAggregate``): the 10th distinct message of similar events
           (same source, object, type and reason) within 600 s of the last one makes
           an aggregate event instead — its own name, message
           ``(combined from similar events): <message>``, no reporting fields —
           whose cache key is the aggregate key, so later ones update it;
        2. observe (``eventObserve``): a key seen before takes that event's name, first
           timestamp and count + 1 (also when step 3 then drops it);
        3. spam filter: a source may record 25 events about an object, then one per
           5 minutes; the rest are dropped;
        4. write: a count of 1 creates the event, a higher one patches the stored
           one's count, lastTimestamp and message (created again if it is gone);
           the written event's own key then remembers it (``UpdateState``).
        """
        uid = str(involved.get("uid", ""))
        obj = (
            str(involved.get("kind", "")),
            str(involved.get("namespace", "")),
            str(involved.get("name", "")),
            str(involved.get("apiVersion", "")),
        )
        source = (self.component, self.host)
        field_path = str(involved.get("fieldPath", ""))
        # 1. aggregate
        event_key = (uid, *source, *obj, field_path, type_, reason, message)
        similar_key = (uid, *source, *obj, type_, reason, self.component, self.host)
        similar = self._similar.get(similar_key)
        if similar is None or now - similar.last > AGGREGATE_INTERVAL_SECONDS:
            similar = _Similar(set(), now)
        similar.messages.add(message)
        similar.last = now
        self._similar.add(similar_key, similar)
        aggregate = len(similar.messages) >= AGGREGATE_MAX_EVENTS
        key = event_key
        if aggregate:
            similar.messages.pop()
            message = AGGREGATE_PREFIX + message
            key = similar_key
        # 2. observe
        namespace = str(involved.get("namespace") or "default")
        name = f"{involved.get('name', '')}.{int(now * 1e9):x}"
        first, count = now, 1
        seen = self._observed.get(key)
        if seen is not None:
            namespace, name, first, count = seen.namespace, seen.name, seen.first, seen.count + 1
        self._observed.add(key, _Observed(count, first, namespace, name))
        # 3. spam filter
        spam_key = (uid, *source, *obj)
        bucket = self._spam.get(spam_key) or _TokenBucket(float(SPAM_BURST), now)
        accepted = bucket.try_accept(now)
        self._spam.add(spam_key, bucket)
        if not accepted:
            return
        # 4. write
        if count > 1 and self._patch(namespace, name, count, now, message):
            written = True
        else:
            source_obj: JSONObject = {"component": self.component}
            if self.host:
                source_obj["host"] = self.host
            rest: JSONObject = {
                "firstTimestamp": rfc3339(first),
                "lastTimestamp": rfc3339(now),
                "count": count,
                "type": type_,
                "eventTime": None,
                "reportingComponent": "" if aggregate else self.component,
                "reportingInstance": "" if aggregate else self.host,
            }
            written = (
                self._create(involved, reason, message, source_obj, now, rest, name=name)
                is not None
            )
        if written:
            # UpdateState: under the written event's own key (its message may be the
            # aggregate's, so not ``key``)
            state_key = event_key if not aggregate else (*event_key[:-1], message)
            self._observed.add(state_key, _Observed(count, first, namespace, name))

    def action_event(
        self, involved: JSONObject, type_: str, reason: str, action: str, message: str
    ) -> tuple[str, str] | None:
        """Record one events.k8s.io/v1 event (its core v1 view); returns its
        (namespace, name), or None when it could not be written."""
        now = self.clock.now()
        return self._create(
            involved,
            reason,
            message,
            {"component": self.component},
            now,
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
        """Drop the correlator's entries about a deleted object (its uid never comes
        back, so nothing observable changes; the caches just stay small)."""
        self._observed.drop_uid(uid)
        self._similar.drop_uid(uid)
        self._spam.drop_uid(uid)

    def _create(
        self,
        involved: JSONObject,
        reason: str,
        message: str,
        source: JSONObject,
        now: float,
        rest: JSONObject,
        *,
        name: str = "",
    ) -> tuple[str, str] | None:
        """Write a new Event named ``name`` (default: after ``involved`` and ``now``);
        ``rest`` follows ``source`` in the object. Returns its (namespace, name)."""
        namespace = involved.get("namespace") or "default"
        name = name or f"{involved.get('name', '')}.{int(now * 1e9):x}"
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
        if "action" not in rest:
            # A core v1 Event POSTed by the component (events.k8s.io ones are left out).
            record_update(None, obj, manager=self.manager, now=now)
        try:
            self.store.create("events", namespace, name, obj)
        except StoreError:
            return None
        return namespace, name

    def _patch(self, namespace: str, name: str, count: int, now: float, message: str) -> bool:
        """The correlator's patch of a repeat: ``count``, ``lastTimestamp``, ``message``.
        False when the stored event is gone (or the write failed)."""
        try:
            current = self.store.get("events", namespace, name)
        except NotFoundError:
            return False
        live = {**current, "metadata": dict(current.get("metadata") or {})}
        current["count"] = count
        current["lastTimestamp"] = rfc3339(now)
        current["message"] = message
        record_update(live, current, manager=self.manager, now=now)
        try:
            self.store.update("events", namespace, name, current)
        except StoreError:
            return False
        return True
