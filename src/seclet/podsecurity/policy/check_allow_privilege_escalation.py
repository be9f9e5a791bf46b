"""Restricted check ``allowPrivilegeEscalation``: containers must set it to false.

Upstream: ``policy/check_allowPrivilegeEscalation.go``, ID ``allowPrivilegeEscalation``,
level restricted. Revisions: v1.8 (every container must set
``securityContext.allowPrivilegeEscalation=false``; unset counts as true) and v1.25 (same,
but pods with ``spec.os.name: windows`` are exempt).
Fields: ``spec.{initContainers,containers,ephemeralContainers}[*]``
``.securityContext.allowPrivilegeEscalation``.
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "allowPrivilegeEscalation"


def allow_privilege_escalation_1_8(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad: list[str] = []
    for c in containers:
        sc = c.securityContext
        if sc is None or sc.allowPrivilegeEscalation is not False:
            bad.append(c.name or "")
    if bad:
        return CheckResult(
            False,
            "allowPrivilegeEscalation != false",
            f"{pluralize('container', 'containers', len(bad))} {join_quote(bad)} "
            "must set securityContext.allowPrivilegeEscalation=false",
        )
    return ALLOWED


def allow_privilege_escalation_1_25(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    if spec.os is not None and spec.os.name == "windows":
        return ALLOWED
    return allow_privilege_escalation_1_8(metadata, spec, containers)


CHECK: Final[Check] = Check(
    ID,
    Level.RESTRICTED,
    (
        VersionedCheck(Version(1, 8), allow_privilege_escalation_1_8),
        VersionedCheck(Version(1, 25), allow_privilege_escalation_1_25),
    ),
)
