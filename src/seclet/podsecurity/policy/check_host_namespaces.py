"""Baseline check ``hostNamespaces``: no host network, PID or IPC namespace.

Upstream: ``policy/check_hostNamespaces.go``, ID ``hostNamespaces``, level baseline.
Revision: v1.0 only. ``spec.hostNetwork``, ``spec.hostPID`` and ``spec.hostIPC`` must be
unset or false; the detail lists the true ones in that order (``hostNetwork=true, ...``).
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers

ID: Final = "hostNamespaces"


def host_namespaces_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    if not (spec.hostNetwork or spec.hostPID or spec.hostIPC):
        return ALLOWED
    used: list[str] = []
    if spec.hostNetwork:
        used.append("hostNetwork=true")
    if spec.hostPID:
        used.append("hostPID=true")
    if spec.hostIPC:
        used.append("hostIPC=true")
    return CheckResult(False, "host namespaces", ", ".join(used))


CHECK: Final[Check] = Check(
    ID, Level.BASELINE, (VersionedCheck(Version(1, 0), host_namespaces_1_0),)
)
