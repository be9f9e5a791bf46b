"""Baseline check ``seccompProfile_baseline``: no unconfined seccomp profile.

Upstream: ``policy/check_seccompProfile_baseline.go``, ID ``seccompProfile_baseline``, level
baseline. Revisions: v1.0 (only the deprecated annotations
``seccomp.security.alpha.kubernetes.io/pod`` and
``container.seccomp.security.alpha.kubernetes.io/<container>``: ``runtime/default``,
``docker/default`` or ``localhost/*``) and v1.19 (only the fields: pod and container
``securityContext.seccompProfile.type`` must be ``RuntimeDefault`` or ``Localhost`` when a
seccompProfile is given). Restricted replaces it with ``seccompProfile_restricted`` from
v1.19.
Callers: ``policy/registry.py`` (through ``CHECK``); ``check_seccomp_profile_restricted``
(ID and ``valid_seccomp``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, go_quote, join_quote, pluralize

ID: Final = "seccompProfile_baseline"

ANNOTATION_KEY_POD: Final = "seccomp.security.alpha.kubernetes.io/pod"
ANNOTATION_KEY_CONTAINER_PREFIX: Final = "container.seccomp.security.alpha.kubernetes.io/"

VALID_SECCOMP_TYPES: Final[frozenset[str]] = frozenset({"Localhost", "RuntimeDefault"})


def _valid_annotation_value(v: str) -> bool:
    return v in ("runtime/default", "docker/default") or v.startswith("localhost/")


def seccomp_profile_baseline_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    if metadata is None or not metadata.annotations:
        return ALLOWED
    annotations = metadata.annotations
    forbidden: set[str] = set()
    val = annotations.get(ANNOTATION_KEY_POD)
    if val is not None and not _valid_annotation_value(val):
        forbidden.add(f"{ANNOTATION_KEY_POD}={go_quote(val)}")
    for c in containers:
        key = ANNOTATION_KEY_CONTAINER_PREFIX + (c.name or "")
        val = annotations.get(key)
        if val is not None and not _valid_annotation_value(val):
            forbidden.add(f"{key}={go_quote(val)}")
    if forbidden:
        return CheckResult(
            False,
            "seccompProfile",
            f"forbidden {pluralize('annotation', 'annotations', len(forbidden))} "
            f"{', '.join(sorted(forbidden))}",
        )
    return ALLOWED


def seccomp_profile_baseline_1_19(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad_setters: list[str] = []
    bad_values: list[str] = []  # a set, deduplicated when reported
    psc = spec.securityContext
    if psc is not None and psc.seccompProfile is not None:
        t = psc.seccompProfile.type or ""
        if t not in VALID_SECCOMP_TYPES:
            bad_setters.append("pod")
            bad_values.append(t)
    bad_containers: list[str] = []
    for c in containers:
        sc = c.securityContext
        if sc is not None and sc.seccompProfile is not None:
            t = sc.seccompProfile.type or ""
            if t not in VALID_SECCOMP_TYPES:
                bad_containers.append(c.name or "")
                bad_values.append(t)
    if bad_containers:
        bad_setters.append(
            f"{pluralize('container', 'containers', len(bad_containers))} "
            f"{join_quote(bad_containers)}"
        )
    if bad_setters:
        return CheckResult(
            False,
            "seccompProfile",
            f"{' and '.join(bad_setters)} must not set securityContext.seccompProfile.type to "
            f"{join_quote(sorted(set(bad_values)))}",
        )
    return ALLOWED


CHECK: Final[Check] = Check(
    ID,
    Level.BASELINE,
    (
        VersionedCheck(Version(1, 0), seccomp_profile_baseline_1_0),
        VersionedCheck(Version(1, 19), seccomp_profile_baseline_1_19),
    ),
)
