"""Baseline check ``sysctls``: only the namespaced, node-isolated "safe" sysctls.

Upstream: ``policy/check_sysctls.go``, ID ``sysctls``, level baseline. Every
``spec.securityContext.sysctls[*].name`` must be in the version's allow-list (exact match;
the slash spelling is not normalised). Revisions and what each adds:
- v1.0: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies,
  net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start
- v1.27: net.ipv4.ip_local_reserved_ports
- v1.29: net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout,
  net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes
- v1.32: net.ipv4.tcp_rmem, net.ipv4.tcp_wmem
- v1.37: net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat
The detail lists the forbidden names in spec order, unquoted, joined with ``, ``.
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckPodFn, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers

ID: Final = "sysctls"

SYSCTLS_ALLOWED_1_0: Final = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
)
SYSCTLS_ALLOWED_1_27: Final = SYSCTLS_ALLOWED_1_0 | {"net.ipv4.ip_local_reserved_ports"}
SYSCTLS_ALLOWED_1_29: Final = SYSCTLS_ALLOWED_1_27 | {
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SYSCTLS_ALLOWED_1_32: Final = SYSCTLS_ALLOWED_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
SYSCTLS_ALLOWED_1_37: Final = SYSCTLS_ALLOWED_1_32 | {
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
}


def _sysctls_check(allowed: frozenset[str]) -> CheckPodFn:
    def check(metadata: ObjectMeta | None, spec: PodSpec, containers: Containers) -> CheckResult:
        psc = spec.securityContext
        if psc is None or not psc.sysctls:
            return ALLOWED
        forbidden = [s.name or "" for s in psc.sysctls if (s.name or "") not in allowed]
        if forbidden:
            return CheckResult(False, "forbidden sysctls", ", ".join(forbidden))
        return ALLOWED

    return check


sysctls_1_0: Final = _sysctls_check(SYSCTLS_ALLOWED_1_0)
sysctls_1_27: Final = _sysctls_check(SYSCTLS_ALLOWED_1_27)
sysctls_1_29: Final = _sysctls_check(SYSCTLS_ALLOWED_1_29)
sysctls_1_32: Final = _sysctls_check(SYSCTLS_ALLOWED_1_32)
sysctls_1_37: Final = _sysctls_check(SYSCTLS_ALLOWED_1_37)

CHECK: Final[Check] = Check(
    ID,
    Level.BASELINE,
    (
        VersionedCheck(Version(1, 0), sysctls_1_0),
        VersionedCheck(Version(1, 27), sysctls_1_27),
        VersionedCheck(Version(1, 29), sysctls_1_29),
        VersionedCheck(Version(1, 32), sysctls_1_32),
        VersionedCheck(Version(1, 37), sysctls_1_37),
    ),
)
