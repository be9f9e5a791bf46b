"""The garbage collector (k/k pkg/controller/garbagecollector): classifying owner
references, the decision, and the loop (orphans at start, dependents of a deleted
owner, dangling references removed beside solid ones)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pvkit import Cluster, gone, wait_for

from seclet.controllers.garbagecollector import (
    DANGLING,
    SOLID,
    UNKNOWN,
    Decision,
    GarbageCollector,
    classify,
    decide,
    pod_deletion,
)

JSON = dict[str, Any]


def ref(kind: str, name: str, uid: str, api_version: str = "v1") -> JSON:
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid}


def test_classify() -> None:
    pod = {"metadata": {"name": "p", "uid": "u1"}}
    assert classify(ref("Pod", "p", "u1"), "default", pod) == SOLID
    assert classify(ref("Pod", "p", "u1"), "default", None) == DANGLING
    # Same name, another object: the owner is gone.
    assert classify(ref("Pod", "p", "old"), "default", pod) == DANGLING
    assert classify(ref("ReplicaSet", "rs", "u", "apps/v1"), "default", None) == UNKNOWN
    # A cluster-scoped dependent cannot name a namespaced owner.
    assert classify(ref("Pod", "p", "u1"), "", None) == UNKNOWN
    assert classify(ref("Node", "n", "u9"), "", None) == DANGLING


def test_decide() -> None:
    a, b = ref("Pod", "a", "1"), ref("Pod", "b", "2")
    assert decide([], []) == Decision()
    assert decide([a], [SOLID]) == Decision()
    assert decide([a], [DANGLING]) == Decision(delete=True)
    assert decide([a, b], [DANGLING, DANGLING]) == Decision(delete=True)
    assert decide([a, b], [DANGLING, SOLID]) == Decision(keep_refs=(b,))
    assert decide([a, b], [DANGLING, UNKNOWN]) == Decision()


def config_map(name: str, *refs: JSON) -> JSON:
    body: JSON = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": name, "namespace": "default"}, "data": {"k": "v"}}
    if refs:
        body["metadata"]["ownerReferences"] = list(refs)
    return body


def test_orphans_at_start_and_dependents_of_deleted_owners(tmp_path: Path) -> None:
    asyncio.run(_orphans(tmp_path))


async def _orphans(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path)
    cluster.manager.controllers.append(GarbageCollector(cluster.store, cluster.clock))
    store = cluster.store
    owner = cluster.create_pod({"metadata": {"name": "owner"}, "spec": {"containers": []}})
    owner_ref = ref("Pod", "owner", owner["metadata"]["uid"])
    other = cluster.create_pod({"metadata": {"name": "other"}, "spec": {"containers": []}})
    other_ref = ref("Pod", "other", other["metadata"]["uid"])
    store.create("configmaps", "default", "orphan", config_map("orphan", ref("Pod", "x", "9")))
    store.create("configmaps", "default", "owned", config_map("owned", owner_ref))
    store.create("configmaps", "default", "shared", config_map("shared", owner_ref, other_ref))
    store.create("configmaps", "default", "free", config_map("free"))
    store.create("configmaps", "default", "rs", config_map(
        "rs", ref("ReplicaSet", "rs", "7", "apps/v1"), ref("Pod", "x", "9")))
    async with cluster:
        await wait_for(lambda: gone(cluster, "configmaps", "orphan", "default"))
        await cluster.manager.drain()
        assert not gone(cluster, "configmaps", "owned", "default")
        store.delete("pods", "default", "owner")
        await wait_for(lambda: gone(cluster, "configmaps", "owned", "default"))
        shared = await wait_for(
            lambda: (m := cluster.get("configmaps", "shared", "default"))["metadata"][
                "ownerReferences"] == [other_ref] and m
        )
        assert shared["data"] == {"k": "v"}
        await cluster.manager.drain()
        assert not gone(cluster, "configmaps", "free", "default")
        rs = cluster.get("configmaps", "rs", "default")
        assert len(rs["metadata"]["ownerReferences"]) == 2


def test_a_claim_of_a_deleted_pod_waits_for_its_finalizer(tmp_path: Path) -> None:
    asyncio.run(_claim(tmp_path))


async def _claim(tmp_path: Path) -> None:
    """Background deletion of a claim: deletionTimestamp, then pvc-protection."""
    cluster = Cluster(tmp_path)
    cluster.manager.controllers.append(GarbageCollector(cluster.store, cluster.clock))
    owner = cluster.create_pod({"metadata": {"name": "p"}, "spec": {"containers": []}})
    body = {"metadata": {"name": "c", "ownerReferences": [ref("Pod", "p", owner["metadata"]["uid"])]},
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1Gi"}}}}
    cluster.create_claim(body)
    async with cluster:
        await cluster.manager.drain()
        assert not cluster.get("persistentvolumeclaims", "c", "default")["metadata"].get(
            "deletionTimestamp")
        cluster.store.delete("pods", "default", "p")
        await wait_for(lambda: gone(cluster, "persistentvolumeclaims", "c", "default"))


def test_pod_deletion_is_the_api_servers() -> None:
    t0 = 1_800_000_000.0
    pod: JSON = {"metadata": {"name": "p", "generation": 1},
                 "spec": {"nodeName": "n", "terminationGracePeriodSeconds": 30},
                 "status": {"phase": "Running"}}
    stamped, at_once = pod_deletion(pod, t0)
    assert not at_once
    assert stamped["metadata"]["deletionTimestamp"] == "2027-01-15T08:00:30Z"
    assert stamped["metadata"]["deletionGracePeriodSeconds"] == 30
    assert stamped["metadata"]["generation"] == 2
    assert "deletionTimestamp" not in pod["metadata"]
    for changed in ({"spec": {"terminationGracePeriodSeconds": 30}},
                    {"status": {"phase": "Succeeded"}}):
        stamped, at_once = pod_deletion({**pod, **changed}, t0)
        assert at_once
        assert stamped["metadata"]["deletionGracePeriodSeconds"] == 0
    stamped, _ = pod_deletion({**pod, "spec": {"nodeName": "n",
                                               "terminationGracePeriodSeconds": -5}}, t0)
    assert stamped["metadata"]["deletionGracePeriodSeconds"] == 1


def test_pods_of_a_deleted_owner(tmp_path: Path) -> None:
    asyncio.run(_pods(tmp_path))


async def _pods(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path)
    cluster.manager.controllers.append(GarbageCollector(cluster.store, cluster.clock))
    store = cluster.store
    owner = config_map("owner")
    owner["metadata"]["uid"] = "cm-uid"
    store.create("configmaps", "default", "owner", owner)
    owner_ref = ref("ConfigMap", "owner", "cm-uid")
    meta = {"ownerReferences": [owner_ref]}
    cluster.create_pod({"metadata": {"name": "pending", **meta}, "spec": {"containers": []}})
    cluster.create_pod({"metadata": {"name": "running", **meta},
                        "spec": {"containers": [], "nodeName": "seclet-node",
                                 "terminationGracePeriodSeconds": 30}})
    async with cluster:
        await cluster.manager.drain()
        assert not gone(cluster, "pods", "pending", "default")
        store.delete("configmaps", "default", "owner")
        await wait_for(lambda: gone(cluster, "pods", "pending", "default"))
        running = await wait_for(
            lambda: (p := cluster.get("pods", "running", "default"))["metadata"].get(
                "deletionTimestamp") and p)
        assert running["metadata"]["deletionGracePeriodSeconds"] == 30
