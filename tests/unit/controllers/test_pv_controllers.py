"""The PV controller, the local-path provisioner and the protection controllers over a
MemoryStore: binding, phases, events, provisioning, reclaiming, finalizers."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest
from pvkit import NODE, Cluster, claim, gone, pod, storage_class, volume, wait_for

from seclet.api import storagehelpers as sh
from seclet.controllers.local_path import ProvisionError, teardown_volume_dir

EXTERNAL = (
    "Waiting for a volume to be created either by the external provisioner "
    "'rancher.io/local-path' or manually by the system administrator. If volume creation is "
    "delayed, please verify that the provisioner is running and correctly registered."
)


def bound(c: Cluster, name: str, ns: str = "default") -> bool:
    return bool(c.get("persistentvolumeclaims", name, ns)["status"].get("phase") == "Bound")


def test_static_binding_both_ways(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path, default_class=False) as c:
            c.create_volume(volume("pv-big", "5Gi"))
            c.create_volume(volume("pv-small", "2Gi"))
            c.create_claim(claim("data", "1Gi", class_name=""))
            await wait_for(lambda: bound(c, "data"))
            pvc = c.get("persistentvolumeclaims", "data", "default")
            pv = c.get("persistentvolumes", "pv-small")
            assert pvc["spec"]["volumeName"] == "pv-small"
            assert pvc["metadata"]["annotations"] == {
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
            }
            assert pvc["status"] == {
                "phase": "Bound",
                "accessModes": ["ReadWriteOnce"],
                "capacity": {"storage": "2Gi"},
            }
            assert pv["spec"]["claimRef"]["uid"] == pvc["metadata"]["uid"]
            assert pv["spec"]["claimRef"]["kind"] == "PersistentVolumeClaim"
            assert pv["metadata"]["annotations"] == {"pv.kubernetes.io/bound-by-controller": "yes"}
            await wait_for(lambda: c.get("persistentvolumes", "pv-big")["status"]["phase"]
                           == "Available")
            assert pv["status"]["phase"] == "Bound"
            assert c.events("data") == []

    asyncio.run(main())


def test_no_volume_and_no_class_fails_binding(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path, default_class=False) as c:
            c.create_claim(claim("lonely", class_name=""))
            await wait_for(lambda: c.events("lonely"))
            assert c.events("lonely")[0] == (
                "Normal", "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
            ev = next(e for e in c.store.list("events").items
                      if e["involvedObject"]["name"] == "lonely")
            assert ev["source"] == {"component": "persistentvolume-controller"}
            # repeated at every resync: the same event's count goes up
            await wait_for(lambda: next(e for e in c.store.list("events").items
                                        if e["involvedObject"]["name"] == "lonely")["count"] >= 2)
            assert len(c.events("lonely")) == 1

    asyncio.run(main())


def test_requested_volume_mismatch_and_taken(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path, default_class=False) as c:
            c.create_volume(volume("tiny", "1Mi"))
            c.create_claim(claim("want-tiny", "1Gi", class_name="", volumeName="tiny"))
            await wait_for(lambda: c.events("want-tiny"))
            assert c.events("want-tiny")[0] == (
                "Warning", "VolumeMismatch",
                'Cannot bind to requested volume "tiny": requested PV is too small',
            )
            c.create_volume(volume("taken", "1Gi", claimRef={"namespace": "default",
                                                            "name": "someone"}))
            c.create_claim(claim("want-taken", class_name="", volumeName="taken"))
            await wait_for(lambda: c.events("want-taken"))
            assert c.events("want-taken")[0] == (
                "Warning", "FailedBinding", 'volume "taken" already bound to a different claim.'
            )

    asyncio.run(main())


def test_default_class_assigned_then_wait_for_first_consumer(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path) as c:
            c.create_claim(claim("wffc"))
            await wait_for(lambda: c.events("wffc"))
            pvc = c.get("persistentvolumeclaims", "wffc", "default")
            assert pvc["spec"]["storageClassName"] == "local-path"
            assert c.events("wffc")[0] == (
                "Normal", "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
            )
            assert pvc["status"]["phase"] == "Pending"
            c.create_pod(pod("user", "wffc"))
            await wait_for(lambda: ("Normal", "WaitForPodScheduled",
                                    "waiting for pod user to be scheduled") in c.events("wffc"))

    asyncio.run(main())


def test_external_provisioner_handoff_for_other_classes(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path, default_class=False) as c:
            c.create_class(storage_class("ext", "example.com/ext"))
            c.create_class(storage_class("none", "kubernetes.io/no-provisioner"))
            c.create_claim(claim("e", class_name="ext"))
            c.create_claim(claim("n", class_name="none"))
            c.create_claim(claim("m", class_name="missing"))
            await wait_for(lambda: c.events("e") and c.events("n") and c.events("m"))
            pvc = c.get("persistentvolumeclaims", "e", "default")
            assert pvc["metadata"]["annotations"] == {
                "volume.beta.kubernetes.io/storage-provisioner": "example.com/ext",
                "volume.kubernetes.io/storage-provisioner": "example.com/ext",
            }
            assert c.events("e")[0][:2] == ("Normal", "ExternalProvisioning")
            assert "external provisioner 'example.com/ext'" in c.events("e")[0][2]
            assert c.events("n")[0] == (
                "Warning", "ProvisioningFailed",
                "no volume plugin matched name: kubernetes.io/no-provisioner",
            )
            assert c.events("m")[0] == (
                "Warning", "ProvisioningFailed", 'storageclass.storage.k8s.io "missing" not found'
            )

    asyncio.run(main())


def test_local_path_provisions_binds_and_deletes(tmp_path: Path) -> None:
    root = tmp_path / "storage"

    async def main() -> None:
        async with Cluster(root) as c:
            body = claim("data", "2Gi", class_name="local-path")
            body["metadata"]["annotations"] = {sh.ANN_SELECTED_NODE: NODE}
            created = c.create_claim(body)
            uid = created["metadata"]["uid"]
            await wait_for(lambda: bound(c, "data"))
            pv_name = f"pvc-{uid}"
            pv = c.get("persistentvolumes", pv_name)
            path = root / f"{pv_name}_default_data"
            assert pv["spec"]["local"] == {"path": str(path)}
            assert "hostPath" not in pv["spec"]
            assert pv["spec"]["capacity"] == {"storage": "2Gi"}
            assert pv["spec"]["accessModes"] == ["ReadWriteOnce"]
            assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
            assert pv["spec"]["storageClassName"] == "local-path"
            assert pv["spec"]["volumeMode"] == "Filesystem"
            assert pv["spec"]["nodeAffinity"] == {"required": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                                       "values": [NODE]}]}]}}
            assert pv["metadata"]["annotations"] == {
                "local.path.provisioner/selected-node": NODE,
                "pv.kubernetes.io/provisioned-by": "rancher.io/local-path",
            }
            assert pv["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]
            assert stat.S_IMODE(path.stat().st_mode) == 0o777
            assert stat.S_IMODE(root.stat().st_mode) == 0o700
            reasons = [r for _, r, _ in c.events("data")]
            assert reasons.index("ExternalProvisioning") < reasons.index("Provisioning")
            assert reasons.index("Provisioning") < reasons.index("ProvisioningSucceeded")
            assert ("Normal", "ExternalProvisioning", EXTERNAL) in c.events("data")
            assert ("Normal", "Provisioning",
                    'External provisioner is provisioning volume for claim "default/data"') in (
                        c.events("data"))
            assert ("Normal", "ProvisioningSucceeded",
                    f"Successfully provisioned volume {pv_name}") in c.events("data")
            prov = next(e for e in c.store.list("events").items
                        if e["reason"] == "ProvisioningSucceeded")
            assert prov["source"]["component"].startswith(f"rancher.io/local-path_{NODE}_")
            (path / "file").write_text("data")

            # a pod on the node uses the claim: deleting it waits for the pod
            c.create_pod(pod("user", "data", node=NODE))
            c.delete("persistentvolumeclaims", "data", "default")
            await asyncio.sleep(0.3)
            assert not gone(c, "persistentvolumeclaims", "data", "default")
            c.store.delete("pods", "default", "user")
            await wait_for(lambda: gone(c, "persistentvolumeclaims", "data", "default"))
            await wait_for(lambda: gone(c, "persistentvolumes", pv_name))
            assert not path.exists()
            assert root.exists()

    asyncio.run(main())


def test_retain_volume_is_released_and_kept(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path, default_class=False) as c:
            c.create_volume(volume("keep", "1Gi", policy="Retain"))
            c.create_claim(claim("data", class_name=""))
            await wait_for(lambda: bound(c, "data"))
            c.delete("persistentvolumeclaims", "data", "default")
            await wait_for(lambda: c.get("persistentvolumes", "keep")["status"]["phase"]
                           == "Released")
            await asyncio.sleep(0.2)
            pv = c.get("persistentvolumes", "keep")
            assert pv["status"]["phase"] == "Released"
            assert pv["spec"]["claimRef"]["name"] == "data"
            # a PV without a deleter and reclaim policy Delete fails
            c.create_volume(volume("nodel", "1Gi", policy="Delete", local={"path": "/x"}))
            c.create_claim(claim("d2", class_name=""))
            await wait_for(lambda: bound(c, "d2"))
            c.delete("persistentvolumeclaims", "d2", "default")
            await wait_for(lambda: c.get("persistentvolumes", "nodel")["status"]["phase"]
                           == "Failed")
            assert c.events("nodel")[-1] == (
                "Warning", "VolumeFailedDelete",
                'error getting deleter volume plugin for volume "nodel": '
                "no deletable volume plugin matched",
            )

    asyncio.run(main())


def test_lost_claim_when_its_volume_goes(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path, default_class=False) as c:
            c.create_volume(volume("v", "1Gi"))
            c.create_claim(claim("data", class_name=""))
            await wait_for(lambda: bound(c, "data"))
            c.store.delete("persistentvolumes", "", "v")
            await wait_for(lambda: c.get("persistentvolumeclaims", "data", "default")["status"][
                "phase"] == "Lost")
            assert c.events("data")[-1] == (
                "Warning", "ClaimLost",
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
            )

    asyncio.run(main())


def test_provisioner_refusals(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path) as c:
            body = claim("rwx", modes=("ReadWriteMany",), class_name="local-path")
            body["metadata"]["annotations"] = {sh.ANN_SELECTED_NODE: NODE}
            c.create_claim(body)
            await wait_for(lambda: any(r == "ProvisioningFailed" for _, r, _ in c.events("rwx")))
            assert ("Warning", "ProvisioningFailed",
                    "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access "
                    "modes") in c.events("rwx")

    asyncio.run(main())


def test_teardown_never_leaves_the_storage_root(tmp_path: Path) -> None:
    root = tmp_path / "storage"
    root.mkdir()
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep").write_text("x")
    (root / "pvc-x_default_data").symlink_to(outside)
    teardown_volume_dir(root, str(root / "pvc-x_default_data"))
    assert not (root / "pvc-x_default_data").exists()
    assert (outside / "keep").read_text() == "x"
    with pytest.raises(ProvisionError):
        teardown_volume_dir(root, str(outside))
    with pytest.raises(ProvisionError):
        teardown_volume_dir(root, str(root / "a" / ".." / ".." / "precious"))
    assert (outside / "keep").exists()
    inner = root / "pvc-y_default_data"
    inner.mkdir()
    (inner / "escape").symlink_to(outside)
    (inner / "f").write_text("y")
    teardown_volume_dir(root, str(inner))
    assert not inner.exists()
    assert (outside / "keep").exists()


def test_finished_pod_still_protects_its_claim_until_deleted(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path, default_class=False) as c:
            c.create_volume(volume("v", "1Gi"))
            c.create_claim(claim("data", class_name=""))
            await wait_for(lambda: bound(c, "data"))
            done = pod("done", "data", node=NODE)
            done["status"] = {"phase": "Succeeded"}
            c.create_pod(done)
            c.create_pod(pod("unscheduled", "data"))
            c.delete("persistentvolumeclaims", "data", "default")
            await asyncio.sleep(0.3)
            pvc = c.get("persistentvolumeclaims", "data", "default")
            assert pvc["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
            c.store.delete("pods", "default", "done")
            await wait_for(lambda: gone(c, "persistentvolumeclaims", "data", "default"))
            # the PV's protection goes once it is no longer Bound: Released, kept (Retain)
            await wait_for(lambda: c.get("persistentvolumes", "v")["status"]["phase"]
                           == "Released")
            c.delete("persistentvolumes", "v")
            await wait_for(lambda: gone(c, "persistentvolumes", "v"))

    asyncio.run(main())


def test_prebinding_either_way(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path, default_class=False) as c:
            # the claim names its volume: the claim is not marked bound-by-controller
            c.create_volume(volume("wanted", "1Gi"))
            c.create_claim(claim("by-claim", class_name="", volumeName="wanted"))
            await wait_for(lambda: bound(c, "by-claim"))
            assert c.get("persistentvolumeclaims", "by-claim", "default")["metadata"][
                "annotations"] == {"pv.kubernetes.io/bind-completed": "yes"}
            assert c.get("persistentvolumes", "wanted")["metadata"]["annotations"] == {
                "pv.kubernetes.io/bound-by-controller": "yes"}
            # the volume is reserved for a claim by name: Available until it comes, then
            # bound to it and to no other (the volume is not marked bound-by-controller)
            c.create_volume(volume("reserved", "5Gi",
                                   claimRef={"namespace": "default", "name": "later"}))
            await wait_for(lambda: c.get("persistentvolumes", "reserved")["status"]["phase"]
                           == "Available")
            c.create_claim(claim("other", class_name=""))
            c.create_claim(claim("later", class_name=""))
            await wait_for(lambda: bound(c, "later"))
            assert c.get("persistentvolumeclaims", "later", "default")["spec"][
                "volumeName"] == "reserved"
            assert "annotations" not in c.get("persistentvolumes", "reserved")["metadata"]
            assert c.get("persistentvolumeclaims", "other", "default")["status"][
                "phase"] == "Pending"

    asyncio.run(main())


def test_restarted_controllers_change_nothing_that_is_bound(tmp_path: Path) -> None:
    root = tmp_path / "storage"

    async def main() -> None:
        c = Cluster(root)
        async with c:
            body = claim("data", class_name="local-path")
            body["metadata"]["annotations"] = {sh.ANN_SELECTED_NODE: NODE}
            c.create_claim(body)
            await wait_for(lambda: bound(c, "data"))
            await asyncio.sleep(0.2)
        before = {(o["metadata"]["name"], o["metadata"]["resourceVersion"])
                  for r in ("persistentvolumes", "persistentvolumeclaims")
                  for o in c.store.list(r).items}
        events = len(c.store.list("events").items)
        # new controllers over the same store, as after a restart
        async with Cluster(root, store=c.store):
            await asyncio.sleep(0.5)  # a few resyncs
        after = {(o["metadata"]["name"], o["metadata"]["resourceVersion"])
                 for r in ("persistentvolumes", "persistentvolumeclaims")
                 for o in c.store.list(r).items}
        assert after == before
        assert len(c.store.list("events").items) == events
        assert len(list(root.iterdir())) == 1

    asyncio.run(main())
