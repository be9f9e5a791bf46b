"""Baseline check ``capabilities_baseline``: only the default capabilities may be added.

Upstream: ``policy/check_capabilities_baseline.go``, ID ``capabilities_baseline``, level
baseline. Revision: v1.0 only. Every container's ``securityContext.capabilities.add`` may
hold only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE,
SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT (exact spelling). ``drop`` is not checked.
Restricted replaces it with ``capabilities_restricted`` from v1.22.
Callers: ``policy/registry.py`` (through ``CHECK``); ``check_capabilities_restricted`` (ID).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "capabilities_baseline"

CAPABILITIES_ALLOWED_1_0: Final = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def capabilities_baseline_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad_containers: list[str] = []
    non_default: list[str] = []  # a set, deduplicated when reported
    for c in containers:
        sc = c.securityContext
        if sc is None or sc.capabilities is None:
            continue
        valid = True
        for cap in sc.capabilities.add:
            if cap not in CAPABILITIES_ALLOWED_1_0:
                valid = False
                non_default.append(cap)
        if not valid:
            bad_containers.append(c.name or "")
    if bad_containers:
        return CheckResult(
            False,
            "non-default capabilities",
            f"{pluralize('container', 'containers', len(bad_containers))} "
            f"{join_quote(bad_containers)} must not include {join_quote(sorted(set(non_default)))} "
            "in securityContext.capabilities.add",
        )
    return ALLOWED


CHECK: Final[Check] = Check(
    ID, Level.BASELINE, (VersionedCheck(Version(1, 0), capabilities_baseline_1_0),)
)
