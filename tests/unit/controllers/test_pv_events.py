"""The controllers' event recorder: core v1 events, repeats counted, an LRU of keys."""

from __future__ import annotations

import pytest
from pvkit import FastClock

from seclet.controllers import events
from seclet.controllers.events import EventRecorder, object_reference
from seclet.store.memory import MemoryStore

CLAIM = {"metadata": {"name": "data", "namespace": "web", "uid": "u1", "resourceVersion": "3"}}
PV = {"metadata": {"name": "pv1", "uid": "u2", "resourceVersion": "4"}}


def test_core_v1_event_and_repeat_count() -> None:
    store = MemoryStore()
    rec = EventRecorder(store, FastClock(), "persistentvolume-controller")
    ref = object_reference(CLAIM, "PersistentVolumeClaim")
    rec.event(ref, "Normal", "FailedBinding", "m")
    rec.event(ref, "Normal", "FailedBinding", "m")
    (ev,) = store.list("events").items
    assert ev["metadata"]["namespace"] == "web"
    assert ev["metadata"]["name"].startswith("data.")
    assert ev["involvedObject"] == {"kind": "PersistentVolumeClaim", "namespace": "web",
                                    "name": "data", "uid": "u1", "apiVersion": "v1",
                                    "resourceVersion": "3"}
    assert (ev["count"], ev["source"], ev["reportingComponent"], ev["reportingInstance"]) == (
        2, {"component": "persistentvolume-controller"}, "persistentvolume-controller", ""
    )
    # a cluster-scoped object's events live in "default", its reference has no namespace
    rec.event(object_reference(PV, "PersistentVolume"), "Warning", "VolumeFailedDelete", "x")
    pv_event = next(e for e in store.list("events").items if e["reason"] == "VolumeFailedDelete")
    assert pv_event["metadata"]["namespace"] == "default"
    assert "namespace" not in pv_event["involvedObject"]


def test_forgotten_keys_start_a_new_event(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "MAX_LRU_CACHE_ENTRIES", 2)
    store = MemoryStore()
    rec = EventRecorder(store, FastClock(speed=1e9), "c")
    ref = object_reference(CLAIM, "PersistentVolumeClaim")
    for message in ("a", "b", "c", "a"):
        rec.event(ref, "Normal", "R", message)
    assert sorted(e["message"] for e in store.list("events").items) == ["a", "a", "b", "c"]
