"""configMap/secret/downwardAPI payloads (pure): items, modes, optional, upstream's
errors, fieldpath formatting and resource values. Callers: pytest."""

from __future__ import annotations

import base64

import pytest

from seclet.api import models
from seclet.api.decode import build
from seclet.kubelet.volume.atomicwriter import FileProjection, PayloadError
from seclet.kubelet.volume.payload import (
    aggregate,
    configmap_payload,
    downward_payload,
    extract_field_path,
    format_map,
    resource_value,
    secret_payload,
)

CM = {"data": {"a": "1", "b": "2"}, "binaryData": {"bin": base64.b64encode(b"\x00\x01").decode()}}
SECRET = {"data": {"user": base64.b64encode(b"admin").decode()}}


def _ktp(key: str, path: str, mode: int | None = None) -> models.KeyToPath:
    return models.KeyToPath(key=key, path=path, mode=mode)


def test_configmap_all_keys_with_default_mode() -> None:
    assert configmap_payload(CM, (), 0o644, False) == {
        "a": FileProjection(b"1", 0o644),
        "b": FileProjection(b"2", 0o644),
        "bin": FileProjection(b"\x00\x01", 0o644),
    }


def test_configmap_items_and_modes() -> None:
    got = configmap_payload(CM, (_ktp("a", "x/a.txt", 0o400), _ktp("b", "b")), 0o600, False)
    assert got == {"x/a.txt": FileProjection(b"1", 0o400), "b": FileProjection(b"2", 0o600)}


def test_missing_keys_as_upstream() -> None:
    with pytest.raises(PayloadError) as e:
        configmap_payload(CM, (_ktp("nope", "n"),), 0o644, False)
    assert str(e.value) == "configmap references non-existent config key: nope"
    assert configmap_payload(CM, (_ktp("nope", "n"),), 0o644, True) == {}
    with pytest.raises(PayloadError) as e:
        secret_payload(SECRET, (_ktp("pw", "pw"),), 0o644, False)
    assert str(e.value) == "references non-existent secret key: pw"
    assert configmap_payload(None, (), 0o644, True) == {}  # optional and missing: empty


def test_secret_is_decoded() -> None:
    assert secret_payload(SECRET, (), 0o400, False) == {"user": FileProjection(b"admin", 0o400)}


def _pod(**meta: object) -> models.Pod:
    return build(
        {
            "metadata": {"name": "p", "namespace": "ns", "uid": "u-1", **meta},
            "spec": {
                "nodeName": "n",
                "containers": [
                    {
                        "name": "c",
                        "resources": {
                            "limits": {"memory": "64Mi"},
                            "requests": {"cpu": "250m", "memory": "32Mi"},
                        },
                    }
                ],
            },
        },
        models.Pod,
    )


def test_labels_and_annotations_format() -> None:
    pod = _pod(labels={"zone": "us", "app": 'say "hi"\n'}, annotations={"k": "v"})
    assert extract_field_path(pod, "metadata.labels") == 'app="say \\"hi\\"\\n"\nzone="us"'
    assert extract_field_path(pod, "metadata.annotations") == 'k="v"'
    assert extract_field_path(pod, "metadata.labels['zone']") == "us"
    assert extract_field_path(pod, "metadata.labels['none']") == ""
    assert extract_field_path(pod, "metadata.uid") == "u-1"
    assert format_map({}) == ""


def test_unsupported_field_paths() -> None:
    """The volume plugin uses ``fieldpath.ExtractFieldPathAsString``, which (unlike the
    env var resolver) knows only metadata fields."""
    with pytest.raises(PayloadError) as e:
        extract_field_path(_pod(), "spec.nodeName")
    assert str(e.value) == "unsupported fieldPath: spec.nodeName"
    with pytest.raises(PayloadError) as e:
        extract_field_path(_pod(), "metadata.name['x']")
    assert str(e.value) == "fieldPath \"metadata.name['x']\" does not support subscript"


def test_resource_values_with_divisors_and_allocatable() -> None:
    pod = _pod()
    alloc = {"cpu": "4", "memory": "8Gi"}

    def value(resource: str, divisor: str | None = None) -> str:
        sel = models.ResourceFieldSelector(containerName="c", resource=resource, divisor=divisor)
        return resource_value(pod, sel, alloc)

    assert value("limits.memory") == str(64 * 1024 * 1024)
    assert value("limits.memory", "1Mi") == "64"
    assert value("requests.cpu", "1m") == "250"
    assert value("requests.cpu") == "1"  # 250m rounded up to whole cores
    assert value("limits.cpu") == "4"  # no limit: the node's allocatable
    assert value("limits.cpu", "1m") == "4000"
    with pytest.raises(PayloadError) as e:
        value("limits.gpu")
    assert str(e.value) == "unsupported container resource : limits.gpu"
    sel = models.ResourceFieldSelector(containerName="x", resource="limits.cpu")
    with pytest.raises(PayloadError) as e:
        resource_value(pod, sel, alloc)
    assert str(e.value) == "container x not found"


def test_downward_errors_are_aggregated() -> None:
    items = (
        models.DownwardAPIVolumeFile(
            path="a", fieldRef=models.ObjectFieldSelector(fieldPath="spec.nodeName")
        ),
        models.DownwardAPIVolumeFile(
            path="b", fieldRef=models.ObjectFieldSelector(fieldPath="status.podIP")
        ),
        models.DownwardAPIVolumeFile(
            path="./c", mode=0o400, fieldRef=models.ObjectFieldSelector(fieldPath="metadata.name")
        ),
    )
    with pytest.raises(PayloadError) as e:
        downward_payload(_pod(), items, 0o644, {})
    assert str(e.value) == (
        "[unsupported fieldPath: spec.nodeName, unsupported fieldPath: status.podIP]"
    )
    assert downward_payload(_pod(), items[2:], 0o644, {}) == {"c": FileProjection(b"p", 0o400)}
    assert aggregate(["x", "x"]) == "x"


def test_memory_backed_volume_size() -> None:
    """``calculateEmptyDirMemorySize``: allocatable, lowered to the pod's memory limit
    (all containers limited), then to the volume's sizeLimit."""
    from seclet.kubelet.volume.emptydir import memory_size, tmpfs_options

    alloc = {"memory": "8Gi"}
    unlimited = build({"spec": {"containers": [{"name": "a"}]}}, models.Pod)
    assert memory_size(unlimited, "", alloc) == str(8 * 2**30)
    assert memory_size(unlimited, "64Mi", alloc) == str(64 * 2**20)
    assert memory_size(unlimited, "16Gi", alloc) == str(8 * 2**30)  # not above allocatable
    assert memory_size(unlimited, "", {}) == ""
    limited = build(
        {
            "spec": {
                "containers": [
                    {"name": "a", "resources": {"limits": {"memory": "100Mi"}}},
                    {"name": "b", "resources": {"limits": {"memory": "28Mi"}}},
                ],
                "initContainers": [{"name": "i", "resources": {"limits": {"memory": "1Gi"}}}],
            }
        },
        models.Pod,
    )
    assert memory_size(limited, "", alloc) == str(2**30)  # max(128Mi, init 1Gi)
    assert memory_size(limited, "32Mi", alloc) == str(32 * 2**20)
    assert tmpfs_options("") == ""
    assert tmpfs_options("67108864") == "size=67108864"


def test_nested_mountpoints() -> None:
    """``getNestedMountpoints``: only the first level beneath each mount point."""
    from seclet.kubelet.volume.projection import nested_mountpoints

    pod = build(
        {
            "spec": {
                "containers": [
                    {
                        "name": "a",
                        "volumeMounts": [
                            {"name": "cfg", "mountPath": "/etc/cfg"},
                            {"name": "x", "mountPath": "/etc/cfg/nested"},
                            {"name": "y", "mountPath": "/etc/cfg/nested/double"},
                            {"name": "z", "mountPath": "/etc/cfg/nested2/"},
                            {"name": "w", "mountPath": "/etc/cfgx"},
                        ],
                    },
                    {"name": "b", "volumeMounts": [{"name": "x", "mountPath": "/etc/cfg/o"}]},
                ]
            }
        },
        models.Pod,
    )
    assert nested_mountpoints("cfg", pod) == ["nested", "nested2"]
    assert nested_mountpoints("x", pod) == ["double"]
