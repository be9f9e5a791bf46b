"""Runtime bookkeeping on real runc: re-adoption, listing, removal leaves nothing.

Role: a second ``RuncRuntime`` on the same root sees and drives what the first one
started (state lives on disk); List* filters; Version; idempotent stop/remove and
NotFound for unknown ids; user namespaces (``hostUsers: false``); privileged host
devices; after RemovePodSandbox no mount under the root, no conmon or pause process,
no runc state, no cgroup is left.
Callers: pytest.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from integration.runtime.conftest import Env, with_infra
from integration.runtime.podkit import container_config, pod_from_obj, run, sandbox_config
from seclet.api import models
from seclet.cri.errors import NotFoundError
from seclet.cri.types import (
    ContainerFilter,
    ContainerState,
    PodSandboxFilter,
    PodSandboxState,
)
from seclet.runtime.runc.service import RuncRuntime


def _two_container_pod(name: str, **spec: object) -> models.Pod:
    sleep = ["sleep", "3600"]
    return pod_from_obj(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {
                "containers": [
                    {"name": "a", "image": "busybox:1.28", "command": sleep},
                    {"name": "b", "image": "busybox:1.28", "command": sleep},
                ],
                **spec,
            },
        },
        f"uid-{name}",
    )


async def _start_all(runtime: RuncRuntime, env: Env, pod: models.Pod) -> tuple[str, list[str]]:
    sandbox_cfg = sandbox_config(pod, env.logs)
    sandbox_id = await runtime.run_pod_sandbox(sandbox_cfg)
    ids = []
    for index in range(len((pod.spec or models.PodSpec()).containers)):
        cid = await runtime.create_container(sandbox_id, container_config(pod, index), sandbox_cfg)
        await runtime.start_container(cid)
        ids.append(cid)
    return sandbox_id, ids


def _mounts_under(root: Path) -> list[str]:
    text = Path("/proc/self/mountinfo").read_text()
    return [line for line in text.splitlines() if str(root) in line]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _gone_soon(pids: list[int], within: float = 3.0) -> bool:
    """conmon exits a moment after writing the exit file."""
    deadline = time.monotonic() + within
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _conmon_pid(root: Path, cid: str) -> int:
    return int((root / "containers" / cid / "conmon.pid").read_text())


def _ns(pid: int, kind: str) -> str:
    return str(Path(f"/proc/{pid}/ns/{kind}").readlink())


def _host_block_devices() -> list[str]:
    return [p.name for p in Path("/dev").iterdir() if p.is_block_device()]


def _pod_cgroup_exists(parent: str) -> bool:
    return (Path("/sys/fs/cgroup/memory") / parent.lstrip("/")).exists()


def _cgroup_exists(object_id: str) -> bool:
    """The object's memory cgroup, under any pod cgroup (or containerd's default)."""
    root = Path("/sys/fs/cgroup/memory")
    return any(root.glob(f"kubepods/**/{object_id}")) or (root / "k8s.io" / object_id).exists()


@pytest.mark.parametrize("drop_infra", [True, False], ids=["pinned", "pause"])
def test_readopt_list_and_remove_leaves_nothing(env: Env, drop_infra: bool) -> None:
    env = with_infra(env, drop_infra)

    async def body() -> None:
        sandbox_id, (a, b) = await _start_all(env.runtime, env, _two_container_pod("adopt"))
        pause_pid = (await env.runtime.pod_sandbox_status(sandbox_id)).pid
        conmons = [_conmon_pid(env.root, cid) for cid in (a, b)]
        pins = env.root / "sandboxes" / sandbox_id / "ns"
        if drop_infra:
            # no pause process: the pod's namespaces are pinned under the sandbox
            assert pause_pid == 0
            assert sorted(p.name for p in pins.iterdir()) == ["ipc", "net", "uts"]
            held = _mounts_under(pins)
            assert all(any(f" {pins / n} " in line for line in held) for n in ("ipc", "net", "uts"))
            assert all(" - nsfs " in line for line in held) and len(held) == 3
            pause_pid = conmons[0]  # stands in below: alive now, gone after removal
        else:
            assert not pins.exists()
        assert all(_alive(pid) for pid in [pause_pid, *conmons])
        # a restarted seclet: a new runtime object on the same root
        again = RuncRuntime(env.root, env.images, env.runtime.node, drop_infra=drop_infra)
        status = await again.pod_sandbox_status(sandbox_id)
        assert (status.state, status.pid) == (
            PodSandboxState.SANDBOX_READY,
            0 if drop_infra else pause_pid,
        )
        assert (await again.exec_sync(a, ("id", "-u"))).stdout == b"0\n"
        listed = await again.list_containers(ContainerFilter(pod_sandbox_id=sandbox_id))
        assert {c.id for c in listed} == {a, b}
        assert {c.metadata.name for c in listed} == {"a", "b"}
        await again.stop_container(b, 0)
        running = await again.list_containers(
            ContainerFilter(pod_sandbox_id=sandbox_id, state=ContainerState.CONTAINER_RUNNING)
        )
        assert [c.id for c in running] == [a]
        ready = await again.list_pod_sandbox(PodSandboxFilter(state=PodSandboxState.SANDBOX_READY))
        assert sandbox_id in {s.id for s in ready}
        # stop, then remove: nothing left
        await again.stop_pod_sandbox(sandbox_id)
        await again.stop_pod_sandbox(sandbox_id)
        stopped = await again.pod_sandbox_status(sandbox_id)
        assert (stopped.state, stopped.pid) == (PodSandboxState.SANDBOX_NOTREADY, 0)
        # stopped: the pod's /dev/shm and namespace pins are unmounted
        assert _mounts_under(env.root / "sandboxes" / sandbox_id) == []
        assert (await again.container_status(a)).state == ContainerState.CONTAINER_EXITED
        await again.remove_pod_sandbox(sandbox_id)
        await again.remove_pod_sandbox(sandbox_id)
        assert _mounts_under(env.root / "sandboxes" / sandbox_id) == []
        for cid in (a, b):
            assert _mounts_under(env.root / "containers" / cid) == []
            assert not (env.root / "containers" / cid).exists()
            assert not (env.root / "exits" / cid).exists()
            assert not (env.root / "runc" / cid).exists()
            assert not _cgroup_exists(cid)
        assert not (env.root / "sandboxes" / sandbox_id).exists()
        assert not (env.root / "runc" / sandbox_id).exists()
        assert not _cgroup_exists(sandbox_id)
        # the pod cgroup seclet chose (no kubelet cgroup parent) goes with the sandbox
        assert not _pod_cgroup_exists("/kubepods/besteffort/poduid-adopt")
        assert _gone_soon([pause_pid, *conmons])
        with pytest.raises(NotFoundError, match="not found"):
            await again.container_status(a)
        with pytest.raises(NotFoundError, match="not found"):
            await again.pod_sandbox_status(sandbox_id)
        await again.remove_container(a)

    run(body())


def test_version(env: Env) -> None:
    async def body() -> None:
        version = await env.runtime.version()
        assert version.runtime_name == "runc"
        assert version.runtime_version.startswith("1.")
        assert version.runtime_api_version == "v1"

    run(body())


def test_user_namespace_pod(env: Env) -> None:
    async def body() -> None:
        pod = _two_container_pod("userns", hostUsers=False)
        cfg = sandbox_config(pod, env.logs)
        cfg = type(cfg)(
            metadata=cfg.metadata,
            pod=cfg.pod,
            hostname=cfg.hostname,
            log_directory=cfg.log_directory,
            userns_host_id=65536 * 40,
        )
        sandbox_id = await env.runtime.run_pod_sandbox(cfg)
        cid = await env.runtime.create_container(sandbox_id, container_config(pod), cfg)
        await env.runtime.start_container(cid)
        out = await env.runtime.exec_sync(cid, ("cat", "/proc/self/uid_map"))
        assert out.stdout.split() == [b"0", str(65536 * 40).encode(), b"65536"]
        pause = (await env.runtime.pod_sandbox_status(sandbox_id)).pid
        assert _ns(pause, "user") != _ns(os.getpid(), "user")
        await env.runtime.remove_pod_sandbox(sandbox_id)

    run(body())


def test_privileged_container_gets_host_devices(env: Env) -> None:
    async def body() -> None:
        pod = pod_from_obj(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "priv"},
                "spec": {
                    "containers": [
                        {
                            "name": "p",
                            "image": "busybox:1.28",
                            "command": ["sleep", "3600"],
                            "securityContext": {"privileged": True},
                        }
                    ]
                },
            },
            "uid-priv",
        )
        _, (cid,) = await _start_all(env.runtime, env, pod)
        status = (await env.runtime.exec_sync(cid, ("cat", "/proc/1/status"))).stdout.decode()
        cap_eff = next(line for line in status.splitlines() if line.startswith("CapEff:"))
        assert cap_eff.split()[1] == f"{env.runtime.node.cap_bounding:016x}"
        devices = (await env.runtime.exec_sync(cid, ("ls", "/dev"))).stdout.split()
        host = _host_block_devices()
        assert host
        assert set(host) <= {d.decode() for d in devices}

    run(body())


def test_created_container_removed_without_start(env: Env) -> None:
    async def body() -> None:
        pod = _two_container_pod("created")
        sandbox_cfg = sandbox_config(pod, env.logs)
        sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
        cid = await env.runtime.create_container(sandbox_id, container_config(pod), sandbox_cfg)
        status = await env.runtime.container_status(cid)
        assert (status.state, status.pid, status.started_at) == (
            ContainerState.CONTAINER_CREATED,
            0,
            0,
        )
        rootfs = env.root / "containers" / cid / "rootfs"
        assert _mounts_under(rootfs) != []
        await env.runtime.remove_container(cid)
        assert _mounts_under(rootfs) == []
        assert not (env.root / "containers" / cid).exists()
        assert await env.runtime.list_containers(ContainerFilter(id=cid)) == ()
        await env.runtime.remove_pod_sandbox(sandbox_id)

    run(body())
