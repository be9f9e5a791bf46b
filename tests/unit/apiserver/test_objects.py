"""The simple kinds' registry, printers, quantities and protobuf bodies.

Role: unit tests of ``seclet.apiserver.objects`` over the in-memory store (defaults,
``stringData``, admission, finalizer-aware delete, status, conflicts),
``seclet.api.quantity`` (``Quantity.String()``), the printers of ``tables`` for
configmaps, secrets, PVs, claims and classes, and ``protobuf`` ConfigMap/Secret bodies.
Callers: pytest.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from seclet.api.quantity import canonical
from seclet.apiserver import protobuf, tables
from seclet.apiserver.objects import KINDS, Objects, base64_error
from seclet.apiserver.registry import Registry
from seclet.apiserver.status import APIError
from seclet.store.memory import MemoryStore
from seclet.store.sqlite import SQLiteStore

NOW = datetime.datetime(2026, 1, 1, 1, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture
def objects() -> Objects:
    registry = Registry(MemoryStore(), clock=lambda: NOW, new_uid=lambda: "uid-1")
    registry.bootstrap()
    return Objects(registry)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("1.5Gi", "1536Mi"),
        ("2000M", "2G"),
        ("1500", "1500"),
        ("1.5", "1500m"),
        ("0.1m", "100u"),
        ("1e3", "1e3"),
        ("512", "512"),
        ("0", "0"),
        (5, "5"),
    ],
)
def test_quantity_canonical(given: Any, expected: str) -> None:
    assert canonical(given) == expected


def test_base64_errors_as_go() -> None:
    assert base64_error("aGVsbG8=") is None
    assert base64_error("abc") == "illegal base64 data at input byte 0"
    assert base64_error("aGVsbG8") == "illegal base64 data at input byte 4"
    assert base64_error("aGVs!G8=") == "illegal base64 data at input byte 4"


def test_secret_string_data_and_type(objects: Objects) -> None:
    body = {"metadata": {"name": "s"}, "stringData": {"user": "admin"}, "data": {"a": "Yg=="}}
    stored = objects.create(KINDS["secrets"], "default", body).object
    assert stored["data"] == {"a": "Yg==", "user": "YWRtaW4="}
    assert stored["type"] == "Opaque"
    assert "stringData" not in stored


def test_secret_bad_base64_is_bad_request(objects: Objects) -> None:
    with pytest.raises(APIError) as err:
        objects.create(KINDS["secrets"], "default", {"metadata": {"name": "s"}, "data": {"a": "!"}})
    assert err.value.code == 400
    assert err.value.status["message"] == (
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0'
    )


def test_invalid_configmap_is_422(objects: Objects) -> None:
    with pytest.raises(APIError) as err:
        objects.create(
            KINDS["configmaps"], "default", {"metadata": {"name": "c"}, "data": {"a/b": "v"}}
        )
    assert err.value.code == 422
    assert err.value.status["message"].startswith(
        'ConfigMap "c" is invalid: data[a/b]: Invalid value: "a/b": a valid config key'
    )


def test_unknown_field_strict(objects: Objects) -> None:
    with pytest.raises(APIError) as err:
        objects.create(
            KINDS["configmaps"],
            "default",
            {"metadata": {"name": "c"}, "datta": {}},
            field_validation="Strict",
        )
    assert err.value.status["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
        'unknown field "datta"'
    )


CLASS = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {
        "name": "local-path",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    },
    "provisioner": "rancher.io/local-path",
}
CLAIM: dict[str, Any] = {
    "metadata": {"name": "c"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1024Mi"}}},
}


def test_claim_defaults_and_admission(objects: Objects) -> None:
    sc = objects.create(KINDS["storageclasses"], "", CLASS).object
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")
    claim = objects.create(KINDS["persistentvolumeclaims"], "default", CLAIM).object
    assert claim["spec"]["storageClassName"] == "local-path"
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert claim["status"] == {"phase": "Pending"}
    explicit = {
        **CLAIM,
        "metadata": {"name": "d"},
        "spec": {**CLAIM["spec"], "storageClassName": ""},
    }
    assert (
        objects.create(KINDS["persistentvolumeclaims"], "default", explicit).object["spec"][
            "storageClassName"
        ]
        == ""
    )


def test_finalizer_aware_delete(objects: Objects) -> None:
    kind = KINDS["persistentvolumeclaims"]
    objects.create(kind, "default", CLAIM)
    marked = objects.delete(kind, "default", "c", {})
    assert marked["metadata"]["deletionTimestamp"] == "2026-01-01T01:00:00Z"
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 0
    assert objects.get(kind, "default", "c")["metadata"]["deletionTimestamp"]
    with pytest.raises(APIError) as err:
        objects.patch(
            kind,
            "default",
            "c",
            "application/merge-patch+json",
            {"metadata": {"finalizers": ["a/b", "kubernetes.io/pvc-protection"]}},
        )
    assert (
        "no new finalizers can be added if the object is being deleted"
        in err.value.status["message"]
    )
    gone = objects.patch(
        kind, "default", "c", "application/merge-patch+json", {"metadata": {"finalizers": None}}
    )
    assert gone.object["metadata"]["name"] == "c"
    with pytest.raises(APIError) as err:
        objects.get(kind, "default", "c")
    assert err.value.status["message"] == 'persistentvolumeclaims "c" not found'


def test_delete_without_finalizers_answers_status(objects: Objects) -> None:
    kind = KINDS["configmaps"]
    objects.create(kind, "default", {"metadata": {"name": "c"}})
    answer = objects.delete(kind, "default", "c", {})
    assert answer == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": "c", "kind": "configmaps", "uid": "uid-1"},
    }


def test_pv_status_and_update_keep_each_other(objects: Objects) -> None:
    kind = KINDS["persistentvolumes"]
    pv = {
        "metadata": {"name": "pv"},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "hostPath": {"path": "/d"},
        },
    }
    stored = objects.create(kind, "", pv).object
    assert stored["status"] == {
        "phase": "Pending",
        "lastPhaseTransitionTime": "2026-01-01T01:00:00Z",
    }
    assert stored["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    rv = stored["metadata"]["resourceVersion"]
    bound = objects.update_status(
        kind,
        "",
        "pv",
        {"metadata": {"name": "pv", "resourceVersion": rv}, "status": {"phase": "Available"}},
    ).object
    assert bound["status"]["phase"] == "Available"
    again = dict(bound, status={"phase": "Failed"}, spec={**bound["spec"], "storageClassName": "x"})
    updated = objects.update(kind, "", "pv", again).object
    assert updated["status"]["phase"] == "Available"
    assert updated["spec"]["storageClassName"] == "x"
    with pytest.raises(APIError) as err:
        objects.update(
            kind, "", "pv", dict(again, metadata={**again["metadata"], "resourceVersion": rv})
        )
    assert err.value.code == 409


def test_storage_class_not_found_names_group(objects: Objects) -> None:
    with pytest.raises(APIError) as err:
        objects.get(KINDS["storageclasses"], "", "nope")
    assert err.value.status["message"] == 'storageclasses.storage.k8s.io "nope" not found'


def test_printers() -> None:
    pv = {
        "metadata": {"name": "pv", "creationTimestamp": "2026-01-01T00:59:00Z"},
        "spec": {
            "capacity": {"storage": "1024Mi"},
            "accessModes": ["ReadWriteOncePod", "ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Delete",
            "claimRef": {"namespace": "ns", "name": "c"},
            "storageClassName": "local-path",
            "volumeMode": "Filesystem",
        },
        "status": {"phase": "Bound"},
    }
    assert tables.persistent_volume_row_cells(pv, NOW) == [
        "pv",
        "1Gi",
        "RWO,RWOP",
        "Delete",
        "Bound",
        "ns/c",
        "local-path",
        "<unset>",
        "",
        "60s",
        "Filesystem",
    ]
    claim = {
        "metadata": {"name": "c", "creationTimestamp": "2026-01-01T00:59:00Z"},
        "spec": {"volumeName": "pv", "storageClassName": "local-path"},
        "status": {
            "phase": "Bound",
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
        },
    }
    assert tables.persistent_volume_claim_row_cells(claim, NOW) == [
        "c",
        "Bound",
        "pv",
        "1Gi",
        "RWO",
        "local-path",
        "<unset>",
        "60s",
        "<unset>",
    ]
    sc = {
        "metadata": {
            "name": "s",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        }
    }
    assert tables.storage_class_row_cells(sc, NOW) == [
        "s (default)",
        "",
        "Delete",
        "Immediate",
        False,
        "<unknown>",
    ]
    cm = {"metadata": {"name": "c"}, "data": {"a": "1"}, "binaryData": {"b": "AA=="}}
    assert tables.config_map_row_cells(cm, NOW) == ["c", 2, "<unknown>"]
    secret = {"metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "AA=="}}
    assert tables.secret_row_cells(secret, NOW) == ["s", "Opaque", 1, "<unknown>"]


def _field(number: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return bytes([number << 3, payload])
    raw = payload.encode() if isinstance(payload, str) else payload
    return bytes([(number << 3) | 2, len(raw)]) + raw


def _envelope(kind: str, raw: bytes) -> bytes:
    type_meta = _field(1, "v1") + _field(2, kind)
    return protobuf.MAGIC + _field(1, type_meta) + _field(2, raw)


def test_protobuf_config_map_and_secret() -> None:
    meta = _field(1, "c") + _field(2, "")
    cm = (
        _field(1, meta)
        + _field(2, _field(1, "k") + _field(2, "v"))
        + _field(3, _field(1, "b") + _field(2, b"\x00\x01"))
        + _field(4, 1)
    )
    assert protobuf.decode(_envelope("ConfigMap", cm)) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"k": "v"},
        "binaryData": {"b": "AAE="},
        "immutable": True,
    }
    secret = (
        _field(1, meta)
        + _field(2, _field(1, "tls.crt") + _field(2, b"PEM"))
        + _field(3, "kubernetes.io/tls")
    )
    assert protobuf.decode(_envelope("Secret", secret)) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "c"},
        "data": {"tls.crt": "UEVN"},
        "type": "kubernetes.io/tls",
    }


def test_claim_resize_admission(objects: Objects) -> None:
    claims = KINDS["persistentvolumeclaims"]
    objects.create(KINDS["storageclasses"], "", CLASS)
    objects.create(claims, "default", CLAIM)
    grow = {"spec": {"resources": {"requests": {"storage": "2Gi"}}}}
    with pytest.raises(APIError) as err:
        objects.patch(claims, "default", "c", "application/merge-patch+json", grow)
    assert err.value.status["message"].startswith(
        'PersistentVolumeClaim "c" is invalid: spec: Forbidden: spec is immutable after creation'
    )
    objects.patch_status(
        claims, "default", "c", "application/merge-patch+json", {"status": {"phase": "Bound"}}
    )
    with pytest.raises(APIError) as err:
        objects.patch(claims, "default", "c", "application/merge-patch+json", grow)
    assert err.value.code == 403
    assert err.value.status["message"] == (
        'persistentvolumeclaims "c" is forbidden: only dynamically provisioned pvc can be '
        "resized and the storageclass that provisions the pvc must support resize"
    )
    objects.patch(
        KINDS["storageclasses"],
        "",
        "local-path",
        "application/merge-patch+json",
        {"allowVolumeExpansion": True},
    )
    grown = objects.patch(claims, "default", "c", "application/merge-patch+json", grow).object
    assert grown["spec"]["resources"]["requests"]["storage"] == "2Gi"


def test_strategic_patch_merges_finalizers(objects: Objects) -> None:
    kind = KINDS["configmaps"]
    objects.create(kind, "default", {"metadata": {"name": "c", "finalizers": ["a.io/x"]}})
    patch = {
        "metadata": {"$setElementOrder/finalizers": ["a.io/x", "b.io/y"], "finalizers": ["b.io/y"]}
    }
    out = objects.patch(kind, "default", "c", "application/strategic-merge-patch+json", patch)
    assert out.object["metadata"]["finalizers"] == ["a.io/x", "b.io/y"]
    drop = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/x"]}}
    out = objects.patch(kind, "default", "c", "application/strategic-merge-patch+json", drop)
    assert out.object["metadata"]["finalizers"] == ["b.io/y"]


def test_delete_collection_by_label(objects: Objects) -> None:
    kind = KINDS["configmaps"]
    objects.create(kind, "default", {"metadata": {"name": "a", "labels": {"app": "x"}}})
    objects.create(kind, "default", {"metadata": {"name": "b"}})
    answer = objects.delete_collection(kind, "default", {}, "app=x")
    assert answer["kind"] == "ConfigMapList"
    assert [i["metadata"]["name"] for i in answer["items"]] == ["a"]
    assert [o["metadata"]["name"] for o in objects.registry.list("configmaps", "default")[0]] == [
        "b"
    ]


def test_dry_run_create_stores_nothing_but_sees_conflicts(objects: Objects) -> None:
    kind = KINDS["storageclasses"]
    assert objects.create(kind, "", CLASS, dry_run=True).object["metadata"]["name"] == "local-path"
    assert objects.registry.list("storageclasses", None)[0] == []
    objects.create(kind, "", CLASS)
    with pytest.raises(APIError) as err:
        objects.create(kind, "", CLASS, dry_run=True)
    assert err.value.status["message"] == (
        'storageclasses.storage.k8s.io "local-path" already exists'
    )


def test_namespace_deletion_removes_its_volume_objects(objects: Objects) -> None:
    registry = objects.registry
    registry.create_namespace({"metadata": {"name": "team"}})
    objects.create(KINDS["configmaps"], "team", {"metadata": {"name": "c"}})
    objects.create(KINDS["secrets"], "team", {"metadata": {"name": "s"}})
    objects.create(KINDS["persistentvolumeclaims"], "team", CLAIM)
    registry.delete_namespace("team", {})
    for resource in ("configmaps", "secrets", "persistentvolumeclaims"):
        assert registry.list(resource, "team")[0] == []
    names = [ns["metadata"]["name"] for ns in registry.list("namespaces", None)[0]]
    assert "team" not in names


def test_objects_over_sqlite(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    try:
        registry = Registry(store, clock=lambda: NOW, new_uid=lambda: "uid-1")
        registry.bootstrap()
        objects = Objects(registry)
        objects.create(KINDS["storageclasses"], "", CLASS)
        objects.create(KINDS["persistentvolumeclaims"], "default", CLAIM)
        claim = objects.get(KINDS["persistentvolumeclaims"], "default", "c")
        assert claim["spec"]["storageClassName"] == "local-path"
        assert [o["metadata"]["name"] for o in registry.list("storageclasses", None)[0]] == [
            "local-path"
        ]
    finally:
        store.close()
