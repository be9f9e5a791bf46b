"""Unit tests: policy levels and versions parse exactly as upstream's ParseLevel/ParseVersion."""

from __future__ import annotations

import pytest

from seclet.podsecurity.api import (
    LATEST,
    NEWEST_POLICY_VERSION,
    Level,
    LevelVersion,
    Version,
    compare_levels,
    level_version,
    parse_level,
    parse_version,
)

VERSION_ERROR = 'must be "latest" or "v1.x"'
LEVEL_ERROR = "must be one of privileged, baseline, restricted"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("latest", LATEST),
        ("v1.0", Version(1, 0)),
        ("v1.9", Version(1, 9)),
        ("v1.25", Version(1, 25)),
        ("v1.37", Version(1, 37)),
        ("v1.999", Version(1, 999)),
        ("v1.9223372036854775807", Version(1, 9223372036854775807)),
    ],
)
def test_parse_version_valid(text: str, expected: Version) -> None:
    assert parse_version(text) == (expected, None)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Latest",
        "LATEST",
        "1.25",
        "v1",
        "v1.",
        "v1.05",
        "v1.00",
        "v1.-1",
        "v1.2.3",
        "V1.2",
        "v2.0",
        "v0.1",
        " v1.2",
        "v1.2 ",
        "v1.25\n",
        "v1.２",
        "v1.9223372036854775808",
    ],
)
def test_parse_version_invalid_falls_back_to_latest(text: str) -> None:
    assert parse_version(text) == (LATEST, VERSION_ERROR)


@pytest.mark.parametrize("level", ["privileged", "baseline", "restricted"])
def test_parse_level_valid(level: str) -> None:
    assert parse_level(level) == (Level(level), None)


@pytest.mark.parametrize("text", ["", "Restricted", "restricted ", "priviledged", "none"])
def test_parse_level_invalid_falls_back_to_restricted(text: str) -> None:
    assert parse_level(text) == (Level.RESTRICTED, LEVEL_ERROR)


def test_version_strings_and_order() -> None:
    assert str(LATEST) == "latest"
    assert str(Version(1, 7)) == "v1.7"
    assert str(Version()) == "v0.0"
    assert Version(1, 9).older(Version(1, 10))
    assert not Version(1, 10).older(Version(1, 9))
    assert Version(1, 37).older(LATEST)
    assert not LATEST.older(Version(1, 99))
    assert not LATEST.older(LATEST)
    assert Version().older(Version(1, 0))


def test_newest_policy_version_is_v1_37() -> None:
    assert Version(1, 37) == NEWEST_POLICY_VERSION


def test_level_version() -> None:
    lv = level_version("restricted")
    assert lv == LevelVersion(Level.RESTRICTED, LATEST)
    assert str(lv) == "restricted:latest"
    assert str(level_version(Level.BASELINE, "v1.23")) == "baseline:v1.23"
    with pytest.raises(ValueError, match="must be one of"):
        level_version("strict")
    with pytest.raises(ValueError, match=r"v1\.x"):
        level_version("baseline", "1.23")


def test_equivalent() -> None:
    p1 = level_version("privileged", "v1.1")
    p2 = level_version("privileged", "latest")
    assert p1.equivalent(p2)
    assert not level_version("baseline", "v1.1").equivalent(level_version("baseline", "latest"))
    assert level_version("baseline", "v1.1").equivalent(level_version("baseline", "v1.1"))


def test_compare_levels() -> None:
    p, b, r = Level.PRIVILEGED, Level.BASELINE, Level.RESTRICTED
    assert [compare_levels(p, b), compare_levels(b, p), compare_levels(b, b)] == [-1, 1, 0]
    assert [compare_levels(r, b), compare_levels(b, r), compare_levels(p, r)] == [1, -1, -1]
