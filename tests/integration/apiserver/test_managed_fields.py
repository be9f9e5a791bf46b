"""managedFields and server-side apply through the HTTP API and the real kubectl 1.35.

Role: integration tests over ``seclet server`` (in-process, ``apiserver`` fixture):
what ``kubectl create``/``run``/``apply`` leave in ``metadata.managedFields``
(``--show-managed-fields``; hidden otherwise), ``kubectl apply --server-side``
creating, conflicting with kubectl's advice around the server's message, forcing
(``--force-conflicts``), removing what the manifest no longer has, the 422 for a
missing field manager, and the raw 409 Status with its ``FieldManagerConflict``
causes, the 422 for a too long ``fieldManager``, the User-Agent as manager, and
``pods/status`` writes recorded with ``subresource: status``.
Callers: pytest.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

import yaml

from integration.apiserver.conftest import Kubectl, Running

CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  a: "1"
  b: "2"
"""

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


def _request(
    srv: Running,
    path: str,
    *,
    method: str = "GET",
    body: Any = None,
    content_type: str = "application/json",
    user_agent: str = "",
) -> tuple[int, Any]:
    ctx = ssl.create_default_context(cafile=str(srv.ca))
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(srv.url + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {srv.token}")
    req.add_header("Content-Type", content_type)
    if user_agent:
        req.add_header("User-Agent", user_agent)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _managed(kubectl: Kubectl, *what: str) -> list[dict[str, Any]]:
    out = kubectl("get", *what, "-o", "yaml", "--show-managed-fields")
    assert out.returncode == 0, out.stderr
    entries = yaml.safe_load(out.stdout)["metadata"]["managedFields"]
    for entry in entries:
        assert entry.pop("time", "") != ""
    return list(entries)


def test_kubectl_create_and_run_are_recorded(kubectl: Kubectl) -> None:
    assert kubectl("create", "configmap", "c1", "--from-literal=a=1").returncode == 0
    assert _managed(kubectl, "configmap", "c1") == [
        {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {".": {}, "f:a": {}}},
            "manager": "kubectl-create",
            "operation": "Update",
        }
    ]
    hidden = kubectl("get", "configmap", "c1", "-o", "yaml")
    assert "managedFields" not in hidden.stdout
    assert kubectl("run", "p", "--image=busybox").returncode == 0
    [entry] = _managed(kubectl, "pod", "p")
    assert entry["manager"] == "kubectl-run"
    assert entry["fieldsV1"]["f:spec"] == {
        "f:containers": {
            'k:{"name":"p"}': {
                ".": {},
                "f:image": {},
                "f:imagePullPolicy": {},
                "f:name": {},
                "f:resources": {},
                "f:terminationMessagePath": {},
                "f:terminationMessagePolicy": {},
            }
        },
        "f:dnsPolicy": {},
        "f:enableServiceLinks": {},
        "f:restartPolicy": {},
        "f:schedulerName": {},
        "f:securityContext": {},
        "f:terminationGracePeriodSeconds": {},
    }


def test_server_side_apply_conflicts_and_force(kubectl: Kubectl) -> None:
    created = kubectl("apply", "-f", "-", stdin=CM)
    assert created.stdout == "configmap/cm created\n", created.stderr
    changed = CM.replace('a: "1"', 'a: "9"')
    refused = kubectl("apply", "--server-side", "--field-manager=other", "-f", "-", stdin=changed)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        "error: Apply failed with 1 conflict: conflict with "
        '"kubectl-client-side-apply" using v1: .data.a\n' + CONFLICT_ADVICE
    )
    forced = kubectl(
        "apply",
        "--server-side",
        "--field-manager=other",
        "--force-conflicts",
        "-f",
        "-",
        stdin=changed,
    )
    assert forced.stdout == "configmap/cm serverside-applied\n", forced.stderr
    entries = {e["manager"]: e["fieldsV1"] for e in _managed(kubectl, "configmap", "cm")}
    assert entries["other"] == {"f:data": {"f:a": {}, "f:b": {}}}
    data = kubectl("get", "configmap", "cm", "-o", "jsonpath={.data}")
    assert data.stdout == '{"a":"9","b":"2"}'


def test_server_side_apply_creates_and_removes_what_it_dropped(kubectl: Kubectl) -> None:
    out = kubectl("apply", "--server-side", "-f", "-", stdin=CM)
    assert out.stdout == "configmap/cm serverside-applied\n", out.stderr
    assert _managed(kubectl, "configmap", "cm") == [
        {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}}},
            "manager": "kubectl",
            "operation": "Apply",
        }
    ]
    out = kubectl("apply", "--server-side", "-f", "-", stdin=CM.replace('  b: "2"\n', ""))
    assert out.returncode == 0, out.stderr
    data = kubectl("get", "configmap", "cm", "-o", "jsonpath={.data}")
    assert data.stdout == '{"a":"1"}'


def test_apply_needs_a_field_manager(kubectl: Kubectl) -> None:
    out = kubectl("apply", "--server-side", "--field-manager=", "-f", "-", stdin=CM)
    assert out.returncode == 1
    assert out.stderr == (
        'The PatchOptions "" is invalid: fieldManager: Required value: is required for apply '
        "patch\n"
    )


def test_raw_conflict_status_and_options(apiserver: Running) -> None:
    path = "/api/v1/namespaces/default/configmaps/cm"
    code, _ = _request(
        apiserver,
        "/api/v1/namespaces/default/configmaps",
        method="POST",
        body=yaml.safe_load(CM),
        user_agent="my-tool/1.0 (linux)",
    )
    assert code == 201
    _, got = _request(apiserver, path)
    assert [(e["manager"], e["operation"]) for e in got["metadata"]["managedFields"]] == [
        ("my-tool", "Update")
    ]
    apply_type = "application/apply-patch+yaml"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "3"}}
    code, status = _request(
        apiserver, path + "?fieldManager=x", method="PATCH", body=body, content_type=apply_type
    )
    assert code == 409
    assert status == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Apply failed with 1 conflict: conflict with "my-tool" using v1: .data.a',
        "reason": "Conflict",
        "details": {
            "causes": [
                {
                    "reason": "FieldManagerConflict",
                    "message": 'conflict with "my-tool" using v1',
                    "field": ".data.a",
                }
            ]
        },
        "code": 409,
    }
    code, status = _request(
        apiserver,
        path + "?fieldManager=" + "m" * 129,
        method="PATCH",
        body=body,
        content_type=apply_type,
    )
    assert (code, status["message"]) == (
        422,
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more '
        "than 128 bytes",
    )
    assert status["details"] == {
        "group": "meta.k8s.io",
        "kind": "PatchOptions",
        "causes": [
            {
                "reason": "FieldValueTooLong",
                "message": "Too long: may not be more than 128 bytes",
                "field": "fieldManager",
            }
        ],
    }
    code, status = _request(
        apiserver,
        path + "?force=true",
        method="PATCH",
        body={"data": {"a": "4"}},
        content_type="application/merge-patch+json",
    )
    assert (code, status["message"]) == (
        422,
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for '
        "non-apply patch",
    )


def test_pod_status_writes_record_the_subresource(apiserver: Running) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    code, _ = _request(
        apiserver, "/api/v1/namespaces/default/pods?fieldManager=maker", method="POST", body=pod
    )
    assert code == 201
    code, got = _request(
        apiserver,
        "/api/v1/namespaces/default/pods/p/status",
        method="PATCH",
        body={"status": {"conditions": [{"type": "Ready", "status": "False"}]}},
        content_type="application/strategic-merge-patch+json",
        user_agent="kubelet/v1.35.0 (linux/amd64) kubernetes/seclet",
    )
    assert code == 200, got
    entries = got["metadata"]["managedFields"]
    assert sorted(e["manager"] for e in entries) == ["kubelet", "maker"]
    [entry] = [e for e in entries if e["manager"] == "kubelet"]
    del entry["time"]
    assert entry == {
        "manager": "kubelet",
        "operation": "Update",
        "apiVersion": "v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:status": {
                "f:conditions": {
                    ".": {},
                    'k:{"type":"Ready"}': {".": {}, "f:status": {}, "f:type": {}},
                }
            }
        },
        "subresource": "status",
    }


def test_namespaces_created_by_kubectl_and_by_the_server(kubectl: Kubectl) -> None:
    label_only: dict[str, Any] = {"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}}
    assert kubectl("create", "namespace", "n1").returncode == 0
    assert _managed(kubectl, "namespace", "n1") == [
        {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": label_only,
            "manager": "kubectl-create",
            "operation": "Update",
        }
    ]
    assert _managed(kubectl, "namespace", "default") == [
        {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": label_only,
            "manager": "kube-apiserver",
            "operation": "Update",
        }
    ]
