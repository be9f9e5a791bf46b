"""Baseline check ``hostPathVolumes``: no hostPath volumes.

Upstream: ``policy/check_hostPathVolumes.go``, ID ``hostPathVolumes``, level baseline.
Revision: v1.0 only. Any ``spec.volumes[*].hostPath`` is forbidden; the detail names the
volumes (``volume "v"`` / ``volumes "a", "b"``). Restricted replaces it with
``restrictedVolumes`` from v1.0.
Callers: ``policy/registry.py`` (through ``CHECK``); ``check_restricted_volumes`` (ID).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "hostPathVolumes"


def host_path_volumes_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad: list[str] = []
    for v in spec.volumes:
        if v.hostPath is not None:
            bad.append(v.name or "")
    if bad:
        return CheckResult(
            False,
            "hostPath volumes",
            f"{pluralize('volume', 'volumes', len(bad))} {join_quote(bad)}",
        )
    return ALLOWED


CHECK: Final[Check] = Check(
    ID, Level.BASELINE, (VersionedCheck(Version(1, 0), host_path_volumes_1_0),)
)
