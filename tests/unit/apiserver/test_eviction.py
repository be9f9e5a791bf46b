"""The Eviction subresource (seclet.apiserver.eviction) without PodDisruptionBudgets.

Role: upstream's refusals (name mismatch, dry-run mismatch, missing pod), the
DisruptionTarget condition, the graceful delete with the eviction's deleteOptions,
the 201 Success Status, dry run. Callers: pytest.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from seclet.apiserver.eviction import SUCCESS, evict
from seclet.apiserver.registry import Registry
from seclet.apiserver.status import APIError
from seclet.store.memory import MemoryStore

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def _registry() -> Registry:
    registry = Registry(MemoryStore(), clock=lambda: NOW)
    registry.store.create("namespaces", "", "default", {"metadata": {"name": "default"}})
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
        "spec": {"nodeName": "vm", "terminationGracePeriodSeconds": 30,
                 "containers": [{"name": "c", "image": "busybox"}]},
        "status": {"phase": "Running"},
    }
    registry.store.create("pods", "default", "p", pod)
    return registry


def _eviction(name: str = "p", **options: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "policy/v1", "kind": "Eviction",
                            "metadata": {"name": name, "namespace": "default"}}
    if options:
        body["deleteOptions"] = options
    return body


def test_eviction_marks_and_deletes_gracefully() -> None:
    registry = _registry()
    assert evict(registry, "default", "p", _eviction(gracePeriodSeconds=5), dry_run=False) == SUCCESS
    assert SUCCESS == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                       "code": 201}
    pod = registry.store.get("pods", "default", "p")
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 5
    assert pod["metadata"]["deletionTimestamp"] == "2026-01-01T00:00:05Z"
    (cond,) = pod["status"]["conditions"]
    assert cond == {
        "type": "DisruptionTarget",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
        "reason": "EvictionByEvictionAPI",
        "message": "Eviction API: evicting",
    }


def test_dry_run_and_refusals() -> None:
    registry = _registry()
    assert evict(registry, "default", "p", _eviction(), dry_run=True) == SUCCESS
    pod = registry.store.get("pods", "default", "p")
    assert "deletionTimestamp" not in pod["metadata"]
    assert "conditions" not in pod["status"]
    with pytest.raises(APIError) as err:
        evict(registry, "default", "p", _eviction("q"), dry_run=False)
    assert (err.value.status["code"], err.value.status["message"]) == (
        400, "name in URL does not match name in Eviction object"
    )
    with pytest.raises(APIError) as err:
        evict(registry, "default", "gone", _eviction("gone"), dry_run=False)
    assert (err.value.status["code"], err.value.status["message"]) == (
        404, 'pods "gone" not found'
    )
