"""seccomp: RuntimeDefault equals the upstream profile resolved for x86_64; Localhost
paths never leave the seccomp root; kubelet/containerd decisions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from seclet.api import models
from seclet.securitycontext.capabilities import DEFAULT_CAPABILITIES, mask_to_names
from seclet.securitycontext.seccomp import (
    SeccompError,
    SecurityProfile,
    check_localhost_profile,
    kubelet_seccomp_profile,
    parse_localhost_profile,
    runtime_default_profile,
    runtime_seccomp_decision,
)
from shared_data import shared_path

MOBY = json.loads(shared_path("reference", "seccomp-default.json").read_text())
GOARCH = "amd64"
ALL_CAPS = mask_to_names(0x000001FFFEFFFFFF)
# containerd allows these unconditionally; moby gates them on CAP_SYS_ADMIN.
CONTAINERD_ONLY_UNCONDITIONAL = {"lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr"}
# moby allows riscv_hwprobe everywhere; containerd only on riscv64 (no such syscall on x86).
MOBY_ONLY_UNCONDITIONAL = {("riscv_hwprobe", "SCMP_ACT_ALLOW", 0, "[]")}


def _applies(rule: dict[str, Any], caps: set[str], kernel: tuple[int, int]) -> bool:
    inc, exc = rule.get("includes", {}), rule.get("excludes", {})
    if inc.get("arches") and GOARCH not in inc["arches"]:
        return False
    if inc.get("caps") and not set(inc["caps"]) <= caps:
        return False
    if inc.get("minKernel") and kernel < tuple(int(x) for x in inc["minKernel"].split(".")):
        return False
    if exc.get("arches") and GOARCH in exc["arches"]:
        return False
    return not (exc.get("caps") and set(exc["caps"]) & caps)


def _normal(syscalls: list[dict[str, Any]]) -> set[tuple[str, str, int, str]]:
    out = set()
    for r in syscalls:
        args = json.dumps(r.get("args") or [], sort_keys=True)
        for n in r["names"]:
            out.add((n, r["action"], r.get("errnoRet", 0), args))
    return out


def moby_resolved(
    caps: tuple[str, ...], kernel: tuple[int, int] = (6, 18)
) -> set[tuple[str, str, int, str]]:
    rules = [r for r in MOBY["syscalls"] if _applies(r, set(caps), kernel)]
    return _normal(rules) - MOBY_ONLY_UNCONDITIONAL


@pytest.mark.parametrize(
    "caps", [(), DEFAULT_CAPABILITIES, ALL_CAPS], ids=["none", "default", "all"]
)
def test_runtime_default_equivalent_to_upstream_json(caps: tuple[str, ...]) -> None:
    ours = runtime_default_profile("x86_64", (6, 18), caps)
    got = _normal(ours["syscalls"])
    want = moby_resolved(caps)
    if "CAP_SYS_ADMIN" not in caps:
        want |= {(n, "SCMP_ACT_ALLOW", 0, "[]") for n in CONTAINERD_ONLY_UNCONDITIONAL}
    assert got == want
    assert ours["defaultAction"] == MOBY["defaultAction"]
    # moby says defaultErrnoRet 1; containerd omits it and runc defaults to EPERM (1).
    assert "defaultErrnoRet" not in ours and MOBY["defaultErrnoRet"] == 1
    arch = next(a for a in MOBY["archMap"] if a["architecture"] == "SCMP_ARCH_X86_64")
    assert ours["architectures"] == [arch["architecture"], *arch["subArchitectures"]]


def test_runtime_default_old_kernel_has_no_ptrace() -> None:
    names = {
        n for r in runtime_default_profile("x86_64", (4, 4), ())["syscalls"] for n in r["names"]
    }
    assert "ptrace" not in names
    assert _normal(runtime_default_profile("x86_64", (4, 4), ())["syscalls"]) == moby_resolved(
        (), (4, 4)
    ) | {(n, "SCMP_ACT_ALLOW", 0, "[]") for n in CONTAINERD_ONLY_UNCONDITIONAL}


def test_runtime_default_is_a_fresh_copy() -> None:
    a = runtime_default_profile("x86_64", (6, 18), DEFAULT_CAPABILITIES)
    a["syscalls"][0]["names"].append("reboot")
    b = runtime_default_profile("x86_64", (6, 18), DEFAULT_CAPABILITIES)
    assert "reboot" not in b["syscalls"][0]["names"]


def test_clone3_enosys_without_sys_admin() -> None:
    rules = runtime_default_profile("x86_64", (6, 18), DEFAULT_CAPABILITIES)["syscalls"]
    assert {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38} in rules


@pytest.mark.parametrize(
    "profile",
    ["../etc/shadow", "a/../../x", "/etc/passwd", "..", "a/..", "", ".", "./", "a\x00b"],
)
def test_localhost_refuses_escapes(profile: str) -> None:
    with pytest.raises(SeccompError):
        check_localhost_profile("/var/lib/kubelet/seccomp", profile)


@pytest.mark.parametrize(
    ("profile", "path"),
    [
        (
            "my-profiles/profile-allow.json",
            "/var/lib/kubelet/seccomp/my-profiles/profile-allow.json",
        ),
        ("a//b.json", "/var/lib/kubelet/seccomp/a/b.json"),
        ("./a.json", "/var/lib/kubelet/seccomp/a.json"),
        ("..a.json", "/var/lib/kubelet/seccomp/..a.json"),
    ],
)
def test_localhost_path_join(profile: str, path: str) -> None:
    assert check_localhost_profile("/var/lib/kubelet/seccomp/", profile) == path


def _pod(
    pod_type: str | None, ctr_type: str | None, local: str | None = None
) -> tuple[models.Pod, models.Container]:
    psc = models.PodSecurityContext(
        seccompProfile=models.SeccompProfile(type=pod_type, localhostProfile=local)
        if pod_type
        else None
    )
    csc = models.SecurityContext(
        seccompProfile=models.SeccompProfile(type=ctr_type, localhostProfile=local)
        if ctr_type
        else None
    )
    c = models.Container(name="c", securityContext=csc)
    return models.Pod(spec=models.PodSpec(securityContext=psc, containers=(c,))), c


@pytest.mark.parametrize(
    ("pod_type", "ctr_type", "default", "want"),
    [
        (None, None, False, "Unconfined"),
        (None, None, True, "RuntimeDefault"),
        ("RuntimeDefault", None, False, "RuntimeDefault"),
        ("RuntimeDefault", "Unconfined", False, "Unconfined"),
        ("Unconfined", "RuntimeDefault", False, "RuntimeDefault"),
        ("Weird", None, True, "Unconfined"),
    ],
)
def test_kubelet_precedence(
    pod_type: str | None, ctr_type: str | None, default: bool, want: str
) -> None:
    pod, c = _pod(pod_type, ctr_type)
    got = kubelet_seccomp_profile(pod, c, seccomp_root="/r", seccomp_default=default)
    assert got.profile_type == want


def test_localhost_without_name_is_kubelet_error() -> None:
    pod, c = _pod(None, "Localhost")
    with pytest.raises(
        SeccompError, match=r"^localhostProfile must be set if seccompProfile type is Localhost\.$"
    ):
        kubelet_seccomp_profile(pod, c, seccomp_root="/r")


def test_runtime_decisions() -> None:
    rd = SecurityProfile("RuntimeDefault")
    assert runtime_seccomp_decision(rd, privileged=True, seccomp_available=False).kind == "none"
    with pytest.raises(SeccompError, match=r"^seccomp is not supported$"):
        runtime_seccomp_decision(rd, privileged=False, seccomp_available=False)
    assert (
        runtime_seccomp_decision(
            SecurityProfile("Unconfined"), privileged=False, seccomp_available=False
        ).kind
        == "none"
    )
    loc = runtime_seccomp_decision(
        SecurityProfile("Localhost", "/r/p.json"), privileged=False, seccomp_available=True
    )
    assert (loc.kind, loc.path) == ("Localhost", "/r/p.json")


def test_localhost_profile_keeps_only_oci_fields() -> None:
    text = json.dumps(
        {
            "defaultAction": "SCMP_ACT_LOG",
            "archMap": [{"architecture": "SCMP_ARCH_X86_64"}],
            "syscalls": [
                {"names": ["read"], "action": "SCMP_ACT_ALLOW", "comment": "x", "includes": {}}
            ],
        }
    )
    assert parse_localhost_profile("/p", text) == {
        "defaultAction": "SCMP_ACT_LOG",
        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}],
    }
    with pytest.raises(SeccompError, match=r'^cannot load seccomp profile "/p"'):
        parse_localhost_profile("/p", None)
