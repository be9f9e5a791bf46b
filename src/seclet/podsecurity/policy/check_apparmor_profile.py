"""Baseline check ``appArmorProfile``: no AppArmor profile other than the defaults.

Upstream: ``policy/check_appArmorProfile.go``, ID ``appArmorProfile``, level baseline.
Revision: v1.0 only. The pod's and every container's ``securityContext.appArmorProfile.type``
must be ``RuntimeDefault`` or ``Localhost`` when an ``appArmorProfile`` is given (an empty
type is forbidden); the deprecated annotations
``container.apparmor.security.beta.kubernetes.io/*`` may be empty, ``runtime/default``
or ``localhost/*``. Bad annotations are listed after the bad types as ``key="value"``.
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, go_quote, join_quote, pluralize

ID: Final = "appArmorProfile"

_ANNOTATION_PREFIX: Final = "container.apparmor.security.beta.kubernetes.io/"
_ALLOWED_TYPES: Final = frozenset({"RuntimeDefault", "Localhost"})


def _allowed_annotation_value(profile: str) -> bool:
    return profile in ("", "runtime/default") or profile.startswith("localhost/")


def apparmor_profile_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    # Fast screen: the common compliant pod returns without building anything.
    psc = spec.securityContext
    profile = psc.appArmorProfile if psc is not None else None
    if profile is None or profile.type in _ALLOWED_TYPES:
        for c in containers:
            sc = c.securityContext
            profile = sc.appArmorProfile if sc is not None else None
            if profile is not None and profile.type not in _ALLOWED_TYPES:
                break
        else:
            if metadata is None or not metadata.annotations:
                return ALLOWED
    return _check(metadata, spec, containers)


def _check(metadata: ObjectMeta | None, spec: PodSpec, containers: Containers) -> CheckResult:
    bad_setters: list[str] = []
    bad_values: list[str] = []  # a set, deduplicated when reported

    psc = spec.securityContext
    if psc is not None and psc.appArmorProfile is not None:
        t = psc.appArmorProfile.type or ""
        if t not in _ALLOWED_TYPES:
            bad_setters.append("pod")
            bad_values.append(t)

    bad_containers: list[str] = []
    for c in containers:
        sc = c.securityContext
        if sc is not None and sc.appArmorProfile is not None:
            t = sc.appArmorProfile.type or ""
            if t not in _ALLOWED_TYPES:
                bad_containers.append(c.name or "")
                bad_values.append(t)
    if bad_containers:
        bad_setters.append(
            f"{pluralize('container', 'containers', len(bad_containers))} "
            f"{join_quote(bad_containers)}"
        )

    forbidden_annotations: list[str] = []
    if metadata is not None and metadata.annotations:
        for k, v in metadata.annotations.items():
            if k.startswith(_ANNOTATION_PREFIX) and not _allowed_annotation_value(v):
                forbidden_annotations.append(f"{k}={go_quote(v)}")
    if not bad_setters and not forbidden_annotations:
        return ALLOWED

    bad_value_list = sorted(set(bad_values))
    if forbidden_annotations:
        bad_value_list.extend(sorted(forbidden_annotations))
        bad_setters.append(pluralize("annotation", "annotations", len(forbidden_annotations)))

    return CheckResult(
        False,
        pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", len(bad_value_list)),
        f"{' and '.join(bad_setters)} must not set AppArmor profile type to "
        f"{join_quote(bad_value_list)}",
    )


CHECK: Final[Check] = Check(
    ID, Level.BASELINE, (VersionedCheck(Version(1, 0), apparmor_profile_1_0),)
)
