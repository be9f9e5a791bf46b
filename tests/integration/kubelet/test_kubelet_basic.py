"""The kubelet on the fake runtime: binding, exact Running status, init containers,
restart policies, CrashLoopBackOff, runAsNonRoot, image pulls, deletion, node object.

Role: integration tests of seclet.kubelet with MemoryStore + FakeRuntime + a fast
clock (100x). Callers: pytest.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from integration.kubelet.harness import (
    NODE,
    Node,
    create_pod,
    delete_pod,
    make_node,
    simple_pod,
    wait_for,
)
from seclet.cri.errors import CRIError
from seclet.cri.fake import Behaviour

JSON = dict[str, Any]
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def run(tmp: Path, body: Callable[[Node], Awaitable[None]], **config: Any) -> None:
    async def scenario() -> None:
        node = make_node(tmp, **config)
        await node.kubelet.start()
        try:
            await body(node)
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def scrub(value: Any) -> Any:
    """Timestamps -> "T", container ids -> "ID" (for exact comparisons)."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str) and TS.match(value):
        return "T"
    if isinstance(value, str) and value.startswith("containerd://"):
        return "containerd://ID"
    return value


def phase(node: Node, name: str, want: str) -> Callable[[], JSON | None]:
    def check() -> JSON | None:
        pod = node.pod(name)
        return pod if pod["status"].get("phase") == want else None

    return check


def waiting_reason(node: Node, name: str, reason: str, init: bool = False) -> Callable[[], Any]:
    key = "initContainerStatuses" if init else "containerStatuses"

    def check() -> JSON | None:
        pod = node.pod(name)
        for s in pod["status"].get(key) or ():
            if (s["state"].get("waiting") or {}).get("reason") == reason:
                return pod
        return None

    return check


def test_pod_is_bound_and_running_with_exact_status(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        pod_body = simple_pod("demo")
        pod_body["spec"]["securityContext"] = {
            "runAsUser": 1000,
            "runAsGroup": 3000,
            "fsGroup": 2000,
        }
        pod_body["spec"]["volumes"] = [{"name": "vol", "emptyDir": {}}]
        pod_body["spec"]["containers"][0]["volumeMounts"] = [
            {"name": "vol", "mountPath": "/data/demo"}
        ]
        create_pod(node, pod_body)
        pod = await wait_for(phase(node, "demo", "Running"))
        assert pod["spec"]["nodeName"] == NODE
        condition = {"lastProbeTime": None, "lastTransitionTime": "T", "observedGeneration": 1}
        assert scrub(pod["status"]) == {
            "observedGeneration": 1,
            "phase": "Running",
            "conditions": [
                {**condition, "type": "PodReadyToStartContainers", "status": "True"},
                {**condition, "type": "Initialized", "status": "True"},
                {**condition, "type": "Ready", "status": "True"},
                {**condition, "type": "ContainersReady", "status": "True"},
                {**condition, "type": "PodScheduled", "status": "True"},
            ],
            "hostIP": "127.0.0.1",
            "hostIPs": [{"ip": "127.0.0.1"}],
            "startTime": "T",
            "containerStatuses": [
                {
                    "name": "demo",
                    "restartCount": 0,
                    "image": "docker.io/library/busybox:1.28",
                    "imageID": pod["status"]["containerStatuses"][0]["imageID"],
                    "containerID": "containerd://ID",
                    "state": {"running": {"startedAt": "T"}},
                    "lastState": {},
                    "user": {
                        "linux": {"uid": 1000, "gid": 3000, "supplementalGroups": [2000, 3000]}
                    },
                    "volumeMounts": [{"mountPath": "/data/demo", "name": "vol"}],
                    "resources": {},
                    "ready": True,
                    "started": True,
                }
            ],
            "qosClass": "BestEffort",
        }
        assert pod["status"]["containerStatuses"][0]["imageID"].startswith(
            "docker.io/library/busybox@sha256:"
        )
        vol = Path(node.kubelet.config.root_dir) / "pods" / pod["metadata"]["uid"]
        vol = vol / "volumes/kubernetes.io~empty-dir/vol"
        st = vol.stat()
        assert oct(st.st_mode & 0o7777) == "0o2777"
        assert st.st_gid == 2000
        lines = node.event_lines("demo")
        assert lines[0] == (
            "Normal",
            "Scheduled",
            "Successfully assigned default/demo to seclet-node",
        )
        assert lines[1:] == [
            (
                "Normal",
                "Pulled",
                'Container image "busybox:1.28" already present on machine and can be '
                "accessed by the pod",
            ),
            ("Normal", "Created", "Created container: demo"),
            ("Normal", "Started", "Started container demo"),
        ]
        created = node.events("demo")[2]
        assert created["involvedObject"]["fieldPath"] == "spec.containers{demo}"
        assert created["source"] == {"component": "kubelet", "host": NODE}

    run(tmp_path, body)


def test_init_containers_run_in_order_first(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("init1", Behaviour(exit_code=0, run_seconds=2))
        node.runtime.behave("init2", Behaviour(exit_code=0, run_seconds=1))
        pod_body = simple_pod("web")
        pod_body["spec"]["initContainers"] = [
            {"name": "init1", "image": "busybox:1.28"},
            {"name": "init2", "image": "busybox:1.28"},
        ]
        create_pod(node, pod_body)
        pending = await wait_for(
            lambda: (p := node.pod("web"))["status"].get("initContainerStatuses") and p
        )
        assert pending["status"]["phase"] == "Pending"
        init = await wait_for(phase(node, "web", "Running"))
        statuses = init["status"]["initContainerStatuses"]
        assert [s["name"] for s in statuses] == ["init1", "init2"]
        for s in statuses:
            assert s["state"]["terminated"]["reason"] == "Completed"
            assert s["state"]["terminated"]["exitCode"] == 0
            assert s["ready"] is True
            assert s["started"] is False
        created = [arg for verb, arg in node.runtime.calls if verb == "CreateContainer"]
        assert created == ["init1", "init2", "web"]
        initialized = init["status"]["conditions"][1]
        assert initialized["type"] == "Initialized"
        assert initialized["status"] == "True"

    run(tmp_path, body)


def test_init_container_pending_status_and_failure_with_never(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("init", Behaviour(exit_code=3, run_seconds=1))
        pod_body = simple_pod("web", restartPolicy="Never")
        pod_body["spec"]["initContainers"] = [{"name": "init", "image": "busybox:1.28"}]
        create_pod(node, pod_body)
        failed = await wait_for(phase(node, "web", "Failed"))
        status = scrub(failed["status"])
        assert status["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 3
        assert status["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Error"
        assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
        conditions = {c["type"]: c for c in status["conditions"]}
        assert conditions["Initialized"]["status"] == "False"
        assert conditions["Initialized"]["reason"] == "ContainersNotInitialized"
        assert conditions["Initialized"]["message"] == "containers with incomplete status: [init]"
        assert conditions["Ready"]["reason"] == "PodFailed"
        assert "CreateContainer" not in [v for v, a in node.runtime.calls if a == "web"]

    run(tmp_path, body)


def test_restart_never_failed_keeps_containers(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("job", Behaviour(exit_code=1, run_seconds=1))
        create_pod(node, simple_pod("job", restartPolicy="Never"))
        pod = await wait_for(phase(node, "job", "Failed"))
        cs = pod["status"]["containerStatuses"][0]
        assert cs["state"]["terminated"]["exitCode"] == 1
        assert cs["ready"] is False
        assert cs["restartCount"] == 0
        conditions = {c["type"]: c for c in pod["status"]["conditions"]}
        assert conditions["PodReadyToStartContainers"]["status"] == "False"
        assert conditions["ContainersReady"]["reason"] == "PodFailed"
        assert "RemoveContainer" not in node.runtime.verbs()
        assert len(node.runtime.containers) == 1

    run(tmp_path, body)


def test_restart_on_failure_succeeded(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("job", Behaviour(exit_code=0, run_seconds=1))
        create_pod(node, simple_pod("job", restartPolicy="OnFailure"))
        pod = await wait_for(phase(node, "job", "Succeeded"))
        conditions = {c["type"]: c for c in pod["status"]["conditions"]}
        assert conditions["Ready"]["reason"] == "PodCompleted"
        assert conditions["ContainersReady"]["reason"] == "PodCompleted"
        assert conditions["Initialized"]["status"] == "True"
        cs = pod["status"]["containerStatuses"][0]
        assert cs["state"]["terminated"]["reason"] == "Completed"

    run(tmp_path, body)


def test_crash_loop_back_off(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("crash", Behaviour(exit_code=1, run_seconds=1))
        created = create_pod(node, simple_pod("crash"))
        uid = created["metadata"]["uid"]
        pod = await wait_for(waiting_reason(node, "crash", "CrashLoopBackOff"), limit=10)
        cs = pod["status"]["containerStatuses"][0]
        assert cs["state"]["waiting"]["message"] == (
            f"back-off 10s restarting failed container=crash pod=crash_default({uid})"
        )
        assert cs["lastState"]["terminated"]["exitCode"] == 1
        assert cs["restartCount"] == 1
        assert pod["status"]["phase"] == "Running"
        conditions = {c["type"]: c for c in pod["status"]["conditions"]}
        assert conditions["Ready"]["message"] == "containers with unready status: [crash]"
        assert conditions["Ready"]["reason"] == "ContainersNotReady"

        def twenty() -> JSON | None:
            p = node.pod("crash")
            s = p["status"]["containerStatuses"][0]
            msg = (s["state"].get("waiting") or {}).get("message", "")
            return p if msg.startswith("back-off 20s") else None

        pod = await wait_for(twenty, limit=10)
        assert pod["status"]["containerStatuses"][0]["restartCount"] == 2
        assert len(node.runtime.containers) == 1  # dead ones beyond the newest are removed
        backoffs = [e for e in node.events("crash") if e["reason"] == "BackOff"]
        assert backoffs[0]["message"] == (
            f"Back-off restarting failed container crash in pod crash_default({uid})"
        )
        assert backoffs[0]["type"] == "Warning"

    run(tmp_path, body)


def test_run_as_non_root_refused(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        pod_body = simple_pod("nonroot")
        pod_body["spec"]["securityContext"] = {"runAsNonRoot": True}
        created = create_pod(node, pod_body)
        uid = created["metadata"]["uid"]
        pod = await wait_for(waiting_reason(node, "nonroot", "CreateContainerConfigError"))
        message = (
            "container has runAsNonRoot and image will run as root "
            f'(pod: "nonroot_default({uid})", container: nonroot)'
        )
        cs = pod["status"]["containerStatuses"][0]
        assert cs["state"]["waiting"] == {
            "reason": "CreateContainerConfigError",
            "message": message,
        }
        assert pod["status"]["phase"] == "Pending"
        assert ("Warning", "Failed", f"Error: {message}") in node.event_lines("nonroot")
        assert "CreateContainer" not in node.runtime.verbs()

    run(tmp_path, body)


def test_run_as_non_root_with_numeric_image_user(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("app:1", user="1000")
        pod_body = simple_pod("app", image="app:1")
        pod_body["spec"]["securityContext"] = {"runAsNonRoot": True}
        create_pod(node, pod_body)
        pod = await wait_for(phase(node, "app", "Running"))
        assert pod["status"]["containerStatuses"][0]["user"]["linux"]["uid"] == 1000

    run(tmp_path, body)


def test_image_pull_failure_then_back_off(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        create_pod(node, simple_pod("nope", image="nosuch:1"))
        pod = await wait_for(waiting_reason(node, "nope", "ErrImagePull"))
        pull_error = (
            "rpc error: code = NotFound desc = failed to pull and unpack image "
            '"docker.io/library/nosuch:1": failed to resolve reference '
            '"docker.io/library/nosuch:1": docker.io/library/nosuch:1: not found'
        )
        assert pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"] == pull_error
        pod = await wait_for(waiting_reason(node, "nope", "ImagePullBackOff"))
        assert pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"] == (
            f'Back-off pulling image "nosuch:1": ErrImagePull: {pull_error}'
        )
        lines = node.event_lines("nope")
        assert ("Normal", "Pulling", 'Pulling image "nosuch:1"') in lines
        assert ("Warning", "Failed", f'Failed to pull image "nosuch:1": {pull_error}') in lines
        assert ("Warning", "Failed", "Error: ErrImagePull") in lines
        assert ("Normal", "BackOff", 'Back-off pulling image "nosuch:1"') in lines
        assert ("Warning", "Failed", "Error: ImagePullBackOff") in lines

    run(tmp_path, body)


def test_image_pulled_and_never_policy(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_registry_image("nginx:1.27", size=1234)
        create_pod(node, simple_pod("web", image="nginx:1.27"))
        await wait_for(phase(node, "web", "Running"))
        pulled = [m for t, r, m in node.event_lines("web") if r == "Pulled"]
        assert re.fullmatch(
            r'Successfully pulled image "nginx:1.27" in (\S+) \(\1 including waiting\)\. '
            r"Image size: 1234 bytes\.",
            pulled[0],
        ), pulled
        body_never = simple_pod("never", image="absent:1")
        body_never["spec"]["containers"][0]["imagePullPolicy"] = "Never"
        create_pod(node, body_never)
        pod = await wait_for(waiting_reason(node, "never", "ErrImageNeverPull"))
        message = 'Container image "absent:1" is not present with pull policy of Never'
        assert pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"] == message
        assert ("Warning", "ErrImageNeverPull", message) in node.event_lines("never")

    run(tmp_path, body)


def test_create_and_start_errors(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        node.runtime.create_errors["bad"] = CRIError("failed to create containerd task: boom")
        node.runtime.start_errors["worse"] = CRIError(
            'failed to create containerd task: exec: "nope": executable file not found in $PATH'
        )
        create_pod(node, simple_pod("bad"))
        create_pod(node, simple_pod("worse"))
        pod = await wait_for(waiting_reason(node, "bad", "CreateContainerError"))
        assert pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"] == (
            "failed to create containerd task: boom"
        )
        await wait_for(
            lambda: any(
                "RunContainerError" in str(s) or "CrashLoopBackOff" in str(s)
                for s in node.pod("worse")["status"].get("containerStatuses") or ()
            )
        )
        assert (
            "Warning",
            "Failed",
            'Error: failed to create containerd task: exec: "nope": executable file not found '
            "in $PATH",
        ) in node.event_lines("worse")

    run(tmp_path, body)


def test_graceful_deletion_removes_pod(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        create_pod(node, simple_pod("gone"))
        await wait_for(phase(node, "gone", "Running"))
        logs = Path(node.kubelet.config.pod_logs_dir)
        log_dirs = await asyncio.to_thread(lambda: list(logs.glob("default_gone_*")))
        assert len(log_dirs) == 1
        delete_pod(node, "gone", grace=7)
        await wait_for(lambda: not node.store.list("pods").items)
        assert ("Normal", "Killing", "Stopping container gone") in node.event_lines("gone")
        stops = [a for v, a in node.runtime.calls if v == "StopContainer"]
        assert stops[0][1] == 7
        assert not node.runtime.sandboxes
        assert not node.runtime.containers
        await wait_for(lambda: not node.kubelet.workers)
        gone = not await asyncio.to_thread(log_dirs[0].exists)
        assert gone  # the kubelet's container GC removes it too

    run(tmp_path, body)


def test_node_object(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        obj = node.store.get("nodes", "", NODE)
        assert obj["metadata"]["labels"] == {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": NODE,
            "kubernetes.io/os": "linux",
        }
        status = obj["status"]
        ready = status["conditions"][-1]
        assert ready["type"] == "Ready"
        assert ready["reason"] == "KubeletReady"
        assert ready["message"] == "kubelet is posting ready status"
        assert [c["status"] for c in status["conditions"]] == ["False", "False", "False", "True"]
        assert status["features"] == {"supplementalGroupsPolicy": True}
        assert status["capacity"]["pods"] == "110"
        assert status["capacity"]["cpu"] == "4"
        assert status["capacity"]["memory"] == "8388608Ki"
        assert status["allocatable"]["memory"] == "8286208Ki"
        info = status["nodeInfo"]
        assert info["containerRuntimeVersion"] == "containerd://v2.1.0-fake"
        assert info["osImage"] == "Debian GNU/Linux 12 (bookworm)"
        assert info["kubeletVersion"].startswith("v1.35.")
        assert info["architecture"] == "amd64"
        assert status["addresses"] == [
            {"type": "InternalIP", "address": "127.0.0.1"},
            {"type": "Hostname", "address": NODE},
        ]
        first = ready["lastHeartbeatTime"]
        await wait_for(
            lambda: (
                node.store.get("nodes", "", NODE)["status"]["conditions"][-1]["lastHeartbeatTime"]
                != first
            ),
            limit=5,
        )

    run(tmp_path, body)


def test_user_namespaces_get_distinct_ranges(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        create_pod(node, simple_pod("a", hostUsers=False))
        create_pod(node, simple_pod("b", hostUsers=False))
        await wait_for(phase(node, "a", "Running"))
        await wait_for(phase(node, "b", "Running"))
        ids = sorted(s.config.userns_host_id or 0 for s in node.runtime.sandboxes.values())
        assert ids == [65536, 131072]

    run(tmp_path, body)


def test_forbidden_sysctl_rejects_pod(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        pod_body = simple_pod("sys")
        pod_body["spec"]["securityContext"] = {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}
        create_pod(node, pod_body)
        pod = await wait_for(phase(node, "sys", "Failed"))
        assert pod["status"]["reason"] == "SysctlForbidden"
        assert pod["status"]["message"] == (
            'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted'
        )

    run(tmp_path, body)


def test_termination_messages(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave(
            "msg", Behaviour(exit_code=0, run_seconds=1, termination_message="all done")
        )
        node.runtime.behave(
            "fallback",
            Behaviour(exit_code=2, run_seconds=1, logs=(("stdout", "a"), ("stderr", "boom"))),
        )
        create_pod(node, simple_pod("msg", restartPolicy="Never"))
        fallback = simple_pod("fallback", restartPolicy="Never")
        fallback["spec"]["containers"][0]["terminationMessagePolicy"] = "FallbackToLogsOnError"
        create_pod(node, fallback)
        pod = await wait_for(phase(node, "msg", "Succeeded"))
        terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
        assert terminated["message"] == "all done"
        pod = await wait_for(phase(node, "fallback", "Failed"))
        terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
        assert terminated["message"] == "a\nboom\n"

    run(tmp_path, body)


def test_image_pull_secrets(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        from seclet.cri.types import AuthConfig

        node.runtime.add_registry_image("localhost:5000/private:1")
        node.runtime.required_auth["localhost:5000/private:1"] = AuthConfig(
            username="u", password="p"
        )
        config = {"auths": {"localhost:5000": {"username": "u", "password": "p"}}}
        node.store.create(
            "secrets",
            "default",
            "regcred",
            {
                "metadata": {"name": "regcred", "namespace": "default"},
                "type": "kubernetes.io/dockerconfigjson",
                "data": {
                    ".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()
                },
            },
        )
        with_secret = simple_pod("priv", image="localhost:5000/private:1")
        with_secret["spec"]["imagePullSecrets"] = [{"name": "regcred"}, {"name": "missing"}]
        create_pod(node, with_secret)
        await wait_for(phase(node, "priv", "Running"))
        assert (
            "Warning",
            "FailedToRetrieveImagePullSecret",
            "Unable to retrieve some image pull secrets (missing); attempting to pull the "
            "image may not succeed.",
        ) in node.event_lines("priv")
        create_pod(node, simple_pod("nocred", image="localhost:5000/private:1"))
        pod = await wait_for(waiting_reason(node, "nocred", "ErrImagePull"))
        message = pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
        assert "authorization failed" in message

    run(tmp_path, body)


def test_sandbox_failure_event(tmp_path: Path) -> None:
    async def body(node: Node) -> None:
        node.runtime.add_image("busybox:1.28")
        node.runtime.sandbox_errors["nosandbox"] = CRIError("failed to start sandbox: boom")
        create_pod(node, simple_pod("nosandbox"))
        await wait_for(
            lambda: (
                (
                    "Warning",
                    "FailedCreatePodSandBox",
                    "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to start "
                    "sandbox: boom",
                )
                in node.event_lines("nosandbox")
            )
        )
        pod = node.pod("nosandbox")
        assert pod["status"]["phase"] == "Pending"
        assert pod["status"]["containerStatuses"][0]["state"] == {
            "waiting": {"reason": "ContainerCreating"}
        }

    run(tmp_path, body)
