"""The real kubectl 1.35 with ConfigMaps, Secrets, PersistentVolumes, claims, StorageClasses.

Role: end-to-end API tests over HTTPS: ``kubectl create configmap|secret`` (protobuf
bodies), apply/replace/patch/delete of each kind, the tables kubectl prints,
describe, selectors, upstream's Invalid texts, the default StorageClass and the
protection finalizers.
Callers: pytest.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from integration.apiserver.conftest import Kubectl, Running
from integration.apiserver.test_http import _request

STORAGE = """\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv1
spec:
  capacity:
    storage: 1024Mi
  accessModes: [ReadWriteOnce]
  hostPath:
    path: /tmp/pv1
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: claim
spec:
  accessModes: [ReadWriteOncePod]
  resources:
    requests:
      storage: 1Gi
"""


def _ok(out: object) -> str:
    assert getattr(out, "returncode", 1) == 0, getattr(out, "stderr", "")
    return str(getattr(out, "stdout", ""))


def test_create_configmap_from_literal_and_file(kubectl: Kubectl, tmp_path: Path) -> None:
    f = tmp_path / "game.properties"
    f.write_text("lives=3\n")
    assert _ok(kubectl("create", "configmap", "cfg", "--from-literal=a=b", f"--from-file={f}")) == (
        "configmap/cfg created\n"
    )
    table = _ok(kubectl("get", "cm")).splitlines()
    assert table[0].split() == ["NAME", "DATA", "AGE"]
    assert table[1].split()[:2] == ["cfg", "2"]
    obj = yaml.safe_load(_ok(kubectl("get", "configmap", "cfg", "-o", "yaml")))
    assert obj["data"] == {"a": "b", "game.properties": "lives=3\n"}
    assert obj["metadata"]["namespace"] == "default"
    assert "generateName" not in obj["metadata"]
    described = _ok(kubectl("describe", "cm", "cfg"))
    assert "Name:         cfg" in described
    assert "game.properties:\n----\nlives=3" in described


def test_create_secrets(kubectl: Kubectl, apiserver: Running) -> None:
    creds = apiserver.server.credentials
    assert creds is not None
    _ok(kubectl("create", "secret", "generic", "s1", "--from-literal=user=admin"))
    _ok(kubectl("create", "secret", "tls", "t1", f"--cert={creds.cert}", f"--key={creds.key}"))
    _ok(
        kubectl(
            "create",
            "secret",
            "docker-registry",
            "reg",
            "--docker-server=r.example",
            "--docker-username=u",
            "--docker-password=p",
        )
    )
    rows = [line.split() for line in _ok(kubectl("get", "secrets")).splitlines()]
    assert rows[0] == ["NAME", "TYPE", "DATA", "AGE"]
    assert [r[:3] for r in rows[1:]] == [
        ["reg", "kubernetes.io/dockerconfigjson", "1"],
        ["s1", "Opaque", "1"],
        ["t1", "kubernetes.io/tls", "2"],
    ]
    s1 = yaml.safe_load(_ok(kubectl("get", "secret", "s1", "-o", "yaml")))
    assert s1["data"] == {"user": "YWRtaW4="}
    assert s1["type"] == "Opaque"
    assert "user:  5 bytes" in _ok(kubectl("describe", "secret", "s1"))
    only_tls = _ok(
        kubectl("get", "secrets", "--field-selector", "type=kubernetes.io/tls", "-o", "name")
    )
    assert only_tls == "secret/t1\n"


def test_invalid_and_immutable_configmap(kubectl: Kubectl, tmp_path: Path) -> None:
    bad_key = tmp_path / "bad.yaml"
    bad_key.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a/b: c\n")
    bad = kubectl("apply", "-f", str(bad_key))
    assert bad.returncode == 1
    assert bad.stderr == (
        'The ConfigMap "bad" is invalid: data[a/b]: Invalid value: "a/b": a valid config key '
        "must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
        "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')\n"
    )
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frozen\ndata:\n  k: v\nimmutable: true\n"
    )
    _ok(kubectl("apply", "-f", str(manifest)))
    out = kubectl("patch", "cm", "frozen", "-p", '{"data":{"k":"w"}}')
    assert out.returncode == 1
    assert out.stderr == (
        'The ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when '
        "`immutable` is set\n"
    )


def test_replace_and_label_selector(kubectl: Kubectl, tmp_path: Path) -> None:
    _ok(kubectl("create", "configmap", "one", "--from-literal=a=1"))
    _ok(kubectl("label", "cm", "one", "tier=web"))
    _ok(kubectl("create", "configmap", "two", "--from-literal=a=2"))
    assert _ok(kubectl("get", "cm", "-l", "tier=web", "-o", "name")) == "configmap/one\n"
    obj = yaml.safe_load(_ok(kubectl("get", "cm", "two", "-o", "yaml")))
    obj["data"]["a"] = "22"
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(obj))
    assert _ok(kubectl("replace", "-f", str(path))) == "configmap/two replaced\n"
    stale = kubectl("replace", "-f", str(path))
    assert stale.returncode == 1
    assert 'Operation cannot be fulfilled on configmaps "two": the object has been modified' in (
        stale.stderr
    )
    assert _ok(kubectl("delete", "cm", "two")) == 'configmap "two" deleted from default namespace\n'


def test_storage_objects(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = tmp_path / "storage.yaml"
    manifest.write_text(STORAGE)
    assert _ok(kubectl("apply", "-f", str(manifest))) == (
        "storageclass.storage.k8s.io/local-path created\n"
        "persistentvolume/pv1 created\n"
        "persistentvolumeclaim/claim created\n"
    )
    pv = [line.split() for line in _ok(kubectl("get", "pv")).splitlines()]
    assert pv[0] == [
        "NAME",
        "CAPACITY",
        "ACCESS",
        "MODES",
        "RECLAIM",
        "POLICY",
        "STATUS",
        "CLAIM",
        "STORAGECLASS",
        "VOLUMEATTRIBUTESCLASS",
        "REASON",
        "AGE",
    ]
    assert pv[1][:6] == ["pv1", "1Gi", "RWO", "Retain", "Pending", "<unset>"]
    pvc = [line.split() for line in _ok(kubectl("get", "pvc")).splitlines()]
    assert pvc[0] == [
        "NAME",
        "STATUS",
        "VOLUME",
        "CAPACITY",
        "ACCESS",
        "MODES",
        "STORAGECLASS",
        "VOLUMEATTRIBUTESCLASS",
        "AGE",
    ]
    assert pvc[1][:4] == ["claim", "Pending", "local-path", "<unset>"]
    sc = [line.split() for line in _ok(kubectl("get", "sc")).splitlines()]
    assert sc[0] == [
        "NAME",
        "PROVISIONER",
        "RECLAIMPOLICY",
        "VOLUMEBINDINGMODE",
        "ALLOWVOLUMEEXPANSION",
        "AGE",
    ]
    assert sc[1][:6] == [
        "local-path",
        "(default)",
        "rancher.io/local-path",
        "Delete",
        "WaitForFirstConsumer",
        "false",
    ]
    claim = yaml.safe_load(_ok(kubectl("get", "pvc", "claim", "-o", "yaml")))
    assert claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert claim["spec"]["storageClassName"] == "local-path"
    assert claim["spec"]["volumeMode"] == "Filesystem"
    all_kinds = _ok(kubectl("get", "pv,pvc,sc", "-o", "name")).split()
    assert all_kinds == [
        "persistentvolume/pv1",
        "persistentvolumeclaim/claim",
        "storageclass.storage.k8s.io/local-path",
    ]
    assert "StorageClass:  local-path" in _ok(kubectl("describe", "pvc", "claim"))
    assert "Reclaim Policy:  Retain" in _ok(kubectl("describe", "pv", "pv1"))
    assert "IsDefaultClass:  Yes" in _ok(kubectl("describe", "sc", "local-path"))


def test_claim_deletion_waits_for_its_finalizer(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = tmp_path / "storage.yaml"
    manifest.write_text(STORAGE)
    _ok(kubectl("apply", "-f", str(manifest)))
    assert _ok(kubectl("delete", "pvc", "claim", "--wait=false")) == (
        'persistentvolumeclaim "claim" deleted from default namespace\n'
    )
    assert _ok(kubectl("get", "pvc")).splitlines()[1].split()[:2] == ["claim", "Terminating"]
    _ok(kubectl("patch", "pvc", "claim", "--type=merge", "-p", '{"metadata":{"finalizers":null}}'))
    out = kubectl("get", "pvc", "claim")
    assert out.returncode == 1
    assert out.stderr == 'Error from server (NotFound): persistentvolumeclaims "claim" not found\n'


def test_invalid_storage_objects(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = tmp_path / "storage.yaml"
    manifest.write_text(STORAGE)
    _ok(kubectl("apply", "-f", str(manifest)))
    out = kubectl("patch", "sc", "local-path", "-p", '{"parameters":{"a":"b"}}')
    assert out.stderr == (
        'The StorageClass "local-path" is invalid: parameters: Forbidden: updates to parameters '
        "are forbidden.\n"
    )
    pv = tmp_path / "pv.yaml"
    pv.write_text(
        "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: bad\nspec:\n"
        "  accessModes: [ReadWriteOncePod, ReadWriteOnce]\n  capacity:\n    storage: 1Gi\n"
    )
    out = kubectl("apply", "-f", str(pv))
    assert out.returncode == 1
    assert out.stderr == (
        'The PersistentVolume "bad" is invalid: \n'
        "* spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes\n"
        "* spec: Required value: must specify a volume type\n"
    )
    out = kubectl("patch", "pvc", "claim", "-p", '{"spec":{"accessModes":["ReadWriteMany"]}}')
    assert out.returncode == 1
    assert out.stderr.startswith(
        'The PersistentVolumeClaim "claim" is invalid: spec: Forbidden: spec is immutable after '
        "creation except resources.requests and volumeAttributesClassName for bound claims"
    )


def test_watch_configmaps_over_http(apiserver: Running, kubectl: Kubectl) -> None:
    _ok(kubectl("create", "configmap", "w", "--from-literal=a=b"))
    code, _, body = _request(
        apiserver,
        "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&timeoutSeconds=1",
    )
    assert code == 200
    events = [json.loads(line) for line in body.decode().splitlines()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "w")]
    assert events[0]["object"]["data"] == {"a": "b"}
    code, _, body = _request(
        apiserver, "/api/v1/namespaces/default/configmaps?labelSelector=a%3D%3D", method="DELETE"
    )
    assert (code, json.loads(body)["kind"]) == (200, "ConfigMapList")
