"""Validation of ConfigMaps, Secrets, PersistentVolumes, claims and StorageClasses.

Role: unit tests of ``seclet.validation.configmap``, ``secret``, ``persistentvolume``
and ``storageclass`` against upstream's texts and field paths (k/k 1.35
``pkg/apis/core/validation`` and ``pkg/apis/storage/validation``).
Callers: pytest.
"""

from __future__ import annotations

import base64
from typing import Any

from seclet.api import models
from seclet.api.decode import build, check
from seclet.validation.configmap import validate_config_map, validate_config_map_update
from seclet.validation.persistentvolume import (
    validate_persistent_volume,
    validate_persistent_volume_claim,
    validate_persistent_volume_claim_update,
    validate_persistent_volume_update,
)
from seclet.validation.secret import validate_secret, validate_secret_update
from seclet.validation.storageclass import validate_storage_class, validate_storage_class_update

META = {"name": "x", "namespace": "default"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _texts(errors: Any) -> list[str]:
    return [str(e) for e in errors]


def _cm(**fields: Any) -> models.ConfigMap:
    return build(check({"metadata": META, **fields}, models.ConfigMap), models.ConfigMap)


def _secret(**fields: Any) -> models.Secret:
    return build(check({"metadata": META, **fields}, models.Secret), models.Secret)


def test_config_map_keys_duplicates_and_size() -> None:
    assert _texts(validate_config_map(_cm(data={"ok.key": "v"}))) == []
    assert _texts(validate_config_map(_cm(data={"a b": "v"}))) == [
        'data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric '
        "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', "
        "regex used for validation is '[-._a-zA-Z0-9]+')"
    ]
    both = _cm(data={"k": "v"}, binaryData={"k": _b64("v")})
    assert _texts(validate_config_map(both)) == [
        'data[k]: Invalid value: "k": duplicate of key present in binaryData'
    ]
    big = _cm(data={"a": "x" * (1024 * 1024), "b": "y"})
    assert _texts(validate_config_map(big)) == [": Too long: may not be more than 1048576 bytes"]
    assert _texts(validate_config_map(_cm(data={"a": "x" * (1024 * 1024)}))) == []


def test_immutable_config_map() -> None:
    old = _cm(data={"k": "v"}, immutable=True)
    changed = _cm(data={"k": "w"}, immutable=False)
    assert _texts(validate_config_map_update(changed, old)) == [
        "immutable: Forbidden: field is immutable when `immutable` is set",
        "data: Forbidden: field is immutable when `immutable` is set",
    ]
    assert _texts(validate_config_map_update(_cm(data={"k": "v"}, immutable=True), old)) == []
    assert _texts(validate_config_map_update(changed, _cm(data={"k": "v"}))) == []


def test_secret_types() -> None:
    assert _texts(validate_secret(_secret(type="kubernetes.io/tls"))) == [
        "data[tls.crt]: Required value",
        "data[tls.key]: Required value",
    ]
    assert _texts(validate_secret(_secret(type="kubernetes.io/basic-auth"))) == [
        "data[%s][username]: Required value",
        "data[%s][password]: Required value",
    ]
    assert _texts(validate_secret(_secret(type="kubernetes.io/ssh-auth"))) == [
        "data[%s][ssh-privatekey]: Required value"
    ]
    assert _texts(validate_secret(_secret(type="kubernetes.io/dockerconfigjson"))) == [
        "data[.dockerconfigjson]: Required value"
    ]
    bad_json = _secret(type="kubernetes.io/dockerconfigjson", data={".dockerconfigjson": _b64("{")})
    assert _texts(validate_secret(bad_json)) == [
        'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": '
        "unexpected end of JSON input"
    ]
    assert _texts(validate_secret(_secret(type="kubernetes.io/service-account-token"))) == [
        "metadata.annotations[kubernetes.io/service-account.name]: Required value"
    ]
    assert _texts(validate_secret(_secret(type="Opaque", data={"k": _b64("v")}))) == []


def test_secret_size_and_type_immutable() -> None:
    big = _secret(data={"a": base64.b64encode(b"x" * (1024 * 1024 + 1)).decode()})
    assert _texts(validate_secret(big)) == ["data: Too long: may not be more than 1048576 bytes"]
    old = _secret(type="Opaque", data={"k": _b64("v")}, immutable=True)
    new = _secret(type="kubernetes.io/basic-auth", data={"k": _b64("w")}, immutable=True)
    assert _texts(validate_secret_update(new, old)) == [
        'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
        "data: Forbidden: field is immutable when `immutable` is set",
        "data[%s][username]: Required value",
        "data[%s][password]: Required value",
    ]


def _pv(spec: dict[str, Any], name: str = "pv") -> models.PersistentVolume:
    body = {"metadata": {"name": name}, "spec": spec}
    return build(check(body, models.PersistentVolume), models.PersistentVolume)


HOST = {
    "capacity": {"storage": "1Gi"},
    "accessModes": ["ReadWriteOnce"],
    "hostPath": {"path": "/d"},
}


def test_persistent_volume_requirements() -> None:
    assert _texts(validate_persistent_volume(_pv(HOST))) == []
    assert _texts(validate_persistent_volume(_pv({}))) == [
        "spec.accessModes: Required value",
        "spec.capacity: Required value",
        'spec.capacity: Unsupported value: null: supported values: "storage"',
        "spec: Required value: must specify a volume type",
    ]
    rwop = {**HOST, "accessModes": ["ReadWriteOncePod", "ReadWriteMany", "Bad"]}
    assert _texts(validate_persistent_volume(_pv(rwop))) == [
        'spec.accessModes: Unsupported value: "Bad": supported values: "ReadOnlyMany", '
        '"ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes",
    ]
    cpu = {**HOST, "capacity": {"storage": "1024Mi", "cpu": "1"}}
    assert _texts(validate_persistent_volume(_pv(cpu))) == [
        'spec.capacity: Unsupported value: {"cpu":"1","storage":"1Gi"}: supported values: "storage"'
    ]
    zero = {**HOST, "capacity": {"storage": "0"}}
    assert _texts(validate_persistent_volume(_pv(zero))) == [
        'spec.capacity[storage]: Invalid value: "0": must be greater than zero'
    ]


def test_persistent_volume_sources() -> None:
    two = {**HOST, "nfs": {"server": "s", "path": "/p"}}
    assert _texts(validate_persistent_volume(_pv(two))) == [
        "spec.nfs: Forbidden: may not specify more than 1 volume type"
    ]
    local = {**{k: v for k, v in HOST.items() if k != "hostPath"}, "local": {"path": "/a/../b"}}
    assert _texts(validate_persistent_volume(_pv(local))) == [
        "spec.local.path: Invalid value: \"/a/../b\": must not contain '..'",
        "spec.nodeAffinity: Required value: Local volume requires node affinity",
    ]
    affinity = {
        "required": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In"}]}
            ]
        }
    }
    local_ok = {**local, "local": {"path": "/d"}, "nodeAffinity": affinity}
    assert _texts(validate_persistent_volume(_pv(local_ok))) == [
        "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values: "
        "Required value: must be specified when `operator` is 'In' or 'NotIn'"
    ]
    recycle = {**HOST, "hostPath": {"path": "/"}, "persistentVolumeReclaimPolicy": "Recycle"}
    assert _texts(validate_persistent_volume(_pv(recycle))) == [
        "spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath "
        "mount of '/'"
    ]


def test_persistent_volume_update() -> None:
    old = _pv({**HOST, "volumeMode": "Filesystem"})
    new = _pv({**HOST, "hostPath": {"path": "/e"}, "volumeMode": "Block"})
    assert _texts(validate_persistent_volume_update(new, old)) == [
        "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable "
        "after creation",
        'volumeMode: Invalid value: "Block": field is immutable',
    ]


def _pvc(
    spec: dict[str, Any], status: dict[str, Any] | None = None
) -> models.PersistentVolumeClaim:
    body: dict[str, Any] = {"metadata": META, "spec": spec}
    if status:
        body["status"] = status
    return build(check(body, models.PersistentVolumeClaim), models.PersistentVolumeClaim)


CLAIM = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}


def test_claim_requirements() -> None:
    assert _texts(validate_persistent_volume_claim(_pvc(CLAIM))) == []
    assert _texts(validate_persistent_volume_claim(_pvc({}))) == [
        "spec.accessModes: Required value: at least 1 access mode is required",
        "spec.resources[storage]: Required value",
    ]
    bad = {**CLAIM, "storageClassName": "Bad_Class", "volumeMode": "Raw"}
    assert _texts(validate_persistent_volume_claim(_pvc(bad))) == [
        'spec.storageClassName: Invalid value: "Bad_Class": a lowercase RFC 1123 subdomain '
        "must consist of lower case alphanumeric characters, '-' or '.', and must start and "
        "end with an alphanumeric character (e.g. 'example.com', regex used for validation "
        "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        'spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"',
    ]


def test_claim_update() -> None:
    old = _pvc(CLAIM)
    named = _pvc({**CLAIM, "volumeName": "pv1"})
    assert _texts(validate_persistent_volume_claim_update(named, old)) == []
    grown = {**CLAIM, "volumeName": "pv1", "resources": {"requests": {"storage": "2Gi"}}}
    bound = _pvc(grown, {"phase": "Bound"})
    assert _texts(validate_persistent_volume_claim_update(bound, named)) == []
    pending = _pvc(grown, {"phase": "Pending"})
    assert _texts(validate_persistent_volume_claim_update(pending, named)) == [
        "spec: Forbidden: spec is immutable after creation except resources.requests and "
        "volumeAttributesClassName for bound claims"
    ]
    modes = _pvc({**CLAIM, "accessModes": ["ReadWriteMany"]})
    assert _texts(validate_persistent_volume_claim_update(modes, old)) == [
        "spec: Forbidden: spec is immutable after creation except resources.requests and "
        "volumeAttributesClassName for bound claims"
    ]
    bound_claim = {**CLAIM, "volumeName": "pv1"}
    smaller = _pvc(
        {**bound_claim, "resources": {"requests": {"storage": "512Mi"}}}, {"phase": "Bound"}
    )
    # RecoverVolumeExpansionFailure: shrinking is allowed down to above status.capacity.
    assert _texts(validate_persistent_volume_claim_update(smaller, named)) == []
    with_capacity = _pvc(bound_claim, {"phase": "Bound", "capacity": {"storage": "1Gi"}})
    assert _texts(validate_persistent_volume_claim_update(smaller, with_capacity)) == [
        "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"
    ]
    rebind = _pvc({**CLAIM, "volumeName": "pv2"})
    assert _texts(validate_persistent_volume_claim_update(rebind, bound)) != []


def _sc(**fields: Any) -> models.StorageClass:
    return build(
        check({"metadata": {"name": "sc"}, **fields}, models.StorageClass), models.StorageClass
    )


def test_storage_class() -> None:
    ok = _sc(
        provisioner="rancher.io/local-path", reclaimPolicy="Delete", volumeBindingMode="Immediate"
    )
    assert _texts(validate_storage_class(ok)) == []
    bad = _sc(reclaimPolicy="Recycle", volumeBindingMode="Later")
    assert _texts(validate_storage_class(bad)) == [
        "provisioner: Required value",
        'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
        'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", '
        '"WaitForFirstConsumer"',
    ]
    new = _sc(
        provisioner="other",
        parameters={"a": "b"},
        reclaimPolicy="Retain",
        volumeBindingMode="WaitForFirstConsumer",
    )
    assert _texts(validate_storage_class_update(new, ok)) == [
        "parameters: Forbidden: updates to parameters are forbidden.",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
        "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
        'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
    ]


def test_persistent_volume_node_affinity_immutable() -> None:
    def affinity(host: str) -> dict[str, Any]:
        expr = {"key": "kubernetes.io/hostname", "operator": "In", "values": [host]}
        return {"required": {"nodeSelectorTerms": [{"matchExpressions": [expr]}]}}

    old = _pv({**HOST, "nodeAffinity": affinity("a")})
    new = _pv({**HOST, "nodeAffinity": affinity("b")})
    assert _texts(validate_persistent_volume_update(new, old)) == [
        'nodeAffinity: Invalid value: {"required":{"nodeSelectorTerms":[{"matchExpressions":'
        '[{"key":"kubernetes.io/hostname","operator":"In","values":["b"]}]}]}}: field is immutable'
    ]
    assert _texts(validate_persistent_volume_update(new, _pv(HOST))) == []


def test_persistent_volume_node_affinity_is_validate_node_selector() -> None:
    """``validateVolumeNodeAffinity`` calls ``ValidateNodeSelector`` with invalid label
    values refused: a field selector's operator comes before its key, its values are
    node names."""
    fields = {
        "required": {
            "nodeSelectorTerms": [
                {"matchFields": [{"key": "spec.x", "operator": "Exists", "values": ["A_b"]}]},
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["A_b"]}]},
            ]
        }
    }
    pv = _pv({**HOST, "nodeAffinity": fields})
    assert _texts(validate_persistent_volume(pv)) == [
        "spec.nodeAffinity.required.nodeSelectorTerms[0].matchFields[0].operator: "
        'Invalid value: "Exists": not a valid selector operator',
        "spec.nodeAffinity.required.nodeSelectorTerms[0].matchFields[0].key: "
        'Invalid value: "spec.x": not a valid field selector key',
        "spec.nodeAffinity.required.nodeSelectorTerms[1].matchFields[0].values[0]: "
        'Invalid value: "A_b": a lowercase RFC 1123 subdomain must consist of lower case '
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]
