"""Every case of shared/reference/validation-cases.md, by its number, with upstream's texts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, cast

import pytest
from pod_builders import OPTS, build, create_errors, raw_pod, texts

from seclet.api import models
from seclet.api.field import ErrorType, Path
from seclet.validation import validate_pod_template_spec, validate_pod_update
from seclet.validation.annotations import (
    apparmor_profile_format_error,
    seccomp_annotation_field_mismatch,
    validate_seccomp_annotations_and_fields,
)
from seclet.validation.hostusers import validate_host_users
from seclet.validation.os_specific import validate_linux, validate_os, validate_windows
from seclet.validation.podsecuritycontext import is_valid_sysctl_name, validate_sysctls
from seclet.validation.podspec import validate_pod_spec
from seclet.validation.securitycontext import validate_security_context
from seclet.validation.status import validate_pod_status_update
from seclet.validation.windows import validate_windows_host_process_pod, validate_windows_options

M = models
FIELD = Path.root("field")
SPEC = Path.root("spec")
NOPRIV = dataclasses.replace(OPTS, allow_privileged=False)
RANGE = "must be between 0 and 2147483647, inclusive"

# ---------------------------------------------------------------- §1 ValidateSecurityContext
FULL = M.SecurityContext(
    privileged=False,
    capabilities=M.Capabilities(add=("foo",), drop=("bar",)),
    seLinuxOptions=M.SELinuxOptions(user="user", role="role", type="type", level="level"),
    runAsUser=1,
)


def R(obj: Any, **changes: Any) -> Any:  # noqa: N802 - short, like dataclasses.replace
    """Copy with changes; works for the generated models and for plain dataclasses."""
    if dataclasses.is_dataclass(obj):
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    values = {f.attr: getattr(obj, f.attr) for f in M.FIELDS[type(obj)]}
    return type(obj)(**(values | changes))


SC_CASES: list[tuple[str, M.SecurityContext, bool, Any, tuple[ErrorType, str] | None]] = [
    ("1.1", FULL, False, OPTS, None),
    ("1.2", R(FULL, capabilities=None), True, OPTS, None),
    ("1.3", R(FULL, seLinuxOptions=None), True, OPTS, None),
    ("1.4", R(FULL, privileged=None), True, OPTS, None),
    ("1.5", R(FULL, runAsUser=None), True, OPTS, None),
    ("1.6", R(FULL, procMount="Default"), True, OPTS, None),
    ("1.7", R(FULL, procMount="Unmasked"), False, OPTS, None),
    (
        "1.8",
        R(FULL, privileged=True),
        True,
        NOPRIV,
        (ErrorType.FORBIDDEN, "disallowed by cluster policy"),
    ),
    ("1.9", R(FULL, runAsUser=-1), True, OPTS, (ErrorType.INVALID, "must be between")),
    (
        "1.10",
        R(
            FULL,
            capabilities=M.Capabilities(add=("CAP_SYS_ADMIN",)),
            allowPrivilegeEscalation=False,
        ),
        True,
        OPTS,
        (
            ErrorType.INVALID,
            "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
        ),
    ),
    (
        "1.11",
        R(FULL, privileged=True, allowPrivilegeEscalation=False),
        True,
        OPTS,
        (
            ErrorType.INVALID,
            "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
        ),
    ),
    (
        "1.12",
        R(FULL, procMount="Unmasked"),
        True,
        OPTS,
        (ErrorType.INVALID, "`hostUsers` must be false to use `Unmasked`"),
    ),
]


@pytest.mark.parametrize(
    ("case", "sc", "host_users", "opts", "want"), SC_CASES, ids=[c[0] for c in SC_CASES]
)
def test_1_security_context(
    case: str, sc: M.SecurityContext, host_users: bool, opts: Any, want: Any
) -> None:
    errs = validate_security_context(sc, FIELD, host_users, opts)
    if want is None:
        assert texts(errs) == []
    else:
        assert errs[0].type == want[0]
        assert want[1] in errs[0].detail


def test_1_exact_texts() -> None:
    errs = validate_security_context(R(FULL, runAsUser=-1), FIELD, True, OPTS)
    assert texts(errs) == [f"field.runAsUser: Invalid value: -1: {RANGE}"]
    errs = validate_security_context(R(FULL, procMount="Unmasked"), FIELD, True, OPTS)
    assert texts(errs) == [
        'field.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`'
    ]
    errs = validate_security_context(
        R(FULL, privileged=True, allowPrivilegeEscalation=False), FIELD, True, OPTS
    )
    assert texts(errs) == [
        'field: Invalid value: {"Capabilities":{"Add":["foo"],"Drop":["bar"]},"Privileged":true,'
        '"SELinuxOptions":{"User":"user","Role":"role","Type":"type","Level":"level"},'
        '"WindowsOptions":null,"RunAsUser":1,"RunAsGroup":null,"RunAsNonRoot":null,'
        '"ReadOnlyRootFilesystem":null,"AllowPrivilegeEscalation":false,"ProcMount":null,'
        '"SeccompProfile":null,"AppArmorProfile":null}: '
        "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"
    ]
    # SYS_ADMIN without the CAP_ prefix is not caught (§1.3 surprise).
    sc = R(FULL, capabilities=M.Capabilities(add=("SYS_ADMIN",)), allowPrivilegeEscalation=False)
    assert texts(validate_security_context(sc, FIELD, True, OPTS)) == []


# ---------------------------------------------------------------- §2 container lists
def test_2_1_privileged_allowed() -> None:
    assert texts(create_errors(raw_pod(ctr_sc={"privileged": True}))) == []


def test_2_2_privilege_disabled() -> None:
    errs = create_errors(raw_pod(ctr_sc={"privileged": True}), NOPRIV)
    assert [(e.type, e.field) for e in errs] == [
        (ErrorType.FORBIDDEN, "spec.containers[0].securityContext.privileged")
    ]
    assert texts(errs) == [
        "spec.containers[0].securityContext.privileged: Forbidden: disallowed by cluster policy"
    ]


@pytest.mark.parametrize("restart", ["Never", "Always", "OnFailure"])
def test_2_3_ephemeral_all_allowed_fields(restart: str) -> None:
    raw = raw_pod(
        spec={
            "restartPolicy": restart,
            "volumes": [{"name": "vol", "persistentVolumeClaim": {"claimName": "c"}}],
            "ephemeralContainers": [
                {
                    "name": "debug",
                    "image": "image",
                    "command": ["bash"],
                    "args": ["bash"],
                    "env": [{"name": "TEST", "value": "TRUE"}],
                    "volumeMounts": [{"name": "vol", "mountPath": "/vol"}],
                    "volumeDevices": [],
                    "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}},
                    "stdin": True,
                    "tty": True,
                }
            ],
        }
    )
    pod = build(raw)
    assert pod.spec is not None
    assert texts(validate_pod_spec(pod.spec, SPEC, OPTS)) == []


# ---------------------------------------------------------------- §3 ValidatePodSpec
SPEC_CASES: list[tuple[str, dict[str, Any], bool]] = [
    (
        "3.1",
        {
            "hostNetwork": True,
            "containers": [
                {
                    "name": "c",
                    "image": "i",
                    "ports": [{"hostPort": 8080, "containerPort": 8080, "protocol": "TCP"}],
                }
            ],
        },
        True,
    ),
    ("3.2", {"securityContext": {"supplementalGroups": [0], "runAsUser": 0, "fsGroup": 0}}, True),
    (
        "3.3",
        {
            "securityContext": {
                "supplementalGroups": [2147483647],
                "runAsUser": 2147483647,
                "fsGroup": 2147483647,
            }
        },
        True,
    ),
    ("3.4", {"hostIPC": True}, True),
    ("3.5", {"hostPID": True}, True),
    (
        "3.6",
        {
            "hostNetwork": True,
            "hostAliases": [{"ip": "12.34.56.78", "hostnames": ["host1.foo", "host2.bar"]}],
        },
        True,
    ),
    ("3.7", {"shareProcessNamespace": True}, True),
    ("3.8", {"securityContext": {"fsGroupChangePolicy": "Always"}}, True),
    (
        "3.9",
        {
            "hostNetwork": True,
            "containers": [
                {
                    "name": "c",
                    "image": "i",
                    "ports": [{"hostPort": 0, "containerPort": 2600, "protocol": "TCP"}],
                }
            ],
        },
        False,
    ),
    (
        "3.10",
        {
            "hostNetwork": True,
            "containers": [
                {
                    "name": "c",
                    "image": "i",
                    "ports": [{"hostPort": 8080, "containerPort": 2600, "protocol": "TCP"}],
                }
            ],
        },
        False,
    ),
    ("3.11", {"securityContext": {"supplementalGroups": [2147483648, 1234]}}, False),
    ("3.12", {"securityContext": {"supplementalGroups": [-1, 1234]}}, False),
    ("3.13", {"securityContext": {"runAsUser": 2147483648}}, False),
    ("3.14", {"securityContext": {"runAsUser": -1}}, False),
    ("3.15", {"securityContext": {"fsGroup": 2147483648}}, False),
    ("3.16", {"securityContext": {"fsGroup": -1}}, False),
    ("3.17", {"hostPID": True, "shareProcessNamespace": True}, False),
    ("3.18", {"securityContext": {"fsGroupChangePolicy": ""}}, False),
    ("3.19", {"securityContext": {"fsGroupChangePolicy": "invalid"}}, False),
]


def _spec_without_defaulting(spec: dict[str, Any]) -> M.PodSpec:
    """A valid spec whose hostPort is not defaulted (cases 3.9/3.10 test validation only)."""
    raw = raw_pod(spec=spec)
    host_ports = [p.get("hostPort") for c in raw["spec"]["containers"] for p in c.get("ports", [])]
    pod = build(raw)
    assert pod.spec is not None
    ctrs = tuple(
        R(c, ports=tuple(R(p, hostPort=host_ports[i]) for i, p in enumerate(c.ports)))
        for c in pod.spec.containers
    )
    return cast(M.PodSpec, R(pod.spec, containers=ctrs))


@pytest.mark.parametrize(("case", "spec", "valid"), SPEC_CASES, ids=[c[0] for c in SPEC_CASES])
def test_3_pod_spec(case: str, spec: dict[str, Any], valid: bool) -> None:
    errs = validate_pod_spec(_spec_without_defaulting(spec), Path.root("field"), OPTS)
    assert (texts(errs) == []) is valid, texts(errs)


def test_3_exact_texts() -> None:
    errs = validate_pod_spec(
        _spec_without_defaulting({"securityContext": {"supplementalGroups": [-1, 1234]}}),
        SPEC,
        OPTS,
    )
    assert texts(errs) == [
        f"spec.securityContext.supplementalGroups[0]: Invalid value: -1: {RANGE}"
    ]
    errs = validate_pod_spec(
        _spec_without_defaulting({"hostPID": True, "shareProcessNamespace": True}), SPEC, OPTS
    )
    assert texts(errs) == [
        "spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled"
    ]
    errs = validate_pod_spec(
        _spec_without_defaulting({"securityContext": {"fsGroupChangePolicy": "invalid"}}),
        SPEC,
        OPTS,
    )
    assert texts(errs) == [
        'spec.securityContext.fsGroupChangePolicy: Unsupported value: "invalid": supported values: "Always", "OnRootMismatch"'
    ]
    errs = validate_pod_spec(
        _spec_without_defaulting(
            {
                "hostNetwork": True,
                "containers": [
                    {
                        "name": "c",
                        "image": "i",
                        "ports": [{"hostPort": 8080, "containerPort": 2600}],
                    }
                ],
            }
        ),
        SPEC,
        OPTS,
    )
    assert texts(errs) == [
        "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true"
    ]


# ---------------------------------------------------------------- §4 supplementalGroupsPolicy
SGP = "spec.securityContext.supplementalGroupsPolicy"
SGP_CASES: list[tuple[str, dict[str, Any] | None, list[str]]] = [
    ("4.1", None, []),
    ("4.2", {}, []),
    ("4.3", {"supplementalGroupsPolicy": "Merge"}, []),
    ("4.4", {"supplementalGroupsPolicy": "Strict"}, []),
    (
        "4.5",
        {"supplementalGroupsPolicy": ""},
        [f'{SGP}: Unsupported value: "": supported values: "Merge", "Strict"'],
    ),
    (
        "4.6",
        {"supplementalGroupsPolicy": "not-supported"},
        [f'{SGP}: Unsupported value: "not-supported": supported values: "Merge", "Strict"'],
    ),
]


@pytest.mark.parametrize(("case", "psc", "want"), SGP_CASES, ids=[c[0] for c in SGP_CASES])
def test_4a_supplemental_groups_policy(
    case: str, psc: dict[str, Any] | None, want: list[str]
) -> None:
    pod = build(raw_pod())
    assert pod.spec is not None
    sc = None if psc is None else build(raw_pod(spec={"securityContext": psc})).spec.securityContext  # type: ignore[union-attr]
    spec = R(pod.spec, securityContext=sc)
    assert texts(validate_pod_spec(spec, SPEC, OPTS)) == want


WIN_SGP: list[tuple[str, M.PodSecurityContext | None, list[str]]] = [
    ("4.7", None, []),
    ("4.8", M.PodSecurityContext(), []),
    (
        "4.9",
        M.PodSecurityContext(supplementalGroupsPolicy="Merge"),
        [f"{SGP}: Forbidden: cannot be set for a windows pod"],
    ),
]


@pytest.mark.parametrize(("case", "psc", "want"), WIN_SGP, ids=[c[0] for c in WIN_SGP])
def test_4b_windows(case: str, psc: M.PodSecurityContext | None, want: list[str]) -> None:
    spec = M.PodSpec(
        os=M.PodOS(name="windows"), securityContext=psc, containers=(M.Container(name="con"),)
    )
    assert texts(validate_windows(spec, SPEC)) == want


STATUS_KINDS = ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")


def _status_pod(
    kind: str, os_name: str | None, user: M.ContainerUser | None, with_status: bool = True
) -> M.Pod:
    statuses = (M.ContainerStatus(name="c", user=user),) if with_status else ()
    return M.Pod(
        metadata=M.ObjectMeta(name="p", namespace="default"),
        spec=M.PodSpec(os=M.PodOS(name=os_name) if os_name else None),
        status=R(M.PodStatus(), **{kind: statuses}),
    )


@pytest.mark.parametrize("kind", STATUS_KINDS)
@pytest.mark.parametrize("os_name", [None, "linux"])
def test_4c_status_users_linux(kind: str, os_name: str | None) -> None:
    def check(user: M.ContainerUser | None, with_status: bool = True) -> list[str]:
        pod = _status_pod(kind, os_name, user, with_status)
        return texts(validate_pod_status_update(pod, pod))

    assert check(None, with_status=False) == []  # 4.10
    assert check(M.ContainerUser()) == []  # 4.11
    assert check(M.ContainerUser(linux=M.LinuxContainerUser(uid=0, gid=0))) == []  # 4.12
    bad = M.ContainerUser(linux=M.LinuxContainerUser(uid=-1, gid=-1, supplementalGroups=(-1,)))
    p = f"status.{kind}[0].linux"
    assert check(bad) == [  # 4.13
        f"{p}.uid: Invalid value: -1: {RANGE}",
        f"{p}.gid: Invalid value: -1: {RANGE}",
        f"{p}.supplementalGroups[0]: Invalid value: -1: {RANGE}",
    ]


@pytest.mark.parametrize("kind", STATUS_KINDS)
def test_4_14_linux_user_on_windows(kind: str) -> None:
    pod = _status_pod(kind, "windows", M.ContainerUser(linux=M.LinuxContainerUser()))
    assert texts(validate_pod_status_update(pod, pod)) == [
        f"status.{kind}[0].linux: Forbidden: cannot be set for a windows pod"
    ]


# ---------------------------------------------------------------- §5 seLinuxChangePolicy
SEL = "spec.securityContext.seLinuxChangePolicy"
SEL_CASES: list[tuple[str, str | None, bool, list[str]]] = [
    ("5.1", None, False, []),
    ("5.2", "Recursive", False, []),
    (
        "5.3",
        "MountOption",
        True,
        [f'{SEL}: Unsupported value: "MountOption": supported values: "Recursive"'],
    ),
    ("5.4", "MountOption", False, []),
    (
        "5.5",
        "InvalidValue",
        False,
        [f'{SEL}: Unsupported value: "InvalidValue": supported values: "MountOption", "Recursive"'],
    ),
]


@pytest.mark.parametrize(
    ("case", "value", "only_recursive", "want"), SEL_CASES, ids=[c[0] for c in SEL_CASES]
)
def test_5_selinux_change_policy(
    case: str, value: str | None, only_recursive: bool, want: list[str]
) -> None:
    opts = R(OPTS, allow_only_recursive_selinux_change_policy=only_recursive)
    pod = build(raw_pod(spec={"securityContext": {"seLinuxChangePolicy": value}}))
    assert pod.spec is not None
    assert texts(validate_pod_spec(pod.spec, SPEC, opts)) == want


def test_5_default_cluster_rejects_mount_option_on_create() -> None:
    errs = create_errors(raw_pod(spec={"securityContext": {"seLinuxChangePolicy": "MountOption"}}))
    assert texts(errs) == [
        f'{SEL}: Unsupported value: "MountOption": supported values: "Recursive"'
    ]


# ---------------------------------------------------------------- §6 hostUsers
HP = {"name": "v", "hostPath": {"path": "/tmp"}}
HU_CASES: list[tuple[str, M.PodSpec, bool]] = [
    ("6.1", M.PodSpec(), True),
    ("6.2", M.PodSpec(securityContext=M.PodSecurityContext()), True),
    ("6.3", M.PodSpec(hostUsers=False), True),
    ("6.4", M.PodSpec(hostUsers=True), True),
    (
        "6.5",
        M.PodSpec(
            hostUsers=False,
            volumes=(
                M.Volume(name="a", configMap=M.ConfigMapVolumeSource(name="c")),
                M.Volume(name="b", secret=M.SecretVolumeSource(secretName="s")),
                M.Volume(name="c", downwardAPI=M.DownwardAPIVolumeSource()),
                M.Volume(name="d", projected=M.ProjectedVolumeSource()),
                M.Volume(name="e", emptyDir=M.EmptyDirVolumeSource()),
            ),
        ),
        True,
    ),
    (
        "6.6",
        M.PodSpec(
            hostUsers=False,
            volumes=(M.Volume(name="v", hostPath=M.HostPathVolumeSource(path="/tmp")),),
        ),
        True,
    ),
    (
        "6.7",
        M.PodSpec(
            hostUsers=True,
            volumes=(M.Volume(name="v", hostPath=M.HostPathVolumeSource(path="/tmp")),),
        ),
        True,
    ),
    ("6.8", M.PodSpec(hostUsers=False, hostNetwork=True), False),
    ("6.9", M.PodSpec(hostUsers=False, hostPID=True), False),
    ("6.10", M.PodSpec(hostUsers=False, hostIPC=True), False),
]


@pytest.mark.parametrize(("case", "spec", "valid"), HU_CASES, ids=[c[0] for c in HU_CASES])
def test_6_host_users(case: str, spec: M.PodSpec, valid: bool) -> None:
    assert (texts(validate_host_users(spec, SPEC, OPTS)) == []) is valid


def test_6_exact_texts() -> None:
    spec = M.PodSpec(hostUsers=False, hostNetwork=True, hostPID=True, hostIPC=True)
    assert texts(validate_host_users(spec, SPEC, OPTS)) == [
        "spec.hostNetwork: Forbidden: when `hostUsers` is false",
        "spec.HostPID: Forbidden: when `hostUsers` is false",
        "spec.HostIPC: Forbidden: when `hostUsers` is false",
    ]
    assert texts(
        validate_host_users(spec, SPEC, R(OPTS, allow_user_namespaces_host_network_support=True))
    )[0] == ("spec.HostPID: Forbidden: when `hostUsers` is false")


# ---------------------------------------------------------------- §7 sysctls
VALID_SYSCTLS = ["a.b.c.d", "a", "a_b", "a-b", "abc", "abc.def", "a/b/c/d", "a/b.c"]
INVALID_SYSCTLS = [
    "",
    "*",
    "ä",
    "a_",
    "_",
    "__",
    "_a",
    "_a._b",
    "-",
    ".",
    "a.",
    ".a",
    "a.b.",
    "a*.b",
    "a*b",
    "*a",
    "a.*",
    "abc*",
    "a.abc*",
    "a.b.*",
    "Abc",
    "/",
    "/a",
    "a/abc*",
    "a/b/*",
    "a" * 256,
]


@pytest.mark.parametrize("name", VALID_SYSCTLS)
def test_7_1_valid_sysctl_names(name: str) -> None:
    assert is_valid_sysctl_name(name)


@pytest.mark.parametrize(
    "name", INVALID_SYSCTLS, ids=[f"7.2-{i}" for i in range(len(INVALID_SYSCTLS))]
)
def test_7_2_invalid_sysctl_names(name: str) -> None:
    assert not is_valid_sysctl_name(name)


def _sysctls(*names: str) -> tuple[M.Sysctl, ...]:
    return tuple(M.Sysctl(name=n, value="1") for n in names)


NET = ("net.ipv4.conf.enp3s0/200.forwarding", "net/ipv4/conf/enp3s0.200/forwarding")


def test_7_3_to_7_9() -> None:
    foo = Path.root("foo")
    plain = M.PodSpec()
    assert (
        texts(validate_sysctls(_sysctls("net.foo.bar", "kernel.shmmax", *NET), plain, foo, OPTS))
        == []
    )  # 7.3
    errs = validate_sysctls(_sysctls("i..nvalid", "_invalid"), plain, foo, OPTS)  # 7.4
    assert len(errs) == 2 and all("foo" in str(e) for e in errs)
    assert texts(errs)[0] == (
        'foo[0].name: Invalid value: "i..nvalid": must have at most 253 characters and match regex '
        "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"
    )
    errs = validate_sysctls(_sysctls("kernel.shmmax", "kernel.shmmax"), plain, foo, OPTS)  # 7.5
    assert [e.type for e in errs] == [ErrorType.DUPLICATE]
    assert texts(errs) == ['foo[1].name: Duplicate value: "kernel.shmmax"']
    host_net = M.PodSpec(hostNetwork=True)
    errs = validate_sysctls(_sysctls(*NET), host_net, foo, OPTS)  # 7.6
    assert texts(errs) == [
        f"foo[{i}].name: Invalid value: \"{n}\": may not be specified when 'hostNetwork' is true"
        for i, n in enumerate(NET)
    ]
    allow = R(OPTS, allow_namespaced_sysctls_for_host_net_and_host_ipc=True)
    assert len(validate_sysctls(_sysctls(*NET), host_net, foo, allow)) == 0  # 7.7
    host_ipc = M.PodSpec(hostIPC=True)
    errs = validate_sysctls(_sysctls("kernel.shmmax", "kernel.msgmax"), host_ipc, foo, OPTS)  # 7.8
    assert len(errs) == 2 and "may not be specified when 'hostIPC' is true" in str(errs[1])
    assert (
        len(validate_sysctls(_sysctls("kernel.shmmax", "kernel.msgmax"), host_ipc, foo, allow)) == 0
    )  # 7.9


# ---------------------------------------------------------------- §8 seccomp annotations
def _sp(typ: str, lp: str | None = None) -> M.SeccompProfile:
    return M.SeccompProfile(type=typ, localhostProfile=lp)


MATCH_CASES: list[tuple[str, str, M.SeccompProfile | None, str | None]] = [
    ("8.1", "", None, None),
    ("8.2", "unconfined", _sp("Unconfined"), None),
    ("8.3", "runtime/default", _sp("RuntimeDefault"), None),
    ("8.4", "docker/default", _sp("RuntimeDefault"), None),
    ("8.5", "localhost/test.json", _sp("Localhost", "test.json"), None),
    (
        "8.6",
        "localhost/test.json",
        _sp("Localhost"),
        "p.localhostProfile: Forbidden: seccomp profile in annotation and field must match",
    ),
    (
        "8.7",
        "localhost/test.json",
        _sp("Localhost", "different.json"),
        "p.localhostProfile: Forbidden: seccomp profile in annotation and field must match",
    ),
    (
        "8.8",
        "localhost/test.json",
        _sp("Unconfined"),
        "p.type: Forbidden: seccomp type in annotation and field must match",
    ),
    (
        "8.9",
        "localhost/test.json",
        _sp("RuntimeDefault"),
        "p.type: Forbidden: seccomp type in annotation and field must match",
    ),
]


@pytest.mark.parametrize(
    ("case", "ann", "fld", "want"), MATCH_CASES, ids=[c[0] for c in MATCH_CASES]
)
def test_8a_match(case: str, ann: str, fld: M.SeccompProfile | None, want: str | None) -> None:
    err = seccomp_annotation_field_mismatch(ann, fld, Path.root("p"))
    assert (None if err is None else str(err)) == want


POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
CTR_KEY = "container.seccomp.security.alpha.kubernetes.io/"
FIELDS_CASES: list[
    tuple[str, dict[str, str], M.SeccompProfile | None, M.SeccompProfile | None, bool]
] = [
    ("8.10", {POD_KEY: "not-matching"}, _sp("Unconfined"), None, True),
    ("8.11", {POD_KEY: "not-matching"}, _sp("RuntimeDefault"), None, True),
    ("8.12", {POD_KEY: "not-matching"}, _sp("Localhost", "test"), None, True),
    ("8.13", {POD_KEY: "localhost/not-matching"}, _sp("Localhost", "test"), None, True),
    ("8.14", {CTR_KEY + "container": "not-matching"}, None, _sp("Unconfined"), True),
    ("8.15", {CTR_KEY + "container": "not-matching"}, None, _sp("RuntimeDefault"), True),
    ("8.16", {CTR_KEY + "container": "not-matching"}, None, _sp("Localhost", "test"), True),
    (
        "8.17",
        {CTR_KEY + "container": "localhost/not-matching"},
        None,
        _sp("Localhost", "test"),
        True,
    ),
    ("8.18", {POD_KEY: "localhost/anyprofile"}, _sp("Abc"), None, False),
    ("8.19", {CTR_KEY + "container": "localhost/not-matching"}, None, _sp("Abc"), False),
]


@pytest.mark.parametrize(
    ("case", "anns", "pod_f", "ctr_f", "errors"), FIELDS_CASES, ids=[c[0] for c in FIELDS_CASES]
)
def test_8b_fields(case: str, anns: dict[str, str], pod_f: Any, ctr_f: Any, errors: bool) -> None:
    spec = M.PodSpec(
        securityContext=M.PodSecurityContext(seccompProfile=pod_f),
        containers=(
            M.Container(name="container", securityContext=M.SecurityContext(seccompProfile=ctr_f)),
        ),
    )
    assert bool(validate_seccomp_annotations_and_fields(anns, spec, Path.root(""))) is errors


def _template(anns: dict[str, str], spec_extra: dict[str, Any]) -> list[str]:
    raw = raw_pod(spec=spec_extra)
    pod = build(raw)
    meta = M.ObjectMeta(annotations=anns)
    opts = R(OPTS, resource_is_pod=False)
    return texts(validate_pod_template_spec(meta, pod.spec, Path.root("template"), opts))


def test_8_20_template_container() -> None:
    ctrs = [
        {"name": "test1", "image": "i"},
        {
            "name": "test2",
            "image": "i",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        },
    ]
    assert _template({CTR_KEY + "test2": "unconfined"}, {"containers": ctrs}) == [
        "template.spec.containers[1].securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match"
    ]


def test_8_21_template_pod() -> None:
    got = _template(
        {POD_KEY: "runtime/default"},
        {"securityContext": {"seccompProfile": {"type": "Unconfined"}}},
    )
    assert got == [
        "template.spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match"
    ]


def test_8_22_template_init_container() -> None:
    init = [
        {
            "name": "init-test",
            "image": "i",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        }
    ]
    assert _template({CTR_KEY + "init-test": "unconfined"}, {"initContainers": init}) == [
        "template.spec.initContainers[0].securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match"
    ]


# ---------------------------------------------------------------- §9 ValidatePodCreate
AA = "container.apparmor.security.beta.kubernetes.io/"
INIT = {"initContainers": [{"name": "init-ctr", "image": "image"}]}
CREATE_OK: list[tuple[str, dict[str, Any]]] = [
    ("9.1", {"annotations": {POD_KEY: "runtime/default"}}),
    ("9.2", {"annotations": {POD_KEY: "unconfined"}}),
    ("9.3", {"annotations": {POD_KEY: "localhost/foo"}}),
    ("9.4", {"annotations": {CTR_KEY + "foo": "localhost/foo"}}),
    ("9.5", {"spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}}),
    ("9.6", {"ctr_sc": {"seccompProfile": {"type": "Unconfined"}}}),
    (
        "9.7",
        {
            "spec": {
                "securityContext": {
                    "seccompProfile": {"type": "Localhost", "localhostProfile": "filename.json"}
                }
            }
        },
    ),
    (
        "9.8",
        {"ctr_sc": {"seccompProfile": {"type": "Localhost", "localhostProfile": "filename.json"}}},
    ),
    ("9.9", {"annotations": {AA + "ctr": "runtime/default"}}),
    ("9.10", {"annotations": {AA + "init-ctr": "runtime/default"}, "spec": INIT}),
    ("9.11", {"annotations": {AA + "ctr": "localhost/foo"}}),
    ("9.12", {"spec": {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}}}),
    ("9.13", {"ctr_sc": {"appArmorProfile": {"type": "RuntimeDefault"}}}),
    ("9.14", {"spec": {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}}}),
    ("9.15", {"ctr_sc": {"appArmorProfile": {"type": "Unconfined"}}}),
    (
        "9.16",
        {
            "spec": {
                "securityContext": {
                    "appArmorProfile": {
                        "type": "Localhost",
                        "localhostProfile": "example-org/application-foo",
                    }
                }
            }
        },
    ),
    (
        "9.17",
        {
            "ctr_sc": {
                "appArmorProfile": {
                    "type": "Localhost",
                    "localhostProfile": "example-org/application-foo",
                }
            }
        },
    ),
    (
        "9.18",
        {
            "annotations": {AA + "ctr": "localhost/foo"},
            "ctr_sc": {"appArmorProfile": {"type": "Localhost", "localhostProfile": "foo"}},
        },
    ),
    (
        "9.19",
        {
            "annotations": {AA + "ctr": "localhost/foo"},
            "spec": {
                "securityContext": {
                    "appArmorProfile": {"type": "Localhost", "localhostProfile": "foo"}
                }
            },
        },
    ),
    ("9.20", {"spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}}),
    ("9.21", {"ctr_sc": {"seccompProfile": {"type": "Unconfined"}}}),
    (
        "9.22",
        {
            "spec": {
                "securityContext": {
                    "sysctls": [
                        {"name": "kernel.shmmni", "value": "32768"},
                        {"name": "kernel.shmmax", "value": "1000000000"},
                        {"name": "knet.ipv4.route.min_pmtu", "value": "1000"},
                    ]
                }
            }
        },
    ),
]


@pytest.mark.parametrize(("case", "kw"), CREATE_OK, ids=[c[0] for c in CREATE_OK])
def test_9_create_valid(case: str, kw: dict[str, Any]) -> None:
    assert texts(create_errors(raw_pod(**kw))) == []


CREATE_BAD: list[tuple[str, dict[str, Any], str]] = [
    ("9.23", {"annotations": {POD_KEY: "foo"}}, "must be a valid seccomp profile"),
    ("9.24", {"annotations": {CTR_KEY + "foo": "foo"}}, "must be a valid seccomp profile"),
    ("9.25", {"annotations": {CTR_KEY: "foo"}}, "name part must be non-empty"),
    ("9.26", {"annotations": {CTR_KEY + "foo": ""}}, "must be a valid seccomp profile"),
    (
        "9.27",
        {
            "annotations": {POD_KEY: "unconfined"},
            "spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}},
        },
        "seccomp type in annotation and field must match",
    ),
    (
        "9.28",
        {
            "annotations": {CTR_KEY + "ctr": "unconfined"},
            "ctr_sc": {"seccompProfile": {"type": "RuntimeDefault"}},
        },
        "seccomp type in annotation and field must match",
    ),
    ("9.29", {"annotations": {POD_KEY: "localhost//foo"}}, "must be a relative path"),
    ("9.30", {"annotations": {POD_KEY: "localhost/../foo"}}, "must not contain '..'"),
    (
        "9.31",
        {
            "annotations": {
                AA + "ctr": "runtime/default",
                AA + "init-ctr": "runtime/default",
                AA + "fake-ctr": "runtime/default",
            },
            "spec": INIT,
        },
        "metadata.annotations[container.apparmor.security.beta.kubernetes.io/fake-ctr]",
    ),
    ("9.32", {"annotations": {AA + "ctr": "bad-name"}}, "invalid AppArmor profile name"),
    ("9.33", {"annotations": {AA + "ctr": "runtime/foo"}}, "invalid AppArmor profile name"),
    (
        "9.34",
        {"spec": {"securityContext": {"appArmorProfile": {"type": "test"}}}},
        'Unsupported value: "test"',
    ),
    ("9.35", {"ctr_sc": {"appArmorProfile": {"type": "test"}}}, 'Unsupported value: "test"'),
    (
        "9.36",
        {"spec": {"securityContext": {"appArmorProfile": {"type": ""}}}},
        "Required value: type is required when appArmorProfile is set",
    ),
    (
        "9.37",
        {"spec": {"securityContext": {"appArmorProfile": {"type": "Localhost"}}}},
        "Required value: must be set when AppArmor type is Localhost",
    ),
    (
        "9.38",
        {
            "spec": {
                "securityContext": {
                    "appArmorProfile": {"type": "Localhost", "localhostProfile": ""}
                }
            }
        },
        "Required value: must be set when AppArmor type is Localhost",
    ),
    (
        "9.39",
        {
            "spec": {
                "securityContext": {
                    "appArmorProfile": {"type": "RuntimeDefault", "localhostProfile": "foo-bar"}
                }
            }
        },
        'Invalid value: "foo-bar"',
    ),
    (
        "9.40",
        {
            "spec": {
                "securityContext": {
                    "appArmorProfile": {"type": "Localhost", "localhostProfile": "foo-bar "}
                }
            }
        },
        'Invalid value: "foo-bar "',
    ),
    (
        "9.41",
        {
            "spec": {
                "securityContext": {
                    "appArmorProfile": {"type": "Localhost", "localhostProfile": "a" * 4096}
                }
            }
        },
        "Too long: may not be more than 4095 bytes",
    ),
    (
        "9.42",
        {
            "annotations": {AA + "ctr": "runtime/default"},
            "ctr_sc": {"appArmorProfile": {"type": "Unconfined"}},
        },
        "Forbidden: apparmor type in annotation and field must match",
    ),
    (
        "9.43",
        {
            "annotations": {AA + "ctr": "runtime/default"},
            "spec": {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}},
        },
        "Forbidden: apparmor type in annotation and field must match",
    ),
    (
        "9.44",
        {
            "annotations": {AA + "ctr": "localhost/foo"},
            "ctr_sc": {"appArmorProfile": {"type": "Localhost", "localhostProfile": "bar"}},
        },
        "Forbidden: apparmor profile in annotation and field must match",
    ),
]


@pytest.mark.parametrize(("case", "kw", "substring"), CREATE_BAD, ids=[c[0] for c in CREATE_BAD])
def test_9_create_invalid(case: str, kw: dict[str, Any], substring: str) -> None:
    from seclet.api.field import invalid_message

    errs = create_errors(raw_pod(**kw))
    assert substring in invalid_message("Pod", "p", errs)


def test_9_exact_texts() -> None:
    errs = create_errors(raw_pod(annotations={POD_KEY: "foo"}))
    assert texts(errs) == [
        'metadata.annotations.seccomp.security.alpha.kubernetes.io/pod: Invalid value: "foo": must be a valid seccomp profile'
    ]
    errs = create_errors(raw_pod(annotations={AA + "ctr": "bad-name"}))
    assert texts(errs) == [
        "metadata.annotations[container.apparmor.security.beta.kubernetes.io/ctr]: "
        'Invalid value: "bad-name": invalid AppArmor profile name: "bad-name"'
    ]
    errs = create_errors(raw_pod(annotations={CTR_KEY: "foo"}))
    assert texts(errs)[0] == (
        'metadata.annotations: Invalid value: "container.seccomp.security.alpha.kubernetes.io/": '
        "name part must be non-empty"
    )
    errs = create_errors(
        raw_pod(
            spec={
                "securityContext": {
                    "appArmorProfile": {"type": "RuntimeDefault", "localhostProfile": "foo-bar"}
                }
            }
        )
    )
    assert texts(errs) == [
        'spec.securityContext.appArmorProfile.localhostProfile: Invalid value: "foo-bar": '
        "can only be set when AppArmor type is Localhost"
    ]


# ---------------------------------------------------------------- §10 AppArmor annotation format
FORMAT_CASES = [
    ("10.1", "", True),
    ("10.2", "runtime/default", True),
    ("10.3", "unconfined", True),
    ("10.4", "baz", False),
    ("10.5", "localhost//usr/sbin/ntpd", True),
    ("10.6", "localhost/foo-bar", True),
]


@pytest.mark.parametrize(("case", "value", "valid"), FORMAT_CASES, ids=[c[0] for c in FORMAT_CASES])
def test_10_apparmor_format(case: str, value: str, valid: bool) -> None:
    assert (apparmor_profile_format_error(value) is None) is valid


# ---------------------------------------------------------------- §11 OS-specific
CSC = M.SecurityContext
PSC = M.PodSecurityContext
LIN_CTR_OK = CSC(
    privileged=False,
    capabilities=M.Capabilities(add=("foo",), drop=("bar",)),
    seLinuxOptions=M.SELinuxOptions(user="u", role="r", type="t", level="l"),
    runAsUser=1,
)


def _spec(
    os_name: str, psc: M.PodSecurityContext | None = None, csc: M.SecurityContext | None = None
) -> M.PodSpec:
    return M.PodSpec(
        os=M.PodOS(name=os_name),
        securityContext=psc,
        containers=(M.Container(name="c", securityContext=csc),),
    )


OS_CASES: list[tuple[str, M.PodSpec, str | None]] = [
    ("11.1", _spec("linux", csc=LIN_CTR_OK), None),
    (
        "11.2",
        _spec(
            "linux", csc=CSC(windowsOptions=M.WindowsSecurityContextOptions(runAsUserName="myUser"))
        ),
        "field.containers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod",
    ),
    (
        "11.3",
        _spec(
            "linux",
            psc=PSC(
                seLinuxOptions=M.SELinuxOptions(user="u", role="r", type="t", level="l"),
                runAsUser=1,
            ),
        ),
        None,
    ),
    (
        "11.4",
        _spec(
            "linux", psc=PSC(windowsOptions=M.WindowsSecurityContextOptions(runAsUserName="myUser"))
        ),
        "field.securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod",
    ),
    (
        "11.5",
        _spec(
            "windows",
            psc=PSC(windowsOptions=M.WindowsSecurityContextOptions(runAsUserName="dummy")),
        ),
        None,
    ),
    (
        "11.6",
        _spec("windows", psc=PSC(seLinuxOptions=M.SELinuxOptions(role="dummyRole"))),
        "field.securityContext.seLinuxOptions: Forbidden: cannot be set for a windows pod",
    ),
    (
        "11.7",
        _spec("windows", csc=CSC(seLinuxOptions=M.SELinuxOptions(role="dummy"))),
        "field.containers[0].securityContext.seLinuxOptions: Forbidden: cannot be set for a windows pod",
    ),
    (
        "11.8",
        _spec("windows", csc=CSC(seccompProfile=M.SeccompProfile(localhostProfile="dummy"))),
        "field.containers[0].securityContext.seccompProfile: Forbidden: cannot be set for a windows pod",
    ),
    (
        "11.9",
        _spec("windows", csc=CSC(appArmorProfile=M.AppArmorProfile(type="RuntimeDefault"))),
        "field.containers[0].securityContext.appArmorProfile: Forbidden: cannot be set for a windows pod",
    ),
    (
        "11.10",
        _spec(
            "windows",
            csc=CSC(windowsOptions=M.WindowsSecurityContextOptions(runAsUserName="dummy")),
        ),
        None,
    ),
]


@pytest.mark.parametrize(("case", "spec", "want"), OS_CASES, ids=[c[0] for c in OS_CASES])
def test_11a_linux_windows(case: str, spec: M.PodSpec, want: str | None) -> None:
    assert spec.os is not None
    fn = validate_linux if spec.os.name == "linux" else validate_windows
    got = texts(fn(spec, Path.root("field")))
    assert got == ([] if want is None else [want])


VALIDATE_OS: list[tuple[str, M.PodOS | None, str | None]] = [
    ("11.11", None, None),
    ("11.12", M.PodOS(), "spec.os.name: Required value"),
    ("11.13", M.PodOS(name="linux"), None),
    ("11.14", M.PodOS(name="windows"), None),
    ("11.15", M.PodOS(name=""), "spec.os.name: Required value"),
    (
        "11.16",
        M.PodOS(name="dummyOS"),
        'spec.os: Unsupported value: "dummyOS": supported values: "linux", "windows"',
    ),
]


@pytest.mark.parametrize(("case", "os_", "want"), VALIDATE_OS, ids=[c[0] for c in VALIDATE_OS])
def test_11b_validate_os(case: str, os_: M.PodOS | None, want: str | None) -> None:
    got = texts(validate_os(M.PodSpec(os=os_), Path.root("spec", "os")))
    assert got == ([] if want is None else [want])


def test_11_17_os_field_classification() -> None:
    ctr_fields: dict[str, Any] = {
        "appArmorProfile": M.AppArmorProfile(type="RuntimeDefault"),
        "allowPrivilegeEscalation": False,
        "capabilities": M.Capabilities(),
        "privileged": False,
        "procMount": "Default",
        "readOnlyRootFilesystem": True,
        "runAsGroup": 1,
        "runAsUser": 1,
        "seLinuxOptions": M.SELinuxOptions(),
        "seccompProfile": M.SeccompProfile(type="RuntimeDefault"),
    }
    for name, value in ctr_fields.items():
        for key in ("initContainers", "containers", "ephemeralContainers"):
            ctr_cls = M.EphemeralContainer if key == "ephemeralContainers" else M.Container
            spec = R(
                M.PodSpec(os=M.PodOS(name="windows")),
                **{key: (ctr_cls(name="c", securityContext=CSC(**{name: value})),)},
            )
            assert texts(validate_windows(spec, SPEC)) == [
                f"spec.{key}[0].securityContext.{name}: Forbidden: cannot be set for a windows pod"
            ]
    win = M.WindowsSecurityContextOptions(runAsUserName="u")
    assert texts(
        validate_linux(
            R(
                M.PodSpec(),
                ephemeralContainers=(
                    M.EphemeralContainer(name="e", securityContext=CSC(windowsOptions=win)),
                ),
            ),
            SPEC,
        )
    ) == [
        "spec.ephemeralContainers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod"
    ]
    pod_fields: dict[str, tuple[dict[str, Any], str]] = {
        "appArmorProfile": (
            {"securityContext": PSC(appArmorProfile=M.AppArmorProfile(type="RuntimeDefault"))},
            "spec.securityContext.appArmorProfile",
        ),
        "fsGroup": ({"securityContext": PSC(fsGroup=1)}, "spec.securityContext.fsGroup"),
        "fsGroupChangePolicy": (
            {"securityContext": PSC(fsGroupChangePolicy="Always")},
            "spec.securityContext.fsGroupChangePolicy",
        ),
        "hostIPC": ({"hostIPC": True}, "spec.hostIPC"),
        "hostPID": ({"hostPID": True}, "spec.hostPID"),
        "hostUsers": ({"hostUsers": True}, "spec.hostUsers"),
        "runAsGroup": ({"securityContext": PSC(runAsGroup=1)}, "spec.securityContext.runAsGroup"),
        "runAsUser": ({"securityContext": PSC(runAsUser=1)}, "spec.securityContext.runAsUser"),
        "seLinuxOptions": (
            {"securityContext": PSC(seLinuxOptions=M.SELinuxOptions())},
            "spec.securityContext.seLinuxOptions",
        ),
        "seLinuxChangePolicy": (
            {"securityContext": PSC(seLinuxChangePolicy="Recursive")},
            "spec.securityContext.seLinuxChangePolicy",
        ),
        "seccompProfile": (
            {"securityContext": PSC(seccompProfile=M.SeccompProfile(type="RuntimeDefault"))},
            "spec.securityContext.seccompProfile",
        ),
        "shareProcessNamespace": ({"shareProcessNamespace": False}, "spec.shareProcessNamespace"),
        "supplementalGroups": (
            {"securityContext": PSC(supplementalGroups=(1,))},
            "spec.securityContext.supplementalGroups",
        ),
        "supplementalGroupsPolicy": (
            {"securityContext": PSC(supplementalGroupsPolicy="Merge")},
            "spec.securityContext.supplementalGroupsPolicy",
        ),
        "sysctls": (
            {"securityContext": PSC(sysctls=_sysctls("a"))},
            "spec.securityContext.sysctls",
        ),
    }
    for kw, path in pod_fields.values():
        spec = R(M.PodSpec(os=M.PodOS(name="windows")), **kw)
        assert texts(validate_windows(spec, SPEC)) == [
            f"{path}: Forbidden: cannot be set for a windows pod"
        ]
    # hostNetwork (needed by HostProcess) and runAsNonRoot are OS-neutral.
    neutral = M.PodSpec(
        os=M.PodOS(name="windows"),
        hostNetwork=True,
        securityContext=PSC(runAsNonRoot=True),
        containers=(M.Container(name="c", securityContext=CSC(runAsNonRoot=True)),),
    )
    assert texts(validate_windows(neutral, SPEC)) == []


# ---------------------------------------------------------------- §12 Windows options
W = M.WindowsSecurityContextOptions
WIN_CASES: list[tuple[str, M.WindowsSecurityContextOptions | None, str | None]] = [
    ("12.1", None, None),
    ("12.2", W(), None),
    (
        "12.3",
        W(
            gmsaCredentialSpecName="dummy-gmsa-crep-spec-name",
            gmsaCredentialSpec="dummy-gmsa-crep-spec-contents",
        ),
        None,
    ),
    (
        "12.4",
        W(gmsaCredentialSpecName="not_a-valid-gmsa-crep-spec-name"),
        "a lowercase RFC 1123 subdomain",
    ),
    ("12.5", W(gmsaCredentialSpec=""), "gmsaCredentialSpec cannot be an empty string"),
    ("12.6", W(gmsaCredentialSpec="a" * 65537), "gmsaCredentialSpec size must be under"),
    ("12.7", W(runAsUserName=None), None),
    ("12.8", W(runAsUserName="Container. User"), None),
    ("12.9", W(runAsUserName="Network Service\\Container. User"), None),
    ("12.10", W(runAsUserName="fOo" * 20 + ".liSH\\Container. User"), None),
    ("12.11", W(runAsUserName="fOo" * 20 + ".l\\Container. User"), None),
    ("12.12", W(runAsUserName="a" * 42 + "\\Container. User"), None),
    ("12.13", W(runAsUserName=""), "runAsUserName cannot be an empty string"),
    (
        "12.14",
        W(runAsUserName="Container\tUser"),
        "runAsUserName cannot contain control characters",
    ),
    (
        "12.15",
        W(runAsUserName="Container\\Foo\\Lish"),
        "runAsUserName cannot contain more than one backslash",
    ),
    (
        "12.16",
        W(runAsUserName="\\User"),
        "runAsUserName's Domain doesn't match the NetBios nor the DNS format",
    ),
    ("12.17", W(runAsUserName="Container\\"), "runAsUserName's User cannot be empty"),
    (
        "12.18",
        W(runAsUserName="NetBios aaaaaaaa\\user"),
        "runAsUserName's Domain doesn't match the NetBios",
    ),
    (
        "12.19",
        W(runAsUserName=(("a" * 63 + ".") * 4)[:253] + ".com\\user"),
        "runAsUserName's Domain length must be under",
    ),
    ("12.20", W(runAsUserName="a" * 105), "runAsUserName's User length must not be longer than"),
    (
        "12.21",
        W(runAsUserName="... ..."),
        "runAsUserName's User cannot contain only periods or spaces",
    ),
    (
        "12.22",
        W(runAsUserName=".FooLish\\User"),
        "runAsUserName's Domain doesn't match the NetBios",
    ),
    (
        "12.23",
        W(runAsUserName="Foo? Lish?\\User"),
        "runAsUserName's Domain doesn't match the NetBios",
    ),
    (
        "12.24",
        W(runAsUserName="a" * 32 + ".com-\\user"),
        "runAsUserName's Domain doesn't match the NetBios nor the DNS format",
    ),
    (
        "12.25",
        W(runAsUserName="Container/User"),
        "runAsUserName's User cannot contain the following characters",
    ),
]


@pytest.mark.parametrize(("case", "opts", "want"), WIN_CASES, ids=[c[0] for c in WIN_CASES])
def test_12a_windows_options(
    case: str, opts: M.WindowsSecurityContextOptions | None, want: str | None
) -> None:
    errs = validate_windows_options(opts, Path.root("field"))
    if want is None:
        assert texts(errs) == []
    else:
        assert len(errs) == 1 and want in str(errs[0])


def test_12_exact_texts() -> None:
    errs = validate_windows_options(W(runAsUserName="Container/User"), Path.root("field"))
    assert texts(errs) == [
        'field.runAsUserName: Invalid value: "Container/User": runAsUserName\'s User cannot contain the following '
        'characters: "/\\:;|=,+*?<>@[]'
    ]


def _hp(v: bool | None) -> M.SecurityContext | None:
    return None if v is None else CSC(windowsOptions=W(hostProcess=v))


def _hp_spec(
    pod: bool | None,
    ctrs: Sequence[bool | None],
    init: Sequence[bool | None] = (),
    eph: Sequence[bool | None] = (),
    host_net: bool = True,
) -> M.PodSpec:
    return M.PodSpec(
        hostNetwork=host_net or None,
        securityContext=PSC(windowsOptions=W(hostProcess=pod)) if pod is not None else None,
        containers=tuple(
            M.Container(name=f"c{i}", securityContext=_hp(v)) for i, v in enumerate(ctrs)
        ),
        initContainers=tuple(
            M.Container(name=f"i{i}", securityContext=_hp(v)) for i, v in enumerate(init)
        ),
        ephemeralContainers=tuple(
            M.EphemeralContainer(name=f"e{i}", securityContext=_hp(v)) for i, v in enumerate(eph)
        ),
    )


HP_CASES: list[tuple[str, M.PodSpec, bool, bool]] = [
    ("12.26", _hp_spec(True, [None], host_net=False), True, False),
    ("12.27", _hp_spec(True, [None]), True, True),
    ("12.28", _hp_spec(True, [True], [True]), True, True),
    ("12.29", _hp_spec(None, [True], [True]), True, True),
    ("12.30", _hp_spec(None, [True], [False]), True, False),
    ("12.31", _hp_spec(None, [True], [None]), True, False),
    ("12.32", _hp_spec(True, [True], [False]), True, False),
    ("12.33", _hp_spec(True, [True, False]), True, False),
    ("12.34", _hp_spec(True, [True], [None]), True, True),
    ("12.35", _hp_spec(False, [True]), True, False),
    ("12.36", _hp_spec(True, [False]), True, False),
    ("12.37", _hp_spec(None, [True]), False, False),
    ("12.38", _hp_spec(True, [None], eph=[False]), True, False),
    ("12.39", _hp_spec(True, [None], eph=[None]), True, True),
    ("12.40", _hp_spec(None, [None], eph=[False]), True, True),
    ("12.41", _hp_spec(None, [None], eph=[True]), True, False),
]


@pytest.mark.parametrize(("case", "spec", "allow", "valid"), HP_CASES, ids=[c[0] for c in HP_CASES])
def test_12b_host_process(case: str, spec: M.PodSpec, allow: bool, valid: bool) -> None:
    assert (texts(validate_windows_host_process_pod(spec, SPEC, allow)) == []) is valid


def test_12b_mixed_containers_text() -> None:
    assert texts(validate_windows_host_process_pod(_hp_spec(None, [True], [None]), SPEC, True)) == [
        'spec: Invalid value: "": If pod contains any hostProcess containers then all containers must be '
        "HostProcess containers"
    ]


def test_12b_exact_texts() -> None:
    assert texts(
        validate_windows_host_process_pod(_hp_spec(False, [True], host_net=False), SPEC, False)
    ) == [
        "spec.containers[0].securityContext.windowsOptions.hostProcess: Invalid value: true: "
        "pod hostProcess value must be identical if both are specified, was false",
        "spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers",
        "spec: Forbidden: hostProcess containers are disallowed by cluster policy",
    ]


# ---------------------------------------------------------------- §13 ValidatePodUpdate
def _update(old: dict[str, Any], new: dict[str, Any]) -> str:
    from seclet.api.field import invalid_message

    errs = validate_pod_update(build(raw_pod(spec=new)), build(raw_pod(spec=old)), OPTS)
    return invalid_message("Pod", "p", errs)


FORBID = "Forbidden: pod updates may not change fields other than "
UPDATE_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "13.1",
        {},
        {"securityContext": {"fsGroupChangePolicy": "OnRootMismatch"}},
        "spec: Forbidden: pod updates may not change fields",
    ),
    (
        "13.2",
        {"os": {"name": "linux"}, "securityContext": {"seLinuxOptions": {"role": "dummy"}}},
        {"os": {"name": "windows"}, "securityContext": {"seLinuxOptions": {"role": "dummy"}}},
        FORBID + "`spec.containers[*].image",
    ),
    (
        "13.3",
        {"os": {"name": "linux"}, "securityContext": {"seLinuxOptions": {"role": "dummy"}}},
        {"os": {"name": "windows"}, "securityContext": {"seLinuxOptions": {"role": "dummy"}}},
        "spec.securityContext.seLinuxOptions: Forbidden",
    ),
    ("13.4", {}, {"os": {"name": "dummy"}}, FORBID + "`spec.containers[*].image"),
    ("13.5", {"os": {"name": "windows"}}, {"os": {"name": "linux"}}, FORBID),
]


@pytest.mark.parametrize(
    ("case", "old", "new", "substring"), UPDATE_CASES, ids=[c[0] for c in UPDATE_CASES]
)
def test_13_update(case: str, old: dict[str, Any], new: dict[str, Any], substring: str) -> None:
    assert substring in _update(old, new)


def test_13_image_only_update_is_valid() -> None:
    old = raw_pod()
    old["spec"]["containers"][0]["image"] = "busybox:1.36"
    new = raw_pod()
    new["spec"]["containers"][0]["image"] = "busybox:1.37"
    # upstream's TestValidatePodUpdate sets resourceVersion "1" on both pods: an update
    # without one is "metadata.resourceVersion: Invalid value: ...must be specified".
    old["metadata"]["resourceVersion"] = new["metadata"]["resourceVersion"] = "1"
    assert texts(validate_pod_update(build(new), build(old), OPTS)) == []
