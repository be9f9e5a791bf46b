"""Unit tests: the registry's check order, overrides, version selection and validation."""

from __future__ import annotations

import pytest
from psa_pods import pod

from seclet.podsecurity import NEWEST_POLICY_VERSION, Version, level_version
from seclet.podsecurity.api import Level
from seclet.podsecurity.policy import (
    ALLOWED,
    DEFAULT_CHECKS,
    DEFAULT_EVALUATOR,
    Check,
    Evaluator,
    VersionedCheck,
    aggregate_check_results,
    check_pod,
    validate_checks,
)

BASELINE_LATEST = (
    "appArmorProfile",
    "capabilities_baseline",
    "hostNamespaces",
    "hostPathVolumes",
    "hostPorts",
    "hostProbesAndHostLifecycle",
    "privileged",
    "procMount",
    "seLinuxOptions",
    "seccompProfile_baseline",
    "sysctls",
    "windowsHostProcess",
)


def ids(level: str, version: str = "latest") -> tuple[str, ...]:
    return DEFAULT_EVALUATOR.check_ids(level_version(level, version))


def test_nineteen_default_checks_with_unique_ids() -> None:
    assert len(DEFAULT_CHECKS) == 19
    assert len({c.id for c in DEFAULT_CHECKS}) == 19


def test_latest_is_the_newest_minimum_version() -> None:
    assert DEFAULT_EVALUATOR.derived_max_version == NEWEST_POLICY_VERSION
    assert DEFAULT_EVALUATOR.max_version == Version(1, 37)


def test_baseline_order_is_sorted_ids() -> None:
    assert ids("baseline") == BASELINE_LATEST
    assert ids("baseline", "v1.33") == tuple(
        i for i in BASELINE_LATEST if i != "hostProbesAndHostLifecycle"
    )


def test_restricted_order_and_overrides_latest() -> None:
    assert ids("restricted") == (
        "appArmorProfile",
        "hostNamespaces",
        "hostPorts",
        "hostProbesAndHostLifecycle",
        "privileged",
        "seLinuxOptions",
        "sysctls",
        "windowsHostProcess",
        "allowPrivilegeEscalation",
        "capabilities_restricted",
        "procMount_restricted",
        "restrictedVolumes",
        "runAsNonRoot",
        "runAsUser",
        "seccompProfile_restricted",
    )


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            "v1.0",
            "appArmorProfile capabilities_baseline hostNamespaces hostPorts privileged procMount "
            "seLinuxOptions seccompProfile_baseline sysctls windowsHostProcess "
            "restrictedVolumes runAsNonRoot",
        ),
        (
            "v1.8",
            "appArmorProfile capabilities_baseline hostNamespaces hostPorts privileged procMount "
            "seLinuxOptions seccompProfile_baseline sysctls windowsHostProcess "
            "allowPrivilegeEscalation restrictedVolumes runAsNonRoot",
        ),
        (
            "v1.19",
            "appArmorProfile capabilities_baseline hostNamespaces hostPorts privileged procMount "
            "seLinuxOptions sysctls windowsHostProcess "
            "allowPrivilegeEscalation restrictedVolumes runAsNonRoot seccompProfile_restricted",
        ),
        (
            "v1.22",
            "appArmorProfile hostNamespaces hostPorts privileged procMount seLinuxOptions sysctls "
            "windowsHostProcess allowPrivilegeEscalation capabilities_restricted "
            "restrictedVolumes runAsNonRoot seccompProfile_restricted",
        ),
        (
            "v1.34",
            "appArmorProfile hostNamespaces hostPorts hostProbesAndHostLifecycle privileged "
            "procMount seLinuxOptions sysctls windowsHostProcess allowPrivilegeEscalation "
            "capabilities_restricted restrictedVolumes runAsNonRoot runAsUser "
            "seccompProfile_restricted",
        ),
    ],
)
def test_restricted_checks_by_version(version: str, expected: str) -> None:
    assert ids("restricted", version) == tuple(expected.split())


def test_privileged_and_future_versions() -> None:
    assert ids("privileged") == ()
    assert ids("restricted", "v1.99") == ids("restricted", "latest")


def test_emulation_version_lowers_latest() -> None:
    ev = Evaluator(DEFAULT_CHECKS, Version(1, 33))
    assert ev.max_version == Version(1, 33)
    lv = level_version("baseline")
    assert "hostProbesAndHostLifecycle" not in ev.check_ids(lv)
    # versions above the emulated one evaluate as it
    assert ev.check_ids(level_version("baseline", "v1.34")) == ev.check_ids(lv)


def _noop_check(check_id: str, level: Level, *versions: tuple[int, tuple[str, ...]]) -> Check:
    return Check(
        check_id,
        level,
        tuple(
            VersionedCheck(Version(1, minor), lambda m, s, c: ALLOWED, overrides)
            for minor, overrides in versions
        ),
    )


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        (
            [_noop_check("a", Level.BASELINE, (0, ())), _noop_check("a", Level.BASELINE, (0, ()))],
            "multiple checks registered for ID a",
        ),
        ([_noop_check("a", Level.PRIVILEGED, (0, ()))], "check a: invalid level privileged"),
        ([Check("a", Level.BASELINE, ())], "check a: empty"),
        (
            [_noop_check("a", Level.BASELINE, (3, ()), (3, ()))],
            "check a: duplicate version v1.3",
        ),
        (
            [_noop_check("a", Level.BASELINE, (3, ()), (2, ()))],
            "check a: versions must be strictly increasing",
        ),
        (
            [_noop_check("a", Level.BASELINE, (0, ("b",)))],
            "check a: only restricted checks may set overrides",
        ),
        (
            [
                _noop_check("a", Level.RESTRICTED, (0, ("b",))),
                _noop_check("b", Level.RESTRICTED, (0, ())),
            ],
            "check a: overrides restricted check b",
        ),
    ],
)
def test_validate_checks_errors(checks: list[Check], message: str) -> None:
    with pytest.raises(ValueError) as exc:
        validate_checks(checks)
    assert str(exc.value) == message


_MIXED_POD = """
    metadata:
      name: p
      annotations:
        container.apparmor.security.beta.kubernetes.io/a: unconfined
    spec:
      hostNetwork: true
      securityContext: {seccompProfile: {type: Unconfined}}
      initContainers:
      - name: i
        image: x
        securityContext: {privileged: true, capabilities: {add: [NET_ADMIN]}}
      containers:
      - name: a
        image: x
        ports: [{containerPort: 80, hostPort: 80}]
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
          runAsNonRoot: true
      - name: b
        image: x
"""


@pytest.mark.parametrize("level", ["privileged", "baseline", "restricted"])
@pytest.mark.parametrize("version", ["latest", "v1.0", "v1.22", "v1.25", "v1.99"])
def test_check_pod_is_aggregate_of_evaluate_pod(level: str, version: str) -> None:
    """``Evaluator.check_pod`` (one pass) = ``aggregate_check_results(evaluate_pod(...))``."""
    p = pod(_MIXED_POD)
    assert p.spec is not None
    lv = level_version(level, version)
    expected = aggregate_check_results(DEFAULT_EVALUATOR.evaluate_pod(lv, p.metadata, p.spec))
    assert DEFAULT_EVALUATOR.check_pod(lv, p.metadata, p.spec) == expected
    assert check_pod(p.metadata, p.spec, lv) == expected
    assert expected.allowed == (level == "privileged")


def test_results_are_reused_only_for_the_same_pod_objects() -> None:
    """A pod evaluated at several levels in a row reuses the shared checks' results;
    another pod (even right after, even with the same spec object) is evaluated anew."""
    ev = Evaluator(DEFAULT_CHECKS, NEWEST_POLICY_VERSION)
    bad, good = pod(_MIXED_POD), pod("metadata: {name: ok}\nspec: {containers: [{name: a, image: x}]}")
    assert bad.spec is not None and good.spec is not None
    baseline, restricted = level_version("baseline", "latest"), level_version("restricted", "latest")
    fresh = Evaluator(DEFAULT_CHECKS, NEWEST_POLICY_VERSION)
    for _ in range(2):
        for p in (bad, good, bad):
            assert p.spec is not None
            for lv in (baseline, restricted, baseline):
                want = aggregate_check_results(fresh.evaluate_pod(lv, p.metadata, p.spec))
                assert ev.check_pod(lv, p.metadata, p.spec) == want
    # same spec object, other metadata: the annotation-reading check sees the new ones
    assert good.metadata is not None
    annotated = good.metadata._replace(
        annotations={"container.apparmor.security.beta.kubernetes.io/a": "unconfined"}
    )
    assert ev.check_pod(baseline, good.metadata, good.spec).allowed is True
    assert ev.check_pod(baseline, annotated, good.spec).forbidden_reasons == (
        "forbidden AppArmor profile",
    )
    assert ev.check_pod(baseline, good.metadata, good.spec).allowed is True
    assert ev.check_pod(restricted, good.metadata, good.spec).allowed is False
