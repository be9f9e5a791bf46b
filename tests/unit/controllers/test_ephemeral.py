"""The ephemeral volume controller (k/k pkg/controller/volume/ephemeral/controller.go):
claim names and bodies, VolumeIsForPod's texts, the scheduler's texts for such claims,
and the loop over a store with the storage controllers and the garbage collector."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

from pvkit import Cluster, gone, storage_class, wait_for
from test_pv_scheduling import NOT_HELPFUL, with_meta, world

from seclet.api import storagehelpers as sh
from seclet.controllers.ephemeral import (
    EphemeralVolumeController,
    admit_claim,
    name_refusal,
    new_claim,
    volume_claim_name,
    volume_is_for_pod,
)
from seclet.controllers.garbagecollector import GarbageCollector
from seclet.kubelet.binder import decide_volumes

JSON = dict[str, Any]

TEMPLATE: JSON = {
    "metadata": {"labels": {"app": "scratch"}, "annotations": {"note": "x"}},
    "spec": {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "1Gi"}},
        "volumeMode": "Filesystem",
    },
}


def eph_pod(name: str = "web", volume: str = "scratch", template: JSON | None = None) -> JSON:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {
            "containers": [{"name": "c", "image": "busybox"}],
            "volumes": [
                {"name": "cfg", "emptyDir": {}},
                {"name": volume, "ephemeral": {"volumeClaimTemplate": template or TEMPLATE}},
            ],
        },
        "status": {"phase": "Pending"},
    }


def owned_by(uid: str, controller: bool = True) -> list[JSON]:
    return [{"apiVersion": "v1", "kind": "Pod", "name": "x", "uid": uid, "controller": controller}]


def test_claim_name_is_pod_dash_volume() -> None:
    pod = eph_pod("web", "scratch")
    assert volume_claim_name(pod, pod["spec"]["volumes"][1]) == "web-scratch"


def test_new_claim_copies_the_template_and_is_controlled_by_the_pod() -> None:
    pod = eph_pod()
    assert new_claim(pod, pod["spec"]["volumes"][1]) == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": "web-scratch",
            "namespace": "default",
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": "web",
                    "uid": "uid-web",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "labels": {"app": "scratch"},
            "annotations": {"note": "x"},
        },
        "spec": TEMPLATE["spec"],
    }


def test_admit_claim_adds_what_the_api_server_adds() -> None:
    pod = eph_pod()
    classes = [storage_class("slow"), storage_class("fast", default=True)]
    claim = admit_claim(new_claim(pod, pod["spec"]["volumes"][1]), classes, 1_800_000_000.0)
    assert claim["spec"]["storageClassName"] == "fast"
    assert claim["metadata"]["finalizers"] == [sh.PVC_PROTECTION_FINALIZER]
    assert claim["status"] == {"phase": "Pending"}
    assert claim["metadata"]["creationTimestamp"] == "2027-01-15T08:00:00Z"
    explicit = copy.deepcopy(TEMPLATE)
    explicit["spec"]["storageClassName"] = ""
    pod = eph_pod(template=explicit)
    claim = admit_claim(new_claim(pod, pod["spec"]["volumes"][1]), classes, 0.0)
    assert claim["spec"]["storageClassName"] == ""


def test_volume_is_for_pod_texts() -> None:
    """component-helpers ephemeral_test.go: owned, other pod, no owner, other namespace."""
    owner = {"metadata": {"namespace": "kube-system", "name": "podOwner", "uid": "u1"}}
    other = {"metadata": {"namespace": "kube-system", "name": "podNotOwner", "uid": "u2"}}
    with_owner = {"metadata": {"namespace": "kube-system", "name": "pvcNoOwner",
                               "ownerReferences": owned_by("u1")}}
    no_owner = {"metadata": {"namespace": "kube-system", "name": "pvcNoOwner"}}
    user = {"metadata": {"namespace": "user-namespace", "name": "userPVCWithOwner",
                         "ownerReferences": owned_by("u1")}}
    assert volume_is_for_pod(owner, with_owner) is None
    assert volume_is_for_pod(other, with_owner) == (
        "PVC kube-system/pvcNoOwner was not created for pod kube-system/podNotOwner "
        "(pod is not owner)"
    )
    assert volume_is_for_pod(owner, no_owner) == (
        "PVC kube-system/pvcNoOwner was not created for pod kube-system/podOwner "
        "(pod is not owner)"
    )
    assert volume_is_for_pod(owner, user) == (
        "PVC user-namespace/userPVCWithOwner was not created for pod kube-system/podOwner "
        "(pod is not owner)"
    )
    # An owner reference that is not the controller does not count.
    not_controller = {"metadata": {"namespace": "kube-system", "name": "c",
                                   "ownerReferences": owned_by("u1", controller=False)}}
    assert volume_is_for_pod(owner, not_controller) is not None


def test_scheduler_texts_for_ephemeral_claims() -> None:
    """volume_binding.go podHasPVCs: not created yet, then not owned by the pod."""
    pod = eph_pod()
    assert decide_volumes(pod, world()).message == (
        "0/1 nodes are available: waiting for ephemeral volume controller to create the "
        'persistentvolumeclaim "web-scratch".' + NOT_HELPFUL
    )
    foreign = with_meta(
        {"metadata": {"name": "web-scratch", "ownerReferences": owned_by("someone")},
         "spec": {"storageClassName": ""}},
        "c1",
        phase="Pending",
    )
    assert decide_volumes(pod, world([foreign])).message == (
        "0/1 nodes are available: PVC default/web-scratch was not created for pod "
        "default/web (pod is not owner)." + NOT_HELPFUL
    )


def cluster_with(root: Path) -> tuple[Cluster, EphemeralVolumeController]:
    cluster = Cluster(root)
    controller = EphemeralVolumeController(cluster.store, cluster.clock)
    cluster.manager.controllers.append(controller)
    cluster.manager.controllers.append(GarbageCollector(cluster.store, cluster.clock))
    return cluster, controller


def pod_body(name: str = "web") -> JSON:
    body = eph_pod(name)
    del body["metadata"]["namespace"], body["metadata"]["uid"]
    return body


def test_claim_is_created_recreated_and_collected(tmp_path: Path) -> None:
    asyncio.run(_claim_is_created_recreated_and_collected(tmp_path))


async def _claim_is_created_recreated_and_collected(tmp_path: Path) -> None:
    cluster, _ = cluster_with(tmp_path)
    async with cluster:
        pod = cluster.create_pod(pod_body())
        claim = await wait_for(lambda: cluster.get("persistentvolumeclaims", "web-scratch",
                                                   "default"))
        assert claim["metadata"]["ownerReferences"] == [
            {"apiVersion": "v1", "kind": "Pod", "name": "web", "uid": pod["metadata"]["uid"],
             "controller": True, "blockOwnerDeletion": True}
        ]
        assert claim["metadata"]["labels"] == {"app": "scratch"}
        assert claim["spec"]["storageClassName"] == "local-path"
        assert claim["metadata"]["finalizers"] == [sh.PVC_PROTECTION_FINALIZER]
        # A deleted claim comes back (onPVCDelete re-queues the pod).
        old_uid = claim["metadata"]["uid"]
        cluster.store.delete("persistentvolumeclaims", "default", "web-scratch")
        again = await wait_for(lambda: cluster.get("persistentvolumeclaims", "web-scratch",
                                                   "default"))
        assert again["metadata"]["uid"] != old_uid
        # The pod goes: the garbage collector deletes its claim, pvc-protection lets go.
        cluster.store.delete("pods", "default", "web")
        await wait_for(lambda: gone(cluster, "persistentvolumeclaims", "web-scratch", "default"))


def test_a_claim_not_owned_by_the_pod_is_an_event(tmp_path: Path) -> None:
    asyncio.run(_a_claim_not_owned_by_the_pod_is_an_event(tmp_path))


async def _a_claim_not_owned_by_the_pod_is_an_event(tmp_path: Path) -> None:
    cluster, controller = cluster_with(tmp_path)
    async with cluster:
        cluster.create_claim({
            "metadata": {"name": "web-scratch"},
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1Gi"}}},
        })
        cluster.create_pod(pod_body())
        message = (
            "ephemeral volume scratch: PVC default/web-scratch was not created for pod "
            "default/web (pod is not owner)"
        )
        await wait_for(lambda: ("Warning", "FailedBinding", message) in cluster.events("web"))
        event = next(e for e in cluster.store.list("events").items
                     if e["involvedObject"]["name"] == "web")
        assert event["source"] == {"component": "ephemeral_volume"}
        assert event["involvedObject"]["kind"] == "Pod"
        # Retried at each resync: the same event counted.
        await wait_for(lambda: cluster.store.get("events", "default", event["metadata"]["name"])
                       ["count"] >= 2)
        assert "default/web" in controller._failed
        claim = cluster.get("persistentvolumeclaims", "web-scratch", "default")
        assert "ownerReferences" not in claim["metadata"]


def test_pods_being_deleted_get_no_claims(tmp_path: Path) -> None:
    asyncio.run(_pods_being_deleted_get_no_claims(tmp_path))


async def _pods_being_deleted_get_no_claims(tmp_path: Path) -> None:
    cluster, controller = cluster_with(tmp_path)
    body = pod_body()
    body["metadata"]["deletionTimestamp"] = "2027-01-15T08:00:00Z"
    async with cluster:
        cluster.create_pod(body)
        await cluster.manager.drain()
        assert gone(cluster, "persistentvolumeclaims", "web-scratch", "default")
        assert len(controller.queue) == 0


def test_a_claim_name_too_long_is_refused_as_the_api_server_refuses_it() -> None:
    """``<pod>-<volume>`` can exceed 253 characters (pod 253, volume 63)."""
    name = "p" * 250 + "-" + "scratch"
    assert name_refusal("web-scratch") is None
    assert name_refusal(name) == (
        f'PersistentVolumeClaim "{name}" is invalid: metadata.name: Invalid value: '
        f'"{name}": must be no more than 253 characters'
    )
