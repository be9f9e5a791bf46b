"""Generic ephemeral volumes and ``kube-root-ca.crt`` on a real node through kubectl.

A pod with an ``ephemeral`` volume runs: the ephemeral volume controller created the
claim ``<pod>-<volume>`` controlled by the pod, local-path provisioned it, writes land
in its directory; deleting the pod makes the garbage collector delete the claim, and
the volume (reclaim policy Delete) and its directory go. A claim of that name the pod
does not own keeps the pod Pending with upstream's texts. Every namespace (default and
a new one) has ``kube-root-ca.crt`` with the kubeconfig's CA; a deleted one comes back.
Callers: pytest (tests/e2e; root, runc, conmon, the local registry).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from e2e.node import Node, NodeError
from registry import BUSYBOX

pytestmark = pytest.mark.e2e

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: {image}
    command: ["sh", "-c", "sleep 3600"]
    volumeMounts:
    - name: scratch
      mountPath: /scratch
  volumes:
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        metadata:
          labels:
            type: scratch
        spec:
          accessModes: [ReadWriteOnce]
          storageClassName: local-path
          resources:
            requests:
              storage: 16Mi
"""

CLAIM = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {name}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 16Mi
"""


def _until(check: Callable[[], object], what: str, node: Node, limit: float = 60.0) -> Any:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise NodeError(f"timed out waiting for {what}\n{node.log()}")


def _json(node: Node, *args: str) -> Any:
    return json.loads(node.kubectl(*args, "-o", "json").stdout)


def _gone(node: Node, *args: str) -> bool:
    return node.kubectl("get", *args, check=False).returncode != 0


def _kubeconfig_ca(node: Node) -> str:
    config = yaml.safe_load(node.kubeconfig.read_text())
    data = config["clusters"][0]["cluster"]["certificate-authority-data"]
    return base64.b64decode(data).decode()


@pytest.fixture
def cleanup(node: Node) -> Iterator[list[tuple[str, ...]]]:
    left: list[tuple[str, ...]] = []
    yield left
    for kind in ("pod", "pvc", "namespace"):
        for item in left:
            if item[0] == kind:
                node.kubectl("delete", *item, "--wait=false", check=False)


def test_ephemeral_claim_follows_its_pod(node: Node, cleanup: list[tuple[str, ...]]) -> None:
    cleanup += [("pod", "eph"), ("pvc", "eph-scratch")]
    node.kubectl("apply", "-f", "-", stdin=POD.format(name="eph", image=BUSYBOX))
    node.wait_running("eph")
    pod = node.pod("eph")
    claim = _json(node, "get", "pvc", "eph-scratch")
    assert claim["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": "eph",
            "uid": pod["metadata"]["uid"],  # type: ignore[index]
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert claim["metadata"]["labels"] == {"type": "scratch"}
    assert claim["status"]["phase"] == "Bound"
    pv_name = claim["spec"]["volumeName"]
    path = node.data_dir.absolute() / "storage" / f"{pv_name}_default_eph-scratch"
    node.exec("eph", "sh", "-c", "echo ephemeral > /scratch/f")
    assert (path / "f").read_text() == "ephemeral\n"

    node.delete("eph")
    _until(lambda: _gone(node, "pvc", "eph-scratch"), "the claim to be collected", node)
    _until(lambda: _gone(node, "pv", pv_name), "the volume to be reclaimed", node)
    _until(lambda: not path.exists(), "the volume's directory to go", node)


def test_claim_not_owned_by_the_pod(node: Node, cleanup: list[tuple[str, ...]]) -> None:
    cleanup += [("pod", "eph-foreign"), ("pvc", "eph-foreign-scratch")]
    node.kubectl("apply", "-f", "-", stdin=CLAIM.format(name="eph-foreign-scratch"))
    node.kubectl("apply", "-f", "-", stdin=POD.format(name="eph-foreign", image=BUSYBOX))
    not_owner = (
        "PVC default/eph-foreign-scratch was not created for pod default/eph-foreign "
        "(pod is not owner)"
    )

    def events() -> dict[str, Any]:
        doc = _json(node, "get", "events", "--field-selector", "involvedObject.name=eph-foreign")
        return {e["reason"]: e for e in doc["items"]}

    found = _until(lambda: {"FailedScheduling", "FailedBinding"} <= set(events()) and events(),
                   "the ephemeral volume events", node)
    assert found["FailedBinding"]["type"] == "Warning"
    assert found["FailedBinding"]["source"] == {"component": "ephemeral_volume"}
    assert found["FailedBinding"]["message"] == f"ephemeral volume scratch: {not_owner}"
    assert found["FailedScheduling"]["message"] == (
        f"0/1 nodes are available: {not_owner}. preemption: 0/1 nodes are available: "
        "1 Preemption is not helpful for scheduling."
    )
    assert node.pod("eph-foreign")["status"]["phase"] == "Pending"  # type: ignore[index]


def _root_ca(node: Node, namespace: str) -> str:
    out = node.kubectl("get", "cm", "kube-root-ca.crt", "-n", namespace, "-o",
                       "jsonpath={.data.ca\\.crt}", check=False)
    return out.stdout if out.returncode == 0 else ""


def test_kube_root_ca_in_every_namespace(node: Node, cleanup: list[tuple[str, ...]]) -> None:
    cleanup += [("namespace", "rootca-team")]
    ca = _kubeconfig_ca(node)
    assert ca.startswith("-----BEGIN CERTIFICATE-----\n")
    assert _until(lambda: _root_ca(node, "default") == ca, "default's kube-root-ca.crt", node)
    cm = _json(node, "get", "cm", "kube-root-ca.crt")
    assert cm["metadata"]["annotations"] == {
        "kubernetes.io/description": (
            "Contains a CA bundle that can be used to verify the kube-apiserver when using "
            "internal endpoints such as the internal service IP or kubernetes.default.svc. "
            "No other usage is guaranteed across distributions of Kubernetes clusters."
        )
    }
    assert sorted(cm["data"]) == ["ca.crt"]

    node.kubectl("create", "namespace", "rootca-team")
    _until(lambda: _root_ca(node, "rootca-team") == ca, "the new namespace's map", node)
    node.kubectl("delete", "cm", "kube-root-ca.crt", "-n", "rootca-team")
    _until(lambda: _root_ca(node, "rootca-team") == ca, "the map to come back", node)
    node.kubectl("patch", "cm", "kube-root-ca.crt", "-n", "rootca-team", "--type=merge",
                 "-p", '{"data":{"ca.crt":"tampered"}}')
    _until(lambda: _root_ca(node, "rootca-team") == ca, "the data to be restored", node)
