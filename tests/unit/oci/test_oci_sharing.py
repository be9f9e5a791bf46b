"""What a built spec shares with other specs: only the read-only RuntimeDefault profile.

The builder memoises decisions on frozen values and puts one cached seccomp profile
into every spec that uses RuntimeDefault; everything else in a spec is a fresh dict
or list the caller owns. These tests pin that contract.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from seclet.api import models
from seclet.host.facts import NodeFacts
from seclet.runtime.oci.base import default_unix_spec
from seclet.runtime.oci.builder import build_container, build_container_spec
from seclet.runtime.oci.inputs import ContainerSpecInputs, RuntimeContext
from seclet.securitycontext.readonly import ReadOnlyDict, ReadOnlyList
from seclet.securitycontext.seccomp import runtime_default_profile


def make(
    csc: models.SecurityContext | None, *, sandbox_pid: int | None = None
) -> ContainerSpecInputs:
    c = models.Container(name="c", image="busybox", command=("sh",), securityContext=csc)
    pod = models.Pod(
        metadata=models.ObjectMeta(name="p", namespace="ns", uid="u"),
        spec=models.PodSpec(
            containers=(c,),
            securityContext=models.PodSecurityContext(runAsUser=1000, fsGroup=2000),
        ),
    )
    return ContainerSpecInputs(
        pod=pod, container=c, runtime=RuntimeContext(sandbox_pid=sandbox_pid)
    )


RUNTIME_DEFAULT = models.SecurityContext(
    seccompProfile=models.SeccompProfile(type="RuntimeDefault"),
    capabilities=models.Capabilities(drop=("NET_RAW",)),
)
CONTEXTS = [
    None,
    RUNTIME_DEFAULT,
    models.SecurityContext(privileged=True),
    models.SecurityContext(procMount="Unmasked", readOnlyRootFilesystem=True),
]


def containers(value: Any, path: str = "") -> dict[int, str]:
    """id -> path of every dict and list in a JSON-shaped value."""
    out: dict[int, str] = {}
    if isinstance(value, dict):
        out[id(value)] = path
        for k, v in value.items():
            out |= containers(v, f"{path}.{k}")
    elif isinstance(value, list):
        out[id(value)] = path
        for i, v in enumerate(value):
            out |= containers(v, f"{path}[{i}]")
    return out


@pytest.mark.parametrize("csc", CONTEXTS)
def test_specs_share_nothing_but_the_seccomp_profile(csc: models.SecurityContext | None) -> None:
    inp = make(csc, sandbox_pid=7)
    a, b = build_container_spec(inp), build_container_spec(inp)
    ids_a, ids_b = containers(a), containers(b)
    shared = {ids_a[i] for i in ids_a.keys() & ids_b.keys()}
    assert all(p.startswith(".linux.seccomp") for p in shared), sorted(shared)
    assert json.dumps(a) == json.dumps(b)


def test_runtime_default_profile_is_shared_read_only() -> None:
    a = build_container_spec(make(RUNTIME_DEFAULT))
    b = build_container(make(RUNTIME_DEFAULT)).spec
    profile = a["linux"]["seccomp"]
    assert profile is b["linux"]["seccomp"]
    assert isinstance(profile, ReadOnlyDict)
    assert isinstance(profile["syscalls"], ReadOnlyList)
    with pytest.raises(TypeError, match="read-only"):
        profile["defaultAction"] = "SCMP_ACT_ALLOW"
    with pytest.raises(TypeError, match="read-only"):
        profile["syscalls"][0]["names"].append("reboot")
    with pytest.raises(TypeError, match="read-only"):
        profile["syscalls"].append({})
    # The rest of the spec is the caller's to change.
    a["linux"]["maskedPaths"].append("/proc/x")
    a["process"]["env"].append("X=1")
    # Same bytes as a fresh profile for the same Bounding set; a deep copy is plain.
    fresh = runtime_default_profile(
        "x86_64", (6, 18), tuple(a["process"]["capabilities"]["bounding"])
    )
    for kw in ({}, {"sort_keys": True}, {"indent": 2, "sort_keys": True}):
        assert json.dumps(profile, **kw) == json.dumps(fresh, **kw)
    mine = copy.deepcopy(profile)
    assert type(mine) is dict and type(mine["syscalls"][0]["names"]) is list
    mine["syscalls"][0]["names"].append("reboot")
    assert "reboot" not in profile["syscalls"][0]["names"]


def test_building_never_changes_cached_values() -> None:
    """Every memo and the shared profile survive building and editing many specs."""
    before = json.dumps(build_container_spec(make(RUNTIME_DEFAULT)))
    for csc in CONTEXTS * 3:
        for pid in (None, 7):
            spec = build_container(make(csc, sandbox_pid=pid)).spec
            for key in ("maskedPaths", "readonlyPaths", "namespaces"):
                spec["linux"].get(key, []).clear()
            spec["process"]["capabilities"].clear()
            spec["mounts"].clear()
    assert json.dumps(build_container_spec(make(RUNTIME_DEFAULT))) == before


def test_base_spec_is_fresh_and_containerd_shaped() -> None:
    a, b = default_unix_spec("k8s.io", "x"), default_unix_spec("k8s.io", "x")
    assert not containers(a).keys() & containers(b).keys()
    assert a["linux"]["cgroupsPath"] == "/k8s.io/x"
    assert [m["destination"] for m in a["mounts"]][-1] == "/run"


def test_node_tables_follow_the_node_values() -> None:
    ref = NodeFacts.reference()
    other = NodeFacts(cap_bounding=0xA80425FB, kernel_release="4.4.0-x", rlimits_hard=())
    assert ref.kernel_version == (6, 18) and other.kernel_version == (4, 4)
    assert "CAP_SYS_ADMIN" in ref.grantable_capabilities
    assert "CAP_SYS_ADMIN" not in other.grantable_capabilities
    assert ref.rlimit_hard("RLIMIT_NOFILE") == 20000
    assert other.rlimit_hard("RLIMIT_NOFILE") is None
    assert NodeFacts(kernel_release="garbage").kernel_version == (0, 0)
