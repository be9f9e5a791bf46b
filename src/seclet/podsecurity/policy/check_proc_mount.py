"""Baseline check ``procMount``: keep the default /proc masks.

Upstream: ``policy/check_procMount_baseline.go``, ID ``procMount``, level baseline.
Revisions: v1.0 (``securityContext.procMount`` must be unset or ``Default`` on every
container) and v1.35 (same, but any value is allowed when the pod sets
``spec.hostUsers: false``). Restricted replaces it with ``procMount_restricted`` from v1.35,
which applies the v1.0 rule without the user-namespace relaxation.
Callers: ``policy/registry.py`` (through ``CHECK``); ``check_proc_mount_restricted``
(reuses ``proc_mount_1_0`` and the ID).
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

ID: Final = "procMount"

_DEFAULT_PROC_MOUNT: Final = "Default"


def proc_mount_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad_containers: list[str] = []
    forbidden_types: list[str] = []  # a set, deduplicated when reported
    for c in containers:
        sc = c.securityContext
        if sc is None or sc.procMount is None:
            continue
        if sc.procMount != _DEFAULT_PROC_MOUNT:
            bad_containers.append(c.name or "")
            forbidden_types.append(sc.procMount)
    if bad_containers:
        return CheckResult(
            False,
            "procMount",
            f"{pluralize('container', 'containers', len(bad_containers))} "
            f"{join_quote(bad_containers)} must not set securityContext.procMount to "
            f"{join_quote(sorted(set(forbidden_types)))}",
        )
    return ALLOWED


def proc_mount_1_35_baseline(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    if relax_policy_for_user_namespace_pod(spec):
        return ALLOWED
    return proc_mount_1_0(metadata, spec, containers)


CHECK: Final[Check] = Check(
    ID,
    Level.BASELINE,
    (
        VersionedCheck(Version(1, 0), proc_mount_1_0),
        VersionedCheck(Version(1, 35), proc_mount_1_35_baseline),
    ),
)
