"""The real kubectl against the API server with this kubelet on the fake runtime.

Role: the kubelet's objects as kubectl shows them: ``get pods`` columns, ``logs``,
``exec``, graceful ``delete`` finished by the kubelet, ``get events``, nodes (with the
node's Lease in ``describe node``).
Skips without ``.venv/bin/kubectl`` (tools/get_kubectl.py installs it).
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from integration.kubelet.harness import HOST, NODE
from seclet.apiserver.server import Server, ServerConfig
from seclet.cri.fake import Behaviour, FakeExecSession, FakeRuntime
from seclet.host.facts import NodeFacts
from seclet.kubelet.clock import SystemClock
from seclet.kubelet.config import KubeletConfig
from seclet.kubelet.kubelet import Kubelet
from seclet.store.memory import MemoryStore

KUBECTL = Path(sys.prefix) / "bin" / "kubectl"


@dataclass
class Cluster:
    runtime: FakeRuntime
    kubeconfig: Path

    def kubectl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            check=False,
            text=True,
            timeout=60,
            env={**os.environ, "KUBECACHEDIR": str(self.kubeconfig.parent / "cache")},
        )

    def wait(self, *args: str, want: str, limit: float = 10.0) -> str:
        end = time.monotonic() + limit
        out = ""
        while time.monotonic() < end:
            out = self.kubectl(*args).stdout
            if want in out:
                return out
            time.sleep(0.1)
        raise AssertionError(f"{want!r} not in {out!r}")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    if not KUBECTL.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{KUBECTL} is missing: run tools/get_kubectl.py")
        pytest.skip(f"{KUBECTL} is missing (tools/get_kubectl.py installs it)")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    store = MemoryStore()
    runtime = FakeRuntime()
    config = KubeletConfig(
        node_name=NODE,
        root_dir=str(tmp_path / "kubelet"),
        pod_logs_dir=str(tmp_path / "logs"),
        sync_period=0.2,
    )
    kubelet = Kubelet(
        store, runtime, runtime, config, NodeFacts.reference(), clock=SystemClock(), host=HOST
    )
    kubeconfig = tmp_path / "kubeconfig.yaml"
    server = Server(
        ServerConfig(data_dir=tmp_path / "data", port=0, kubeconfig=kubeconfig),
        store=store,
        node_client=kubelet.node_client,
    )

    async def start() -> None:
        await server.start()
        await kubelet.start()

    async def stop() -> None:
        await kubelet.stop()
        await server.stop()

    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield Cluster(runtime, kubeconfig)
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_kubectl_run_logs_exec_delete(cluster: Cluster) -> None:
    cluster.runtime.add_image("busybox:1.28")
    cluster.runtime.behave("web", Behaviour(logs=(("stdout", "hello"), ("stderr", "oops"))))
    cluster.runtime.exec_results[("id",)] = FakeExecSession(stdout=b"uid=0(root)\n")
    assert cluster.kubectl("run", "web", "--image=busybox:1.28").returncode == 0
    out = cluster.wait("get", "pod", "web", want="Running")
    assert out.splitlines()[1].split()[:4] == ["web", "1/1", "Running", "0"]
    assert cluster.kubectl("logs", "web").stdout == "hello\noops\n"
    assert cluster.kubectl("logs", "web", "--tail=1").stdout == "oops\n"
    exec_out = cluster.kubectl("exec", "web", "--", "id")
    assert exec_out.stdout == "uid=0(root)\n", exec_out.stderr
    pod = json.loads(cluster.kubectl("get", "pod", "web", "-o", "json").stdout)
    assert pod["status"]["containerStatuses"][0]["containerID"].startswith("containerd://")
    events = cluster.kubectl("get", "events").stdout
    assert "Successfully assigned default/web to seclet-node" in events
    assert "Started container web" in events
    deleted = cluster.kubectl("delete", "pod", "web", "--wait=true", "--timeout=20s")
    assert deleted.returncode == 0, deleted.stderr
    assert "NotFound" in cluster.kubectl("get", "pod", "web").stderr
    assert "Stopping container web" in cluster.kubectl("get", "events").stdout


def test_kubectl_sees_pull_errors_and_refusals(cluster: Cluster) -> None:
    assert cluster.kubectl("run", "nope", "--image=nosuch:1").returncode == 0
    # On the 100x clock ErrImagePull turns into ImagePullBackOff within milliseconds:
    # wait for the pod to show the pull failing, then find ErrImagePull in its events.
    cluster.wait("get", "pod", "nope", want="ImagePull")
    cluster.wait(
        "get", "events", "--field-selector=involvedObject.name=nope", want="Error: ErrImagePull"
    )
    logs = cluster.kubectl("logs", "nope")
    assert logs.returncode != 0
    assert 'container "nope" in pod "nope" is waiting to start' in logs.stderr


def test_kubectl_get_node(cluster: Cluster) -> None:
    out = cluster.kubectl("get", "nodes").stdout.splitlines()
    assert out[1].split()[:2] == [NODE, "Ready"]
    described = cluster.kubectl("describe", "node", NODE).stdout
    assert "kubelet is posting ready status" in described
    assert "containerd://v2.1.0-fake" in described
    lease = re.search(
        r"\nLease:\n  HolderIdentity:  (\S+)\n  AcquireTime:     (.+)\n  RenewTime:       (.+)\n",
        described,
    )
    assert lease is not None, described
    assert lease.group(1) == NODE
    assert lease.group(2) == "<unset>"
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", lease.group(3))
    got = json.loads(
        cluster.kubectl("get", "lease", NODE, "-n", "kube-node-lease", "-o", "json").stdout
    )
    assert got["spec"]["holderIdentity"] == NODE
    assert got["spec"]["leaseDurationSeconds"] == 40
    assert got["metadata"]["ownerReferences"][0]["kind"] == "Node"


def test_kubectl_exec_into_a_stopped_container(cluster: Cluster) -> None:
    cluster.runtime.add_image("busybox:1.28")
    cluster.runtime.behave("crash", Behaviour(exit_code=1, run_seconds=0))
    assert cluster.kubectl("run", "crash", "--image=busybox:1.28").returncode == 0
    cluster.wait("get", "pod", "crash", want="CrashLoopBackOff", limit=20)
    out = cluster.kubectl("exec", "crash", "--", "true")
    assert out.returncode == 1
    assert out.stderr == 'error: unable to upgrade connection: container not found ("crash")\n'
