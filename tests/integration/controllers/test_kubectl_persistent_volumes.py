"""The storage controllers behind the real kubectl (in-process API server, no node):
static binding and its columns, Retain -> Released, the local-path class provisioning a
claim once a node is selected, describe's events, delete reclaiming the directory."""

from __future__ import annotations

import json
from pathlib import Path

from integration.apiserver.conftest import Kubectl
from integration.controllers.conftest import NODE, Storage, wait_kubectl

STATIC = """\
apiVersion: v1
kind: PersistentVolume
metadata:
  name: keep
spec:
  capacity:
    storage: 2Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: manual
  hostPath:
    path: /srv/keep
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
"""

CLAIM = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: local
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 128Mi
"""


def test_static_binding_columns_and_retain(kubectl: Kubectl, storage: Storage) -> None:
    assert kubectl("create", "-f", "-", stdin=STATIC).returncode == 0
    out = wait_kubectl(kubectl, lambda o: " Bound " in o, "get", "pvc", "data")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS", "MODES",
                                "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"]
    assert lines[1].split()[:7] == ["data", "Bound", "keep", "2Gi", "RWO", "manual", "<unset>"]
    pv = kubectl("get", "pv", "keep").stdout.splitlines()
    assert pv[1].split()[:7] == ["keep", "2Gi", "RWO", "Retain", "Bound", "default/data",
                                 "manual"]
    claim = json.loads(kubectl("get", "pvc", "data", "-o", "json").stdout)
    assert claim["metadata"]["annotations"] == {
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
    }
    assert kubectl("delete", "pvc", "data").stdout == (
        'persistentvolumeclaim "data" deleted from default namespace\n'
    )
    out = wait_kubectl(kubectl, lambda o: " Released " in o, "get", "pv", "keep")
    assert out.splitlines()[1].split()[:6] == ["keep", "2Gi", "RWO", "Retain", "Released",
                                               "default/data"]
    assert kubectl("get", "pvc", "data").returncode != 0


def test_local_path_claim_provisioned_and_reclaimed(kubectl: Kubectl, storage: Storage) -> None:
    sc = kubectl("get", "sc").stdout.splitlines()
    assert sc[0].split() == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE",
                             "ALLOWVOLUMEEXPANSION", "AGE"]
    assert sc[1].split()[:6] == ["local-path", "(default)", "rancher.io/local-path", "Delete",
                                 "WaitForFirstConsumer", "false"]
    assert kubectl("create", "-f", "-", stdin=CLAIM).returncode == 0
    wait_kubectl(kubectl, lambda o: "WaitForFirstConsumer" in o, "describe", "pvc", "local")
    described = kubectl("describe", "pvc", "local").stdout
    assert "waiting for first consumer to be created before binding" in described
    assert "persistentvolume-controller" in described
    # what the scheduler does for the first pod using it
    kubectl("annotate", "pvc", "local", f"volume.kubernetes.io/selected-node={NODE}")
    out = wait_kubectl(kubectl, lambda o: " Bound " in o, "get", "pvc", "local")
    claim = json.loads(kubectl("get", "pvc", "local", "-o", "json").stdout)
    uid = claim["metadata"]["uid"]
    pv_name = f"pvc-{uid}"
    assert out.splitlines()[1].split()[:6] == ["local", "Bound", pv_name, "128Mi", "RWO",
                                               "local-path"]
    path = storage.root / f"{pv_name}_default_local"
    assert path.is_dir()
    pv = json.loads(kubectl("get", "pv", pv_name, "-o", "json").stdout)
    assert pv["spec"]["local"] == {"path": str(path)}
    assert pv["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]
    described = kubectl("describe", "pvc", "local").stdout
    for text in (
        "Waiting for a volume to be created either by the external provisioner "
        "'rancher.io/local-path' or manually by the system administrator.",
        'External provisioner is provisioning volume for claim "default/local"',
        f"Successfully provisioned volume {pv_name}",
    ):
        assert text in " ".join(described.split()), described
    assert kubectl("delete", "pvc", "local").returncode == 0
    wait_kubectl(kubectl, lambda o: o.strip() == "", "get", "pv", "-o", "name")
    assert not path.exists()
    assert Path(storage.root).is_dir()
