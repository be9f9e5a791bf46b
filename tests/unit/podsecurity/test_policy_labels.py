"""Unit tests: namespace labels resolve to a policy as upstream's PolicyToEvaluate does."""

from __future__ import annotations

from seclet.podsecurity.api import (
    DEFAULT_POLICY,
    LATEST,
    Level,
    LevelVersion,
    Policy,
    Version,
    level_version,
    policy_to_evaluate,
)

P = "pod-security.kubernetes.io/"


def resolve(labels: dict[str, str], defaults: Policy = DEFAULT_POLICY) -> tuple[Policy, list[str]]:
    policy, errs = policy_to_evaluate(labels, defaults)
    return policy, [str(e) for e in errs]


def test_no_labels_gives_defaults() -> None:
    assert resolve({}) == (DEFAULT_POLICY, [])
    assert resolve({"team": "a"}) == (DEFAULT_POLICY, [])
    assert str(DEFAULT_POLICY) == (
        "enforce=privileged:latest, audit=privileged:latest, warn=privileged:latest"
    )
    assert DEFAULT_POLICY.fully_privileged()


def test_enforce_label_and_warn_defaulting() -> None:
    policy, errs = resolve({P + "enforce": "restricted", P + "enforce-version": "v1.30"})
    assert errs == []
    assert policy.enforce == level_version("restricted", "v1.30")
    assert policy.audit == level_version("privileged")
    # warn follows a stricter explicit enforce level, with its version
    assert policy.warn == level_version("restricted", "v1.30")


def test_warn_defaulting_keeps_explicit_warn_version() -> None:
    policy, _ = resolve({P + "enforce": "baseline", P + "warn-version": "v1.20"})
    assert policy.warn == level_version("baseline", "v1.20")


def test_explicit_warn_level_is_not_overridden() -> None:
    policy, _ = resolve({P + "enforce": "restricted", P + "warn": "privileged"})
    assert policy.warn == level_version("privileged")
    policy, _ = resolve({P + "enforce": "baseline", P + "warn": "restricted"})
    assert policy.warn == level_version("restricted")


def test_warn_not_defaulted_from_enforce_version_alone() -> None:
    policy, _ = resolve({P + "enforce-version": "v1.2"})
    assert policy.enforce == LevelVersion(Level.PRIVILEGED, Version(1, 2))
    assert policy.warn == level_version("privileged")


def test_invalid_enforce_level_fails_closed() -> None:
    policy, errs = resolve({P + "enforce": "foo"})
    assert errs == [
        'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "foo": '
        "must be one of privileged, baseline, restricted"
    ]
    assert policy.enforce == level_version("restricted")
    # an invalid enforce level does not drag warn along
    assert policy.warn == level_version("privileged")


def test_invalid_versions_fall_back_to_latest() -> None:
    policy, errs = resolve(
        {
            P + "enforce": "baseline",
            P + "enforce-version": "v1.05",
            P + "audit-version": "1.25",
            P + "warn-version": "v2.0",
        }
    )
    assert errs == [
        'metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "v1.05": '
        'must be "latest" or "v1.x"',
        'metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "1.25": '
        'must be "latest" or "v1.x"',
        'metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "v2.0": '
        'must be "latest" or "v1.x"',
    ]
    assert policy.enforce == LevelVersion(Level.BASELINE, LATEST)
    assert policy.audit.version == LATEST
    assert policy.warn == level_version("baseline", "latest")


def test_invalid_audit_and_warn_levels_fail_open() -> None:
    policy, errs = resolve({P + "audit": "Restricted", P + "warn": ""})
    assert errs == [
        'metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "Restricted": '
        "must be one of privileged, baseline, restricted",
        'metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "": '
        "must be one of privileged, baseline, restricted",
    ]
    assert policy.audit.level == Level.PRIVILEGED
    assert policy.warn.level == Level.PRIVILEGED


def test_label_values_are_go_quoted() -> None:
    _, errs = resolve({P + "enforce": 'a"b\n'})
    assert errs == [
        'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "a\\"b\\n": '
        "must be one of privileged, baseline, restricted"
    ]


def test_labels_override_configured_defaults() -> None:
    defaults = Policy(
        enforce=level_version("baseline", "v1.25"),
        audit=level_version("restricted"),
        warn=level_version("restricted"),
    )
    policy, errs = resolve({P + "audit": "baseline"}, defaults)
    assert errs == []
    assert policy == Policy(
        enforce=level_version("baseline", "v1.25"),
        audit=level_version("baseline"),
        warn=level_version("restricted"),
    )
    # enforce is not stricter than the configured warn level, so warn keeps its version
    policy, _ = resolve({P + "enforce": "restricted", P + "enforce-version": "v1.1"}, defaults)
    assert policy.warn == level_version("restricted")
