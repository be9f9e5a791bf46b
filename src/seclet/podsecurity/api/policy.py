"""The namespace's Pod Security policy (enforce, audit, warn) and how labels resolve to it.

Role: upstream ``api.Policy`` and ``api.PolicyToEvaluate``: read the
``pod-security.kubernetes.io/*`` namespace labels over configured defaults, report invalid
values as field errors with upstream's exact text, and fall back the way upstream does
(invalid enforce level -> restricted, invalid version -> latest, invalid audit/warn
level -> privileged), including the "warn defaults to enforce" rule.
Callers: ``seclet.podsecurity.admission`` (pod and namespace admission) and the API server
when it validates namespace labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from seclet.api.field import FieldError, Path, invalid
from seclet.podsecurity.api.constants import (
    AUDIT_LEVEL_LABEL,
    AUDIT_VERSION_LABEL,
    ENFORCE_LEVEL_LABEL,
    ENFORCE_VERSION_LABEL,
    WARN_LEVEL_LABEL,
    WARN_VERSION_LABEL,
)
from seclet.podsecurity.api.version import (
    LATEST,
    Level,
    LevelVersion,
    compare_levels,
    parse_level,
    parse_version,
)

PRIVILEGED_LATEST: Final = LevelVersion(Level.PRIVILEGED, LATEST)


@dataclass(frozen=True, slots=True)
class Policy:
    """``api.Policy``: the level:version evaluated for each of the three modes."""

    enforce: LevelVersion = PRIVILEGED_LATEST
    audit: LevelVersion = PRIVILEGED_LATEST
    warn: LevelVersion = PRIVILEGED_LATEST

    def __str__(self) -> str:
        return f"enforce={self.enforce}, audit={self.audit}, warn={self.warn}"

    def equivalent(self, other: Policy) -> bool:
        """``Equivalent``: every mode is equivalent."""
        return (
            self.enforce.equivalent(other.enforce)
            and self.audit.equivalent(other.audit)
            and self.warn.equivalent(other.warn)
        )

    def fully_privileged(self) -> bool:
        """``FullyPrivileged``: all three modes are privileged."""
        return (
            self.enforce.level == Level.PRIVILEGED
            and self.audit.level == Level.PRIVILEGED
            and self.warn.level == Level.PRIVILEGED
        )


DEFAULT_POLICY: Final = Policy()
"""The built-in defaults (``PodSecurityConfiguration`` defaulting): privileged:latest x3."""

_LABELS_PATH: Final = Path.root("metadata", "labels")


def _label_error(label: str, value: str, err: str | None, errs: list[FieldError]) -> None:
    if err is not None:
        errs.append(invalid(_LABELS_PATH.key(label), value, err))


def policy_to_evaluate(
    labels: Mapping[str, str], defaults: Policy = DEFAULT_POLICY
) -> tuple[Policy, list[FieldError]]:
    """``PolicyToEvaluate``: the namespace's policy and the label errors, in label order.

    A usable policy is always returned. Errors read e.g.
    ``metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "foo": must be
    one of privileged, baseline, restricted``.
    """
    errs: list[FieldError] = []
    if not labels:
        return defaults, errs

    enforce_level, enforce_version = defaults.enforce.level, defaults.enforce.version
    audit_level, audit_version = defaults.audit.level, defaults.audit.version
    warn_level, warn_version = defaults.warn.level, defaults.warn.version
    has_enforce_level = has_warn_level = has_warn_version = False

    value = labels.get(ENFORCE_LEVEL_LABEL)
    if value is not None:
        enforce_level, err = parse_level(value)
        has_enforce_level = err is None  # don't default warn from an invalid enforce level
        _label_error(ENFORCE_LEVEL_LABEL, value, err, errs)
    value = labels.get(ENFORCE_VERSION_LABEL)
    if value is not None:
        enforce_version, err = parse_version(value)
        _label_error(ENFORCE_VERSION_LABEL, value, err, errs)
    value = labels.get(AUDIT_LEVEL_LABEL)
    if value is not None:
        audit_level, err = parse_level(value)
        _label_error(AUDIT_LEVEL_LABEL, value, err, errs)
        if err is not None:
            audit_level = Level.PRIVILEGED  # fail open for audit
    value = labels.get(AUDIT_VERSION_LABEL)
    if value is not None:
        audit_version, err = parse_version(value)
        _label_error(AUDIT_VERSION_LABEL, value, err, errs)
    value = labels.get(WARN_LEVEL_LABEL)
    if value is not None:
        has_warn_level = True
        warn_level, err = parse_level(value)
        _label_error(WARN_LEVEL_LABEL, value, err, errs)
        if err is not None:
            warn_level = Level.PRIVILEGED  # fail open for warn
    value = labels.get(WARN_VERSION_LABEL)
    if value is not None:
        has_warn_version = True
        warn_version, err = parse_version(value)
        _label_error(WARN_VERSION_LABEL, value, err, errs)

    # Default warn to the enforce level when enforce is explicitly set more restrictive.
    if not has_warn_level and has_enforce_level and compare_levels(enforce_level, warn_level) > 0:
        warn_level = enforce_level
        if not has_warn_version:
            warn_version = enforce_version

    policy = replace(
        defaults,
        enforce=LevelVersion(enforce_level, enforce_version),
        audit=LevelVersion(audit_level, audit_version),
        warn=LevelVersion(warn_level, warn_version),
    )
    return policy, errs
