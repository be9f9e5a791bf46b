"""Restricted check ``capabilities_restricted``: drop ALL, add at most NET_BIND_SERVICE.

Upstream: ``policy/check_capabilities_restricted.go``, ID ``capabilities_restricted``, level
restricted, overriding baseline ``capabilities_baseline``. Revisions: v1.22 (every container
must list ``ALL`` in ``capabilities.drop`` — a missing securityContext or capabilities
counts as missing — and may add only ``NET_BIND_SERVICE``) and v1.25 (same, pods with
``spec.os.name: windows`` exempt). The two complaints are joined with ``; ``.
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy import check_capabilities_baseline
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "capabilities_restricted"

_CAPABILITY_ALL: Final = "ALL"
_CAPABILITY_NET_BIND_SERVICE: Final = "NET_BIND_SERVICE"


def capabilities_restricted_1_22(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    # Fast screen: the common compliant pod returns without building anything.
    for c in containers:
        sc = c.securityContext
        caps = sc.capabilities if sc is not None else None
        if (
            caps is None
            or _CAPABILITY_ALL not in caps.drop
            or caps.add.count(_CAPABILITY_NET_BIND_SERVICE) != len(caps.add)
        ):
            return _forbidden(containers)
    return ALLOWED


def _forbidden(containers: Containers) -> CheckResult:
    missing_drop_all: list[str] = []
    adding_forbidden: list[str] = []
    forbidden_caps: list[str] = []  # a set, deduplicated when reported
    for c in containers:
        sc = c.securityContext
        if sc is None or sc.capabilities is None:
            missing_drop_all.append(c.name or "")
            continue
        caps = sc.capabilities
        if _CAPABILITY_ALL not in caps.drop:
            missing_drop_all.append(c.name or "")
        added_forbidden = False
        for cap in caps.add:
            if cap != _CAPABILITY_NET_BIND_SERVICE:
                added_forbidden = True
                forbidden_caps.append(cap)
        if added_forbidden:
            adding_forbidden.append(c.name or "")

    details: list[str] = []
    if missing_drop_all:
        details.append(
            f"{pluralize('container', 'containers', len(missing_drop_all))} "
            f'{join_quote(missing_drop_all)} must set securityContext.capabilities.drop=["ALL"]'
        )
    if adding_forbidden:
        listed = join_quote(sorted(set(forbidden_caps)))
        details.append(
            f"{pluralize('container', 'containers', len(adding_forbidden))} "
            f"{join_quote(adding_forbidden)} must not include {listed} "
            "in securityContext.capabilities.add"
        )
    if details:
        return CheckResult(False, "unrestricted capabilities", "; ".join(details))
    return ALLOWED


def capabilities_restricted_1_25(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    if spec.os is not None and spec.os.name == "windows":
        return ALLOWED
    return capabilities_restricted_1_22(metadata, spec, containers)


_OVERRIDES: Final = (check_capabilities_baseline.ID,)

CHECK: Final[Check] = Check(
    ID,
    Level.RESTRICTED,
    (
        VersionedCheck(Version(1, 22), capabilities_restricted_1_22, _OVERRIDES),
        VersionedCheck(Version(1, 25), capabilities_restricted_1_25, _OVERRIDES),
    ),
)
