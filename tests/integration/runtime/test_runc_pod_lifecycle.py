"""The page's first pod on real runc: sandbox, container, exec, logs, status, cleanup.

Role: drive ``RuncRuntime`` as the kubelet would for ``security-context.yaml`` and
small busybox pods, checking what the page shows (``id`` in an exec'd shell), the
first process's kernel view (``/proc/1/status``), CRI logs, exit codes, stop, and
that removal leaves no mounts or processes.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
from pathlib import Path

import pytest

from integration.runtime.conftest import Env, with_infra
from integration.runtime.podkit import (
    container_config,
    load_example,
    run,
    sandbox_config,
    simple_pod,
)
from seclet.cri.errors import CRIError, FailedPreconditionError, ImageNotFoundError
from seclet.cri.types import ContainerState, ImageSpec, PodSandboxState


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


@pytest.mark.parametrize("drop_infra", [True, False], ids=["pinned", "pause"])
def test_page_pod_id_and_status(env: Env, drop_infra: bool) -> None:
    env = with_infra(env, drop_infra)

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
        if drop_infra:
            assert sandbox.pid == 0
        else:
            assert sandbox.pid > 0
            floor = env.runtime.node.oom_score_adj_floor
            pause_adj = -998 if floor is None else max(-998, floor)
            assert _read(f"/proc/{sandbox.pid}/oom_score_adj").strip() == str(pause_adj)
        host = (await env.runtime.exec_sync(cid, ("hostname",))).stdout.decode().strip()
        assert host == "security-context-demo"

    run(body())


async def _run_simple(env: Env, name: str, container: dict[str, object], **spec: object) -> str:
    pod = simple_pod(name, f"uid-{name}", container, **spec)
    sandbox_cfg = sandbox_config(pod, env.logs)
    sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
    cid = await env.runtime.create_container(sandbox_id, container_config(pod), sandbox_cfg)
    await env.runtime.start_container(cid)
    return cid


async def _wait_exited(env: Env, cid: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while (await env.runtime.container_status(cid)).state != ContainerState.CONTAINER_EXITED:
        assert time.monotonic() < deadline, "container did not exit"
        await asyncio.sleep(0.02)


async def _wait_execed(env: Env, cid: str, comm: str) -> None:
    """Until the first process runs ``comm``: before its execve the process is still
    runc's init, which a SIGTERM ends (the PID-1 signal rules spare only a process
    without handlers)."""
    pid = (await env.runtime.container_status(cid)).pid
    deadline = time.monotonic() + 5
    while _read(f"/proc/{pid}/comm").strip() != comm:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        return ""


_LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(?:Z|[+-]\d\d:\d\d) (stdout|stderr) ([PF]) (.*)$"
)


def test_failing_command_logs_exit_code_and_reason(env: Env) -> None:
    async def body() -> None:
        cid = await _run_simple(
            env, "fail", {"command": ["sh", "-c", "echo hello; echo oops >&2; exit 3"]}
        )
        await _wait_exited(env, cid)
        status = await env.runtime.container_status(cid)
        assert (status.exit_code, status.reason) == (3, "Error")
        assert status.finished_at >= status.started_at > 0
        assert status.pid == 0
        lines = _read(status.log_path).splitlines()
        parsed = [m.groups() for m in map(_LOG_LINE.match, lines) if m is not None]
        assert len(parsed) == len(lines)
        assert sorted(parsed) == [("stderr", "F", "oops"), ("stdout", "F", "hello")]

    run(body())


def test_completed_reason(env: Env) -> None:
    async def body() -> None:
        cid = await _run_simple(env, "ok", {"command": ["true"]})
        await _wait_exited(env, cid)
        status = await env.runtime.container_status(cid)
        assert (status.exit_code, status.reason) == (0, "Completed")

    run(body())


def test_start_failure_carries_runc_text(env: Env) -> None:
    async def body() -> None:
        pod = simple_pod("nosuch", "uid-nosuch", {"command": ["nosuch"]})
        sandbox_cfg = sandbox_config(pod, env.logs)
        sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
        cid = await env.runtime.create_container(sandbox_id, container_config(pod), sandbox_cfg)
        with pytest.raises(CRIError) as info:
            await env.runtime.start_container(cid)
        assert info.value.message == (
            "failed to create containerd task: failed to create shim task: OCI runtime "
            "create failed: runc create failed: unable to start container process: "
            'exec: "nosuch": executable file not found in $PATH: unknown'
        )
        status = await env.runtime.container_status(cid)
        assert (status.state, status.exit_code, status.reason) == (
            ContainerState.CONTAINER_EXITED,
            128,
            "StartError",
        )
        assert status.message == info.value.message

    run(body())


def test_missing_image_is_not_found(env: Env) -> None:
    async def body() -> None:
        pod = simple_pod("noimage", "uid-noimage", {"image": "nosuch:1", "command": ["true"]})
        sandbox_cfg = sandbox_config(pod, env.logs)
        sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
        with pytest.raises(ImageNotFoundError, match='failed to resolve image "nosuch:1"'):
            await env.runtime.create_container(sandbox_id, container_config(pod), sandbox_cfg)

    run(body())


def test_stop_honours_term_trap_within_grace(env: Env) -> None:
    async def body() -> None:
        script = 'trap "echo bye; exit 0" TERM; echo ready; while true; do sleep 0.05; done'
        cid = await _run_simple(env, "trap", {"command": ["sh", "-c", script]})
        log = (await env.runtime.container_status(cid)).log_path
        deadline = time.monotonic() + 5
        while "stdout F ready" not in _read(log):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await env.runtime.stop_container(cid, 10)
        assert time.monotonic() - started < 3
        status = await env.runtime.container_status(cid)
        assert (status.exit_code, status.reason) == (0, "Completed")
        assert "stdout F bye" in _read(status.log_path)

    run(body())


_STOP_SCRIPT = (
    'trap "echo usr1; exit 0" USR1; trap "echo term; exit 1" TERM; '
    "echo ready; while true; do sleep 0.05; done"
)


async def _stop_with(env: Env, name: str, container: dict[str, object]) -> tuple[int, str]:
    cid = await _run_simple(env, name, {"command": ["sh", "-c", _STOP_SCRIPT], **container})
    log = (await env.runtime.container_status(cid)).log_path
    deadline = time.monotonic() + 5
    while "stdout F ready" not in _read(log):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    await env.runtime.stop_container(cid, 10)
    status = await env.runtime.container_status(cid)
    return status.exit_code, _read(status.log_path)


def test_stop_signal_image_then_lifecycle(env: Env) -> None:
    """containerd: lifecycle.stopSignal > the image's StopSignal > SIGTERM."""

    async def body() -> None:
        code, log = await _stop_with(env, "stop-image", {"image": "busybox:stop-usr1"})
        assert code == 0 and "stdout F usr1" in log
        code, log = await _stop_with(
            env,
            "stop-lifecycle",
            {"image": "busybox:stop-usr1", "lifecycle": {"stopSignal": "SIGTERM"}},
        )
        assert code == 1 and "stdout F term" in log
        code, log = await _stop_with(env, "stop-default", {})
        assert code == 1 and "stdout F term" in log

    run(body())


def test_stop_kills_after_grace(env: Env) -> None:
    async def body() -> None:
        cid = await _run_simple(env, "stubborn", {"command": ["sleep", "3600"]})
        await _wait_execed(env, cid, "sleep")
        started = time.monotonic()
        await env.runtime.stop_container(cid, 1)
        elapsed = time.monotonic() - started
        assert 1 <= elapsed < 4
        status = await env.runtime.container_status(cid)
        assert (status.exit_code, status.reason) == (137, "Error")
        await env.runtime.stop_container(cid, 1)  # idempotent
        with pytest.raises(FailedPreconditionError) as info:
            await env.runtime.start_container(cid)
        assert info.value.message == (
            f'failed to set starting state for container "{cid}": '
            "container is in CONTAINER_EXITED state"
        )
        with pytest.raises(FailedPreconditionError, match="container is in CONTAINER_EXITED"):
            await env.runtime.exec_sync(cid, ("true",))

    run(body())


def test_exec_sync_timeout(env: Env) -> None:
    async def body() -> None:
        cid = await _run_simple(env, "slow", {"command": ["sleep", "3600"]})
        with pytest.raises(CRIError, match=r"^timeout 1s exceeded: context deadline exceeded$"):
            await env.runtime.exec_sync(cid, ("sleep", "30"), 1)
        out = await env.runtime.exec_sync(cid, ("sh", "-c", "exit 7"))
        assert out.exit_code == 7
        with pytest.raises(CRIError, match=r"OCI runtime exec failed: .*executable file not found"):
            await env.runtime.exec_sync(cid, ("nosuch",))

    run(body())


def _cgroup_file(cgroups_path: str, controller: str, name: str) -> Path:
    return Path("/sys/fs/cgroup") / controller / cgroups_path.lstrip("/") / name


def test_oom_killed_reason(env: Env) -> None:
    """A real ``resources.limits.memory``: the kubelet's numbers reach the spec, runc
    puts the container in a memory cgroup under the pod's, the kernel kills."""

    async def body() -> None:
        pod = simple_pod(
            "oom",
            "uid-oom",
            {
                "command": ["dd", "if=/dev/zero", "of=/dev/null", "bs=256M"],
                "resources": {"limits": {"memory": "16Mi", "cpu": "500m"}},
            },
        )
        sandbox_cfg = sandbox_config(pod, env.logs)
        sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
        cid = await env.runtime.create_container(sandbox_id, container_config(pod), sandbox_cfg)
        spec = json.loads((env.root / "containers" / cid / "config.json").read_text())
        assert spec["linux"]["cgroupsPath"] == f"/kubepods/pod{'uid-oom'}/{cid}"  # Guaranteed
        assert spec["linux"]["resources"]["memory"] == {"limit": 16777216, "swap": 16777216}
        assert spec["linux"]["resources"]["cpu"] == {
            "shares": 512,
            "quota": 50000,
            "period": 100000,
        }
        floor = env.runtime.node.oom_score_adj_floor
        assert spec["process"]["oomScoreAdj"] == (-997 if floor is None else max(-997, floor))
        await env.runtime.start_container(cid)
        cgroups_path = spec["linux"]["cgroupsPath"]
        limit = _cgroup_file(cgroups_path, "memory", "memory.limit_in_bytes")
        if limit.exists():  # cgroup v1 / hybrid
            assert limit.read_text().strip() == "16777216"
            quota = _cgroup_file(cgroups_path, "cpu", "cpu.cfs_quota_us")
            assert quota.read_text().strip() == "50000"
        await _wait_exited(env, cid)
        status = await env.runtime.container_status(cid)
        assert (status.exit_code, status.reason) == (137, "OOMKilled")
        await env.runtime.remove_pod_sandbox(sandbox_id)
        assert not _cgroup_file("/kubepods/poduid-oom", "memory", "").exists()

    run(body())


def test_oom_score_adj_reaches_the_process(env: Env) -> None:
    """BestEffort 1000, Burstable by the formula, Guaranteed -997 raised to this
    host's floor (runc would refuse -997 without CAP_SYS_RESOURCE)."""

    async def body() -> None:
        node = env.runtime.node
        cases = [
            ("adj-be", {}, 1000),
            (
                "adj-g",
                {"resources": {"limits": {"cpu": "100m", "memory": "64Mi"}}},
                -997 if node.oom_score_adj_floor is None else max(-997, node.oom_score_adj_floor),
            ),
            (
                "adj-b",
                {"resources": {"requests": {"memory": "64Mi"}}},
                1000 - (1000 * 67108864) // node.memory_capacity,
            ),
        ]
        for name, fields, expected in cases:
            cid = await _run_simple(env, name, {"command": ["sleep", "30"], **fields})
            pid = (await env.runtime.container_status(cid)).pid
            assert _read(f"/proc/{pid}/oom_score_adj").strip() == str(expected)

    run(body())


def _rotate(log: Path) -> None:
    log.rename(log.with_name(log.name + ".1"))


def test_reopen_container_log(env: Env) -> None:
    async def body() -> None:
        script = "while true; do echo tick; sleep 0.05; done"
        cid = await _run_simple(env, "rotate", {"command": ["sh", "-c", script]})
        log = Path((await env.runtime.container_status(cid)).log_path)
        deadline = time.monotonic() + 5
        while "tick" not in _read(str(log)):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        _rotate(log)
        await env.runtime.reopen_container_log(cid)
        while "tick" not in _read(str(log)):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        # the log's directory gone: refused here, since conmon would exit on it
        moved = log.parent.with_name(log.parent.name + ".moved")
        log.parent.rename(moved)
        try:
            with pytest.raises(CRIError) as refused:
                await env.runtime.reopen_container_log(cid)
            assert refused.value.message == (
                f"failed to create and open log file: open {log}: no such file or directory"
            )
            status = await env.runtime.container_status(cid)
            assert status.state == ContainerState.CONTAINER_RUNNING
        finally:
            moved.rename(log.parent)
        await env.runtime.stop_container(cid, 0)
        with pytest.raises(FailedPreconditionError, match="container is not running"):
            await env.runtime.reopen_container_log(cid)

    run(body())


@pytest.mark.parametrize(
    ("example", "line", "groups"),
    [
        (
            "security-context-5.yaml",
            "uid=1000 gid=3000 groups=3000,4000,50000",
            (3000, 4000, 50000),
        ),
        ("security-context-6.yaml", "uid=1000 gid=3000 groups=3000,4000", (3000, 4000)),
    ],
)
def test_supplemental_groups_policy_examples(
    env: Env, example: str, line: str, groups: tuple[int, ...]
) -> None:
    async def body() -> None:
        _, cid = await _start_pod(env, example, f"uid-{example}")
        out = (await env.runtime.exec_sync(cid, ("id",))).stdout.decode().strip()
        # the stand-in image names uid 1000 and gid 50000; the page prints ids only
        assert re.sub(r"\([^)]*\)", "", out) == line
        user = (await env.runtime.container_status(cid)).user
        assert user is not None
        assert (user.uid, user.gid, user.supplemental_groups) == (1000, 3000, groups)

    run(body())


def test_status_image_is_the_first_repo_tag(env: Env) -> None:
    """The kubelet creates with the image id; ContainerStatus answers the image's
    first repo tag and first repo digest (containerd), ListContainers the id."""

    async def body() -> None:
        pod = simple_pod("imgtag", "uid-imgtag", {"command": ["sleep", "30"]})
        stored = env.images.lookup("busybox:1.28")
        assert stored is not None
        image_id = stored.image.id
        sandbox_cfg = sandbox_config(pod, env.logs)
        sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
        req = dataclasses.replace(container_config(pod), image=ImageSpec(image=image_id))
        cid = await env.runtime.create_container(sandbox_id, req, sandbox_cfg)
        status = await env.runtime.container_status(cid)
        assert status.image.image == "docker.io/library/busybox:1.28"
        assert status.image_id == image_id
        assert status.image_ref == "docker.io/library/busybox@sha256:" + f"{100:064x}"
        (listed,) = [c for c in await env.runtime.list_containers() if c.id == cid]
        assert (listed.image.image, listed.image_ref) == (image_id, image_id)
        hello = load_example("security-context-2.yaml", "uid-imgtag-2")
        hello_cfg = sandbox_config(hello, env.logs)
        hello_sandbox = await env.runtime.run_pod_sandbox(hello_cfg)
        hello_cid = await env.runtime.create_container(
            hello_sandbox, container_config(hello), hello_cfg
        )
        got = await env.runtime.container_status(hello_cid)
        assert got.image.image == "gcr.io/google-samples/hello-app:2.0"
        await env.runtime.remove_pod_sandbox(hello_sandbox)
        await env.runtime.remove_pod_sandbox(sandbox_id)

    run(body())
