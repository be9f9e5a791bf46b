"""Restricted check ``runAsNonRoot``: containers must be required to run as non-root.

Upstream: ``policy/check_runAsNonRoot.go``, ID ``runAsNonRoot``, level restricted.
Revisions: v1.0 (pod ``securityContext.runAsNonRoot: true``, then containers may leave it
unset, or every container sets it true; an explicit false anywhere is reported first) and
v1.35 (same, but pods with ``spec.hostUsers: false`` are allowed).
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

ID: Final = "runAsNonRoot"

_REASON: Final = "runAsNonRoot != true"


def run_as_non_root_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    # Fast screen: the common compliant pod returns without building anything.
    psc = spec.securityContext
    pod_value = psc.runAsNonRoot if psc is not None else None
    if pod_value is not False:
        for c in containers:
            sc = c.securityContext
            value = sc.runAsNonRoot if sc is not None else None
            if value is False or (value is None and pod_value is not True):
                break
        else:
            return ALLOWED
    return _forbidden(spec, containers)


def _forbidden(spec: PodSpec, containers: Containers) -> CheckResult:
    bad_setters: list[str] = []
    pod_run_as_non_root = False
    psc = spec.securityContext
    if psc is not None and psc.runAsNonRoot is not None:
        if not psc.runAsNonRoot:
            bad_setters.append("pod")
        else:
            pod_run_as_non_root = True

    explicitly_bad: list[str] = []
    implicitly_bad: list[str] = []
    for c in containers:
        sc = c.securityContext
        if sc is not None and sc.runAsNonRoot is not None:
            if not sc.runAsNonRoot:
                explicitly_bad.append(c.name or "")
        elif not pod_run_as_non_root:
            implicitly_bad.append(c.name or "")

    if explicitly_bad:
        bad_setters.append(
            f"{pluralize('container', 'containers', len(explicitly_bad))} "
            f"{join_quote(explicitly_bad)}"
        )
    if bad_setters:
        return CheckResult(
            False,
            _REASON,
            f"{' and '.join(bad_setters)} must not set securityContext.runAsNonRoot=false",
        )
    if implicitly_bad:
        return CheckResult(
            False,
            _REASON,
            f"pod or {pluralize('container', 'containers', len(implicitly_bad))} "
            f"{join_quote(implicitly_bad)} must set securityContext.runAsNonRoot=true",
        )
    return ALLOWED


def run_as_non_root_1_35(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    if relax_policy_for_user_namespace_pod(spec):
        return ALLOWED
    return run_as_non_root_1_0(metadata, spec, containers)


CHECK: Final[Check] = Check(
    ID,
    Level.RESTRICTED,
    (
        VersionedCheck(Version(1, 0), run_as_non_root_1_0),
        VersionedCheck(Version(1, 35), run_as_non_root_1_35),
    ),
)
