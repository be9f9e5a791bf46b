"""Graceful pod deletion in the registry: upstream's BeforeDelete, step by step.

Role: unit tests of ``Registry.delete_pod`` over the in-memory store with a fixed
clock: the deletion stamp of a bound pod, a shorter grace taking over, a longer one
ignored, grace 0 finishing it, unbound and terminal pods going at once (after the
stamping update), dry runs, preconditions, and ``pods/status`` updates.
Callers: pytest.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from seclet.apiserver.registry import Registry
from seclet.apiserver.status import APIError
from seclet.store.api import NotFoundError
from seclet.store.memory import MemoryStore

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def registry() -> Registry:
    reg = Registry(MemoryStore(), clock=lambda: T0)
    reg.bootstrap()
    return reg


def _pod(registry: Registry, name: str, node: str = "n1", phase: str = "Running") -> None:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    pod = registry.create_pod(
        "default", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}
    ).object
    pod["status"]["phase"] = phase
    registry.store.update("pods", "default", name, pod)


def _meta(registry: Registry, name: str) -> dict[str, Any]:
    meta: dict[str, Any] = registry.store.get("pods", "default", name)["metadata"]
    return meta


def test_bound_pod_is_stamped_then_only_shortened(registry: Registry) -> None:
    _pod(registry, "p")
    out = registry.delete_pod("default", "p", {}).object["metadata"]
    assert (out["deletionTimestamp"], out["deletionGracePeriodSeconds"]) == (
        "2026-01-01T00:00:30Z",
        30,
    )
    assert out["generation"] == 2
    longer = registry.delete_pod("default", "p", {"gracePeriodSeconds": 60}).object["metadata"]
    assert longer["deletionGracePeriodSeconds"] == 30
    shorter = registry.delete_pod("default", "p", {"gracePeriodSeconds": 5}).object["metadata"]
    assert (shorter["deletionTimestamp"], shorter["deletionGracePeriodSeconds"]) == (
        "2026-01-01T00:00:05Z",
        5,
    )
    assert _meta(registry, "p")["deletionGracePeriodSeconds"] == 5
    registry.delete_pod("default", "p", {"gracePeriodSeconds": 0})
    with pytest.raises(NotFoundError):
        registry.store.get("pods", "default", "p")


def test_negative_grace_is_one_second(registry: Registry) -> None:
    _pod(registry, "p")
    out = registry.delete_pod("default", "p", {"gracePeriodSeconds": -5}).object["metadata"]
    assert (out["deletionTimestamp"], out["deletionGracePeriodSeconds"]) == (
        "2026-01-01T00:00:01Z",
        1,
    )


@pytest.mark.parametrize(
    ("node", "phase"), [("", "Pending"), ("n1", "Succeeded"), ("n1", "Failed")]
)
def test_unbound_or_terminal_pods_go_at_once(registry: Registry, node: str, phase: str) -> None:
    _pod(registry, "p", node=node, phase=phase)
    out = registry.delete_pod("default", "p", {}).object["metadata"]
    assert (out["deletionTimestamp"], out["deletionGracePeriodSeconds"]) == (
        "2026-01-01T00:00:00Z",
        0,
    )
    assert registry.store.list("pods", "default").items == []


def test_dry_run_changes_nothing(registry: Registry) -> None:
    _pod(registry, "p")
    out = registry.delete_pod("default", "p", {"dryRun": ["All"]}).object["metadata"]
    assert out["deletionGracePeriodSeconds"] == 30
    assert "deletionTimestamp" not in _meta(registry, "p")


def test_uid_precondition(registry: Registry) -> None:
    _pod(registry, "p")
    with pytest.raises(APIError) as info:
        registry.delete_pod("default", "p", {"preconditions": {"uid": "other"}})
    assert info.value.status["message"].startswith(
        'Operation cannot be fulfilled on pods "p": Precondition failed: UID in precondition: '
        "other, UID in object meta: "
    )


def test_status_update_keeps_spec_and_refuses_leaving_terminated(registry: Registry) -> None:
    _pod(registry, "p")
    pod = registry.store.get("pods", "default", "p")
    pod["spec"]["restartPolicy"] = "Never"
    registry.store.update("pods", "default", "p", pod)
    pod = registry.store.get("pods", "default", "p")
    pod["status"]["containerStatuses"] = [{"name": "c", "state": {"terminated": {"exitCode": 0}}}]
    pod["spec"]["activeDeadlineSeconds"] = 5
    updated = registry.update_pod_status("default", "p", pod).object
    assert "activeDeadlineSeconds" not in updated["spec"]
    assert updated["status"]["qosClass"] == "BestEffort"
    updated["status"]["containerStatuses"] = [{"name": "c", "state": {"running": {}}}]
    with pytest.raises(APIError) as info:
        registry.update_pod_status("default", "p", updated)
    assert info.value.status["message"] == (
        'Pod "p" is invalid: status.containerStatuses[0].state: Forbidden: may not be '
        "transitioned to non-terminated state"
    )
