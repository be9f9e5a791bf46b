"""Server-side apply and managedFields on a real seclet node, through kubectl 1.35.

Role: what ``kubectl get -o yaml --show-managed-fields`` shows for a pod ``kubectl
run`` created and the kubelet runs (the ``kubectl-run`` Update entry and the
kubelet's ``status`` entry), managedFields hidden without the flag, a pod created and
then updated by ``kubectl apply --server-side``, the conflict when another field
manager changes the image (kubectl's text around the server's message), taking the
field with ``--force-conflicts``, and a label dropped from the applied manifest
leaving the object.
Callers: pytest (tests/e2e, root).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import yaml

from e2e.node import Node

pytestmark = pytest.mark.e2e

BUSYBOX = "busybox:1.28"
BUSYBOX_FULL = "docker.io/library/busybox:1.28"
"""The same image under another name: a different value for apply."""

CONFLICT_ADVICE = """\
Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
"""


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _managed(node: Node, name: str) -> dict[tuple[str, str, str], Any]:
    out = node.kubectl("get", "pod", name, "-o", "yaml", "--show-managed-fields")
    entries = yaml.safe_load(out.stdout)["metadata"]["managedFields"]
    return {
        (e["manager"], e["operation"], e.get("subresource", "")): e["fieldsV1"] for e in entries
    }


def _manifest(name: str, image: str, labels: dict[str, str]) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "containers": [{"name": "c", "image": image, "command": ["sleep", "3600"]}],
                "terminationGracePeriodSeconds": 1,
            },
        }
    )


def test_kubectl_run_and_the_kubelet_entries(node: Node) -> None:
    name = _name("mf")
    node.kubectl("run", name, f"--image={BUSYBOX}", "--", "sleep", "3600")
    try:
        node.wait_running(name)
        deadline = time.monotonic() + 30
        managed = _managed(node, name)
        while ("kubelet", "Update", "status") not in managed and time.monotonic() < deadline:
            time.sleep(0.2)
            managed = _managed(node, name)
        run = managed[("kubectl-run", "Update", "")]
        assert run["f:metadata"] == {"f:labels": {".": {}, "f:run": {}}}
        assert run["f:spec"]["f:containers"] == {
            f'k:{{"name":"{name}"}}': {
                ".": {},
                "f:args": {},
                "f:image": {},
                "f:imagePullPolicy": {},
                "f:name": {},
                "f:resources": {},
                "f:terminationMessagePath": {},
                "f:terminationMessagePolicy": {},
            }
        }
        status = managed[("kubelet", "Update", "status")]["f:status"]
        assert set(status["f:conditions"]) == {
            'k:{"type":"ContainersReady"}',
            'k:{"type":"Initialized"}',
            'k:{"type":"PodReadyToStartContainers"}',
            'k:{"type":"PodScheduled"}',
            'k:{"type":"Ready"}',
        }
        assert status["f:conditions"]['k:{"type":"Ready"}'] == {
            ".": {},
            "f:lastProbeTime": {},
            "f:lastTransitionTime": {},
            "f:observedGeneration": {},
            "f:status": {},
            "f:type": {},
        }
        # The binding wrote PodScheduled (untracked); the kubelet only adds its generation.
        assert status["f:conditions"]['k:{"type":"PodScheduled"}'] == {"f:observedGeneration": {}}
        assert status["f:containerStatuses"] == {}
        assert {"f:hostIP", "f:phase", "f:startTime"} <= set(status)
        hidden = node.kubectl("get", "pod", name, "-o", "yaml").stdout
        assert "managedFields" not in hidden
    finally:
        node.delete(name)


def test_apply_server_side_conflict_force_and_removal(node: Node) -> None:
    name = _name("ssa")
    first = _manifest(name, BUSYBOX, {"app": "a", "tier": "t"})
    try:
        out = node.kubectl("apply", "--server-side", "-f", "-", stdin=first)
        assert out.stdout == f"pod/{name} serverside-applied\n"
        node.wait_running(name)
        managed = _managed(node, name)
        assert managed[("kubectl", "Apply", "")] == {
            "f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}},
            "f:spec": {
                "f:containers": {
                    'k:{"name":"c"}': {
                        ".": {},
                        "f:command": {},
                        "f:image": {},
                        "f:name": {},
                    }
                },
                "f:terminationGracePeriodSeconds": {},
            },
        }
        # ``app`` has the same value: co-owned, no conflict; ``tier`` stays kubectl's alone.
        changed = _manifest(name, BUSYBOX_FULL, {"app": "a"})
        refused = node.kubectl(
            "apply",
            "--server-side",
            "--field-manager=other",
            "-f",
            "-",
            stdin=changed,
            check=False,
        )
        assert refused.returncode == 1
        assert refused.stderr == (
            'error: Apply failed with 1 conflict: conflict with "kubectl": '
            '.spec.containers[name="c"].image\n' + CONFLICT_ADVICE
        )
        forced = node.kubectl(
            "apply",
            "--server-side",
            "--field-manager=other",
            "--force-conflicts",
            "-f",
            "-",
            stdin=changed,
        )
        assert forced.stdout == f"pod/{name} serverside-applied\n"
        image = node.kubectl("get", "pod", name, "-o", "jsonpath={.spec.containers[0].image}")
        assert image.stdout == BUSYBOX_FULL
        managed = _managed(node, name)
        assert (
            "f:image"
            not in managed[("kubectl", "Apply", "")]["f:spec"]["f:containers"]['k:{"name":"c"}']
        )
        dropped = _manifest(name, BUSYBOX_FULL, {"app": "a"})
        out = node.kubectl("apply", "--server-side", "-f", "-", stdin=dropped)
        assert out.stdout == f"pod/{name} serverside-applied\n"
        labels = node.kubectl("get", "pod", name, "-o", "jsonpath={.metadata.labels}")
        assert labels.stdout == '{"app":"a"}'
    finally:
        node.delete(name)
