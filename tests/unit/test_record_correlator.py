"""The event recorder correlates as client-go's EventCorrelator with its defaults.

Role: unit tests of ``seclet.record.EventRecorder.event`` over a ``MemoryStore`` and a
hand-set clock, against ``tools/record/events_cache.go`` (and its tests'
expectations): repeats bump ``count`` on the first event, the 10th distinct message
of similar events within 600 s becomes ``(combined from similar events): ...``
(without reporting fields) and later ones update that event, a gap of more than
600 s starts afresh, 25 events per source and object then one per 300 s, counts
kept across dropped repeats, and the LRU bound.
Callers: pytest.
"""

from __future__ import annotations

from typing import Any

from seclet import record
from seclet.clock import rfc3339
from seclet.store.memory import MemoryStore

T0 = 1_790_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


def _pod(name: str = "p", uid: str = "u1") -> dict[str, Any]:
    return {"kind": "Pod", "namespace": "ns", "name": name, "uid": uid, "apiVersion": "v1"}


def _events(store: MemoryStore) -> list[dict[str, Any]]:
    items = store.list("events", "ns").items
    return sorted(items, key=lambda e: e["metadata"]["name"])


def _recorder(store: MemoryStore, clock: Clock, **kw: Any) -> record.EventRecorder:
    return record.EventRecorder(store, clock, "kubelet", "node1", **kw)


def test_a_repeat_bumps_count_and_last_timestamp_of_the_first_event() -> None:
    store, clock = MemoryStore(), Clock()
    rec = _recorder(store, clock)
    rec.event(_pod(), "Warning", "BackOff", "Back-off restarting failed container")
    clock.t += 40
    rec.event(_pod(), "Warning", "BackOff", "Back-off restarting failed container")
    [event] = _events(store)
    assert event["count"] == 2
    assert event["firstTimestamp"] == rfc3339(T0)
    assert event["lastTimestamp"] == rfc3339(T0 + 40)
    assert event["metadata"]["name"] == f"p.{int(T0 * 1e9):x}"
    assert (event["reportingComponent"], event["reportingInstance"]) == ("kubelet", "node1")


def test_the_tenth_distinct_message_is_aggregated() -> None:
    store, clock = MemoryStore(), Clock()
    rec = _recorder(store, clock)
    for i in range(9):
        clock.t += 1
        rec.event(_pod(), "Warning", "Unhealthy", f"Liveness probe failed: {i}")
    assert len(_events(store)) == 9
    clock.t += 1
    rec.event(_pod(), "Warning", "Unhealthy", "Liveness probe failed: 9")
    events = _events(store)
    assert len(events) == 10
    [combined] = [e for e in events if e["message"].startswith("(combined")]
    assert combined["message"] == "(combined from similar events): Liveness probe failed: 9"
    assert combined["count"] == 1
    assert combined["reportingComponent"] == ""
    assert combined["reportingInstance"] == ""
    assert combined["source"] == {"component": "kubelet", "host": "node1"}
    # later similar events update the aggregate (count, lastTimestamp, message)
    clock.t += 5
    rec.event(_pod(), "Warning", "Unhealthy", "Liveness probe failed: 10")
    events = _events(store)
    assert len(events) == 10
    [combined] = [e for e in events if e["message"].startswith("(combined")]
    assert combined["count"] == 2
    assert combined["message"] == "(combined from similar events): Liveness probe failed: 10"
    assert combined["lastTimestamp"] == rfc3339(clock.t)


def test_similar_events_far_apart_are_not_aggregated() -> None:
    store, clock = MemoryStore(), Clock()
    rec = _recorder(store, clock)
    for i in range(12):
        clock.t += 601
        rec.event(_pod(), "Warning", "Unhealthy", f"Liveness probe failed: {i}")
    assert not [e for e in _events(store) if e["message"].startswith("(combined")]
    assert len(_events(store)) == 12


def test_a_source_may_record_25_events_about_an_object_then_one_per_5_minutes() -> None:
    store, clock = MemoryStore(), Clock()
    rec = _recorder(store, clock)
    for i in range(30):
        clock.t += 0.001  # event names carry the time
        rec.event(_pod(), "Normal", f"R{i}", "m")  # distinct reasons: no aggregation
    assert len(_events(store)) == 25
    clock.t += 299
    rec.event(_pod(), "Normal", "Late", "m")
    assert len(_events(store)) == 25
    clock.t += 1
    rec.event(_pod(), "Normal", "Later", "m")
    assert len(_events(store)) == 26
    # another object, or another source, has its own budget
    clock.t += 0.001
    rec.event(_pod("q", "u2"), "Normal", "R0", "m")
    clock.t += 0.001
    _recorder(store, clock).event(_pod(), "Normal", "R0", "another recorder's own cache")
    clock.t += 0.001
    other = record.EventRecorder(store, clock, "default-scheduler", "node1")
    other.event(_pod(), "Normal", "Scheduled", "x")
    assert len(_events(store)) == 29


def test_dropped_repeats_still_count() -> None:
    store, clock = MemoryStore(), Clock()
    rec = _recorder(store, clock)
    for _ in range(30):
        rec.event(_pod(), "Warning", "BackOff", "Back-off")
    [event] = _events(store)
    assert event["count"] == 25
    clock.t += 300
    rec.event(_pod(), "Warning", "BackOff", "Back-off")
    [event] = _events(store)
    assert event["count"] == 31  # the five dropped ones were observed


def test_a_deleted_event_is_created_again_with_its_name_and_count() -> None:
    store, clock = MemoryStore(), Clock()
    rec = _recorder(store, clock)
    rec.event(_pod(), "Normal", "Pulled", "m")
    [event] = _events(store)
    store.delete("events", "ns", event["metadata"]["name"])
    clock.t += 3
    rec.event(_pod(), "Normal", "Pulled", "m")
    [again] = _events(store)
    assert again["metadata"]["name"] == event["metadata"]["name"]
    assert again["count"] == 2
    assert again["firstTimestamp"] == rfc3339(T0)


def test_the_caches_are_bounded() -> None:
    store, clock = MemoryStore(), Clock()
    rec = _recorder(store, clock, cache_entries=2)
    for uid in ("a", "b", "c"):
        clock.t += 0.001
        rec.event(_pod(uid, uid), "Normal", "R", "m")
    clock.t += 1
    rec.event(_pod("a", "a"), "Normal", "R", "m")  # "a" was evicted: a new event
    assert len([e for e in _events(store) if e["involvedObject"]["uid"] == "a"]) == 2


def test_forget_drops_an_object_entries() -> None:
    store, clock = MemoryStore(), Clock()
    rec = _recorder(store, clock)
    for i in range(25):
        clock.t += 0.001
        rec.event(_pod(), "Normal", f"R{i}", "m")
    rec.forget("u1")
    clock.t += 0.001
    rec.event(_pod(), "Normal", "R0", "m")
    assert len(_events(store)) == 26
