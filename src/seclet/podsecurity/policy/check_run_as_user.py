"""Restricted check ``runAsUser``: no explicit ``runAsUser: 0``.

Upstream: ``policy/check_runAsUser.go``, ID ``runAsUser``, level restricted. Revisions:
v1.23 (pod and containers must not set ``securityContext.runAsUser`` to 0; unset is fine)
and v1.35 (same, but pods with ``spec.hostUsers: false`` are allowed).
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import (
    Containers,
    join_quote,
    pluralize,
    relax_policy_for_user_namespace_pod,
)

ID: Final = "runAsUser"


def run_as_user_1_23(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad_setters: list[str] = []
    psc = spec.securityContext
    if psc is not None and psc.runAsUser == 0:
        bad_setters.append("pod")
    bad: list[str] = []
    for c in containers:
        sc = c.securityContext
        if sc is not None and sc.runAsUser == 0:
            bad.append(c.name or "")
    if bad:
        bad_setters.append(f"{pluralize('container', 'containers', len(bad))} {join_quote(bad)}")
    if bad_setters:
        return CheckResult(
            False, "runAsUser=0", f"{' and '.join(bad_setters)} must not set runAsUser=0"
        )
    return ALLOWED


def run_as_user_1_35(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    if relax_policy_for_user_namespace_pod(spec):
        return ALLOWED
    return run_as_user_1_23(metadata, spec, containers)


CHECK: Final[Check] = Check(
    ID,
    Level.RESTRICTED,
    (
        VersionedCheck(Version(1, 23), run_as_user_1_23),
        VersionedCheck(Version(1, 35), run_as_user_1_35),
    ),
)
