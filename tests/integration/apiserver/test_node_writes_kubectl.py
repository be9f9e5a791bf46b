"""The real kubectl 1.35 writing a Node: cordon, uncordon, label, annotate, taint, replace.

Role: ``PATCH``/``PUT /api/v1/nodes/{name}`` as the node strategy answers them
(``seclet.apiserver.nodes``): kubectl's own texts, the status kept from the stored
node, upstream's 422 texts for bad taints, 409 for a stale resourceVersion, dryRun.
Callers: pytest.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from integration.apiserver.conftest import Kubectl, Running
from integration.apiserver.test_running import NODE, on_loop


def _node(apiserver: Running) -> dict[str, Any]:
    store = apiserver.server.store
    assert store is not None
    return on_loop(apiserver, lambda: store.get("nodes", "", "n1"))


def _create(apiserver: Running) -> None:
    store = apiserver.server.store
    assert store is not None
    on_loop(apiserver, lambda: store.create("nodes", "", "n1", copy.deepcopy(NODE)))


def test_cordon_uncordon(apiserver: Running, kubectl: Kubectl) -> None:
    _create(apiserver)
    out = kubectl("cordon", "n1")
    assert (out.returncode, out.stdout, out.stderr) == (0, "node/n1 cordoned\n", "")
    node = _node(apiserver)
    assert node["spec"] == {"unschedulable": True}
    assert node["status"] == NODE["status"]
    out = kubectl("cordon", "n1")
    assert out.stdout == "node/n1 already cordoned\n"
    get = kubectl("get", "nodes").stdout.splitlines()[1].split()
    assert get[:2] == ["n1", "Ready,SchedulingDisabled"]
    describe = kubectl("describe", "node", "n1").stdout
    assert "Unschedulable:      true\n" in describe
    out = kubectl("uncordon", "n1")
    assert (out.returncode, out.stdout) == (0, "node/n1 uncordoned\n")
    assert _node(apiserver)["spec"] == {}
    out = kubectl("uncordon", "n1")
    assert out.stdout == "node/n1 already uncordoned\n"


def test_label_annotate_taint(apiserver: Running, kubectl: Kubectl) -> None:
    _create(apiserver)
    out = kubectl("label", "node", "n1", "disk=ssd")
    assert (out.returncode, out.stdout, out.stderr) == (0, "node/n1 labeled\n", "")
    assert _node(apiserver)["metadata"]["labels"]["disk"] == "ssd"
    out = kubectl("annotate", "node", "n1", "team=infra")
    assert (out.returncode, out.stdout) == (0, "node/n1 annotated\n")
    out = kubectl("taint", "node", "n1", "dedicated=gpu:NoSchedule")
    assert (out.returncode, out.stdout, out.stderr) == (0, "node/n1 tainted\n", "")
    out = kubectl("taint", "node", "n1", "spot:PreferNoSchedule")
    assert out.stdout == "node/n1 tainted\n"
    assert _node(apiserver)["spec"]["taints"] == [  # kubectl puts the new one first
        {"key": "spot", "effect": "PreferNoSchedule"},
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
    ]
    describe = kubectl("describe", "node", "n1").stdout
    assert (  # describe sorts them
        "Taints:             dedicated=gpu:NoSchedule\n"
        "                    spot:PreferNoSchedule\n"
    ) in describe
    out = kubectl("taint", "node", "n1", "dedicated:NoSchedule-")
    assert (out.returncode, out.stdout) == (0, "node/n1 untainted\n")
    out = kubectl("taint", "node", "n1", "spot-")
    assert (out.returncode, out.stdout) == (0, "node/n1 untainted\n")
    assert "taints" not in _node(apiserver)["spec"]
    out = kubectl("label", "node", "n1", "disk-")
    assert (out.returncode, out.stdout) == (0, "node/n1 unlabeled\n")
    assert "disk" not in _node(apiserver)["metadata"]["labels"]


def test_bad_taints_and_label(apiserver: Running, kubectl: Kubectl) -> None:
    _create(apiserver)
    patch = json.dumps(
        {"spec": {"taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "a", "effect": "NoSchedule"}]}}
    )
    out = kubectl("patch", "node", "n1", "-p", patch)
    assert out.returncode == 1
    assert out.stderr == (
        'The Node "n1" is invalid: metadata.taints[1]: Duplicate value: '
        '{"key":"a","effect":"NoSchedule"}: taints must be unique by key and effect pair\n'
    )
    patch = json.dumps({"spec": {"taints": [{"key": "a", "effect": "Never"}]}})
    out = kubectl("patch", "node", "n1", "-p", patch)
    assert out.stderr == (
        'The Node "n1" is invalid: metadata.taints[0].effect: Unsupported value: "Never": '
        'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"\n'
    )
    patch = json.dumps({"spec": {"taints": [{"key": "a"}]}})
    out = kubectl("patch", "node", "n1", "-p", patch)
    assert out.stderr == (
        'The Node "n1" is invalid: metadata.taints[0].effect: Required value\n'
    )
    out = kubectl("patch", "node", "n1", "-p", '{"metadata":{"labels":{"bad":"a b"}}}')
    assert out.returncode == 1
    assert out.stderr.startswith(
        'The Node "n1" is invalid: metadata.labels: Invalid value: "a b": a valid label must '
    )
    assert "taints" not in _node(apiserver)["spec"]


def test_replace_conflict_dry_run(apiserver: Running, kubectl: Kubectl) -> None:
    _create(apiserver)
    node = kubectl("get", "node", "n1", "-o", "json")
    body = json.loads(node.stdout)
    body["spec"]["unschedulable"] = True
    body["status"] = {}
    out = kubectl("replace", "-f", "-", stdin=json.dumps(body))
    assert (out.returncode, out.stdout) == (0, "node/n1 replaced\n"), out.stderr
    stored = _node(apiserver)
    assert stored["spec"] == {"unschedulable": True}
    assert stored["status"] == NODE["status"]  # PrepareForUpdate: status kept
    out = kubectl("replace", "-f", "-", stdin=json.dumps(body))  # its version is stale now
    assert out.returncode == 1
    assert out.stderr == (
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be '
        'fulfilled on nodes "n1": the object has been modified; please apply your changes '
        "to the latest version and try again\n"
    )
    out = kubectl("label", "node", "n1", "x=y", "--dry-run=server")
    assert (out.returncode, out.stdout) == (0, "node/n1 labeled (server dry run)\n")
    assert "x" not in _node(apiserver)["metadata"]["labels"]
    body["metadata"]["resourceVersion"] = ""
    body["spec"]["podCIDR"] = "10.0.0.0/24"
    body["spec"]["podCIDRs"] = ["10.0.0.0/24"]
    assert kubectl("replace", "-f", "-", stdin=json.dumps(body)).returncode == 0
    body["spec"]["podCIDRs"] = ["10.1.0.0/24"]
    out = kubectl("replace", "-f", "-", stdin=json.dumps(body))
    assert out.stderr == (
        'The Node "n1" is invalid: spec.podCIDRs: Forbidden: node updates may not change '
        'podCIDR except from "" to valid\n'
    )


def test_server_side_apply_of_node_labels(apiserver: Running, kubectl: Kubectl) -> None:
    _create(apiserver)
    manifest = json.dumps(
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"zone": "a"}},
         "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}}
    )
    out = kubectl("apply", "--server-side", "-f", "-", stdin=manifest)
    assert (out.returncode, out.stdout) == (0, "node/n1 serverside-applied\n"), out.stderr
    node = _node(apiserver)
    assert node["metadata"]["labels"]["zone"] == "a"
    assert node["spec"]["taints"] == [{"key": "k", "effect": "NoSchedule"}]
    assert node["status"] == NODE["status"]
    entries = {(m["manager"], m["operation"]) for m in node["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in entries
