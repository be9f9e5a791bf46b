"""Resource field selectors and emptyDir sizeLimit through ``seclet validate``.

Expected outputs follow k/k ``validateContainerResourceFieldSelector`` /
``validateContainerResourceDivisor`` (the divisor as ``Quantity.String()`` against
the allowed set, the error's value the resource name; an unset or zero divisor is
not checked; the hugepages check beside the resource switch) and
``validateVolumeSource`` (a negative emptyDir ``sizeLimit`` is forbidden), complete
as kubectl prints them. A downward API item's errors carry the volume's path
without the item index, as upstream passes ``fldPath`` to each item.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seclet.cli.main import main

HEAD = 'The Pod "p" is invalid: '
ENV = "spec.containers[0].env[0].valueFrom.resourceFieldRef"
VOL = "spec.volumes[0].downwardAPI.resourceFieldRef"
BYTES = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are"


def _env(resource: str, divisor: object = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"resource": resource}
    if divisor is not None:
        ref["divisor"] = divisor
    return {"containers": [{"name": "c", "image": "busybox", "env": [
        {"name": "V", "valueFrom": {"resourceFieldRef": ref}}]}]}  # fmt: skip


def _vol(ref: dict[str, Any]) -> dict[str, Any]:
    return {
        "containers": [{"name": "c", "image": "busybox"}],
        "volumes": [
            {"name": "d", "downwardAPI": {"items": [{"path": "a", "resourceFieldRef": ref}]}}
        ],
    }


def _validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: dict[str, Any]
) -> tuple[int, str]:
    f = tmp_path / "pod.json"
    f.write_text(
        json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    )
    code = main(["validate", "-f", str(f)])
    return code, capsys.readouterr().out


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("cpu divisor 2m", _env("limits.cpu", "2m"),
     f'{ENV}.divisor: Invalid value: "limits.cpu": only divisor\'s values 1m and 1 are supported '
     "with the cpu resource"),
    ("memory divisor 3Mi", _env("requests.memory", "3Mi"),
     f'{ENV}.divisor: Invalid value: "requests.memory": {BYTES} supported with the memory resource'),
    ("ephemeral-storage divisor 10", _env("limits.ephemeral-storage", 10),
     f'{ENV}.divisor: Invalid value: "limits.ephemeral-storage": {BYTES} supported with the local '
     "ephemeral storage resource"),
    ("hugepages divisor 1m", _env("limits.hugepages-2Mi", "1m"),
     f'{ENV}.divisor: Invalid value: "limits.hugepages-2Mi": {BYTES} supported with the hugepages '
     "resource"),
    ("unknown resource", _env("limits.gpu"),
     f'{ENV}.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", '
     '"limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", '
     '"requests.memory"'),
    ("volume item without containerName", _vol({"resource": "limits.cpu", "divisor": "7"}),
     f"{VOL}.containerName: Required value\n"),
    ("volume item cpu divisor", _vol({"containerName": "c", "resource": "limits.cpu", "divisor": "0.5"}),
     f'{VOL}.divisor: Invalid value: "limits.cpu": only divisor\'s values 1m and 1 are supported '
     "with the cpu resource"),
    ("negative emptyDir sizeLimit",
     {"containers": [{"name": "c", "image": "busybox"}],
      "volumes": [{"name": "e", "emptyDir": {"sizeLimit": "-1Gi"}}]},
     "spec.volumes[0].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource "
     "quantity"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "spec", "line"), CASES, ids=[c[0] for c in CASES])
def test_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, spec: dict[str, Any], line: str
) -> None:
    # "volume item without containerName": the divisor is still checked (rName "limits.cpu")
    if name == "volume item without containerName":
        expected = (
            HEAD + "\n" + f"* {VOL}.containerName: Required value\n"
            f'* {VOL}.divisor: Invalid value: "limits.cpu": only divisor\'s values 1m and 1 are '
            "supported with the cpu resource\n"
        )
    else:
        expected = HEAD + line + "\n"
    assert _validate(tmp_path, capsys, spec) == (1, expected), name


VALID: list[tuple[str, dict[str, Any]]] = [
    ("cpu 1m", _env("limits.cpu", "1m")),
    ("cpu 1000m is 1", _env("limits.cpu", "1000m")),
    ("memory 1024Ki is 1Mi", _env("requests.memory", "1024Ki")),
    ("zero divisor is unset", _env("limits.cpu", "0")),
    ("hugepages 1Gi", _env("requests.hugepages-1Gi", "1Gi")),
    ("volume memory 1Mi", _vol({"containerName": "c", "resource": "limits.memory", "divisor": "1Mi"})),
    ("emptyDir sizeLimit 0", {"containers": [{"name": "c", "image": "busybox"}],
                              "volumes": [{"name": "e", "emptyDir": {"sizeLimit": "0"}}]}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "spec"), VALID, ids=[c[0] for c in VALID])
def test_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, spec: dict[str, Any]
) -> None:
    assert _validate(tmp_path, capsys, spec) == (0, "pod/p valid\n"), name
