"""Baseline check ``windowsHostProcess``: no Windows HostProcess pods or containers.

Upstream: ``policy/check_windowsHostProcess.go``, ID ``windowsHostProcess``, level baseline.
Revision: v1.0 only. Pod and container ``securityContext.windowsOptions.hostProcess`` must
be unset or false.
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "windowsHostProcess"


def windows_host_process_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad: list[str] = []
    for c in containers:
        sc = c.securityContext
        if sc is not None and sc.windowsOptions is not None and sc.windowsOptions.hostProcess:
            bad.append(c.name or "")
    psc = spec.securityContext
    pod_forbidden = bool(
        psc is not None and psc.windowsOptions is not None and psc.windowsOptions.hostProcess
    )
    if not bad and not pod_forbidden:
        return ALLOWED
    setters: list[str] = []
    if pod_forbidden:
        setters.append("pod")
    if bad:
        setters.append(f"{pluralize('container', 'containers', len(bad))} {join_quote(bad)}")
    return CheckResult(
        False,
        "hostProcess",
        f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true",
    )


CHECK: Final[Check] = Check(
    ID, Level.BASELINE, (VersionedCheck(Version(1, 0), windows_host_process_1_0),)
)
