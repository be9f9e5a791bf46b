"""``--dry-run=server`` stores nothing, for every write the real kubectl sends.

Role: the Pod Security documentation's way to try a level before enforcing it is
``kubectl label --dry-run=server --overwrite ns <ns> pod-security.kubernetes.io/enforce=<level>``:
the warnings about the namespace's existing pods are printed and the label is not
applied. Likewise a dry-run ``kubectl apply`` (a PATCH) of a changed pod, ``kubectl
create namespace --dry-run=server`` (also refused when the name is taken), and
``kubectl replace --dry-run=server`` of a namespace leave the store as it was; a
namespace ``kubectl replace`` (PUT) without dry run replaces its labels.
Callers: pytest.
"""

from __future__ import annotations

import json
from pathlib import Path

from integration.apiserver.conftest import Kubectl

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  labels:
    app: one
spec:
  containers:
  - name: c
    image: busybox:1.36
"""


def _json(kubectl: Kubectl, *args: str) -> dict[str, object]:
    out = kubectl("get", *args, "-o", "json")
    assert out.returncode == 0, out.stderr
    value: dict[str, object] = json.loads(out.stdout)
    return value


def _labels(obj: dict[str, object]) -> dict[str, str]:
    meta = obj["metadata"]
    assert isinstance(meta, dict)
    labels: dict[str, str] = meta.get("labels") or {}
    return labels


def test_pod_security_label_dry_run_warns_and_changes_nothing(
    kubectl: Kubectl, tmp_path: Path
) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    assert kubectl("apply", "-f", str(tmp_path / "pod.yaml")).returncode == 0
    before = _json(kubectl, "namespace", "default")
    out = kubectl(
        "label",
        "--dry-run=server",
        "--overwrite",
        "ns",
        "default",
        "pod-security.kubernetes.io/enforce=restricted",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "namespace/default labeled (server dry run)\n"
    assert out.stderr == (
        'Warning: existing pods in namespace "default" violate the new PodSecurity enforce '
        'level "restricted:latest"\n'
        "Warning: p: allowPrivilegeEscalation != false, unrestricted capabilities, "
        "runAsNonRoot != true, seccompProfile\n"
    )
    after = _json(kubectl, "namespace", "default")
    assert _labels(after) == _labels(before)
    assert "pod-security.kubernetes.io/enforce" not in _labels(after)


def test_apply_dry_run_of_a_changed_pod_stores_nothing(kubectl: Kubectl, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    assert kubectl("apply", "-f", str(tmp_path / "pod.yaml")).returncode == 0
    before = _json(kubectl, "pod", "p")
    (tmp_path / "pod.yaml").write_text(POD.replace("app: one", "app: two"))
    out = kubectl("apply", "--dry-run=server", "-f", str(tmp_path / "pod.yaml"))
    assert (out.returncode, out.stdout) == (0, "pod/p configured (server dry run)\n"), out.stderr
    after = _json(kubectl, "pod", "p")
    assert _labels(after) == {"app": "one"}
    meta, old = after["metadata"], before["metadata"]
    assert isinstance(meta, dict) and isinstance(old, dict)
    assert meta["resourceVersion"] == old["resourceVersion"]
    server_side = kubectl(
        "apply", "--server-side", "--dry-run=server", "-f", str(tmp_path / "pod.yaml")
    )
    assert server_side.returncode == 0, server_side.stderr
    assert _labels(_json(kubectl, "pod", "p")) == {"app": "one"}


def test_namespace_create_and_replace_dry_run(kubectl: Kubectl, tmp_path: Path) -> None:
    out = kubectl("create", "namespace", "trial", "--dry-run=server")
    assert (out.returncode, out.stdout) == (0, "namespace/trial created (server dry run)\n")
    missing = kubectl("get", "namespace", "trial")
    assert missing.returncode == 1
    assert missing.stderr == 'Error from server (NotFound): namespaces "trial" not found\n'
    taken = kubectl("create", "namespace", "default", "--dry-run=server")
    assert taken.returncode == 1
    assert taken.stderr == (
        'Error from server (AlreadyExists): namespaces "default" already exists\n'
    )

    assert kubectl("create", "namespace", "trial").returncode == 0
    ns = _json(kubectl, "namespace", "trial")
    meta = ns["metadata"]
    assert isinstance(meta, dict)
    meta["labels"] = {**meta.get("labels", {}), "team": "a"}
    (tmp_path / "ns.json").write_text(json.dumps(ns))
    dry = kubectl("replace", "--dry-run=server", "-f", str(tmp_path / "ns.json"))
    assert (dry.returncode, dry.stdout) == (0, "namespace/trial replaced (server dry run)\n")
    assert "team" not in _labels(_json(kubectl, "namespace", "trial"))
    real = kubectl("replace", "-f", str(tmp_path / "ns.json"))
    assert (real.returncode, real.stdout) == (0, "namespace/trial replaced\n"), real.stderr
    assert _labels(_json(kubectl, "namespace", "trial")) == {
        "kubernetes.io/metadata.name": "trial",
        "team": "a",
    }
    stale = kubectl("replace", "-f", str(tmp_path / "ns.json"))
    assert stale.returncode == 1
    assert stale.stderr == (
        'Error from server (Conflict): error when replacing "'
        + str(tmp_path / "ns.json")
        + '": Operation cannot be fulfilled on namespaces "trial": the object has been '
        "modified; please apply your changes to the latest version and try again\n"
    )
