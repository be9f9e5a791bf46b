"""Baseline check ``privileged``: no privileged containers.

Upstream: ``policy/check_privileged.go``, ID ``privileged``, level baseline. Revision: v1.0
only. ``securityContext.privileged`` must be unset or false on every container.
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "privileged"


def privileged_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad: list[str] = []
    for c in containers:
        sc = c.securityContext
        if sc is not None and sc.privileged:
            bad.append(c.name or "")
    if bad:
        return CheckResult(
            False,
            "privileged",
            f"{pluralize('container', 'containers', len(bad))} {join_quote(bad)} "
            "must not set securityContext.privileged=true",
        )
    return ALLOWED


CHECK: Final[Check] = Check(ID, Level.BASELINE, (VersionedCheck(Version(1, 0), privileged_1_0),))
