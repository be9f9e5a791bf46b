"""The real kubectl 1.35 against ``seclet server``: what it prints, exactly.

Role: end-to-end API tests over HTTPS with the kubeconfig the server writes: apply of
the page's manifests, tables, defaults in ``-o yaml``, upstream's Invalid, BadRequest,
NotFound and Forbidden texts, Pod Security warnings, delete, namespaces.
Callers: pytest.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from integration.apiserver.conftest import EXAMPLES, Kubectl

BAD_RUN_AS_USER = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsUser: -1
  containers:
  - name: c
    image: busybox
"""

UNKNOWN_FIELD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  foo: 1
  containers:
  - name: c
    image: busybox
"""


def _write(tmp_path: Path, text: str, name: str = "pod.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_version_and_discovery(kubectl: Kubectl) -> None:
    out = kubectl("version")
    assert out.returncode == 0, out.stderr
    assert "Server Version: v1.35.0" in out.stdout
    res = kubectl("api-resources")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert any(line.split() == ["pods", "po", "v1", "true", "Pod"] for line in lines)
    assert any(line.split() == ["namespaces", "ns", "v1", "false", "Namespace"] for line in lines)


def test_apply_every_example(kubectl: Kubectl) -> None:
    for manifest in sorted(EXAMPLES.glob("security-context*.yaml")):
        out = kubectl("apply", "-f", str(manifest))
        assert out.returncode == 0, out.stderr
        name = yaml.safe_load(manifest.read_text())["metadata"]["name"]
        assert out.stdout == f"pod/{name} created\n"
        again = kubectl("apply", "-f", str(manifest))
        assert again.returncode == 0, again.stderr
        assert again.stdout == f"pod/{name} unchanged\n"
        # -6 reuses the first example's name, as on the page: delete before the next.
        gone = kubectl("delete", "-f", str(manifest))
        assert gone.stdout == f'pod "{name}" deleted from default namespace\n', gone.stderr


def test_changed_spec_is_forbidden_update(kubectl: Kubectl) -> None:
    assert kubectl("apply", "-f", str(EXAMPLES / "security-context.yaml")).returncode == 0
    out = kubectl("apply", "-f", str(EXAMPLES / "security-context-6.yaml"))
    assert out.returncode == 1
    assert out.stderr.startswith(
        'The Pod "security-context-demo" is invalid: spec: Forbidden: pod updates may not '
        "change fields other than `spec.containers[*].image`"
    )


def test_get_pods_table(kubectl: Kubectl) -> None:
    empty = kubectl("get", "pods")
    assert empty.returncode == 0
    assert empty.stderr == "No resources found in default namespace.\n"
    kubectl("apply", "-f", str(EXAMPLES / "security-context.yaml"))
    out = kubectl("get", "pods")
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert row.split()[:4] == ["security-context-demo", "0/1", "Pending", "0"]
    assert row.split()[4].endswith("s")
    wide = kubectl("get", "pods", "-o", "wide")
    assert wide.stdout.splitlines()[0].split() == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]


def test_get_pod_yaml_shows_defaults(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", str(EXAMPLES / "security-context.yaml"))
    out = kubectl("get", "pod", "security-context-demo", "-o", "yaml")
    assert out.returncode == 0, out.stderr
    pod = yaml.safe_load(out.stdout)
    assert pod["kind"] == "Pod"
    meta = pod["metadata"]
    assert meta["namespace"] == "default"
    assert meta["uid"] and meta["creationTimestamp"] and meta["resourceVersion"]
    assert "kubectl.kubernetes.io/last-applied-configuration" in meta["annotations"]
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["schedulerName"] == "default-scheduler"
    container = spec["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_invalid_pod_prints_upstream_text(kubectl: Kubectl, tmp_path: Path) -> None:
    out = kubectl("apply", "-f", str(_write(tmp_path, BAD_RUN_AS_USER)))
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr == (
        'The Pod "p" is invalid: spec.securityContext.runAsUser: Invalid value: -1: '
        "must be between 0 and 2147483647, inclusive\n"
    )


def test_unknown_field_is_bad_request(kubectl: Kubectl, tmp_path: Path) -> None:
    path = _write(tmp_path, UNKNOWN_FIELD)
    out = kubectl("apply", "-f", str(path))
    assert out.returncode == 1
    assert out.stderr == (
        f'Error from server (BadRequest): error when creating "{path}": Pod in version "v1" '
        'cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"\n'
    )


def test_enforce_baseline_refuses_privileged(kubectl: Kubectl) -> None:
    assert kubectl("create", "namespace", "strict").stdout == "namespace/strict created\n"
    label = kubectl("label", "namespace", "strict", "pod-security.kubernetes.io/enforce=baseline")
    assert label.stdout == "namespace/strict labeled\n", label.stderr
    manifest = EXAMPLES / "security-context-4.yaml"
    out = kubectl("apply", "-n", "strict", "-f", str(manifest))
    assert out.returncode == 1
    assert out.stderr == (
        f'Error from server (Forbidden): error when creating "{manifest}": pods '
        '"security-context-demo-4" is forbidden: violates PodSecurity "baseline:latest": '
        'non-default capabilities (container "sec-ctx-4" must not include "NET_ADMIN", '
        '"SYS_TIME" in securityContext.capabilities.add)\n'
    )


def test_warn_label_prints_warning(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "warned")
    kubectl("label", "namespace", "warned", "pod-security.kubernetes.io/warn=restricted")
    out = kubectl("apply", "-n", "warned", "-f", str(EXAMPLES / "security-context.yaml"))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "pod/security-context-demo created\n"
    assert out.stderr.startswith(
        'Warning: would violate PodSecurity "restricted:latest": unrestricted capabilities '
        '(container "sec-ctx-demo" must set securityContext.capabilities.drop=["ALL"])'
    )


def test_not_found_and_delete(kubectl: Kubectl) -> None:
    missing = kubectl("get", "pod", "nope")
    assert missing.returncode == 1
    assert missing.stderr == 'Error from server (NotFound): pods "nope" not found\n'
    kubectl("apply", "-f", str(EXAMPLES / "security-context.yaml"))
    out = kubectl("delete", "pod", "security-context-demo")
    assert out.returncode == 0, out.stderr
    assert out.stdout == 'pod "security-context-demo" deleted from default namespace\n'
    gone = kubectl("delete", "pod", "security-context-demo")
    assert gone.stderr == ('Error from server (NotFound): pods "security-context-demo" not found\n')


def test_already_exists(kubectl: Kubectl) -> None:
    manifest = str(EXAMPLES / "security-context.yaml")
    assert kubectl("create", "-f", manifest).returncode == 0
    out = kubectl("create", "-f", manifest)
    assert out.returncode == 1
    assert out.stderr == (
        f'Error from server (AlreadyExists): error when creating "{manifest}": pods '
        '"security-context-demo" already exists\n'
    )


def test_namespaces(kubectl: Kubectl) -> None:
    out = kubectl("get", "namespaces")
    assert out.returncode == 0, out.stderr
    rows = [line.split()[:2] for line in out.stdout.splitlines()]
    assert rows == [
        ["NAME", "STATUS"],
        ["default", "Active"],
        ["kube-node-lease", "Active"],
        ["kube-public", "Active"],
        ["kube-system", "Active"],
    ]
    refused = kubectl("delete", "namespace", "default")
    assert refused.stderr == (
        'Error from server (Forbidden): namespaces "default" is forbidden: '
        "this namespace may not be deleted\n"
    )
    assert kubectl("create", "namespace", "scratch").returncode == 0
    kubectl("apply", "-n", "scratch", "-f", str(EXAMPLES / "security-context.yaml"))
    deleted = kubectl("delete", "namespace", "scratch")
    assert deleted.stdout == 'namespace "scratch" deleted\n', deleted.stderr
    assert kubectl("get", "pods", "-n", "scratch").stderr == (
        "No resources found in scratch namespace.\n"
    )
    bad = kubectl("label", "namespace", "default", "pod-security.kubernetes.io/enforce=bogus")
    assert bad.returncode == 1
    assert bad.stderr.startswith(
        'The Namespace "default" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]'
    )


def test_selectors(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", str(EXAMPLES / "security-context.yaml"))
    kubectl("apply", "-f", str(EXAMPLES / "security-context-2.yaml"))
    kubectl("label", "pod", "security-context-demo", "app=demo")
    labelled = kubectl("get", "pods", "-l", "app=demo", "-o", "name")
    assert labelled.stdout == "pod/security-context-demo\n", labelled.stderr
    by_name = kubectl(
        "get", "pods", "--field-selector", "metadata.name=security-context-demo-2", "-o", "name"
    )
    assert by_name.stdout == "pod/security-context-demo-2\n", by_name.stderr
    pending = kubectl("get", "pods", "-A", "--field-selector", "status.phase=Pending", "-o", "name")
    assert pending.stdout.splitlines() == [
        "pod/security-context-demo",
        "pod/security-context-demo-2",
    ]
    none = kubectl("get", "pods", "--field-selector", "spec.nodeName=elsewhere")
    assert none.stderr == "No resources found in default namespace.\n"
