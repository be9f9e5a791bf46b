"""The page's securityContext examples, as the kernel enforces them under real runc.

Role: capabilities (``CapEff`` of the first process for security-context-3 and -4:
the page's ``00000000a80425fb`` and ``00000000aa0435fb``), RuntimeDefault seccomp
(``Seccomp: 2``), a read-only root filesystem, NoNewPrivs; exec'd processes get the
container's identity and capabilities; two containers of one pod share the sandbox's
network namespace; pod sysctls reach it.
Callers: pytest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from integration.runtime.conftest import Env, with_infra
from integration.runtime.podkit import (
    container_config,
    load_example,
    pod_from_obj,
    run,
    sandbox_config,
    simple_pod,
)
from seclet.api import models
from seclet.cri.errors import CRIError


def _field(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{key} not in {text!r}")


async def _start(env: Env, pod: models.Pod) -> tuple[str, list[str]]:
    sandbox_cfg = sandbox_config(pod, env.logs)
    sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
    ids = []
    for index in range(len((pod.spec or models.PodSpec()).containers)):
        cid = await env.runtime.create_container(
            sandbox_id, container_config(pod, index), sandbox_cfg
        )
        await env.runtime.start_container(cid)
        ids.append(cid)
    return sandbox_id, ids


async def _proc1(env: Env, cid: str) -> str:
    out = await env.runtime.exec_sync(cid, ("cat", "/proc/1/status"), 10)
    assert out.exit_code == 0, out.stderr
    return out.stdout.decode()


@pytest.mark.parametrize(
    ("example", "cap_eff"),
    [
        ("security-context-3.yaml", "00000000a80425fb"),
        ("security-context-4.yaml", "00000000aa0435fb"),
    ],
)
def test_page_capabilities(env: Env, example: str, cap_eff: str) -> None:
    async def body() -> None:
        _, (cid,) = await _start(env, load_example(example, f"uid-{example}"))
        status = await _proc1(env, cid)
        assert _field(status, "CapEff") == cap_eff
        assert _field(status, "CapPrm") == cap_eff
        assert _field(status, "NoNewPrivs") == "0"
        assert _field(status, "Seccomp") == "0"
        self_status = (await env.runtime.exec_sync(cid, ("cat", "/proc/self/status"))).stdout
        assert _field(self_status.decode(), "CapEff") == cap_eff

    run(body())


def test_runtime_default_seccomp_and_no_new_privs(env: Env) -> None:
    async def body() -> None:
        pod = simple_pod(
            "seccomp",
            "uid-seccomp",
            {"command": ["sleep", "3600"], "securityContext": {"allowPrivilegeEscalation": False}},
            securityContext={"seccompProfile": {"type": "RuntimeDefault"}},
        )
        _, (cid,) = await _start(env, pod)
        status = await _proc1(env, cid)
        assert _field(status, "Seccomp") == "2"
        assert _field(status, "NoNewPrivs") == "1"

    run(body())


def test_read_only_root_filesystem(env: Env) -> None:
    async def body() -> None:
        pod = simple_pod(
            "rofs",
            "uid-rofs",
            {"command": ["sleep", "3600"], "securityContext": {"readOnlyRootFilesystem": True}},
        )
        _, (cid,) = await _start(env, pod)
        out = await env.runtime.exec_sync(cid, ("touch", "/newfile"))
        assert out.exit_code == 1
        assert b"Read-only file system" in out.stderr
        shm = await env.runtime.exec_sync(cid, ("touch", "/dev/shm/ok"))
        assert shm.exit_code == 0

    run(body())


def test_writable_rootfs_is_the_containers_own(env: Env) -> None:
    async def body() -> None:
        pod = simple_pod("rw", "uid-rw", {"command": ["sleep", "3600"]})
        _, (cid,) = await _start(env, pod)
        assert (await env.runtime.exec_sync(cid, ("touch", "/newfile"))).exit_code == 0
        image = env.images.lookup("busybox:1.28")
        assert image is not None
        assert all(not (layer / "newfile").exists() for layer in image.layers)

    run(body())


@pytest.mark.parametrize("drop_infra", [True, False], ids=["pinned", "pause"])
def test_containers_share_the_sandbox_network_namespace(env: Env, drop_infra: bool) -> None:
    env = with_infra(env, drop_infra)

    async def body() -> None:
        pod = pod_from_obj(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "two"},
                "spec": {
                    "securityContext": {
                        "sysctls": [
                            {"name": "net.ipv4.ip_local_port_range", "value": "32768 60999"},
                            {"name": "kernel.shm_rmid_forced", "value": "1"},
                        ]
                    },
                    "containers": [
                        {"name": "a", "image": "busybox:1.28", "command": ["sleep", "3600"]},
                        {"name": "b", "image": "busybox:1.28", "command": ["sleep", "3600"]},
                    ],
                },
            },
            "uid-two",
        )
        sandbox_id, (a, b) = await _start(env, pod)
        cmd = ("sh", "-c", "for n in net uts ipc; do readlink /proc/self/ns/$n; done")
        ns_a = (await env.runtime.exec_sync(a, cmd)).stdout
        ns_b = (await env.runtime.exec_sync(b, cmd)).stdout
        assert ns_a == ns_b
        sandbox = await env.runtime.pod_sandbox_status(sandbox_id)
        if drop_infra:
            pins = env.root / "sandboxes" / sandbox_id / "ns"
            held = [f"{n}:[{(pins / n).stat().st_ino}]".encode() for n in ("net", "uts", "ipc")]
            assert ns_a.splitlines() == held
            pause_net = held[0]
        else:
            pause_net = (_readlink(f"/proc/{sandbox.pid}/ns/net")).encode()
            assert ns_a.splitlines()[0] == pause_net
        assert pause_net != (_readlink("/proc/self/ns/net")).encode()
        pid_a = (await env.runtime.exec_sync(a, ("readlink", "/proc/self/ns/pid"))).stdout
        pid_b = (await env.runtime.exec_sync(b, ("readlink", "/proc/self/ns/pid"))).stdout
        assert pid_a != pid_b
        lo = await env.runtime.exec_sync(a, ("cat", "/sys/class/net/lo/operstate"))
        assert lo.stdout.strip() in (b"unknown", b"up")
        rng = await env.runtime.exec_sync(b, ("cat", "/proc/sys/net/ipv4/ip_local_port_range"))
        assert rng.stdout.split() == [b"32768", b"60999"]
        shm = await env.runtime.exec_sync(a, ("cat", "/proc/sys/kernel/shm_rmid_forced"))
        assert shm.stdout.strip() == b"1"

    run(body())


def _readlink(path: str) -> str:
    return str(Path(path).readlink())


def test_host_network_sysctl_refused(env: Env) -> None:
    async def body() -> None:
        pod = simple_pod(
            "hostnet-sysctl",
            "uid-hostnet-sysctl",
            {"command": ["sleep", "3600"]},
            hostNetwork=True,
            securityContext={"sysctls": [{"name": "net.core.somaxconn", "value": "1024"}]},
        )
        with pytest.raises(
            CRIError, match=r'sysctl "net\.core\.somaxconn" not allowed with host net'
        ):
            await env.runtime.run_pod_sandbox(sandbox_config(pod, env.logs))

    run(body())


def test_host_network_pod_reports_host_ip(env: Env) -> None:
    async def body() -> None:
        pod = simple_pod("hostnet", "uid-hostnet", {"command": ["sleep", "3600"]}, hostNetwork=True)
        sandbox_id, (cid,) = await _start(env, pod)
        assert (await env.runtime.pod_sandbox_status(sandbox_id)).ip == "127.0.0.1"
        ns = (await env.runtime.exec_sync(cid, ("readlink", "/proc/self/ns/net"))).stdout
        assert ns.strip().decode() == _readlink("/proc/self/ns/net")

    run(body())


def test_host_pid_ipc_and_shared_process_namespace(env: Env) -> None:
    async def body() -> None:
        host = simple_pod(
            "hostpid", "uid-hostpid", {"command": ["sleep", "3600"]}, hostPID=True, hostIPC=True
        )
        _, (cid,) = await _start(env, host)
        for kind in ("pid", "ipc"):
            got = await env.runtime.exec_sync(cid, ("readlink", f"/proc/self/ns/{kind}"))
            assert got.stdout.strip().decode() == _readlink(f"/proc/self/ns/{kind}")
        shared = simple_pod(
            "sharepid", "uid-sharepid", {"command": ["sleep", "3600"]}, shareProcessNamespace=True
        )
        _, (cid,) = await _start(env, shared)
        comm = await env.runtime.exec_sync(cid, ("cat", "/proc/1/cmdline"))
        assert comm.stdout == b"/catatonit\x00-P\x00"

    run(body())
