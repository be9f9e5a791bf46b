"""Volumes on a real seclet node through kubectl: who owns what a pod sees.

Role: issue #4's e2e list. Each volume type is mounted in a container running as uid
1000 with fsGroup 2000 and ``ls -ln``/``stat`` read inside: configMap (defaultMode
0400 + fsGroup -> 0440, the ``..data`` symlink and ``key -> ..data/key`` links, the
directory 2777 root:2000, mounted read-only), secret (a tmpfs, 0440), downwardAPI
(sorted ``k="v"`` labels), projected, emptyDir (new files inherit fsGroup through
setgid), hostPath (never chowned on the host); a ConfigMap change reaches the pod by a
new ``..data`` target but not a subPath mount of it (``kubectl create configmap --dry-run -o yaml | kubectl
replace``); a subPath whose symlink points out of the volume (planted by an init
container, the CVE-2017-1002101 shape) fails the container with upstream's
CreateContainerConfigError text while a subPath inside works and a missing one is
created with the volume's mode; a claim of the default ``local-path`` class is
written by one pod and owned by fsGroup in the next.
Callers: pytest (tests/e2e, root).
"""

from __future__ import annotations

import json
import re
import stat
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from e2e.node import Node

pytestmark = pytest.mark.e2e

BUSYBOX = "busybox:1.28"
SC = {"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000}


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _pod(
    name: str,
    volumes: list[dict[str, Any]],
    mounts: list[dict[str, Any]],
    *,
    command: list[str] | None = None,
    sc: dict[str, Any] | None = None,
    init: list[dict[str, Any]] | None = None,
) -> str:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": {"app": "vol", "tier": "db"},
            "annotations": {"note": 'a "b"'},
        },
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "securityContext": SC if sc is None else sc,
            "containers": [
                {
                    "name": "test-container",
                    "image": BUSYBOX,
                    "command": command or ["sleep", "3600"],
                    "volumeMounts": mounts,
                }
            ],
            "volumes": volumes,
        },
    }
    if init:
        body["spec"]["initContainers"] = init
    return json.dumps(body)


def _create(node: Node, manifest: str) -> None:
    node.kubectl("create", "-f", "-", stdin=manifest)


def _sh(node: Node, pod: str, script: str) -> str:
    return node.exec(pod, "sh", "-c", script)


def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _waiting(node: Node, pod: str) -> tuple[str, str]:
    doc: dict[str, Any] = node.pod(pod)
    for s in doc.get("status", {}).get("containerStatuses", []):
        w = s.get("state", {}).get("waiting") or {}
        if w.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
            return str(w.get("reason")), str(w.get("message", ""))
    return "", ""


def _events(node: Node, pod: str) -> list[tuple[str, str, str]]:
    out = node.kubectl(
        "get", "events", "--field-selector", f"involvedObject.name={pod}", "-o", "json"
    )
    return [(e["type"], e["reason"], e["message"]) for e in json.loads(out.stdout)["items"]]


def test_configmap_volume_modes_group_layout_and_updates(node: Node) -> None:
    cm, pod = _name("cfg"), _name("cm-pod")
    node.kubectl("create", "configmap", cm, "--from-literal=game=lives=3", "--from-literal=ui=dark")
    volume = {"name": "cfg", "configMap": {"name": cm, "defaultMode": 0o400}}
    mounts = [
        {"name": "cfg", "mountPath": "/etc/cfg"},
        {"name": "cfg", "mountPath": "/sub/game", "subPath": "game"},
    ]
    _create(node, _pod(pod, [volume], mounts))
    try:
        node.wait_running(pod)
        out = _sh(
            node,
            pod,
            "cd /etc/cfg; ls -ln . | grep -c -- '-> ..data/'; readlink game; "
            "stat -c '%a %u %g' . ..data/ ..data/game; id -u; "
            "cat game; echo; touch x 2>&1 | sed 's/.*: //'",
        )
        lines = out.splitlines()
        assert lines[0] == "2" and lines[1] == "..data/game", out
        assert lines[2:5] == ["2777 0 2000", "2755 0 2000", "440 0 2000"], out
        assert lines[5:7] == ["1000", "lives=3"], out
        assert lines[7] == "Read-only file system", out  # mounted read-only (mustMountRO)
        before = _sh(node, pod, "readlink /etc/cfg/..data").strip()
        replaced = node.kubectl(
            "create",
            "configmap",
            cm,
            "--from-literal=game=lives=5",
            "--dry-run=client",
            "-o",
            "yaml",
        ).stdout
        node.kubectl("replace", "-f", "-", stdin=replaced)

        def swapped() -> str:
            text = _sh(node, pod, "readlink /etc/cfg/..data; cat /etc/cfg/game; echo; ls /etc/cfg")
            return text if not text.startswith(before + "\n") and "lives=5" in text else ""

        after = _until(swapped, 60, "the ..data swap").splitlines()
        assert re.fullmatch(r"\.\.\d{4}(_\d\d){5}\.\d+", after[0]), after
        assert after[1] == "lives=5"
        assert sorted(after[2:]) == ["game"]  # ui removed with the old version
        # a subPath mount is bound to the file of its time: no update (as upstream)
        assert _sh(node, pod, "cat /sub/game") == "lives=3"
    finally:
        node.delete(pod)
        node.kubectl("delete", "configmap", cm, check=False)


def test_secret_downward_api_and_projected(node: Node) -> None:
    secret, pod = _name("sec"), _name("sec-pod")
    node.kubectl("create", "secret", "generic", secret, "--from-literal=password=hunter2")
    volumes = [
        {"name": "s", "secret": {"secretName": secret, "defaultMode": 0o400}},
        {
            "name": "d",
            "downwardAPI": {
                "items": [
                    {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                    {"path": "notes", "fieldRef": {"fieldPath": "metadata.annotations"}},
                    {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
                ]
            },
        },
        {
            "name": "p",
            "projected": {
                "sources": [
                    {"secret": {"name": secret, "items": [{"key": "password", "path": "pw"}]}},
                    {
                        "downwardAPI": {
                            "items": [
                                {"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}
                            ]
                        }
                    },
                ]
            },
        },
    ]
    mounts = [{"name": n, "mountPath": f"/{n}"} for n in ("s", "d", "p")]
    _create(node, _pod(pod, volumes, mounts))
    try:
        node.wait_running(pod)
        out = _sh(
            node,
            pod,
            "grep -E ' /(s|d|p) ' /proc/mounts | cut -d' ' -f2,3 | sort; "
            "stat -c '%a %g' /s/..data/password; cat /s/password; echo; "
            "cat /d/labels; echo; cat /d/notes; echo; cat /d/name; echo; cat /p/pw /p/ns",
        )
        assert out.splitlines() == [
            "/d tmpfs",
            "/p tmpfs",
            "/s tmpfs",
            "440 2000",
            "hunter2",
            'app="vol"',
            'tier="db"',
            'note="a \\"b\\""',
            pod,
            "hunter2default",
        ], out
    finally:
        node.delete(pod)
        node.kubectl("delete", "secret", secret, check=False)


def test_missing_configmap_is_a_failed_mount(node: Node) -> None:
    pod = _name("nocm")
    volume = {"name": "v", "configMap": {"name": "does-not-exist"}}
    _create(node, _pod(pod, [volume], [{"name": "v", "mountPath": "/v"}]))
    try:
        want = (
            "Warning",
            "FailedMount",
            'MountVolume.SetUp failed for volume "v" : configmap "does-not-exist" not found',
        )
        _until(lambda: want in _events(node, pod), 30, "FailedMount")
        assert node.pod(pod)["status"]["phase"] == "Pending"  # type: ignore[index]
    finally:
        node.delete(pod)


def test_empty_dir_new_files_inherit_fs_group(node: Node) -> None:
    pod = _name("ed")
    _create(node, _pod(pod, [{"name": "e", "emptyDir": {}}], [{"name": "e", "mountPath": "/e"}]))
    try:
        node.wait_running(pod)
        out = _sh(node, pod, "touch /e/new; mkdir /e/d; stat -c '%A %u %g %n' /e/new /e/d")
        assert out.splitlines() == ["-rw-r--r-- 1000 2000 /e/new", "drwxr-sr-x 1000 2000 /e/d"]
        assert _sh(node, pod, "stat -c '%a %u %g' /e").strip() == "2777 0 2000"
    finally:
        node.delete(pod)


def test_host_path_is_never_changed(node: Node, tmp_path: Path) -> None:
    host = tmp_path / "hp"
    host.mkdir()
    host.chmod(0o755)
    (host / "f").write_text("x")
    (host / "f").chmod(0o600)
    pod = _name("hp")
    volume = {"name": "h", "hostPath": {"path": str(host), "type": "Directory"}}
    _create(node, _pod(pod, [volume], [{"name": "h", "mountPath": "/h"}]))
    try:
        node.wait_running(pod)
        assert _sh(node, pod, "stat -c '%a %u %g' /h /h/f").splitlines() == [
            "755 0 0",
            "600 0 0",
        ]
        for path, mode in ((host, 0o755), (host / "f", 0o600)):
            st = path.stat()
            assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (mode, 0, 0)
    finally:
        node.delete(pod)


def test_subpath_symlink_out_of_the_volume_is_refused(node: Node) -> None:
    pod = _name("subpath")
    init = [
        {
            "name": "plant",
            "image": BUSYBOX,
            "command": ["sh", "-c", "ln -s /etc /v/escape && mkdir /v/inside"],
            "volumeMounts": [{"name": "v", "mountPath": "/v"}],
        }
    ]
    mounts = [{"name": "v", "mountPath": "/x", "subPath": "escape"}]
    _create(node, _pod(pod, [{"name": "v", "emptyDir": {}}], mounts, init=init))
    try:
        reason, message = _until(
            lambda: _waiting(node, pod) != ("", "") and _waiting(node, pod),
            60,
            "the container's waiting reason",
        )
        want = 'failed to prepare subPath for volumeMount "v" of container "test-container"'
        assert (reason, message) == ("CreateContainerConfigError", want)
        assert ("Warning", "Failed", f"Error: {want}") in _events(node, pod)
    finally:
        node.delete(pod)


def test_subpath_inside_and_created(node: Node) -> None:
    pod = _name("subok")
    init = [
        {
            "name": "plant",
            "image": BUSYBOX,
            "command": ["sh", "-c", "mkdir /v/real && echo hi > /v/real/f && ln -s real /v/in"],
            "volumeMounts": [{"name": "v", "mountPath": "/v"}],
        }
    ]
    mounts = [
        {"name": "v", "mountPath": "/in", "subPath": "in"},
        {"name": "v", "mountPath": "/made", "subPathExpr": "$(POD)/logs"},
    ]
    body = json.loads(_pod(pod, [{"name": "v", "emptyDir": {}}], mounts, init=init))
    body["spec"]["containers"][0]["env"] = [
        {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
    ]
    _create(node, json.dumps(body))
    try:
        node.wait_running(pod)
        out = _sh(node, pod, "cat /in/f; stat -c '%a %g' /made; touch /made/w && echo ok")
        assert out.splitlines() == ["hi", "2777 2000", "ok"], out
    finally:
        node.delete(pod)


def test_local_path_claim_is_owned_by_fs_group_in_the_next_pod(node: Node) -> None:
    claim, writer, reader = _name("data"), _name("writer"), _name("reader")
    node.kubectl(
        "create",
        "-f",
        "-",
        stdin=json.dumps(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "16Mi"}},
                },
            }
        ),
    )
    volume = {"name": "d", "persistentVolumeClaim": {"claimName": claim}}
    mount = [{"name": "d", "mountPath": "/d"}]
    try:
        _create(
            node,
            _pod(
                writer,
                [volume],
                mount,
                sc={"runAsUser": 0},
                command=["sh", "-c", "echo one > /d/f && chmod 600 /d/f && sleep 3600"],
            ),
        )
        node.wait_running(writer, timeout=120)
        _until(lambda: _sh(node, writer, "cat /d/f") == "one\n", 30, "the writer's file")
        node.delete(writer)
        _create(node, _pod(reader, [volume], mount))
        node.wait_running(reader, timeout=120)
        out = _sh(node, reader, "stat -c '%a %g' /d/f; cat /d/f; stat -c '%g' /d")
        assert out.splitlines() == ["660 2000", "one", "2000"], out
    finally:
        for pod in (writer, reader):
            node.delete(pod)
        node.kubectl("delete", "pvc", claim, "--wait=false", check=False)


def test_claim_errors_on_a_pod_bound_by_hand(node: Node) -> None:
    """A pod with ``nodeName`` skips the scheduler's claim checks; the kubelet's
    populator refuses the missing claim with upstream's text."""
    pod = _name("noclaim")
    body = json.loads(
        _pod(
            pod,
            [{"name": "d", "persistentVolumeClaim": {"claimName": "nope"}}],
            [{"name": "d", "mountPath": "/d"}],
        )
    )
    node_name = json.loads(node.kubectl("get", "nodes", "-o", "json").stdout)["items"][0]
    body["spec"]["nodeName"] = node_name["metadata"]["name"]
    _create(node, json.dumps(body))
    try:
        want = (
            "Warning",
            "FailedMount",
            "Unable to attach or mount volumes: unmounted volumes=[d], unattached volumes=[], "
            "failed to process volumes=[d]: error processing PVC default/nope: failed to fetch "
            'PVC from API server: persistentvolumeclaims "nope" not found',
        )
        _until(lambda: want in _events(node, pod), 30, "FailedMount")
    finally:
        node.delete(pod)


def test_volume_nested_beneath_a_configmap(node: Node) -> None:
    """``MakeNestedMountpoints``: an emptyDir mounted beneath a (read-only) configMap
    volume gets its mount point created by the kubelet, so the container starts."""
    cm, pod = _name("nest"), _name("nest-pod")
    node.kubectl("create", "configmap", cm, "--from-literal=a=1")
    volumes = [{"name": "cfg", "configMap": {"name": cm}}, {"name": "e", "emptyDir": {}}]
    mounts = [
        {"name": "cfg", "mountPath": "/etc/cfg"},
        {"name": "e", "mountPath": "/etc/cfg/state"},
    ]
    _create(node, _pod(pod, volumes, mounts))
    try:
        node.wait_running(pod)
        out = _sh(node, pod, "cat /etc/cfg/a; echo; touch /etc/cfg/state/w && echo writable")
        assert out.splitlines() == ["1", "writable"], out
    finally:
        node.delete(pod)
        node.kubectl("delete", "configmap", cm, check=False)
