"""Baseline check ``seLinuxOptions``: no custom SELinux user/role, only container types.

Upstream: ``policy/check_seLinuxOptions.go``, ID ``seLinuxOptions``, level baseline.
Revisions: v1.0 (pod and container ``securityContext.seLinuxOptions.type`` must be empty,
``container_t``, ``container_init_t`` or ``container_kvm_t``; ``user`` and ``role`` must be
empty; ``level`` is free) and v1.31 (adds ``container_engine_t``). The detail joins
``type(s) "..."``, ``user may not be set`` and ``role may not be set`` with ``; ``.
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec, SELinuxOptions
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "seLinuxOptions"

SELINUX_ALLOWED_TYPES_1_0: Final = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t"}
)
SELINUX_ALLOWED_TYPES_1_31: Final = SELINUX_ALLOWED_TYPES_1_0 | {"container_engine_t"}


class _Findings:
    """What the invalid options of pod and containers set, accumulated across them."""

    __slots__ = ("bad_types", "set_role", "set_user")

    def __init__(self) -> None:
        self.bad_types: set[str] = set()
        self.set_user = False
        self.set_role = False

    def valid(self, opts: SELinuxOptions, allowed_types: frozenset[str]) -> bool:
        valid = True
        t = opts.type or ""
        if t not in allowed_types:
            valid = False
            self.bad_types.add(t)
        if opts.user:
            valid = False
            self.set_user = True
        if opts.role:
            valid = False
            self.set_role = True
        return valid


def _se_linux_options(
    spec: PodSpec, containers: Containers, allowed_types: frozenset[str]
) -> CheckResult:
    psc = spec.securityContext
    if psc is None or psc.seLinuxOptions is None:
        for c in containers:
            sc = c.securityContext
            if sc is not None and sc.seLinuxOptions is not None:
                break
        else:
            return ALLOWED

    found = _Findings()
    bad_setters: list[str] = []
    if (
        psc is not None
        and psc.seLinuxOptions is not None
        and not found.valid(psc.seLinuxOptions, allowed_types)
    ):
        bad_setters.append("pod")
    bad_containers: list[str] = []
    for c in containers:
        sc = c.securityContext
        if (
            sc is not None
            and sc.seLinuxOptions is not None
            and not found.valid(sc.seLinuxOptions, allowed_types)
        ):
            bad_containers.append(c.name or "")
    if bad_containers:
        bad_setters.append(
            f"{pluralize('container', 'containers', len(bad_containers))} "
            f"{join_quote(bad_containers)}"
        )
    if not bad_setters:
        return ALLOWED
    bad_data: list[str] = []
    if found.bad_types:
        bad_data.append(
            f"{pluralize('type', 'types', len(found.bad_types))} "
            f"{join_quote(sorted(found.bad_types))}"
        )
    if found.set_user:
        bad_data.append("user may not be set")
    if found.set_role:
        bad_data.append("role may not be set")
    return CheckResult(
        False,
        "seLinuxOptions",
        f"{' and '.join(bad_setters)} set forbidden securityContext.seLinuxOptions: "
        f"{'; '.join(bad_data)}",
    )


def selinux_options_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    return _se_linux_options(spec, containers, SELINUX_ALLOWED_TYPES_1_0)


def selinux_options_1_31(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    return _se_linux_options(spec, containers, SELINUX_ALLOWED_TYPES_1_31)


CHECK: Final[Check] = Check(
    ID,
    Level.BASELINE,
    (
        VersionedCheck(Version(1, 0), selinux_options_1_0),
        VersionedCheck(Version(1, 31), selinux_options_1_31),
    ),
)
