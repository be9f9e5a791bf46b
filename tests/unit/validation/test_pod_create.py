"""Whole-pod behaviour: the page's manifests are valid, multi-error order, Status text, speed."""

from __future__ import annotations

import time
from pathlib import Path as FsPath
from typing import Any

import pytest
import yaml
from pod_builders import OPTS, build, create_errors, raw_pod, texts

from seclet.api.decode import decode_pod
from seclet.api.defaults import apply_default_admission, apply_pod_defaults, drop_disabled_fields
from seclet.api.featuregates import DEFAULT_GATES
from seclet.api.field import invalid_message
from seclet.validation import validate_pod_create
from shared_data import REPO

# The page's manifests as the repository ships them (examples/, byte for byte).
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


def _admitted(raw: dict[str, Any]) -> Any:
    raw.setdefault("metadata", {}).setdefault("namespace", "default")
    apply_pod_defaults(raw, DEFAULT_GATES)
    drop_disabled_fields(raw, DEFAULT_GATES)
    apply_default_admission(raw)
    return decode_pod(raw)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_doc_examples_are_valid(path: FsPath) -> None:
    pod = _admitted(yaml.safe_load(path.read_text()))
    assert texts(validate_pod_create(pod, OPTS)) == []


def test_multi_error_order_and_status_message() -> None:
    raw = raw_pod(
        name="Bad_Name",
        spec={
            "securityContext": {"runAsUser": -1, "fsGroup": -2},
            "volumes": [{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}],
            "hostUsers": False,
            "hostPID": True,
        },
        ctr_sc={
            "runAsGroup": -3,
            "procMount": "Unmasked",
            "allowPrivilegeEscalation": False,
            "privileged": True,
        },
    )
    raw["spec"]["containers"][0]["volumeMounts"] = [{"name": "missing", "mountPath": "/m"}]
    errs = create_errors(raw)
    sc_json = (
        '{"Capabilities":null,"Privileged":true,"SELinuxOptions":null,"WindowsOptions":null,'
        '"RunAsUser":null,"RunAsGroup":-3,"RunAsNonRoot":null,"ReadOnlyRootFilesystem":null,'
        '"AllowPrivilegeEscalation":false,"ProcMount":"Unmasked","SeccompProfile":null,"AppArmorProfile":null}'
    )
    assert texts(errs) == [
        'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case '
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type",
        'spec.containers[0].volumeMounts[0].name: Not found: "missing"',
        "spec.containers[0].securityContext.runAsGroup: Invalid value: -3: must be between 0 and 2147483647, inclusive",
        f"spec.containers[0].securityContext: Invalid value: {sc_json}: "
        "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
        "spec.securityContext.fsGroup: Invalid value: -2: must be between 0 and 2147483647, inclusive",
        "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive",
        "spec.HostPID: Forbidden: when `hostUsers` is false",
    ]
    message = invalid_message("Pod", "Bad_Name", errs)
    assert message.startswith(
        'Pod "Bad_Name" is invalid: [metadata.name: Invalid value: "Bad_Name": '
    )


def test_common_container_errors() -> None:
    raw = raw_pod()
    raw["spec"]["containers"] = [
        {"name": "a", "image": "i"},
        {"name": "a", "image": ""},
        {"name": "b", "image": " i", "ports": [{"containerPort": 70000}]},
    ]
    assert texts(create_errors(raw)) == [
        "spec.containers[1].image: Required value",
        'spec.containers[1].name: Duplicate value: "a"',
        "spec.containers[2].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        'spec.containers[2].image: Invalid value: " i": must not have leading or trailing whitespace',
    ]


def test_missing_containers_and_name() -> None:
    raw = raw_pod(name="")
    raw["metadata"].pop("name")
    raw["spec"]["containers"] = []
    assert texts(create_errors(raw)) == [
        "metadata.name: Required value: name or generateName is required",
        "spec.containers: Required value",
    ]


def test_ephemeral_containers_forbidden_on_create() -> None:
    raw = raw_pod(spec={"ephemeralContainers": [{"name": "e", "image": "i"}]})
    assert texts(create_errors(raw)) == [
        "spec.ephemeralContainers: Forbidden: cannot be set on create"
    ]


def test_error_paths_of_later_list_items() -> None:
    """Paths are built only when an error is reported: check the index and list name of
    every walk (init, regular, volumes, tolerations, projected sources, annotations),
    and upstream's order. Expected texts were produced by the eager-path code."""
    ctr_i1: dict[str, Any] = {
        "name": "i1",
        "image": "busybox ",
        "ports": [{"containerPort": 81, "hostPort": 81}, {"containerPort": 82, "hostPort": 81}],
        "livenessProbe": {"exec": {"command": ["x"]}},
        "securityContext": {
            "seccompProfile": {"type": "RuntimeDefault"},
            "windowsOptions": {"hostProcess": True},
        },
    }
    ctr_c1: dict[str, Any] = {
        "name": "c1",
        "image": "\tbusybox",
        "ports": [{"containerPort": 80, "hostPort": 8080}],
        "securityContext": {"appArmorProfile": {"type": "Unconfined"}, "runAsUser": -2},
    }
    token = {"serviceAccountToken": {"path": "t", "expirationSeconds": 3600}}
    raw = raw_pod(
        annotations={
            "container.seccomp.security.alpha.kubernetes.io/i1": "unconfined",
            "container.apparmor.security.beta.kubernetes.io/c1": "runtime/default",
        },
        spec={
            "os": {"name": "linux"},
            "hostNetwork": True,
            "securityContext": {
                "fsGroup": -1,
                "windowsOptions": {"hostProcess": False},
                "sysctls": [{"name": "net.core.somaxconn", "value": "1"}],
            },
            "tolerations": [
                {"operator": "Exists"},
                {"key": "k", "operator": "Exists", "value": "v"},
            ],
            "volumes": [
                {"name": "ok", "emptyDir": {}},
                {"name": "Bad_Vol", "emptyDir": {}},
                {"name": "tok", "projected": {"sources": [{"configMap": {"name": "c"}}, token]}},
            ],
            "initContainers": [{"name": "i0", "image": "busybox"}, ctr_i1],
            "containers": [{"name": "c0", "image": "busybox"}, ctr_c1],
        },
    )
    label_msg = (
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
        "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
        "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    )
    linux = "Forbidden: windows options cannot be set for a linux pod"
    assert texts(create_errors(raw)) == [
        f'spec.volumes[1].name: Invalid value: "Bad_Vol": {label_msg}',
        "spec.containers[1].securityContext.runAsUser: Invalid value: -2: "
        "must be between 0 and 2147483647, inclusive",
        # upstream checks each init container alone, so its index is always 0 here
        'spec.initContainers[0].ports[1].hostPort: Duplicate value: "TCP//81"',
        "spec.initContainers[1].livenessProbe: Forbidden: "
        "may not be set for init containers without restartPolicy=Always",
        "spec.containers[1].ports[0].hostPort: Invalid value: 8080: "
        "must match `containerPort` when `hostNetwork` is true",
        "spec.securityContext.fsGroup: Invalid value: -1: "
        "must be between 0 and 2147483647, inclusive",
        'spec.securityContext.sysctls[0].name: Invalid value: "net.core.somaxconn": '
        "may not be specified when 'hostNetwork' is true",
        "spec.initContainers[1].securityContext.windowsOptions.hostProcess: Invalid value: "
        "true: pod hostProcess value must be identical if both are specified, was false",
        'spec: Invalid value: "": If pod contains any hostProcess containers then all '
        "containers must be HostProcess containers",
        'spec.tolerations[1].operator: Invalid value: "v": '
        "value must be empty when `operator` is 'Exists'",
        f"spec.securityContext.windowsOptions: {linux}",
        f"spec.initContainers[1].securityContext.windowsOptions: {linux}",
        "spec.volumes[2].projected.sources[1].serviceAccountToken: Forbidden: "
        "must not be specified when serviceAccountName is not set",
        'spec.containers[1].image: Invalid value: "\\tbusybox": '
        "must not have leading or trailing whitespace",
        'spec.initContainers[1].image: Invalid value: "busybox ": '
        "must not have leading or trailing whitespace",
        "spec.initContainers[1].securityContext.seccompProfile.type: Forbidden: "
        "seccomp type in annotation and field must match",
        "spec.containers[1].securityContext.appArmorProfile.type: Forbidden: "
        "apparmor type in annotation and field must match",
    ]


def test_qualified_name_cache_holds_only_short_strings() -> None:
    from seclet.validation import names

    long_key = "a" * 400
    before = names._cached_qualified_name.cache_info().currsize
    assert names.qualified_name_errors(long_key) == ("name part must be no more than 63 bytes",)
    assert names._cached_qualified_name.cache_info().currsize == before
    assert names.qualified_name_errors("example.com/ok") == ()
    assert names.is_qualified_name("Bad Key") == list(names.qualified_name_errors("Bad Key"))


def test_validation_is_cheap() -> None:
    pod = build(
        raw_pod(
            spec={"securityContext": {"runAsUser": 1000, "fsGroup": 2000}},
            ctr_sc={"allowPrivilegeEscalation": False},
        )
    )
    validate_pod_create(pod, OPTS)
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        validate_pod_create(pod, OPTS)
    per_pod = (time.perf_counter() - start) / n
    assert per_pod < 500e-6  # generous bound for CI; measured ~15-30 µs on the 2-core box
