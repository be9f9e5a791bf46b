"""The real kubectl's node commands against the API server, this kubelet and the scheduler.

Role: ``kubectl cordon``/``uncordon``, ``label``, ``taint`` and ``drain`` (evictions)
as a 1.35 cluster answers them, with the kubelet on the fake runtime, its scheduler
(``seclet.kubelet.binder`` + ``nodefilters``), the node lifecycle and taint eviction
controllers: a new pod stays Pending with the exact FailedScheduling text in
``kubectl describe pod`` while the node is cordoned, tainted or unlabeled, and runs
once that changes; a NoExecute taint evicts running pods; drain evicts them all.
Skips without ``.venv/bin/kubectl``.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.kubelet.harness import HOST, NODE
from integration.kubelet.test_kubelet_kubectl import KUBECTL, Cluster
from seclet.apiserver.server import Server, ServerConfig
from seclet.controllers.core import start_core
from seclet.controllers.enabled import NODE_LIFECYCLE, TAINT_EVICTION
from seclet.cri.fake import FakeRuntime
from seclet.host.facts import NodeFacts
from seclet.kubelet.clock import SystemClock
from seclet.kubelet.config import KubeletConfig
from seclet.kubelet.kubelet import Kubelet
from seclet.store.memory import MemoryStore

TAIL = " preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."


@pytest.fixture
def node_cluster(tmp_path: Path) -> Iterator[Cluster]:
    if not KUBECTL.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{KUBECTL} is missing: run tools/get_kubectl.py")
        pytest.skip(f"{KUBECTL} is missing (tools/get_kubectl.py installs it)")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    store = MemoryStore()
    runtime = FakeRuntime()
    runtime.add_image("busybox:1.28")
    config = KubeletConfig(
        node_name=NODE,
        root_dir=str(tmp_path / "kubelet"),
        pod_logs_dir=str(tmp_path / "logs"),
        sync_period=0.2,
        node_status_update_frequency=0.2,
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
    managers = []

    async def start() -> None:
        await server.start()
        await kubelet.start()
        managers.append(await start_core(store, "", lambda name: name in (NODE_LIFECYCLE, TAINT_EVICTION)))

    async def stop() -> None:
        for manager in managers:
            if manager is not None:
                await manager.stop()
        await kubelet.binder.close()  # Kubelet.stop leaves the scheduler's watch running
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


def _run(cluster: Cluster, name: str, spec: dict[str, object] | None = None) -> None:
    args = ["run", name, "--image=busybox:1.28"]
    if spec:
        args.append("--overrides=" + json.dumps({"apiVersion": "v1", "spec": spec}))
    out = cluster.kubectl(*args)
    assert (out.returncode, out.stdout) == (0, f"pod/{name} created\n"), out.stderr


def _pending_with(cluster: Cluster, name: str, reason: str) -> None:
    message = f"0/1 nodes are available: {reason}." + TAIL
    described = cluster.wait("describe", "pod", name, want=message)
    assert f"default-scheduler  {message}\n" in described
    assert "  Warning  FailedScheduling  " in described
    assert "\nStatus:       Pending\n" in described
    pod = json.loads(cluster.kubectl("get", "pod", name, "-o", "json").stdout)
    assert "nodeName" not in pod["spec"]
    (cond,) = [c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"]
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", message)


def test_cordon_keeps_new_pods_pending_until_uncordon(node_cluster: Cluster) -> None:
    c = node_cluster
    out = c.kubectl("cordon", NODE)
    assert (out.returncode, out.stdout, out.stderr) == (0, f"node/{NODE} cordoned\n", "")
    described = c.wait(
        "describe", "node", NODE,
        want="Taints:             node.kubernetes.io/unschedulable:NoSchedule\n",
    )
    assert "Unschedulable:      true\n" in described
    c.wait(
        "describe", "node", NODE,
        want="  Normal  NodeNotSchedulable  ",
    )
    described = c.kubectl("describe", "node", NODE).stdout
    assert f"kubelet  Node {NODE} status is now: NodeNotSchedulable\n" in described
    row = c.kubectl("get", "node", NODE).stdout.splitlines()[1].split()
    assert row[1] == "Ready,SchedulingDisabled"
    _run(c, "waiter")
    _pending_with(c, "waiter", "1 node(s) were unschedulable")
    out = c.kubectl("uncordon", NODE)
    assert (out.returncode, out.stdout) == (0, f"node/{NODE} uncordoned\n")
    c.wait("get", "pod", "waiter", want="Running")
    assert c.kubectl("uncordon", NODE).stdout == f"node/{NODE} already uncordoned\n"
    c.wait("describe", "node", NODE, want="Taints:             <none>\n")
    assert "Unschedulable:      false\n" in c.kubectl("describe", "node", NODE).stdout


def test_node_selector_waits_for_the_label(node_cluster: Cluster) -> None:
    c = node_cluster
    _run(c, "picky", {"nodeSelector": {"disk": "ssd"}})
    _pending_with(c, "picky", "1 node(s) didn't match Pod's node affinity/selector")
    out = c.kubectl("label", "node", NODE, "disk=ssd")
    assert (out.returncode, out.stdout) == (0, f"node/{NODE} labeled\n")
    c.wait("get", "pod", "picky", want="Running")


def test_taint_and_toleration(node_cluster: Cluster) -> None:
    c = node_cluster
    out = c.kubectl("taint", "node", NODE, "dedicated=gpu:NoSchedule")
    assert (out.returncode, out.stdout) == (0, f"node/{NODE} tainted\n")
    c.wait("describe", "node", NODE, want="Taints:             dedicated=gpu:NoSchedule\n")
    _run(c, "plain")
    _pending_with(c, "plain", "1 node(s) had untolerated taint(s)")
    toleration = {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
    _run(c, "tolerant", {"tolerations": [toleration]})
    c.wait("get", "pod", "tolerant", want="Running")
    assert "Pending" in c.kubectl("get", "pod", "plain").stdout
    out = c.kubectl("taint", "node", NODE, "dedicated-")
    assert (out.returncode, out.stdout) == (0, f"node/{NODE} untainted\n")
    c.wait("get", "pod", "plain", want="Running")


def test_drain_evicts_the_pods(node_cluster: Cluster) -> None:
    c = node_cluster
    _run(c, "first")
    _run(c, "second")
    c.wait("get", "pod", "first", want="Running")
    c.wait("get", "pod", "second", want="Running")
    out = c.kubectl("drain", NODE, "--ignore-daemonsets", "--force", "--timeout=60s")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # kubectl evicts concurrently: the per-pod lines come in any order
    assert lines[0] == f"node/{NODE} cordoned"
    assert sorted(lines[1:3]) == ["evicting pod default/first", "evicting pod default/second"]
    assert sorted(lines[3:5]) == ["pod/first evicted", "pod/second evicted"]
    assert lines[5:] == [f"node/{NODE} drained"]
    assert out.stderr == (
        "Warning: deleting Pods that declare no controller: default/first, default/second\n"
    )
    assert c.kubectl("get", "pods").stderr == "No resources found in default namespace.\n"


def test_no_execute_taint_evicts_running_pods(node_cluster: Cluster) -> None:
    c = node_cluster
    _run(c, "victim")
    c.wait("get", "pod", "victim", want="Running")
    out = c.kubectl("taint", "node", NODE, "maintenance=now:NoExecute")
    assert (out.returncode, out.stdout) == (0, f"node/{NODE} tainted\n")
    c.wait("get", "events", want="Marking for deletion Pod default/victim")
    end = time.monotonic() + 20
    while time.monotonic() < end and "NotFound" not in c.kubectl("get", "pod", "victim").stderr:
        time.sleep(0.1)
    assert c.kubectl("get", "pod", "victim").stderr == (
        'Error from server (NotFound): pods "victim" not found\n'
    )
