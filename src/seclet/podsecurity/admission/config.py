"""Pod Security admission configuration: defaults and exemptions.

Role: upstream ``admission/api`` (``PodSecurityConfiguration`` with ``defaults`` and
``exemptions``, and ``ToPolicy`` that turns the defaults into a ``Policy`` with upstream's
error texts). Reading the ``AdmissionConfiguration`` file itself is the caller's job.
Callers: ``seclet.podsecurity.admission.admission``; the API server / CLI that load the
admission configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from seclet.api.field import aggregate_text
from seclet.podsecurity.api.policy import DEFAULT_POLICY, Policy
from seclet.podsecurity.api.version import (
    LATEST,
    Level,
    LevelVersion,
    Version,
    parse_level,
    parse_version,
)


@dataclass(frozen=True, slots=True)
class Exemptions:
    """``PodSecurityExemptions``: requests that are never evaluated."""

    usernames: frozenset[str] = frozenset()
    namespaces: frozenset[str] = frozenset()
    runtime_classes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PodSecurityConfiguration:
    """``PodSecurityConfiguration``: the policy for unlabelled modes, and the exemptions."""

    defaults: Policy = DEFAULT_POLICY
    exemptions: Exemptions = field(default_factory=Exemptions)


DEFAULT_CONFIGURATION: Final = PodSecurityConfiguration()

_DEFAULT_KEYS: Final = (
    "enforce",
    "enforce-version",
    "audit",
    "audit-version",
    "warn",
    "warn-version",
)


def to_policy(defaults: Mapping[str, str]) -> Policy:
    """``ToPolicy``: the ``defaults`` stanza (already defaulted) as a ``Policy``.

    Keys are upstream's: ``enforce``, ``enforce-version``, ``audit``, ``audit-version``,
    ``warn``, ``warn-version``. Raises ``ValueError`` with the aggregated errors, e.g.
    ``[enforce: required, audit-version: must be "latest" or "v1.x"]``.
    """
    errs: list[str] = []
    levels: dict[str, Level] = {}
    versions: dict[str, Version] = {}
    for key in _DEFAULT_KEYS:
        value = defaults.get(key, "")
        if not value:
            errs.append(f"{key}: required")
            continue
        if key.endswith("-version"):
            ver, err = parse_version(value)
            versions[key] = ver
        else:
            lvl, err = parse_level(value)
            levels[key] = lvl
        if err is not None:
            errs.append(f"{key}: {err}")
    if errs:
        raise ValueError(aggregate_text(errs))

    def lv(mode: str) -> LevelVersion:
        return LevelVersion(
            levels.get(mode, Level.PRIVILEGED), versions.get(f"{mode}-version", LATEST)
        )

    return Policy(lv("enforce"), lv("audit"), lv("warn"))
