"""Pod Security levels, policy versions and level:version pairs.

Role: upstream ``pod-security-admission/api/helpers.go`` (``Level``, ``Version``,
``ParseLevel``, ``ParseVersion``, ``LevelVersion``, ``CompareLevels``), with the same
parsing rules and error texts. ``NEWEST_POLICY_VERSION`` is the single place that says
which policy version ``latest`` means in seclet.
Callers: ``seclet.podsecurity.api.policy`` (namespace labels), ``seclet.podsecurity.policy``
(check versions and the registry), ``seclet.podsecurity.admission``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from seclet.podsecurity.api.constants import VERSION_LATEST


class Level(StrEnum):
    """``api.Level``: the three Pod Security Standards levels."""

    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"


_VALID_LEVELS: Final = ", ".join(level.value for level in Level)

LEVEL_ERROR: Final = f"must be one of {_VALID_LEVELS}"
"""``ParseLevel``'s error text: ``must be one of privileged, baseline, restricted``."""

VERSION_ERROR: Final = 'must be "latest" or "v1.x"'
"""``ParseVersion``'s error text."""

_GO_MAX_INT: Final = (1 << 63) - 1


@dataclass(frozen=True, slots=True, order=False)
class Version:
    """``api.Version``: ``v<major>.<minor>`` or ``latest``.

    The zero value ``Version()`` is upstream's unset version (printed ``v0.0``); it is
    older than every assigned version.
    """

    major: int = 0
    minor: int = 0
    latest: bool = False

    def __str__(self) -> str:
        if self.latest:
            return VERSION_LATEST
        return f"v{self.major}.{self.minor}"

    def older(self, other: Version) -> bool:
        """``Older``: true if this version is older than ``other``; ``latest`` is newest."""
        if self.latest:
            return False
        if other.latest:
            return True
        if self.major != other.major:
            return self.major < other.major
        return self.minor < other.minor


def major_minor_version(major: int, minor: int) -> Version:
    """``MajorMinorVersion``."""
    return Version(major, minor)


LATEST: Final = Version(latest=True)
"""``LatestVersion()``."""

NEWEST_POLICY_VERSION: Final = Version(1, 37)
"""The newest policy version seclet implements: what ``latest`` evaluates as.

Upstream derives it as the highest ``MinimumVersion`` of any check, lowered to the
apiserver's emulation version; seclet emulates 1.37, whose newest check revision is
``sysctls`` v1.37. The registry verifies the two agree.
"""


def parse_level(value: str) -> tuple[Level, str | None]:
    """``ParseLevel``: the level, or ``restricted`` and the error text if invalid."""
    if value == Level.PRIVILEGED.value:
        return Level.PRIVILEGED, None
    if value == Level.BASELINE.value:
        return Level.BASELINE, None
    if value == Level.RESTRICTED.value:
        return Level.RESTRICTED, None
    return Level.RESTRICTED, LEVEL_ERROR


_VERSION_RE: Final = re.compile(r"v1\.([0-9]|[1-9][0-9]*)")


def parse_version(value: str) -> tuple[Version, str | None]:
    """``ParseVersion``: ``latest`` or ``v1.<n>``; otherwise ``latest`` and the error text.

    The pattern is upstream's ``^v1\\.([0-9]|[1-9][0-9]*)$`` (no leading zeros, no
    trailing newline); a minor that overflows Go's ``int`` fails ``strconv.Atoi``.
    """
    if value == VERSION_LATEST:
        return LATEST, None
    m = _VERSION_RE.fullmatch(value)
    if m is None:
        return LATEST, VERSION_ERROR
    minor = int(m.group(1))
    if minor > _GO_MAX_INT:
        return LATEST, VERSION_ERROR
    return Version(1, minor), None


def compare_levels(a: Level, b: Level) -> int:
    """``CompareLevels``: -1, 0 or 1 as ``a`` is less, equally or more strict than ``b``."""
    if a == b:
        return 0
    if a == Level.PRIVILEGED:
        return -1
    if a == Level.RESTRICTED:
        return 1
    if b == Level.PRIVILEGED:
        return 1
    return -1


@dataclass(frozen=True, slots=True)
class LevelVersion:
    """``api.LevelVersion``: printed ``<level>:<version>``, e.g. ``restricted:latest``."""

    level: Level
    version: Version

    def __str__(self) -> str:
        return f"{self.level.value}:{self.version}"

    def equivalent(self, other: LevelVersion) -> bool:
        """``Equivalent``: both privileged, or same level and version."""
        return (self.level == Level.PRIVILEGED and other.level == Level.PRIVILEGED) or (
            self.level == other.level and self.version == other.version
        )


def level_version(level: Level | str, version: Version | str = VERSION_LATEST) -> LevelVersion:
    """Build a LevelVersion from spellings (``"restricted"``, ``"v1.30"``); strict.

    Raises ``ValueError`` with upstream's error text for an invalid level or version.
    """
    if isinstance(level, str) and not isinstance(level, Level):
        lvl, err = parse_level(level)
        if err is not None:
            raise ValueError(f"invalid level {level!r}: {err}")
        level = lvl
    if isinstance(version, str):
        ver, err = parse_version(version)
        if err is not None:
            raise ValueError(f"invalid version {version!r}: {err}")
        version = ver
    return LevelVersion(level, version)
