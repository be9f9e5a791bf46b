"""The real kubectl 1.35 against running pods: exec, logs, graceful delete, nodes, events.

Role: end-to-end tests of the subresources a running pod needs, with ``FakeNode`` as
the kubelet: ``kubectl exec`` over the ``v5.channel.k8s.io`` websocket (output, stdin,
exit codes, refusals), ``kubectl logs`` (``--tail``, ``--previous``, ``--timestamps``,
``-f``, the kubelet's refusals), ``kubectl delete`` of a bound pod waiting for the
(simulated) kubelet's final delete, ``kubectl get``/``describe`` of nodes and events.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp

from integration.apiserver.conftest import KUBECTL, Kubectl, Running
from integration.apiserver.test_http import _request
from seclet.nodeapi import NodeError

T = TypeVar("T")


def on_loop(srv: Running, fn: Callable[[], T]) -> T:
    """Run ``fn`` on the server's event loop (the store is not thread-safe)."""

    async def call() -> T:
        return fn()

    return asyncio.run_coroutine_threadsafe(call(), srv.loop).result(10)


def running_pod(
    srv: Running, name: str, containers: tuple[str, ...] = ("c",), **status: Any
) -> dict[str, Any]:
    """A pod created through the registry, bound to node ``n1`` and Running."""
    registry = srv.server.registry
    store = srv.server.store
    assert registry is not None and store is not None
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": "n1",
            "containers": [{"name": c, "image": "busybox"} for c in containers],
        },
    }
    pod = on_loop(srv, lambda: registry.create_pod("default", body).object)
    pod["status"] = {
        "phase": "Running",
        "qosClass": "BestEffort",
        "podIP": "10.88.0.5",
        "podIPs": [{"ip": "10.88.0.5"}],
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [
            {
                "name": c,
                "ready": True,
                "restartCount": 0,
                "image": "busybox",
                "imageID": "",
                "started": True,
                "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
            }
            for c in containers
        ],
        **status,
    }
    return on_loop(srv, lambda: store.update("pods", "default", name, pod))


# -- exec --------------------------------------------------------------------------------


def test_exec_prints_output_and_exits_zero(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    out = kubectl("exec", "p", "--", "sh", "-c", "echo hi; echo oops >&2")
    assert (out.returncode, out.stdout, out.stderr) == (0, "hi\n", "oops\n")


def test_exec_with_stdin(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    out = kubectl("exec", "-i", "p", "--", "cat", stdin="hello\nworld\n")
    assert (out.returncode, out.stdout) == (0, "hello\nworld\n"), out.stderr


def test_exec_exit_code_propagates(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    out = kubectl("exec", "p", "--", "sh", "-c", "exit 3")
    assert out.returncode == 3
    assert out.stderr == "command terminated with exit code 3\n"


def test_exec_refusals(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    out = kubectl("exec", "nope", "--", "true")
    assert out.returncode == 1
    assert out.stderr == 'Error from server (NotFound): pods "nope" not found\n'
    out = kubectl("exec", "p", "-c", "x", "--", "true")
    assert out.returncode == 1
    assert out.stderr.endswith("container x is not valid for pod p\n"), out.stderr
    apiserver.node.exec_errors[("default", "p", "c")] = NodeError(
        500,
        "InternalError",
        "Internal error occurred: error executing command in container: container is not "
        "created or running",
    )
    out = kubectl("exec", "p", "--", "true")
    assert out.returncode == 1
    assert out.stderr == (
        "error: Internal error occurred: error executing command in container: container is "
        "not created or running\n"
    )


def test_exec_needs_token_and_command(apiserver: Running) -> None:
    running_pod(apiserver, "p")
    path = "/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true"
    code, _, body = _request(apiserver, path, token=None)
    assert code == 401
    assert json.loads(body)["reason"] == "Unauthorized"
    code, _, body = _request(apiserver, "/api/v1/namespaces/default/pods/p/exec?stdout=true")
    assert code == 400
    assert json.loads(body)["message"] == "you must specify at least 1 command"
    code, _, body = _request(apiserver, "/api/v1/namespaces/default/pods/p/exec?command=true")
    assert code == 400
    assert json.loads(body)["message"] == "you must specify at least 1 of stdin, stdout, stderr"


# -- logs --------------------------------------------------------------------------------


def test_logs_and_options(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    node = apiserver.node
    node.logs[("default", "p", "c")] = [b"one\n", b"two\n", b"three\n"]
    node.previous[("default", "p", "c")] = [b"before restart\n"]
    out = kubectl("logs", "p")
    assert (out.returncode, out.stdout) == (0, "one\ntwo\nthree\n"), out.stderr
    out = kubectl("logs", "p", "--tail=1")
    assert out.stdout == "three\n"
    assert node.asked[-1][1].tail_lines == 1
    out = kubectl("logs", "p", "--previous")
    assert out.stdout == "before restart\n"
    out = kubectl("logs", "p", "--timestamps", "--since=1h")
    assert out.stdout.startswith("2026-01-01T00:00:00.000000000Z one\n")
    assert (node.asked[-1][1].timestamps, node.asked[-1][1].since_seconds) == (True, 3600)
    out = kubectl("logs", "-f", "p")
    assert out.stdout == "one\ntwo\nthree\n"
    assert node.asked[-1][1].follow


def test_logs_refusals(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    apiserver.node.errors[("default", "p", "c")] = NodeError(
        400, "BadRequest", 'container "c" in pod "p" is waiting to start: ContainerCreating'
    )
    out = kubectl("logs", "p")
    assert out.returncode == 1
    assert out.stderr == (
        'Error from server (BadRequest): container "c" in pod "p" is waiting to start: '
        "ContainerCreating\n"
    )
    out = kubectl("logs", "nope")
    assert out.stderr == (
        'error: error from server (NotFound): pods "nope" not found in namespace "default"\n'
    )
    code, _, body = _request(apiserver, "/api/v1/namespaces/default/pods/p/log?tailLines=-1")
    status = json.loads(body)
    assert (code, status["reason"]) == (422, "Invalid")
    assert status["message"] == (
        'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than '
        "or equal to 0"
    )
    running_pod(apiserver, "two", containers=("a", "b"))
    code, _, body = _request(apiserver, "/api/v1/namespaces/default/pods/two/log")
    assert (code, json.loads(body)["message"]) == (
        400,
        "a container name must be specified for pod two, choose one of: [a b]",
    )


# -- graceful deletion ---------------------------------------------------------------------


def _kubelet_deletes(srv: Running, name: str, seen: list[dict[str, Any]]) -> threading.Thread:
    """A stand-in kubelet: once the pod is terminating, remove it from the store."""
    store = srv.server.store
    assert store is not None

    def run() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            pod = on_loop(srv, lambda: store.get("pods", "default", name))
            if pod["metadata"].get("deletionTimestamp"):
                seen.append(pod)
                time.sleep(0.3)
                on_loop(srv, lambda: store.delete("pods", "default", name))
                return
            time.sleep(0.05)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_delete_bound_pod_waits_for_the_kubelet(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    seen: list[dict[str, Any]] = []
    thread = _kubelet_deletes(apiserver, "p", seen)
    out = kubectl("delete", "pod", "p")
    thread.join(5)
    assert (out.returncode, out.stdout) == (0, 'pod "p" deleted from default namespace\n'), (
        out.stderr
    )
    assert seen[0]["metadata"]["deletionGracePeriodSeconds"] == 30
    gone = kubectl("get", "pod", "p")
    assert gone.stderr == 'Error from server (NotFound): pods "p" not found\n'


def test_graceful_delete_over_http(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    code, _, body = _request(apiserver, "/api/v1/namespaces/default/pods/p", method="DELETE")
    pod = json.loads(body)
    assert code == 200
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    out = kubectl("get", "pod", "p")
    assert out.stdout.split("\n")[1].split()[:3] == ["p", "1/1", "Terminating"]
    # A second DELETE with a shorter grace shortens it; a longer one changes nothing.
    code, _, body = _request(
        apiserver, "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=5", method="DELETE"
    )
    assert json.loads(body)["metadata"]["deletionGracePeriodSeconds"] == 5
    code, _, body = _request(
        apiserver, "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=60", method="DELETE"
    )
    assert json.loads(body)["metadata"]["deletionGracePeriodSeconds"] == 5
    out = kubectl("delete", "pod", "p", "--force", "--grace-period=0")
    assert out.returncode == 0, out.stderr
    assert 'pod "p" force deleted from default namespace' in out.stdout
    assert kubectl("get", "pod", "p").returncode == 1


def test_terminal_pod_is_deleted_at_once(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "done", phase="Succeeded")
    out = kubectl("delete", "pod", "done")
    assert (out.returncode, out.stdout) == (0, 'pod "done" deleted from default namespace\n')


# -- nodes and events ------------------------------------------------------------------------

NODE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {
        "name": "n1",
        "uid": "1b2c",
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "labels": {"kubernetes.io/hostname": "n1", "node-role.kubernetes.io/control-plane": ""},
    },
    "spec": {},
    "status": {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": "2026-01-01T00:00:00Z",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ],
        "addresses": [
            {"type": "InternalIP", "address": "192.168.1.10"},
            {"type": "Hostname", "address": "n1"},
        ],
        "nodeInfo": {
            "kubeletVersion": "v1.35.0+seclet",
            "osImage": "Debian GNU/Linux 12",
            "kernelVersion": "6.1.0-18-amd64",
            "containerRuntimeVersion": "seclet://0.1.0",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "machineID": "",
            "systemUUID": "",
            "bootID": "",
            "kubeProxyVersion": "",
        },
    },
}


def _event(
    name: str, pod: dict[str, Any], reason: str, message: str, kind: str = "Normal"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": name,
            "namespace": "default",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "involvedObject": {
            "kind": "Pod",
            "namespace": "default",
            "name": pod["metadata"]["name"],
            "uid": pod["metadata"]["uid"],
            "apiVersion": "v1",
            "fieldPath": "spec.containers{c}",
        },
        "reason": reason,
        "message": message,
        "type": kind,
        "count": 1,
        "source": {"component": "kubelet", "host": "n1"},
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T00:00:00Z",
    }


def test_nodes(apiserver: Running, kubectl: Kubectl) -> None:
    store = apiserver.server.store
    assert store is not None
    on_loop(apiserver, lambda: store.create("nodes", "", "n1", NODE))
    out = kubectl("get", "nodes")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert lines[1].split()[:3] == ["n1", "Ready", "control-plane"]
    assert lines[1].split()[-1] == "v1.35.0+seclet"
    wide = kubectl("get", "nodes", "-o", "wide").stdout.splitlines()
    assert wide[0].split() == [
        "NAME",
        "STATUS",
        "ROLES",
        "AGE",
        "VERSION",
        "INTERNAL-IP",
        "EXTERNAL-IP",
        "OS-IMAGE",
        "KERNEL-VERSION",
        "CONTAINER-RUNTIME",
    ]
    assert "192.168.1.10   <none>        Debian GNU/Linux 12   6.1.0-18-amd64" in wide[1]
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": "n1",
            "namespace": "kube-node-lease",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {
            "holderIdentity": "n1",
            "leaseDurationSeconds": 40,
            "renewTime": "2026-01-01T00:00:10.000000Z",
        },
    }
    on_loop(apiserver, lambda: store.create("leases", "kube-node-lease", "n1", lease))
    leases = kubectl("get", "leases", "-n", "kube-node-lease")
    assert leases.stdout.splitlines()[1].split()[:2] == ["n1", "n1"], leases.stderr
    running_pod(apiserver, "p")
    described = kubectl("describe", "node", "n1")
    assert described.returncode == 0, described.stderr
    assert "Name:               n1" in described.stdout
    assert "Roles:              control-plane" in described.stdout
    assert "InternalIP:  192.168.1.10" in described.stdout
    assert (
        "Lease:\n  HolderIdentity:  n1\n  AcquireTime:     <unset>\n  RenewTime:       "
        "Thu, 01 Jan 2026 00:00:10 +0000\n" in described.stdout
    )
    assert "default                     p" in described.stdout


def test_events_and_describe_pod(apiserver: Running, kubectl: Kubectl) -> None:
    pod = running_pod(apiserver, "p")
    other = running_pod(apiserver, "q")
    store = apiserver.server.store
    assert store is not None
    for ev in (
        _event("p.1", pod, "Pulled", 'Container image "busybox" already present'),
        _event("p.2", pod, "Started", "Started container c"),
        _event("q.1", other, "BackOff", "Back-off restarting failed container", "Warning"),
    ):
        on_loop(
            apiserver,
            lambda ev=ev: store.create(  # type: ignore[misc]
                "events", "default", ev["metadata"]["name"], ev
            ),
        )
    out = kubectl("get", "events")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert any(line.split()[1:4] == ["Warning", "BackOff", "pod/q"] for line in lines[1:])
    selected = kubectl("get", "events", "--field-selector", "type=Warning", "-o", "name")
    assert selected.stdout == "event/q.1\n"
    described = kubectl("describe", "pod", "p")
    assert described.returncode == 0, described.stderr
    events = described.stdout.split("Events:")[1]
    assert "Normal  Pulled" in events and "Normal  Started" in events
    assert "BackOff" not in events


def test_create_event_over_http(apiserver: Running) -> None:
    body = {
        "metadata": {"name": "e1"},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "other"},
        "reason": "Test",
        "message": "m",
        "type": "Normal",
    }
    code, _, data = _request(
        apiserver,
        "/api/v1/namespaces/default/events",
        method="POST",
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert code == 422
    assert json.loads(data)["message"] == (
        'Event "e1" is invalid: involvedObject.namespace: Invalid value: "other": does not '
        "match event.namespace"
    )
    body["involvedObject"]["namespace"] = "default"  # type: ignore[index]
    code, _, data = _request(
        apiserver,
        "/api/v1/namespaces/default/events",
        method="POST",
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert code == 201, data
    code, _, data = _request(
        apiserver, "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dp"
    )
    assert [e["metadata"]["name"] for e in json.loads(data)["items"]] == ["e1"]


def test_pod_status_subresource(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    code, _, data = _request(apiserver, "/api/v1/namespaces/default/pods/p/status")
    pod = json.loads(data)
    pod["status"]["containerStatuses"][0]["state"] = {
        "waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}
    }
    pod["status"]["containerStatuses"][0]["ready"] = False
    pod["status"]["containerStatuses"][0]["restartCount"] = 4
    pod["status"]["containerStatuses"][0]["lastState"] = {
        "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2026-01-01T00:00:00Z"}
    }
    pod["spec"]["containers"][0]["image"] = "changed"  # ignored: status only
    code, _, data = _request(
        apiserver,
        "/api/v1/namespaces/default/pods/p/status",
        method="PUT",
        body=json.dumps(pod).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert code == 200, data
    assert json.loads(data)["spec"]["containers"][0]["image"] == "busybox"
    row = kubectl("get", "pod", "p", "-o", "wide").stdout.splitlines()
    assert row[0].split() == [
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
    cells = row[1].split()
    assert cells[:4] == ["p", "0/1", "CrashLoopBackOff", "4"]
    assert cells[4].startswith("(") and cells[5] == "ago)"  # "4 (331d ago)"
    assert cells[-4:] == ["10.88.0.5", "n1", "<none>", "<none>"]
    # A stale resourceVersion conflicts.
    code, _, data = _request(
        apiserver,
        "/api/v1/namespaces/default/pods/p/status",
        method="PUT",
        body=json.dumps(pod).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert code == 409, data


# -- the channel protocol, directly ------------------------------------------------------


async def _ws_exec(
    srv: Running, query: str, send: list[bytes], protocol: str = "v5.channel.k8s.io"
) -> tuple[str | None, list[tuple[int, bytes]]]:
    """Open an exec websocket, send ``send`` frames, return every frame received."""
    ctx = ssl.create_default_context(cafile=str(srv.ca))
    url = srv.url + "/api/v1/namespaces/default/pods/p/exec?" + query
    frames: list[tuple[int, bytes]] = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            url, protocols=(protocol,), ssl=ctx, headers={"Authorization": f"Bearer {srv.token}"}
        ) as ws,
    ):
        for frame in send:
            await ws.send_bytes(frame)
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                frames.append((msg.data[0], msg.data[1:]))
        return ws.protocol, frames


def test_tty_exec_resize_and_close(apiserver: Running) -> None:
    running_pod(apiserver, "p")
    query = "command=sh&command=-c&command=read+x;+stty+size;+echo+got+$x&stdin=true&stdout=true&tty=true"
    protocol, frames = asyncio.run(
        _ws_exec(apiserver, query, [b"\x04" + b'{"Width":100,"Height":40}', b"\x00abc\n"])
    )
    assert protocol == "v5.channel.k8s.io"
    out = b"".join(data for ch, data in frames if ch == 1)
    assert b"40 100" in out and b"got abc" in out
    assert frames[-1] == (3, b'{"metadata":{},"status":"Success"}')
    assert apiserver.node.sessions[-1].sizes == [(100, 40)]


def test_v5_close_ends_stdin_and_exit_status(apiserver: Running) -> None:
    running_pod(apiserver, "p")
    query = "command=sh&command=-c&command=cat;+exit+7&stdin=true&stdout=true&stderr=true"
    _, frames = asyncio.run(_ws_exec(apiserver, query, [b"\x00data", b"\xff\x00"]))
    assert b"".join(d for ch, d in frames if ch == 1) == b"data"
    status = json.loads(frames[-1][1])
    assert frames[-1][0] == 3
    assert status == {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: command terminated with "
        "exit code 7",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "7"}]},
    }


def test_kubectl_exec_tty_in_a_terminal(apiserver: Running, kubectl: Kubectl) -> None:
    """``kubectl exec -it`` needs a terminal: run it under ``script``."""
    running_pod(apiserver, "p")
    cmd = " ".join(
        [
            str(KUBECTL),
            "--kubeconfig",
            str(kubectl.kubeconfig),
            "exec",
            "-it",
            "p",
            "--",
            "sh",
            "-c",
            "'test -t 0 && echo is-a-tty'",
        ]
    )
    out = subprocess.run(
        ["script", "-qec", cmd, "/dev/null"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "is-a-tty" in out.stdout


def test_kubectl_attach(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    out = kubectl("attach", "p")
    assert (out.returncode, out.stdout) == (0, "attached\n"), out.stderr
    apiserver.node.attach_command = ("cat",)
    out = kubectl("attach", "-i", "p", stdin="typed\n")
    assert (out.returncode, out.stdout) == (0, "typed\n"), out.stderr


def test_without_a_node(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    apiserver.server.node_client = None  # the node may come and go after start
    out = kubectl("logs", "p")
    assert out.returncode == 1
    assert out.stderr == (
        "Error from server: error dialing backend: no kubelet is connected to this API server\n"
    )
    out = kubectl("exec", "p", "--", "true")
    assert out.returncode == 1
    assert (
        out.stderr == "error: error dialing backend: no kubelet is connected to this API server\n"
    )
    apiserver.server.node_client = apiserver.node
    assert kubectl("exec", "p", "--", "true").returncode == 0


def test_exec_stdin_to_a_process_that_exits(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    out = kubectl("exec", "-i", "p", "--", "sh", "-c", "exit 4", stdin="x" * 1_000_000)
    assert out.returncode == 4
    # kubectl may also log that its stdin copier met the closed websocket.
    assert out.stderr.endswith("command terminated with exit code 4\n")


def test_kubectl_patch_and_get_status_subresource(apiserver: Running, kubectl: Kubectl) -> None:
    running_pod(apiserver, "p")
    out = kubectl(
        "patch",
        "pod",
        "p",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"phase":"Failed","reason":"Evicted"}}',
    )
    assert (out.returncode, out.stdout) == (0, "pod/p patched\n"), out.stderr
    got = kubectl("get", "pod", "p", "--subresource=status", "-o", "jsonpath={.status.phase}")
    assert got.stdout == "Failed"
    # printPod: status.reason names the pod's state.
    assert kubectl("get", "pod", "p").stdout.splitlines()[1].split()[2] == "Evicted"


def test_namespace_with_a_running_pod_waits_for_the_kubelet(
    apiserver: Running, kubectl: Kubectl
) -> None:
    assert kubectl("create", "namespace", "ns1").returncode == 0
    registry, store = apiserver.server.registry, apiserver.server.store
    assert registry is not None and store is not None
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox"}]},
    }
    on_loop(apiserver, lambda: registry.create_pod("ns1", body))
    out = kubectl("delete", "namespace", "ns1", "--wait=false")
    assert out.stdout == 'namespace "ns1" deleted\n', out.stderr
    pod = on_loop(apiserver, lambda: store.get("pods", "ns1", "p"))
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    ns = kubectl("get", "namespace", "ns1", "-o", "jsonpath={.status.phase}")
    assert ns.stdout == "Terminating"
    on_loop(apiserver, lambda: store.delete("pods", "ns1", "p"))  # the kubelet's last word
    deadline = time.monotonic() + 5
    while kubectl("get", "namespace", "ns1").returncode == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    gone = kubectl("get", "namespace", "ns1")
    assert gone.stderr == 'Error from server (NotFound): namespaces "ns1" not found\n'
