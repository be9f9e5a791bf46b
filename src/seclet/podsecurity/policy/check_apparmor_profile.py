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
from seclet.podsecurity.policy.helpers import go_quote, join_quote, pluralize, visit_containers

ID: Final = "appArmorProfile"

_ANNOTATION_PREFIX: Final = "container.apparmor.security.beta.kubernetes.io/"
_ALLOWED_TYPES: Final = frozenset({"RuntimeDefault", "Localhost"})


def _allowed_annotation_value(profile: str) -> bool:
    return profile in ("", "runtime/default") or profile.startswith("localhost/")


def apparmor_profile_1_0(metadata: ObjectMeta | None, spec: PodSpec) -> CheckResult:
    bad_setters: list[str] = []
    bad_values: set[str] = set()

    psc = spec.securityContext
    if psc is not None and psc.appArmorProfile is not None:
        t = psc.appArmorProfile.type or ""
        if t not in _ALLOWED_TYPES:
            bad_setters.append("pod")
            bad_values.add(t)

    bad_containers: list[str] = []
    for c in visit_containers(spec):
        sc = c.securityContext
        if sc is not None and sc.appArmorProfile is not None:
            t = sc.appArmorProfile.type or ""
            if t not in _ALLOWED_TYPES:
                bad_containers.append(c.name or "")
                bad_values.add(t)
    if bad_containers:
        bad_setters.append(
            f"{pluralize('container', 'containers', len(bad_containers))} "
            f"{join_quote(bad_containers)}"
        )

    forbidden_annotations: list[str] = []
    if metadata is not None:
        for k, v in metadata.annotations.items():
            if k.startswith(_ANNOTATION_PREFIX) and not _allowed_annotation_value(v):
                forbidden_annotations.append(f"{k}={go_quote(v)}")

    bad_value_list = sorted(bad_values)
    if forbidden_annotations:
        bad_value_list.extend(sorted(forbidden_annotations))
        bad_setters.append(pluralize("annotation", "annotations", len(forbidden_annotations)))

    if bad_setters:
        return CheckResult(
            False,
            pluralize(
                "forbidden AppArmor profile", "forbidden AppArmor profiles", len(bad_value_list)
            ),
            f"{' and '.join(bad_setters)} must not set AppArmor profile type to "
            f"{join_quote(bad_value_list)}",
        )
    return ALLOWED


CHECK: Final = Check(ID, Level.BASELINE, (VersionedCheck(Version(1, 0), apparmor_profile_1_0),))
