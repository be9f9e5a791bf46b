"""Persistent volumes on a real node through kubectl: the default local-path class
provisions a ``local`` PersistentVolume for a claim, the pod runs with it, a second pod
sees what the first wrote, ``kubectl get pv,pvc`` shows them as upstream, deleting the
claim reclaims the directory; a Retain volume is Released and kept; a pod whose claim
is missing waits with the scheduler's message and starts once the claim exists.
Callers: pytest (tests/e2e; root, runc, conmon, the local registry).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.node import Node, NodeError
from registry import BUSYBOX

pytestmark = pytest.mark.e2e

CLAIM = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {name}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 64Mi
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: {image}
    command: ["sh", "-c", "sleep 3600"]
    volumeMounts:
    - name: data
      mountPath: /data
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: {claim}
"""


def _until(check: Callable[[], object], what: str, node: Node, limit: float = 60.0) -> object:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise NodeError(f"timed out waiting for {what}\n{node.log()}")


def _json(node: Node, *args: str) -> dict[str, object]:
    doc: dict[str, object] = json.loads(node.kubectl(*args, "-o", "json").stdout)
    return doc


def _gone(node: Node, *args: str) -> bool:
    return node.kubectl("get", *args, check=False).returncode != 0


@pytest.fixture
def cleanup(node: Node) -> Iterator[list[tuple[str, ...]]]:
    """Objects to delete after the test (pods first, then claims, then volumes)."""
    left: list[tuple[str, ...]] = []
    yield left
    for kind in ("pod", "pvc", "pv"):
        for item in left:
            if item[0] == kind:
                node.kubectl("delete", *item, "--wait=false", check=False)


def test_local_path_claim_shared_by_two_pods_then_reclaimed(
    node: Node, cleanup: list[tuple[str, ...]]
) -> None:
    cleanup += [("pod", "pv-writer"), ("pod", "pv-reader"), ("pvc", "pv-data")]
    node.kubectl("apply", "-f", "-", stdin=CLAIM.format(name="pv-data"))
    node.kubectl("apply", "-f", "-",
                 stdin=POD.format(name="pv-writer", image=BUSYBOX, claim="pv-data"))
    node.wait_running("pv-writer")
    claim = _json(node, "get", "pvc", "pv-data")
    uid = claim["metadata"]["uid"]  # type: ignore[index]
    pv_name = f"pvc-{uid}"
    assert claim["spec"]["volumeName"] == pv_name  # type: ignore[index]
    assert claim["spec"]["storageClassName"] == "local-path"  # type: ignore[index]
    annotations = claim["metadata"]["annotations"]  # type: ignore[index]
    assert annotations["volume.kubernetes.io/selected-node"]
    assert annotations["volume.kubernetes.io/storage-provisioner"] == "rancher.io/local-path"
    pv = _json(node, "get", "pv", pv_name)
    path = node.data_dir.absolute() / "storage" / f"{pv_name}_default_pv-data"
    assert pv["spec"]["local"] == {"path": str(path)}  # type: ignore[index]
    assert path.is_dir()

    table = node.kubectl("get", "pv,pvc").stdout
    rows = {line.split()[0]: line.split() for line in table.splitlines() if line.strip()}
    assert rows[f"persistentvolume/{pv_name}"][1:7] == [
        "64Mi", "RWO", "Delete", "Bound", "default/pv-data", "local-path"
    ]
    assert rows["persistentvolumeclaim/pv-data"][1:7] == [
        "Bound", pv_name, "64Mi", "RWO", "local-path", "<unset>"
    ]

    node.exec("pv-writer", "sh", "-c", "echo written-by-pod-1 > /data/msg")
    node.delete("pv-writer")
    node.kubectl("apply", "-f", "-",
                 stdin=POD.format(name="pv-reader", image=BUSYBOX, claim="pv-data"))
    node.wait_running("pv-reader")
    assert node.exec("pv-reader", "cat", "/data/msg") == "written-by-pod-1\n"
    # a local volume honours fsGroup: the file the first pod made carries its group
    assert node.exec("pv-reader", "stat", "-c", "%g", "/data", "/data/msg").split() == [
        "2000", "2000"
    ]

    # the claim is in use: deleting it waits for the pod
    node.kubectl("delete", "pvc", "pv-data", "--wait=false")
    time.sleep(1)
    terminating = _json(node, "get", "pvc", "pv-data")
    assert terminating["metadata"]["deletionTimestamp"]  # type: ignore[index]
    node.delete("pv-reader")
    _until(lambda: _gone(node, "pvc", "pv-data"), "the claim to go", node)
    _until(lambda: _gone(node, "pv", pv_name), "the volume to go", node)
    assert not path.exists()
    assert path.parent.is_dir()


def test_retained_volume_is_released_and_kept(
    node: Node, cleanup: list[tuple[str, ...]], tmp_path: Path
) -> None:
    cleanup += [("pod", "pv-retain"), ("pvc", "pv-keep-claim"), ("pv", "pv-keep")]
    disk = tmp_path / "disk"
    disk.mkdir()
    disk.chmod(0o777)
    manifest = f"""\
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-keep
spec:
  capacity:
    storage: 1Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: manual
  local:
    path: {disk}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - key: kubernetes.io/hostname
          operator: Exists
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: pv-keep-claim
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
"""
    node.kubectl("apply", "-f", "-", stdin=manifest)
    node.kubectl("apply", "-f", "-",
                 stdin=POD.format(name="pv-retain", image=BUSYBOX, claim="pv-keep-claim"))
    node.wait_running("pv-retain")
    node.exec("pv-retain", "sh", "-c", "echo kept > /data/f")
    node.delete("pv-retain")
    node.kubectl("delete", "pvc", "pv-keep-claim")
    _until(lambda: "Released" in node.kubectl("get", "pv", "pv-keep").stdout,
           "the volume to be Released", node)
    row = node.kubectl("get", "pv", "pv-keep").stdout.splitlines()[1].split()
    assert row[1:7] == ["1Gi", "RWO", "Retain", "Released", "default/pv-keep-claim", "manual"]
    assert (disk / "f").read_text() == "kept\n"


def test_pod_waits_for_its_missing_claim(node: Node, cleanup: list[tuple[str, ...]]) -> None:
    cleanup += [("pod", "pv-patient"), ("pvc", "pv-later")]
    node.kubectl("apply", "-f", "-",
                 stdin=POD.format(name="pv-patient", image=BUSYBOX, claim="pv-later"))

    def failed() -> list[Any]:
        doc: Any = _json(node, "get", "events", "--field-selector",
                         "involvedObject.name=pv-patient")
        return [e for e in doc["items"] if e["reason"] == "FailedScheduling"]

    found: Any = _until(failed, "FailedScheduling", node)
    event = found[0]
    assert event["type"] == "Warning"
    assert event["message"] == (
        '0/1 nodes are available: persistentvolumeclaim "pv-later" not found. preemption: '
        "0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )
    pod = node.pod("pv-patient")
    assert pod["status"]["phase"] == "Pending"  # type: ignore[index]
    node.kubectl("apply", "-f", "-", stdin=CLAIM.format(name="pv-later"))
    node.wait_running("pv-patient")


def test_read_write_once_pod_claim_admits_one_pod(
    node: Node, cleanup: list[tuple[str, ...]]
) -> None:
    cleanup += [("pod", "pv-owner"), ("pod", "pv-second"), ("pvc", "pv-rwop")]
    node.kubectl("apply", "-f", "-", stdin=CLAIM.format(name="pv-rwop").replace(
        "[ReadWriteOnce]", "[ReadWriteOncePod]"))
    node.kubectl("apply", "-f", "-",
                 stdin=POD.format(name="pv-owner", image=BUSYBOX, claim="pv-rwop"))
    node.wait_running("pv-owner")
    node.kubectl("apply", "-f", "-",
                 stdin=POD.format(name="pv-second", image=BUSYBOX, claim="pv-rwop"))

    def failed() -> list[Any]:
        doc: Any = _json(node, "get", "events", "--field-selector",
                         "involvedObject.name=pv-second")
        return [e for e in doc["items"] if e["reason"] == "FailedScheduling"]

    found: Any = _until(failed, "FailedScheduling", node)
    assert found[0]["message"] == (
        "0/1 nodes are available: 1 node has pod using PersistentVolumeClaim with the same "
        "name and ReadWriteOncePod access mode. preemption: 0/1 nodes are available: 1 No "
        "preemption victims found for incoming pod."
    )
    cond: Any = node.pod("pv-second")["status"]
    scheduled = [c for c in cond["conditions"] if c["type"] == "PodScheduled"]
    assert (scheduled[0]["status"], scheduled[0]["reason"]) == ("False", "Unschedulable")
    node.delete("pv-owner")
    node.wait_running("pv-second")


def test_unbound_immediate_claim_holds_the_pod_until_a_volume_appears(
    node: Node, cleanup: list[tuple[str, ...]], tmp_path: Path
) -> None:
    cleanup += [("pod", "pv-immediate"), ("pvc", "pv-static"), ("pv", "pv-static-vol")]
    node.kubectl("apply", "-f", "-", stdin=CLAIM.format(name="pv-static").replace(
        "spec:\n", 'spec:\n  storageClassName: ""\n', 1))
    node.kubectl("apply", "-f", "-",
                 stdin=POD.format(name="pv-immediate", image=BUSYBOX, claim="pv-static"))

    def failed() -> list[Any]:
        doc: Any = _json(node, "get", "events", "--field-selector",
                         "involvedObject.name=pv-immediate")
        return [e for e in doc["items"] if e["reason"] == "FailedScheduling"]

    found: Any = _until(failed, "FailedScheduling", node)
    assert found[0]["message"] == (
        "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )
    claim_events: Any = _json(node, "get", "events", "--field-selector",
                              "involvedObject.name=pv-static")
    assert [(e["reason"], e["message"]) for e in claim_events["items"]][:1] == [
        ("FailedBinding",
         "no persistent volumes available for this claim and no storage class is set")
    ]
    disk = tmp_path / "static"
    disk.mkdir()
    node.kubectl("apply", "-f", "-", stdin=f"""\
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-static-vol
spec:
  capacity:
    storage: 100Mi
  accessModes: [ReadWriteOnce]
  local:
    path: {disk}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - key: kubernetes.io/hostname
          operator: Exists
""")
    node.wait_running("pv-immediate")
    row = node.kubectl("get", "pvc", "pv-static").stdout.splitlines()[1].split()
    assert row[1:5] == ["Bound", "pv-static-vol", "100Mi", "RWO"]
