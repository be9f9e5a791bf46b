"""The page's first pod on real runc: sandbox, container, exec, logs, status, cleanup.

Role: drive ``RuncRuntime`` as the kubelet would for ``security-context.yaml`` and
small busybox pods, checking what the page shows (``id`` in an exec'd shell), the
first process's kernel view (``/proc/1/status``), CRI logs, exit codes, stop, and
that removal leaves no mounts or processes.
Callers: pytest.
"""

from __future__ import annotations

from integration.runtime.conftest import Env
from integration.runtime.podkit import (
    container_config,
    load_example,
    run,
    sandbox_config,
)
from seclet.cri.types import ContainerState, PodSandboxState


async def _start_pod(env: Env, pod_file: str, uid: str) -> tuple[str, str]:
    pod = load_example(pod_file, uid)
    sandbox_cfg = sandbox_config(pod, env.logs)
    sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
    cid = await env.runtime.create_container(sandbox_id, container_config(pod), sandbox_cfg)
    await env.runtime.start_container(cid)
    return sandbox_id, cid


def _status_field(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{key} not in {text!r}")


def test_page_pod_id_and_status(env: Env) -> None:
    async def body() -> None:
        sandbox_id, cid = await _start_pod(env, "security-context.yaml", "uid-page-1")
        status = await env.runtime.container_status(cid)
        assert status.state == ContainerState.CONTAINER_RUNNING
        assert status.pid > 0
        assert status.user is not None
        assert (status.user.uid, status.user.gid) == (1000, 3000)
        assert status.user.supplemental_groups == (2000, 3000, 4000)
        out = await env.runtime.exec_sync(cid, ("id",), 10)
        assert out.exit_code == 0
        assert out.stdout.decode().strip() == "uid=1000 gid=3000 groups=2000,3000,4000"
        proc1 = (await env.runtime.exec_sync(cid, ("cat", "/proc/1/status"))).stdout.decode()
        assert _status_field(proc1, "NoNewPrivs") == "1"
        assert _status_field(proc1, "CapEff") == "0000000000000000"
        sandbox = await env.runtime.pod_sandbox_status(sandbox_id)
        assert sandbox.state == PodSandboxState.SANDBOX_READY
        assert sandbox.ip == ""
        assert sandbox.pid > 0
        host = (await env.runtime.exec_sync(cid, ("hostname",))).stdout.decode().strip()
        assert host == "security-context-demo"

    run(body())
