"""Check definitions and results: the shapes every Pod Security check module fills in.

Role: upstream ``policy/checks.go``: ``Check`` (ID, level, versioned implementations),
``VersionedCheck`` (``MinimumVersion``, the check function, ``OverrideCheckIDs``),
``CheckResult`` and the aggregation that builds the ``ForbiddenDetail`` text
(``reason (detail), reason, ...``).
Callers: every ``policy/check_*.py`` module, ``policy/registry.py``, and
``seclet.podsecurity.admission`` (aggregated messages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final, NamedTuple, TypeAlias

from seclet.api.models import ObjectMeta, PodSpec
from seclet.api.record import hot_dataclass
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy.helpers import Containers

UNKNOWN_FORBIDDEN_REASON: Final = "unknown forbidden reason"
"""Placeholder reason for a check that disallows without giving one."""


class CheckResult(NamedTuple):
    """``CheckResult``: whether the check allowed the pod and, if not, why.

    ``forbidden_reason`` is short and always shown (``allowPrivilegeEscalation != false``);
    ``forbidden_detail`` names the offending containers/values and may be empty.
    (A NamedTuple: built once per check per evaluation, so construction cost matters.)
    """

    allowed: bool
    forbidden_reason: str = ""
    forbidden_detail: str = ""


ALLOWED: Final = CheckResult(True)
"""The shared allowed result (checks return it to avoid allocating)."""

CheckPodFn: TypeAlias = Callable[[ObjectMeta | None, PodSpec, Containers], CheckResult]
"""``CheckPodFn``: evaluates one pod's metadata (may be None) and spec.

Upstream's ``CheckPodFn(podMetadata, podSpec)`` walks the containers itself; here the
third argument is that walk (``visit_containers(spec)``), built once per evaluation
instead of once per check, since it is the same for all of them.
"""


@dataclass(frozen=True, slots=True)
class VersionedCheck:
    """``VersionedCheck``: one revision of a check, used from ``minimum_version`` on."""

    minimum_version: Version
    check_pod: CheckPodFn
    override_check_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Check:
    """``Check``: a unique ID, its level and its revisions in increasing version order."""

    id: str
    level: Level
    versions: tuple[VersionedCheck, ...]


@hot_dataclass(frozen=True, slots=True)
class AggregateCheckResult:
    """``AggregateCheckResult``: the failing checks' reasons and details, in check order."""

    allowed: bool
    forbidden_reasons: tuple[str, ...] = ()
    forbidden_details: tuple[str, ...] = ()

    def forbidden_reason(self) -> str:
        """``ForbiddenReason()``: ``host ports, privileged, ...``."""
        return ", ".join(self.forbidden_reasons)

    def forbidden_detail(self) -> str:
        """``ForbiddenDetail()``: ``reason (detail)`` per failing check, joined by ``, ``."""
        return ", ".join(
            f"{reason} ({detail})" if detail else reason
            for reason, detail in zip(self.forbidden_reasons, self.forbidden_details, strict=True)
        )


AGGREGATE_ALLOWED: Final = AggregateCheckResult(True)


def aggregate_check_results(results: Iterable[CheckResult]) -> AggregateCheckResult:
    """``AggregateCheckResults``: collect the forbidden results (unknown reason if empty)."""
    for result in results:
        if not result.allowed:
            break
    else:
        return AGGREGATE_ALLOWED
    reasons: list[str] = []
    details: list[str] = []
    for result in results:
        if not result.allowed:
            reasons.append(result.forbidden_reason or UNKNOWN_FORBIDDEN_REASON)
            details.append(result.forbidden_detail)
    if not reasons:
        return AGGREGATE_ALLOWED
    return AggregateCheckResult(False, tuple(reasons), tuple(details))
