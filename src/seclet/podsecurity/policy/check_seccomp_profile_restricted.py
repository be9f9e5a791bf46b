"""Restricted check ``seccompProfile_restricted``: a seccomp profile must be set.

Upstream: ``policy/check_seccompProfile_restricted.go``, ID ``seccompProfile_restricted``,
level restricted, overriding baseline ``seccompProfile_baseline``. Revisions: v1.19 (the pod
sets ``securityContext.seccompProfile.type`` to ``RuntimeDefault``/``Localhost`` and
containers leave it unset or valid, or every container sets a valid type; explicit bad
values are reported first) and v1.25 (same, pods with ``spec.os.name: windows`` exempt).
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy import check_seccomp_profile_baseline as baseline
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "seccompProfile_restricted"

_VALID: Final = baseline.VALID_SECCOMP_TYPES


def seccomp_profile_restricted_1_19(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    # Fast screen: the common compliant pod returns without building anything.
    psc = spec.securityContext
    pod_profile = psc.seccompProfile if psc is not None else None
    pod_valid = pod_profile is not None and pod_profile.type in _VALID
    if pod_profile is None or pod_valid:
        for c in containers:
            sc = c.securityContext
            profile = sc.seccompProfile if sc is not None else None
            if profile is None:
                if not pod_valid:
                    break
            elif profile.type not in _VALID:
                break
        else:
            return ALLOWED
    return _forbidden(spec, containers)


def _forbidden(spec: PodSpec, containers: Containers) -> CheckResult:
    bad_setters: list[str] = []
    bad_values: list[str] = []  # a set, deduplicated when reported
    pod_seccomp_set = False
    psc = spec.securityContext
    if psc is not None and psc.seccompProfile is not None:
        t = psc.seccompProfile.type or ""
        if t not in _VALID:
            bad_setters.append("pod")
            bad_values.append(t)
        else:
            pod_seccomp_set = True

    explicitly_bad: list[str] = []
    implicitly_bad: list[str] = []
    for c in containers:
        sc = c.securityContext
        if sc is not None and sc.seccompProfile is not None:
            t = sc.seccompProfile.type or ""
            if t not in _VALID:
                explicitly_bad.append(c.name or "")
                bad_values.append(t)
        elif not pod_seccomp_set:
            implicitly_bad.append(c.name or "")

    if explicitly_bad:
        bad_setters.append(
            f"{pluralize('container', 'containers', len(explicitly_bad))} "
            f"{join_quote(explicitly_bad)}"
        )
    if bad_setters:
        return CheckResult(
            False,
            "seccompProfile",
            f"{' and '.join(bad_setters)} must not set securityContext.seccompProfile.type to "
            f"{join_quote(sorted(set(bad_values)))}",
        )
    if implicitly_bad:
        return CheckResult(
            False,
            "seccompProfile",
            f"pod or {pluralize('container', 'containers', len(implicitly_bad))} "
            f"{join_quote(implicitly_bad)} must set securityContext.seccompProfile.type to "
            '"RuntimeDefault" or "Localhost"',
        )
    return ALLOWED


def seccomp_profile_restricted_1_25(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    if spec.os is not None and spec.os.name == "windows":
        return ALLOWED
    return seccomp_profile_restricted_1_19(metadata, spec, containers)


_OVERRIDES: Final = (baseline.ID,)

CHECK: Final[Check] = Check(
    ID,
    Level.RESTRICTED,
    (
        VersionedCheck(Version(1, 19), seccomp_profile_restricted_1_19, _OVERRIDES),
        VersionedCheck(Version(1, 25), seccomp_profile_restricted_1_25, _OVERRIDES),
    ),
)
