"""Baseline check ``hostProbesAndHostLifecycle``: probes and hooks must not set a host.

Upstream: ``policy/check_hostProbesAndhostLifecycle.go``, ID ``hostProbesAndHostLifecycle``,
level baseline. Revision: v1.34 only (older versions do not check it). For every container,
``{liveness,readiness,startup}Probe.{httpGet,tcpSocket}.host`` and
``lifecycle.{postStart,preStop}.{httpGet,tcpSocket}.host`` must be empty. Unlike the other
checks, container names and hosts are both sets, so both lists are sorted.
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import LifecycleHandler, ObjectMeta, PodSpec, Probe
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "hostProbesAndHostLifecycle"


def _forbidden_hosts(handler: Probe | LifecycleHandler | None, into: list[str]) -> bool:
    """``getForbiddenHostProbes`` / ``getForbiddenHostLifecycle``: collect set hosts."""
    if handler is None:
        return False
    found = False
    if handler.httpGet is not None and handler.httpGet.host:
        into.append(handler.httpGet.host)
        found = True
    if handler.tcpSocket is not None and handler.tcpSocket.host:
        into.append(handler.tcpSocket.host)
        found = True
    return found


def host_probes_and_host_lifecycle_1_34(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad_containers: list[str] = []  # sets upstream: deduplicated and sorted when reported
    forbidden: list[str] = []
    for c in containers:
        lifecycle = c.lifecycle
        if (
            c.livenessProbe is None
            and c.readinessProbe is None
            and c.startupProbe is None
            and lifecycle is None
        ):
            continue
        bad = _forbidden_hosts(c.livenessProbe, forbidden)
        bad = _forbidden_hosts(c.readinessProbe, forbidden) or bad
        bad = _forbidden_hosts(c.startupProbe, forbidden) or bad
        if lifecycle is not None:
            bad = _forbidden_hosts(lifecycle.postStart, forbidden) or bad
            bad = _forbidden_hosts(lifecycle.preStop, forbidden) or bad
        if bad:
            bad_containers.append(c.name or "")
    if not bad_containers:
        return ALLOWED
    names = sorted(set(bad_containers))
    hosts = sorted(set(forbidden))
    n = len(names)
    return CheckResult(
        False,
        "probe or lifecycle host",
        f"{pluralize('container', 'containers', n)} {join_quote(names)} "
        f"{pluralize('uses', 'use', n)} "
        f"{pluralize('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))} "
        f"{join_quote(hosts)}",
    )


CHECK: Final[Check] = Check(
    ID, Level.BASELINE, (VersionedCheck(Version(1, 34), host_probes_and_host_lifecycle_1_34),)
)
