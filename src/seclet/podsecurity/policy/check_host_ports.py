"""Baseline check ``hostPorts``: containers must not use host ports.

Upstream: ``policy/check_hostPorts.go``, ID ``hostPorts``, level baseline. Revision: v1.0
only. Every ``ports[*].hostPort`` must be unset or 0. The detail reads
``container "c" uses hostPort 8080`` / ``containers "a", "b" use hostPorts 10, 80``: the
ports form a set sorted as strings, unquoted.
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "hostPorts"


def host_ports_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad_containers: list[str] = []
    forbidden: list[str] = []  # a set, deduplicated when reported
    for c in containers:
        valid = True
        for port in c.ports:
            if port.hostPort:
                valid = False
                forbidden.append(str(port.hostPort))
        if not valid:
            bad_containers.append(c.name or "")
    if bad_containers:
        n = len(bad_containers)
        ports = sorted(set(forbidden))
        return CheckResult(
            False,
            "hostPort",
            f"{pluralize('container', 'containers', n)} {join_quote(bad_containers)} "
            f"{pluralize('uses', 'use', n)} "
            f"{pluralize('hostPort', 'hostPorts', len(ports))} {', '.join(ports)}",
        )
    return ALLOWED


CHECK: Final[Check] = Check(ID, Level.BASELINE, (VersionedCheck(Version(1, 0), host_ports_1_0),))
