"""Conformance: upstream's Pod Security fixtures, every level and policy version.

Role: for each ``pod-security/<level>/<version>`` directory of the shared conformance data
(4,537 pods), admit every pod in a namespace labelled enforce+warn = level/version:
``pass/`` pods must be allowed without warnings, ``fail/`` pods must be denied with the
substring upstream's test expects for the file's check (README table) and never with the
"unknown forbidden reason". One test per directory, failures collected, so it runs fast.
Also times both levels at ``latest`` over every fixture.
Callers: pytest.
"""

from __future__ import annotations

import gc
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from seclet.api.decode import decode_pod
from seclet.api.defaults import apply_pod_defaults, drop_disabled_fields
from seclet.api.featuregates import DEFAULT_GATES
from seclet.api.models import Pod
from seclet.podsecurity import (
    DEFAULT_EVALUATOR,
    Level,
    aggregate_check_results,
    level_version,
    validate_pod,
)
from seclet.podsecurity.policy import UNKNOWN_FORBIDDEN_REASON
from shared_data import shared_path, skip_unless_present

FIXTURES = shared_path("conformance", "pod-security")

# README table: file prefix -> substring upstream's test expects in the denial.
EXPECTED_SUBSTRING = {
    "apparmorprofile": "forbidden AppArmor profile",
    "capabilities_baseline": "capabilities",
    "hostnamespaces": "host namespaces",
    "hostpathvolumes": "hostPath",
    "hostports": "hostPort",
    "hostprobesandhostlifecycle": "probe or lifecycle host",
    "privileged": "privileged",
    "procmount": "procMount",
    "seccompprofile_baseline": "seccompProfile",
    "selinuxoptions": "seLinuxOptions",
    "sysctls": "forbidden sysctl",
    "windowshostprocess": "hostProcess",
    "allowprivilegeescalation": "allowPrivilegeEscalation",
    "capabilities_restricted": "unrestricted capabilities",
    "procmount_restricted": "procMount",
    "restrictedvolumes": "restricted volume types",
    "runasnonroot": "runAsNonRoot",
    "runasuser": "runAsUser",
    "seccompprofile_restricted": "seccompProfile",
}

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _decode_pod(raw: dict[str, Any]) -> Pod:
    """Decode as the apiserver does before admission: strict decode of the defaulted body.

    Upstream's test creates the fixtures through the apiserver, so Pod Security sees
    defaulted pods (e.g. a volume without a source becomes an emptyDir).
    """
    apply_pod_defaults(raw, DEFAULT_GATES)
    drop_disabled_fields(raw, DEFAULT_GATES)
    return decode_pod(raw)


@cache
def _pod_from_text(text: str) -> Pod:
    return _decode_pod(yaml.load(text, Loader=_YAML_LOADER))


def _load(path: Path) -> Pod:
    return _pod_from_text(path.read_text())


def _version_key(name: str) -> int:
    return int(name.removeprefix("v1."))


def _directories() -> list[tuple[str, str]]:
    if not FIXTURES.is_dir():
        return []
    return [
        (level.name, version.name)
        for level in sorted(FIXTURES.iterdir())
        if level.is_dir()
        for version in sorted(level.iterdir(), key=lambda p: _version_key(p.name))
        if version.is_dir()
    ]


_DIRS = _directories()
_SKIP = skip_unless_present(FIXTURES)


@_SKIP
@pytest.mark.parametrize(("level", "version"), _DIRS or [("none", "none")])
def test_fixture_directory(level: str, version: str) -> None:
    labels = {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": version,
        "pod-security.kubernetes.io/warn": level,
        "pod-security.kubernetes.io/warn-version": version,
    }
    directory = FIXTURES / level / version
    failures: list[str] = []
    count = 0
    for path in sorted((directory / "pass").glob("*.yaml")):
        count += 1
        r = validate_pod(_load(path), namespace="test", namespace_labels=labels)
        if not r.allowed or r.warnings:
            message = r.status.message if r.status else ""
            failures.append(f"pass/{path.name}: denied or warned: {message} {r.warnings}")
    for path in sorted((directory / "fail").glob("*.yaml")):
        count += 1
        prefix = re.sub(r"\d+$", "", path.stem)
        expected = EXPECTED_SUBSTRING[prefix]
        r = validate_pod(_load(path), namespace="test", namespace_labels=labels)
        if r.allowed or r.status is None:
            failures.append(f"fail/{path.name}: allowed")
            continue
        message = r.status.message
        lv = f'"{level}:{version}"'
        if not message.startswith(f'pods "{path.stem}" is forbidden: violates PodSecurity {lv}: '):
            failures.append(f"fail/{path.name}: unexpected message shape: {message}")
        if expected not in message:
            failures.append(f"fail/{path.name}: {expected!r} not in {message!r}")
        if UNKNOWN_FORBIDDEN_REASON in message:
            failures.append(f"fail/{path.name}: unknown forbidden reason: {message}")
    assert count > 0
    assert failures == []


@_SKIP
def test_fixture_count_matches_readme() -> None:
    assert len(list(FIXTURES.glob("*/*/*/*.yaml"))) == 4537


@_SKIP
def test_latest_evaluation_speed() -> None:
    """Both levels at ``latest`` over all 4,537 fixtures: well under 0.2 s."""
    pods = [_load(p) for p in sorted(FIXTURES.glob("*/*/*/*.yaml"))]
    specs = [(p.metadata, p.spec) for p in pods if p.spec is not None]
    assert len(specs) == 4537
    lvs = [level_version(Level.BASELINE), level_version(Level.RESTRICTED)]
    gc.collect()
    gc.disable()  # time the evaluator, not a collection of the test session's heap
    try:
        best = _best_of(5, specs, lvs)
    finally:
        gc.enable()
    assert best < 0.2, f"evaluating 2 x 4537 pods took {best:.3f}s of CPU"


def _best_of(runs: int, specs: list[tuple[Any, Any]], lvs: list[Any]) -> float:
    evaluate = DEFAULT_EVALUATOR.evaluate_pod
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        denied = 0
        for lv in lvs:
            for meta, spec in specs:
                if not aggregate_check_results(evaluate(lv, meta, spec)).allowed:
                    denied += 1
        best = min(best, time.process_time() - start)
        assert denied > 0
    return best
