"""The node Lease: its shape, creation, renewal and owner reference.

Callers: pytest.
"""

from __future__ import annotations

from typing import Any

from seclet.kubelet.nodelease import NodeLeaseController, lease_for, renew_interval
from seclet.store.memory import MemoryStore

T0 = 1_795_000_000.25  # 2026-11-18T11:06:40.250000Z


class StepClock:
    def __init__(self, now: float) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


def test_renew_interval_is_a_quarter_of_the_duration() -> None:
    assert renew_interval(40, 0.25) == 10.0


def test_new_lease_shape() -> None:
    lease = lease_for("node1", "n-uid", T0)
    lease["metadata"]["uid"] = "L"
    assert lease == {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": "node1",
            "namespace": "kube-node-lease",
            "uid": "L",
            "creationTimestamp": "2026-11-18T11:06:40Z",
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": "node1", "uid": "n-uid"}
            ],
        },
        "spec": {
            "holderIdentity": "node1",
            "leaseDurationSeconds": 40,
            "renewTime": "2026-11-18T11:06:40.250000Z",
        },
    }


def test_renewal_keeps_the_lease_and_its_owner() -> None:
    base: dict[str, Any] = {
        "metadata": {
            "name": "node1",
            "namespace": "kube-node-lease",
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "node1", "uid": "a"}],
        },
        "spec": {"holderIdentity": "node1", "leaseDurationSeconds": 40, "renewTime": "x"},
    }
    renewed = lease_for("node1", "b", T0 + 10, base)
    assert renewed["spec"]["renewTime"] == "2026-11-18T11:06:50.250000Z"
    assert renewed["metadata"]["ownerReferences"][0]["uid"] == "a"
    assert base["spec"]["renewTime"] == "x"  # not mutated


def test_no_owner_until_the_node_exists() -> None:
    lease = lease_for("node1", "", T0)
    assert "ownerReferences" not in lease["metadata"]
    assert lease_for("node1", "n", T0, lease)["metadata"]["ownerReferences"] == [
        {"apiVersion": "v1", "kind": "Node", "name": "node1", "uid": "n"}
    ]


def test_controller_creates_then_renews() -> None:
    store = MemoryStore()
    store.create("nodes", "", "node1", {"metadata": {"name": "node1", "uid": "n-uid"}})
    clock = StepClock(T0)
    controller = NodeLeaseController(store, clock, "node1")
    assert controller.interval == 10.0
    first = controller.sync()
    assert first is not None
    stored = store.get("leases", "kube-node-lease", "node1")
    assert stored["spec"] == {
        "holderIdentity": "node1",
        "leaseDurationSeconds": 40,
        "renewTime": "2026-11-18T11:06:40.250000Z",
    }
    assert stored["metadata"]["ownerReferences"] == [
        {"apiVersion": "v1", "kind": "Node", "name": "node1", "uid": "n-uid"}
    ]
    clock.t += 10
    controller.sync()
    renewed = store.get("leases", "kube-node-lease", "node1")
    assert renewed["spec"]["renewTime"] == "2026-11-18T11:06:50.250000Z"
    assert renewed["metadata"]["uid"] == stored["metadata"]["uid"]
    assert int(renewed["metadata"]["resourceVersion"]) > int(stored["metadata"]["resourceVersion"])
    # the kubelet's managedFields entry, renewed with each write (as on a real node)
    fields_v1 = {
        "f:metadata": {"f:ownerReferences": {".": {}, 'k:{"uid":"n-uid"}': {}}},
        "f:spec": {"f:holderIdentity": {}, "f:leaseDurationSeconds": {}, "f:renewTime": {}},
    }
    assert renewed["metadata"]["managedFields"] == [
        {
            "manager": "kubelet",
            "operation": "Update",
            "apiVersion": "coordination.k8s.io/v1",
            "time": "2026-11-18T11:06:50Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": fields_v1,
        }
    ]
