"""Behaviour settled against kube-apiserver 1.35 sources, one table row per changed rule.

Upstream: k/k ``pkg/apis/core/validation/validation.go`` on the 1.35 development line
(stored revision aceb89de, Nov 2025, before the release-1.35 branch point fc015990),
``pkg/features/kube_features.go`` (the ``Version: 1.35`` specs) and
``pkg/api/pod/util.go`` (``dropContainerRestartRules``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pod_builders import OPTS, create_errors, raw_pod, texts

from seclet.api.defaults import drop_disabled_fields
from seclet.api.featuregates import DEFAULT_GATES, FeatureGateError, parse_feature_gates

HU = "when `hostUsers` is false"


def _ctr(**fields: Any) -> dict[str, Any]:
    return {"name": "ctr", "image": "busybox", **fields}


# ---------------------------------------------------------------- validateHostUsers
HOST_USERS_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "namespaces-reworded",
        {"hostUsers": False, "hostNetwork": True, "hostPID": True, "hostIPC": True},
        [
            f"spec.hostNetwork: Forbidden: {HU}",
            f"spec.HostPID: Forbidden: {HU}",
            f"spec.HostIPC: Forbidden: {HU}",
        ],
    ),
    (
        "volume-devices-init-then-regular",
        {
            "hostUsers": False,
            "volumes": [{"name": "blk", "persistentVolumeClaim": {"claimName": "c"}}],
            "containers": [_ctr(volumeDevices=[{"name": "blk", "devicePath": "/dev/x"}])],
            "initContainers": [
                _ctr(name="init", volumeDevices=[{"name": "blk", "devicePath": "/dev/y"}])
            ],
        },
        [
            f"spec.initContainers[0].volumeDevices: Forbidden: {HU}",
            f"spec.containers[0].volumeDevices: Forbidden: {HU}",
        ],
    ),
    (
        "volume-devices-with-host-users-true",
        {
            "hostUsers": True,
            "volumes": [{"name": "blk", "persistentVolumeClaim": {"claimName": "c"}}],
            "containers": [_ctr(volumeDevices=[{"name": "blk", "devicePath": "/dev/x"}])],
        },
        [],
    ),
]


@pytest.mark.parametrize(
    ("case", "spec", "want"), HOST_USERS_CASES, ids=[c[0] for c in HOST_USERS_CASES]
)
def test_validate_host_users(case: str, spec: dict[str, Any], want: list[str]) -> None:
    """validation.go ``validateHostUsers`` (1.35): new detail text; volumeDevices forbidden
    unless ``AllowUserNamespacesWithVolumeDevices`` (false on create, util.go)."""
    assert texts(create_errors(raw_pod(spec=spec))) == want


# ---------------------------------------------------------------- validateOS
def test_validate_os_required_has_no_detail() -> None:
    """validation.go ``validateOS`` (1.35): ``field.Required(fldPath.Child("name"), "")``."""
    assert texts(create_errors(raw_pod(spec={"os": {"name": ""}}))) == [
        "spec.os.name: Required value"
    ]


# ---------------------------------------------------------------- container restart rules
RULES = [{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]
RESTART_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("regular-never-ok", {"containers": [_ctr(restartPolicy="Never")]}, []),
    (
        "regular-rules-ok",
        {"containers": [_ctr(restartPolicy="Never", restartPolicyRules=RULES)]},
        [],
    ),
    (
        "regular-bad-policy",
        {"containers": [_ctr(restartPolicy="Sometimes")]},
        [
            'spec.containers[0].restartPolicy: Unsupported value: "Sometimes": supported values: '
            '"Always", "Never", "OnFailure"'
        ],
    ),
    (
        "regular-rules-without-policy",
        {"containers": [_ctr(restartPolicyRules=RULES)]},
        [
            "spec.containers[0].restartPolicy: Required value: must specify restartPolicy when "
            "restart rules are used"
        ],
    ),
    (
        "rule-action-operator-exitcodes",
        {
            "containers": [
                _ctr(
                    restartPolicy="Never",
                    restartPolicyRules=[
                        {"action": "Stop", "exitCodes": {"operator": "Is", "values": [1]}},
                        {"action": "Restart"},
                    ],
                )
            ]
        },
        [
            'spec.containers[0].restartPolicyRules[0].action: Unsupported value: "Stop": '
            'supported values: "Restart"',
            'spec.containers[0].restartPolicyRules[0].exitCodes.operator: Unsupported value: "Is": '
            'supported values: "In", "NotIn"',
            "spec.containers[0].restartPolicyRules[1].exitCodes: Required value: must be specified",
        ],
    ),
    (
        "too-many-rules",
        {"containers": [_ctr(restartPolicy="Never", restartPolicyRules=RULES * 21)]},
        ["spec.containers[0].restartPolicyRules: Too long: may not be more than 20 bytes"],
    ),
    (
        "init-never-with-rules-ok",
        {"initContainers": [_ctr(name="i", restartPolicy="Never", restartPolicyRules=RULES)]},
        [],
    ),
    (
        "init-bad-policy-lists-three",
        {"initContainers": [_ctr(name="i", restartPolicy="Sometimes")]},
        [
            'spec.initContainers[0].restartPolicy: Unsupported value: "Sometimes": '
            'supported values: "Always", "Never", "OnFailure"'
        ],
    ),
    (
        "sidecar-with-rules",
        {"initContainers": [_ctr(name="i", restartPolicy="Always", restartPolicyRules=RULES)]},
        [
            "spec.initContainers[0].restartPolicyRules: Forbidden: restartPolicyRules are not "
            "allowed for init containers with restart policy Always"
        ],
    ),
]


@pytest.mark.parametrize(("case", "spec", "want"), RESTART_CASES, ids=[c[0] for c in RESTART_CASES])
def test_container_restart_rules(case: str, spec: dict[str, Any], want: list[str]) -> None:
    """validation.go ``validateContainers`` / ``validateInitContainerRestartPolicy`` /
    ``validateContainerRestartPolicy`` with ContainerRestartRules on (beta, default in 1.35)."""
    assert texts(create_errors(raw_pod(spec=spec))) == want


GATE_OFF_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "regular-forbidden",
        {"containers": [_ctr(restartPolicy="Never")]},
        ["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"],
    ),
    (
        "init-lists-always",
        {"initContainers": [_ctr(name="i", restartPolicy="Never")]},
        [
            'spec.initContainers[0].restartPolicy: Unsupported value: "Never": '
            'supported values: "Always"'
        ],
    ),
]


@pytest.mark.parametrize(
    ("case", "spec", "want"), GATE_OFF_CASES, ids=[c[0] for c in GATE_OFF_CASES]
)
def test_container_restart_rules_gate_off(case: str, spec: dict[str, Any], want: list[str]) -> None:
    """validation.go ``validateContainers`` / ``validateInitContainerRestartPolicy`` without
    ``AllowContainerRestartPolicyRules``."""
    opts = dataclasses.replace(OPTS, allow_container_restart_policy_rules=False)
    assert texts(create_errors(raw_pod(spec=spec), opts)) == want


def test_drop_container_restart_rules() -> None:
    """util.go ``dropContainerRestartRules``: gate off keeps only sidecar restartPolicy."""
    gates = dataclasses.replace(DEFAULT_GATES, ContainerRestartRules=False)
    raw = raw_pod(
        spec={
            "containers": [_ctr(restartPolicy="Never", restartPolicyRules=RULES)],
            "initContainers": [
                _ctr(name="a", restartPolicy="Always"),
                _ctr(name="b", restartPolicy="OnFailure", restartPolicyRules=RULES),
            ],
        }
    )
    drop_disabled_fields(raw, gates)
    spec = raw["spec"]
    assert "restartPolicy" not in spec["containers"][0]
    assert "restartPolicyRules" not in spec["containers"][0]
    assert spec["initContainers"][0]["restartPolicy"] == "Always"
    assert "restartPolicy" not in spec["initContainers"][1]
    assert "restartPolicyRules" not in spec["initContainers"][1]


# ---------------------------------------------------------------- EnvFiles
FKR = {"key": "K", "volumeName": "cfg", "path": "env.txt"}
ENV_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "emptydir-ok",
        {
            "volumes": [{"name": "cfg", "emptyDir": {}}],
            "containers": [_ctr(env=[{"name": "A", "valueFrom": {"fileKeyRef": FKR}}])],
        },
        [],
    ),
    (
        "selector-fields",
        {
            "volumes": [{"name": "cfg", "emptyDir": {}}],
            "containers": [
                _ctr(
                    env=[
                        {"name": "A", "valueFrom": {"fileKeyRef": {"key": "", "path": "../x"}}},
                    ]
                )
            ],
        },
        [
            "spec.containers[0].env[0].valueFrom.fileKeyRef.key: Required value",
            "spec.containers[0].env[0].valueFrom.fileKeyRef.volumeName: Required value",
            'spec.containers[0].env[0].valueFrom.fileKeyRef.path: Invalid value: "../x": '
            "must not contain '..'",
            'spec.containers[0].env[0].valueFrom.fileKeyRef.volumeName: Not found: ""',
        ],
    ),
    (
        "volume-not-emptydir",
        {
            "volumes": [{"name": "cfg", "configMap": {"name": "m"}}],
            "containers": [_ctr(env=[{"name": "A", "valueFrom": {"fileKeyRef": FKR}}])],
        },
        [
            'spec.containers[0].env[0].valueFrom.fileKeyRef.volumeName: Invalid value: "cfg": '
            "referenced volume must be of type emptyDir"
        ],
    ),
    (
        "volume-missing",
        {"containers": [_ctr(env=[{"name": "A", "valueFrom": {"fileKeyRef": FKR}}])]},
        ['spec.containers[0].env[0].valueFrom.fileKeyRef.volumeName: Not found: "cfg"'],
    ),
    (
        "no-source-names-filekeyref",
        {"containers": [_ctr(env=[{"name": "A", "valueFrom": {}}])]},
        [
            'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: '
            "`fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"
        ],
    ),
]


@pytest.mark.parametrize(("case", "spec", "want"), ENV_CASES, ids=[c[0] for c in ENV_CASES])
def test_env_files(case: str, spec: dict[str, Any], want: list[str]) -> None:
    """validation.go ``validateEnvVarValueFrom`` / ``validateFileKeySelector`` (in
    validateContainerCommon) and ``validateFileKeyRefVolumes`` (last step of ValidatePodSpec)."""
    assert texts(create_errors(raw_pod(spec=spec))) == want


# ---------------------------------------------------------------- HostnameOverride
HOSTNAME_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("ok", {"hostnameOverride": "my.host"}, []),
    (
        "fqdn-and-hostnetwork",
        {"hostnameOverride": "h", "setHostnameAsFQDN": True, "hostNetwork": True},
        [
            "spec.hostnameOverride: Forbidden: may not be specified when setHostnameAsFQDN is true",
            "spec.hostnameOverride: Forbidden: may not be specified when hostNetwork is true",
        ],
    ),
    (
        "too-long-and-not-subdomain",
        {"hostnameOverride": "A" * 65},
        [
            "spec.hostnameOverride: Too long: may not be more than 64 bytes",
            f'spec.hostnameOverride: Invalid value: "{"A" * 65}": a lowercase RFC 1123 subdomain '
            "must consist of lower case alphanumeric characters, '-' or '.', and must start and "
            "end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ],
    ),
]


@pytest.mark.parametrize(
    ("case", "spec", "want"), HOSTNAME_CASES, ids=[c[0] for c in HOSTNAME_CASES]
)
def test_hostname_override(case: str, spec: dict[str, Any], want: list[str]) -> None:
    """validation.go ``validatePodHostName`` (after validateHostUsers in ValidatePodSpec)."""
    assert texts(create_errors(raw_pod(spec=spec))) == want


def test_hostname_override_order_after_host_users() -> None:
    """validation.go ``ValidatePodSpec``: hostUsers, then hostnameOverride, then nodeName."""
    spec = {
        "hostUsers": False,
        "hostPID": True,
        "hostnameOverride": "UPPER",
        "nodeName": "Bad_Node",
    }
    got = [t.split(":")[0] for t in texts(create_errors(raw_pod(spec=spec)))]
    assert got == ["spec.HostPID", "spec.hostnameOverride", "spec.nodeName"]


# ---------------------------------------------------------------- tolerations Lt/Gt
TOL_CASES: list[tuple[str, bool, dict[str, Any], list[str]]] = [
    (
        "lt-gate-off",
        False,
        {"key": "k", "operator": "Lt", "value": "5"},
        [
            'spec.tolerations[0].operator: Unsupported value: "Lt": supported values: "Equal", '
            '"Exists", "Lt", "Gt"'
        ],
    ),
    (
        "unknown-lists-two",
        False,
        {"key": "k", "operator": "Near"},
        [
            'spec.tolerations[0].operator: Unsupported value: "Near": supported values: '
            '"Equal", "Exists"'
        ],
    ),
    ("gt-gate-on-ok", True, {"key": "k", "operator": "Gt", "value": "-12"}, []),
    (
        "gt-gate-on-leading-zero",
        True,
        {"key": "k", "operator": "Gt", "value": "012"},
        [
            'spec.tolerations[0].value: Invalid value: "012": must be a valid decimal integer in '
            "canonical form"
        ],
    ),
    (
        "gt-gate-on-not-number",
        True,
        {"key": "k", "operator": "Gt", "value": "x"},
        [
            'spec.tolerations[0].value: Invalid value: "x": must be a valid decimal integer in '
            "canonical form",
            'spec.tolerations[0].value: Invalid value: "x": strconv.ParseInt: parsing "x": '
            "invalid syntax",
        ],
    ),
]


@pytest.mark.parametrize(("case", "gate", "tol", "want"), TOL_CASES, ids=[c[0] for c in TOL_CASES])
def test_toleration_comparison_operators(
    case: str, gate: bool, tol: dict[str, Any], want: list[str]
) -> None:
    """validation.go ``ValidateTolerations`` (TaintTolerationComparisonOperators, alpha 1.35)."""
    opts = dataclasses.replace(OPTS, allow_taint_toleration_comparison_operators=gate)
    assert texts(create_errors(raw_pod(spec={"tolerations": [tol]}), opts)) == want


# ---------------------------------------------------------------- ephemeral allow-list order
def test_ephemeral_forbidden_fields_follow_struct_order() -> None:
    """validation.go ``validateFieldAllowList`` walks core.EphemeralContainerCommon:
    ... ResizePolicy, RestartPolicy, RestartPolicyRules, ... Lifecycle."""
    from pod_builders import build

    from seclet.api import models
    from seclet.api.field import Path
    from seclet.validation.containers import validate_ephemeral_containers

    pod = build(raw_pod())
    ec = models.EphemeralContainer(
        name="dbg",
        image="busybox",
        terminationMessagePolicy="File",
        imagePullPolicy="IfNotPresent",
        restartPolicy="Always",
        restartPolicyRules=(models.ContainerRestartRule(action="Restart"),),
        lifecycle=models.Lifecycle(),
    )
    assert pod.spec is not None
    errs = validate_ephemeral_containers(
        (ec,),
        pod.spec.containers,
        (),
        {},
        Path.root("spec").child("ephemeralContainers"),
        OPTS,
        "Always",
        True,
    )
    assert [t for t in texts(errs) if "Ephemeral" in t] == [
        "spec.ephemeralContainers[0].restartPolicy: Forbidden: cannot be set for an Ephemeral "
        "Container",
        "spec.ephemeralContainers[0].restartPolicyRules: Forbidden: cannot be set for an "
        "Ephemeral Container",
        "spec.ephemeralContainers[0].lifecycle: Forbidden: cannot be set for an Ephemeral "
        "Container",
    ]


# ---------------------------------------------------------------- feature gates
GATE_DEFAULTS = [
    ("ImageVolume", True),
    ("HostnameOverride", True),
    ("ContainerRestartRules", True),
    ("EnvFiles", True),
    ("SupplementalGroupsPolicy", True),
    ("SELinuxChangePolicy", True),
    ("UserNamespacesSupport", True),
    ("ProcMountType", True),
    ("UserNamespacesHostNetworkSupport", False),
    ("SELinuxMount", False),
    ("TaintTolerationComparisonOperators", False),
]


@pytest.mark.parametrize(("gate", "default"), GATE_DEFAULTS)
def test_gate_defaults(gate: str, default: bool) -> None:
    """kube_features.go ``defaultVersionedKubernetesFeatureGates``: the 1.35 entries."""
    assert DEFAULT_GATES.enabled(gate) is default


@pytest.mark.parametrize(
    "gate",
    [
        "InPlacePodVerticalScaling",
        "PodLifecycleSleepActionAllowZero",
        "RelaxedEnvironmentVariableValidation",
        "RelaxedDNSSearchValidation",
    ],
)
def test_gates_locked_in_135(gate: str) -> None:
    """kube_features.go: GA with ``LockToDefault: true`` at or before 1.35;
    component-base featuregate ``Set`` text."""
    with pytest.raises(FeatureGateError) as exc:
        parse_feature_gates(f"{gate}=false")
    assert str(exc.value) == f"cannot set feature gate {gate} to false, feature is locked to true"
