"""Sandboxes without a pause process (CRI-O's drop_infra_ctr) on real runc.

Role: which pods keep the pause process (shared PID namespace, privileged container)
and which get pinned namespaces (``<sandbox>/ns/{ipc,net,uts}`` for the kinds they
own, nothing for hostNetwork + hostIPC); what a pinned namespace holds as the pause
container would (the pod's hostname, loopback up, containerd 2's unprivileged port /
ICMP sysctls, the pod's sysctls); a sandbox whose pins are gone is not ready; a
failing sysctl fails RunPodSandbox with the pause path's exact text and leaves
nothing behind; the thread that pinned is back in its own namespaces, failure or not.
Callers: pytest.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import pytest

from integration.runtime.conftest import Env, with_infra
from integration.runtime.podkit import container_config, run, sandbox_config, simple_pod
from seclet.api import models
from seclet.cri.errors import CRIError
from seclet.cri.types import PodSandboxState
from seclet.runtime.runc import mounts

SLEEP = {"command": ["sleep", "3600"]}


async def _start(env: Env, pod: models.Pod) -> tuple[str, str]:
    cfg = sandbox_config(pod, env.logs)
    sandbox_id = await env.runtime.run_pod_sandbox(cfg)
    cid = await env.runtime.create_container(sandbox_id, container_config(pod), cfg)
    await env.runtime.start_container(cid)
    return sandbox_id, cid


def _ns_link(kind: str, path: Path) -> str:
    """What ``readlink /proc/self/ns/<kind>`` prints for the namespace at ``path``."""
    return f"{kind}:[{path.stat().st_ino}]"


def _own_namespaces() -> tuple[str, ...]:
    """The calling thread's network, IPC and UTS namespaces and its hostname."""
    links = tuple(
        str(Path(f"/proc/thread-self/ns/{kind}").readlink()) for kind in ("net", "ipc", "uts")
    )
    return (*links, socket.gethostname())


def _mounts_under(root: Path) -> list[str]:
    text = Path("/proc/self/mountinfo").read_text()
    return [line for line in text.splitlines() if f" {root}/" in line]


@pytest.mark.parametrize(
    ("name", "container", "spec", "pause", "pins"),
    [
        ("plain", SLEEP, {}, False, ["ipc", "net", "uts"]),
        ("hostnet", SLEEP, {"hostNetwork": True}, False, ["ipc"]),
        ("hostnetipc", SLEEP, {"hostNetwork": True, "hostIPC": True}, False, []),
        ("hostpid", SLEEP, {"hostPID": True}, False, ["ipc", "net", "uts"]),
        ("sharepid", SLEEP, {"shareProcessNamespace": True}, True, []),
        ("priv", {**SLEEP, "securityContext": {"privileged": True}}, {}, True, []),
    ],
)
def test_which_pods_keep_a_pause_process(
    env: Env,
    name: str,
    container: dict[str, Any],
    spec: dict[str, Any],
    pause: bool,
    pins: list[str],
) -> None:
    async def body() -> None:
        pod = simple_pod(name, f"uid-pin-{name}", container, **spec)
        own = _own_namespaces()
        sandbox_id, cid = await _start(env, pod)
        assert _own_namespaces() == own
        status = await env.runtime.pod_sandbox_status(sandbox_id)
        assert status.state == PodSandboxState.SANDBOX_READY
        assert (status.pid > 0) is pause
        pin_dir = env.root / "sandboxes" / sandbox_id / "ns"
        got = sorted(p.name for p in pin_dir.iterdir()) if pin_dir.exists() else []
        assert got == pins
        # the container is in the pinned namespaces (or the host's for host ones)
        for kind in ("ipc", "net", "uts"):
            seen = (await env.runtime.exec_sync(cid, ("readlink", f"/proc/self/ns/{kind}"))).stdout
            host = _ns_link(kind, Path(f"/proc/self/ns/{kind}"))
            if kind in pins:
                assert seen.decode().strip() == _ns_link(kind, pin_dir / kind)
            elif not pause:
                assert seen.decode().strip() == host
        await env.runtime.remove_pod_sandbox(sandbox_id)
        assert _mounts_under(env.root / "sandboxes" / sandbox_id) == []
        assert not (env.root / "sandboxes" / sandbox_id).exists()

    run(body())


def test_pinned_namespaces_hold_what_the_pause_process_would(env: Env) -> None:
    async def body() -> None:
        pod = simple_pod(
            "pinned-config",
            "uid-pinned-config",
            SLEEP,
            securityContext={"sysctls": [{"name": "kernel.shm_rmid_forced", "value": "1"}]},
        )
        sandbox_id, cid = await _start(env, pod)
        script = (
            "hostname; cat /sys/class/net/lo/operstate /proc/sys/net/ipv4/ip_unprivileged_port_start"
            " /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/shm_rmid_forced"
        )
        out = (await env.runtime.exec_sync(cid, ("sh", "-c", script))).stdout.decode()
        lines = [line.split() for line in out.splitlines()]
        assert lines[0] == ["pinned-config"]
        assert lines[1][0] in ("unknown", "up")  # loopback's operstate once IFF_UP
        assert lines[2:] == [["0"], ["0", "2147483647"], ["1"]]
        await env.runtime.remove_pod_sandbox(sandbox_id)

    run(body())


def test_lost_pins_make_the_sandbox_not_ready(env: Env) -> None:
    async def body() -> None:
        pod = simple_pod("lost-pins", "uid-lost-pins", SLEEP)
        sandbox_id, _ = await _start(env, pod)
        pin_dir = env.root / "sandboxes" / sandbox_id / "ns"
        assert (await env.runtime.pod_sandbox_status(sandbox_id)).state == (
            PodSandboxState.SANDBOX_READY
        )
        mounts.unmount(pin_dir / "net")
        status = await env.runtime.pod_sandbox_status(sandbox_id)
        assert (status.state, status.pid) == (PodSandboxState.SANDBOX_NOTREADY, 0)
        await env.runtime.remove_pod_sandbox(sandbox_id)
        assert _mounts_under(env.root / "sandboxes" / sandbox_id) == []

    run(body())


@pytest.mark.parametrize(
    ("sysctl", "value", "failure"),
    [
        (
            "net.ipv4.no_such_key",
            "1",
            "open /proc/sys/net/ipv4/no_such_key: no such file or directory",
        ),
        (
            "net.ipv4.ip_local_port_range",
            "60999 32768",
            "write /proc/sys/net/ipv4/ip_local_port_range: invalid argument",
        ),
    ],
)
def test_failing_sysctl_reads_as_the_pause_path_and_leaves_nothing(
    env: Env, sysctl: str, value: str, failure: str
) -> None:
    async def body() -> None:
        texts = []
        for drop_infra in (False, True):
            runtime_env = with_infra(env, drop_infra)
            pod = simple_pod(
                "bad-sysctl",
                "uid-bad-sysctl",
                SLEEP,
                securityContext={"sysctls": [{"name": sysctl, "value": value}]},
            )
            before = {p.name for p in (env.root / "sandboxes").iterdir()}
            own = _own_namespaces()
            with pytest.raises(CRIError) as caught:
                await runtime_env.runtime.run_pod_sandbox(sandbox_config(pod, env.logs))
            assert _own_namespaces() == own
            assert {p.name for p in (env.root / "sandboxes").iterdir()} == before
            texts.append(re.sub(r'sandbox "[0-9a-f]{64}"', 'sandbox "ID"', str(caught.value)))
        assert (
            texts[0]
            == texts[1]
            == (
                'failed to start sandbox "ID": failed to create containerd task: failed to create '
                "shim task: OCI runtime create failed: runc create failed: unable to start container "
                f"process: error during container init: {failure}: unknown"
            )
        )
        assert _mounts_under(env.root / "sandboxes") == []

    run(body())
