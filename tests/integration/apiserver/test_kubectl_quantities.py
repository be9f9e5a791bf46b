"""Quantities through the API and the real kubectl: stored and shown as ``Quantity.String()``.

Role: kube-apiserver decodes every ``resource.Quantity`` and encodes it canonically, so
``kubectl get pod -o yaml`` shows ``1Gi`` for ``1024Mi``, ``500m`` for ``0.5``, ``1`` for
``1000m`` (create, apply's patch, overhead, emptyDir ``sizeLimit``), and the 422 texts
print the canonical form too. Also the matchLabelKeys merge a create stores.
Callers: pytest.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from integration.apiserver.conftest import Kubectl

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: q
  labels: {app: web}
spec:
  overhead: {cpu: "0.25"}
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {tier: x}}
        matchLabelKeys: [app]
        topologyKey: kubernetes.io/hostname
  volumes:
  - name: scratch
    emptyDir: {sizeLimit: 2048Mi}
  containers:
  - name: c
    image: busybox
    resources:
      requests: {memory: 1024Mi, cpu: "0.5"}
      limits: {memory: 2048Mi, cpu: 1000m}
"""

TOO_MUCH = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: busybox
    resources:
      requests: {memory: 1024Mi}
      limits: {memory: 512Mi}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pod.yaml"
    path.write_text(text)
    return path


def _get(kubectl: Kubectl, name: str) -> dict[str, object]:
    out = kubectl("get", "pod", name, "-o", "yaml")
    assert out.returncode == 0, out.stderr
    pod = yaml.safe_load(out.stdout)
    assert isinstance(pod, dict)
    return pod


def test_created_pod_shows_canonical_quantities(kubectl: Kubectl, tmp_path: Path) -> None:
    out = kubectl("create", "-f", str(_write(tmp_path, POD)))
    assert out.returncode == 0, out.stderr
    spec = _get(kubectl, "q")["spec"]
    assert isinstance(spec, dict)
    assert spec["containers"][0]["resources"] == {
        "requests": {"memory": "1Gi", "cpu": "500m"},
        "limits": {"memory": "2Gi", "cpu": "1"},
    }
    assert spec["overhead"] == {"cpu": "250m"}
    assert spec["volumes"][0]["emptyDir"] == {"sizeLimit": "2Gi"}
    # PrepareForCreate merged matchLabelKeys into the selector with the pod's label.
    term = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["labelSelector"] == {
        "matchLabels": {"tier": "x"},
        "matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}],
    }


def test_applied_pod_shows_canonical_quantities(kubectl: Kubectl, tmp_path: Path) -> None:
    text = TOO_MUCH.replace("name: p", "name: a").replace("memory: 512Mi", "memory: 4096Mi")
    path = _write(tmp_path, text)
    out = kubectl("apply", "-f", str(path))
    assert out.returncode == 0, out.stderr
    # A second apply that adds a label goes through the patch (update) path.
    path.write_text(text.replace("name: a\n", "name: a\n  labels: {extra: one}\n"))
    out = kubectl("apply", "-f", str(path))
    assert out.returncode == 0, out.stderr
    pod = _get(kubectl, "a")
    meta, spec = pod["metadata"], pod["spec"]
    assert isinstance(meta, dict)
    assert isinstance(spec, dict)
    assert meta["labels"] == {"extra": "one"}
    assert spec["containers"][0]["resources"] == {
        "requests": {"memory": "1Gi"},
        "limits": {"memory": "4Gi"},
    }


def test_invalid_resources_print_canonical_quantities(kubectl: Kubectl, tmp_path: Path) -> None:
    out = kubectl("create", "-f", str(_write(tmp_path, TOO_MUCH)))
    assert out.returncode == 1
    assert out.stderr == (
        'The Pod "p" is invalid: spec.containers[0].resources.requests: Invalid value: "1Gi": '
        "must be less than or equal to memory limit of 512Mi\n"
    )
