"""Resource validation through ``seclet validate``: quantities print as ``Quantity.String()``.

kube-apiserver prints ``quantity.String()`` (the canonical form, k/k
``validateResourceRequirements``, ``ValidateNonnegativeQuantity``,
``ValidateResourceQuantityValue``, ``validateResourceQuantityHugePageValue``,
``validatePodResourceConsistency``), so ``1024Mi`` reads ``1Gi``, ``0.5`` reads ``500m``,
``1000m`` reads ``1`` and ``2.5`` reads ``2500m``. Cases marked "upstream" are
``TestValidatePod`` error cases, here with their complete output; the name rules come
from ``validateResourceName`` / ``validateContainerResourceName`` /
``validatePodResourceName``.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from seclet.api import models
from seclet.api.field import Path as FieldPath
from seclet.api.quantity import BINARY_SI, DECIMAL_EXPONENT, DECIMAL_SI
from seclet.cli.main import main
from seclet.validation.containers import format_quantity, validate_resources

HEAD = 'The Pod "p" is invalid: '
C0 = "spec.containers[0].resources"


def one(line: str) -> str:
    return HEAD + line + "\n"


def many(*lines: str) -> str:
    return HEAD + "\n" + "".join(f"* {line}\n" for line in lines)


def res(
    requests: dict[str, Any] | None = None, limits: dict[str, Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if requests is not None:
        out["requests"] = requests
    if limits is not None:
        out["limits"] = limits
    return {"resources": out}


CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "memory request over the limit (the issue's example)",
        {},
        res({"memory": "1024Mi"}, {"memory": "512Mi"}),
        one(
            f'{C0}.requests: Invalid value: "1Gi": must be less than or equal to memory limit '
            "of 512Mi"
        ),
    ),
    (
        "cpu: 1000m is 1, 0.5 is 500m",
        {},
        res({"cpu": "1000m"}, {"cpu": "0.5"}),
        one(f'{C0}.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m'),
    ),
    (
        "JSON numbers are quantities too",
        {},
        res({"cpu": 2}, {"cpu": 1.5}),
        one(f'{C0}.requests: Invalid value: "2": must be less than or equal to cpu limit of 1500m'),
    ),
    (
        "1.5Gi is 1536Mi; 1000000Ki has no larger binary unit",
        {},
        res({"memory": "1.5Gi"}, {"memory": "1000000Ki"}),
        one(
            f'{C0}.requests: Invalid value: "1536Mi": must be less than or equal to memory '
            "limit of 1000000Ki"
        ),
    ),
    (
        "negative quantities (requests default from limits)",
        {},
        res({"cpu": "-0.5"}, {"memory": "-1024Mi"}),
        many(
            f'{C0}.limits[memory]: Invalid value: "-1Gi": must be greater than or equal to 0',
            f'{C0}.requests[cpu]: Invalid value: "-500m": must be greater than or equal to 0',
            f'{C0}.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0',
        ),
    ),
    (
        "upstream: invalid extended resource requirement: request must be == limit",
        {},
        res({"example.com/a": "2"}, {"example.com/a": "1000m"}),
        one(f'{C0}.requests: Invalid value: "2": must be equal to example.com/a limit of 1'),
    ),
    (
        "upstream: invalid extended resource name in container request",
        {},
        res({"invalid-name": "2"}, {"invalid-name": "2"}),
        many(
            f'{C0}.limits[invalid-name]: Invalid value: "invalid-name": must be a standard '
            "resource type or fully qualified",
            f'{C0}.limits[invalid-name]: Invalid value: "invalid-name": must be a standard '
            "resource for containers",
            f'{C0}.requests[invalid-name]: Invalid value: "invalid-name": must be a standard '
            "resource type or fully qualified",
            f'{C0}.requests[invalid-name]: Invalid value: "invalid-name": must be a standard '
            "resource for containers",
        ),
    ),
    (
        "upstream: invalid fractional extended resource in container request",
        {},
        res({"example.com/a": "500m"}, {}),
        many(
            f'{C0}.requests[example.com/a]: Invalid value: "500m": must be an integer',
            f"{C0}.limits: Required value: Limit must be set for non overcommitable resources",
        ),
    ),
    (
        "upstream: invalid fractional extended resource in container limit",
        {},
        res({"example.com/a": "5"}, {"example.com/a": "2.5"}),
        many(
            f'{C0}.limits[example.com/a]: Invalid value: "2500m": must be an integer',
            f'{C0}.requests: Invalid value: "5": must be equal to example.com/a limit of 2500m',
        ),
    ),
    (
        "pods is a standard resource, not a container one, and an integer one",
        {},
        res({"pods": "1500m"}),
        many(
            f'{C0}.requests[pods]: Invalid value: "pods": must be a standard resource for '
            "containers",
            f'{C0}.requests[pods]: Invalid value: "1500m": must be an integer',
        ),
    ),
    (
        "huge pages must be a multiple of the page size",
        {},
        res(
            {"hugepages-2Mi": "3Mi", "memory": "1Gi"},
            {"hugepages-2Mi": "3Mi", "memory": "1Gi"},
        ),
        many(
            f'{C0}.limits[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer '
            "multiple of hugepages-2Mi",
            f'{C0}.requests[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer '
            "multiple of hugepages-2Mi",
        ),
    ),
    (
        "a huge page size that is not a quantity",
        {},
        res({"hugepages-foo": "1Mi", "memory": "1Gi"}, {"hugepages-foo": "1Mi", "memory": "1Gi"}),
        many(
            f'{C0}.limits[hugepages-foo]: Invalid value: "1Mi": 1Mi is not positive integer '
            "multiple of hugepages-foo",
            f'{C0}.requests[hugepages-foo]: Invalid value: "1Mi": 1Mi is not positive integer '
            "multiple of hugepages-foo",
        ),
    ),
    (
        "huge pages alone",
        {},
        res(None, {"hugepages-2Mi": "2048Ki"}),
        one(f"{C0}: Forbidden: HugePages require cpu or memory"),
    ),
    (
        "overhead",
        {"overhead": {"cpu": "-0.1"}},
        {},
        one(
            'spec.overhead.limits[cpu]: Invalid value: "-100m": must be greater than or equal to 0'
        ),
    ),
    (
        "pod-level request over the pod-level limit",
        {"resources": {"requests": {"memory": "2048Mi"}, "limits": {"memory": "1Gi"}}},
        {},
        one(
            'spec.resources.requests: Invalid value: "2Gi": must be less than or equal to memory '
            "limit of 1Gi"
        ),
    ),
    (
        "pod-level resources below the containers' (validatePodResourceConsistency)",
        {"resources": {"requests": {"memory": "100Mi"}, "limits": {"memory": "1Gi"}}},
        res({"memory": "1024Mi"}, {"memory": "2048Mi"}),
        many(
            'spec.resources.requests[memory]: Invalid value: "100Mi": must be greater than or '
            "equal to aggregate container requests of 1Gi",
            'spec.resources.containers[0][memory].limits: Invalid value: "2Gi": must be less '
            "than or equal to pod limits of 1Gi",
        ),
    ),
    (
        "the aggregate counts sidecars and the largest init container",
        {
            "initContainers": [
                {
                    "name": "s",
                    "image": "busybox",
                    "restartPolicy": "Always",
                    "resources": {"requests": {"cpu": "0.5"}},
                },
                {"name": "i", "image": "busybox", "resources": {"requests": {"cpu": "2"}}},
            ],
            "resources": {"requests": {"cpu": "1"}},
        },
        res({"cpu": "250m"}),
        one(
            'spec.resources.requests[cpu]: Invalid value: "1": must be greater than or equal to '
            "aggregate container requests of 2500m"
        ),
    ),
    (
        "pod-level resource names: cpu, memory, hugepages-*",
        {"resources": {"requests": {"example.com/a": "1"}}},
        {},
        many(
            'spec.resources.requests[example.com/a]: Unsupported value: "example.com/a": '
            'supported values: "cpu", "hugepages-", "memory"',
            "spec.resources.limits: Required value: Limit must be set for non overcommitable "
            "resources",
        ),
    ),
]

VALID: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("equal spellings of one quantity", {}, res({"memory": "1Gi"}, {"memory": "1024Mi"})),
    (
        "huge pages with a page-size multiple and cpu",
        {},
        res({"hugepages-2Mi": "4Mi", "cpu": "1"}, {"hugepages-2Mi": "4Mi"}),
    ),
    (
        "pod-level huge pages and memory",
        {"resources": {"limits": {"hugepages-2Mi": "2Mi", "memory": "1Gi"}}},
        {},
    ),
    (
        "pod-level requests cover the containers",
        {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}},
        res({"cpu": "0.5", "memory": "512Mi"}),
    ),
]


def validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: dict[str, Any], ctr: dict[str, Any]
) -> tuple[int, str]:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "busybox", **ctr}], **spec},
    }
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(body))
    code = main(["validate", "-f", str(f)])
    return code, capsys.readouterr().out


@pytest.mark.parametrize(("name", "spec", "ctr", "expected"), CASES, ids=[c[0] for c in CASES])
def test_resource_messages(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    spec: dict[str, Any],
    ctr: dict[str, Any],
    expected: str,
) -> None:
    assert validate(tmp_path, capsys, spec, ctr) == (1, expected), name


@pytest.mark.parametrize(("name", "spec", "ctr"), VALID, ids=[c[0] for c in VALID])
def test_valid_resources(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    spec: dict[str, Any],
    ctr: dict[str, Any],
) -> None:
    assert validate(tmp_path, capsys, spec, ctr) == (0, "pod/p valid\n"), name


def test_indivisible_huge_pages_allowed_when_the_old_pod_had_them() -> None:
    """``AllowIndivisibleHugePagesValues`` (set on updates of pods that already had them)."""
    r = models.ResourceRequirements(
        limits={"hugepages-2Mi": "3Mi", "memory": "1Gi"},
        requests={"hugepages-2Mi": "3Mi", "memory": "1Gi"},
    )
    path = FieldPath.root("spec", "containers").index(0).child("resources")
    assert validate_resources(r, path, True) == []
    assert len(validate_resources(r, path, False)) == 2


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (Fraction(3 * 2**29), BINARY_SI, "1536Mi"),
        (Fraction(5, 2), DECIMAL_SI, "2500m"),
        (Fraction(0), BINARY_SI, "0"),
        (Fraction(1000), BINARY_SI, "1k"),
        (Fraction(1500), DECIMAL_EXPONENT, "1500"),
        (Fraction(15000), DECIMAL_EXPONENT, "15e3"),
        (Fraction(-1, 4), DECIMAL_SI, "-250m"),
    ],
)
def test_format_quantity_is_quantity_string(value: Fraction, fmt: str, text: str) -> None:
    """A sum keeps its first addend's format; binary below 1024 prints decimal."""
    assert format_quantity(value, fmt) == text
