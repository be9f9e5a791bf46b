"""Terminal pods on the fake runtime: their sandbox is stopped, their containers kept.

Role: upstream's pod worker once a pod is Succeeded or Failed (``SyncTerminatingPod``
kills the pod: StopPodSandbox, no container removed; ``SyncTerminatedPod`` tears its
volumes down), the conditions it then reports, ``kubectl logs`` still answering, and
a restarted kubelet finishing a terminal pod whose sandbox still runs, and reporting the
exit of a container that ended while no kubelet ran (nothing started twice).
Callers: pytest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from integration.kubelet.harness import (
    HOST,
    Node,
    create_pod,
    make_node,
    simple_pod,
    wait_for,
)
from seclet.cri.fake import Behaviour
from seclet.cri.types import ContainerState, PodSandboxState
from seclet.host.facts import NodeFacts
from seclet.kubelet.kubelet import Kubelet
from seclet.nodeapi import LogOptions


async def logs(node: Node, name: str) -> bytes:
    out = b""
    async for chunk in node.kubelet.node_client.container_logs("default", name, LogOptions()):
        out += chunk
    return out


def conditions(pod: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["type"], c["status"], c.get("reason", "")) for c in pod["status"]["conditions"]]


def sandbox_states(node: Node) -> list[PodSandboxState]:
    return [s.state for s in node.runtime.sandboxes.values()]


def test_completed_pod_stops_its_sandbox_and_keeps_its_container(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("job", Behaviour(exit_code=0, logs=(("stdout", "done"),)))
        body = simple_pod("job", restartPolicy="Never")
        body["spec"]["volumes"] = [{"name": "scratch", "emptyDir": {}}]
        body["spec"]["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/s"}]
        await node.kubelet.start()
        try:
            created = create_pod(node, body)
            await wait_for(lambda: sandbox_states(node) == [PodSandboxState.SANDBOX_NOTREADY])
            pod = await wait_for(
                lambda: (p := node.pod("job"))["status"]["conditions"][0]["status"] == "False" and p
            )
            assert pod["status"]["phase"] == "Succeeded"
            assert conditions(pod) == [
                ("PodReadyToStartContainers", "False", ""),
                ("Initialized", "True", ""),
                ("Ready", "False", "PodCompleted"),
                ("ContainersReady", "False", "PodCompleted"),
                ("PodScheduled", "True", ""),
            ]
            terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
            assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
            verbs = node.runtime.verbs()
            assert verbs.count("StopPodSandbox") == 1
            assert "RemovePodSandbox" not in verbs
            assert "RemoveContainer" not in verbs
            assert "StopContainer" not in verbs
            assert [c.state for c in node.runtime.containers.values()] == [
                ContainerState.CONTAINER_EXITED
            ]
            assert await logs(node, "job") == b"done\n"
            assert [r for _, r, _ in node.event_lines("job")] == [
                "Scheduled",
                "Pulled",
                "Created",
                "Started",
            ]
            pod_dir = Path(node.kubelet.config.root_dir) / "pods" / created["metadata"]["uid"]
            await wait_for(lambda: not (pod_dir / "volumes").exists())
            assert (pod_dir / "containers" / "job").is_dir()  # termination-log file kept
            await asyncio.sleep(0.2)
            assert node.runtime.verbs().count("StopPodSandbox") == 1
            assert node.runtime.verbs().count("RunPodSandbox") == 1
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_failed_pod_stops_its_sandbox(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("job", Behaviour(exit_code=7, run_seconds=1))
        await node.kubelet.start()
        try:
            create_pod(node, simple_pod("job", restartPolicy="Never"))
            await wait_for(lambda: sandbox_states(node) == [PodSandboxState.SANDBOX_NOTREADY])
            pod = await wait_for(
                lambda: (p := node.pod("job"))["status"]["conditions"][0]["status"] == "False" and p
            )
            assert pod["status"]["phase"] == "Failed"
            assert conditions(pod) == [
                ("PodReadyToStartContainers", "False", ""),
                ("Initialized", "True", ""),
                ("Ready", "False", "PodFailed"),
                ("ContainersReady", "False", "PodFailed"),
                ("PodScheduled", "True", ""),
            ]
            terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
            assert (terminated["exitCode"], terminated["reason"]) == (7, "Error")
            assert len(node.runtime.containers) == 1
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_restarted_kubelet_stops_a_terminal_pods_sandbox(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("job", Behaviour(exit_code=0))
        await node.kubelet.start()
        create_pod(node, simple_pod("job", restartPolicy="Never"))
        await wait_for(lambda: sandbox_states(node) == [PodSandboxState.SANDBOX_NOTREADY])
        await node.kubelet.stop()
        # A kubelet that stopped before finishing the pod left its sandbox running.
        for sandbox in node.runtime.sandboxes.values():
            sandbox.state = PodSandboxState.SANDBOX_READY
        again = Kubelet(
            node.store,
            node.runtime,
            node.runtime,
            node.kubelet.config,
            NodeFacts.reference(),
            clock=node.clock,
            host=HOST,
        )
        await again.start()
        try:
            await wait_for(lambda: sandbox_states(node) == [PodSandboxState.SANDBOX_NOTREADY])
            verbs = node.runtime.verbs()
            assert verbs.count("StopPodSandbox") == 2
            assert verbs.count("RunPodSandbox") == 1
            assert verbs.count("StartContainer") == 1
            assert node.pod("job")["status"]["phase"] == "Succeeded"
        finally:
            await again.stop()

    asyncio.run(scenario())


def test_restarted_kubelet_reports_exits_it_missed_and_starts_nothing_twice(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("exiter", Behaviour(exit_code=7, run_seconds=50))
        await node.kubelet.start()
        create_pod(node, simple_pod("sleeper"))
        create_pod(node, simple_pod("exiter", restartPolicy="Never"))
        await wait_for(
            lambda: all(
                node.pod(n)["status"].get("phase") == "Running" for n in ("sleeper", "exiter")
            )
        )
        before = {n: node.pod(n)["status"]["containerStatuses"][0] for n in ("sleeper", "exiter")}
        await node.kubelet.stop()
        await asyncio.sleep(0.6)  # 60 s of clock time: the exiter exits meanwhile
        again = Kubelet(
            node.store,
            node.runtime,
            node.runtime,
            node.kubelet.config,
            NodeFacts.reference(),
            clock=node.clock,
            host=HOST,
        )
        await again.start()
        try:
            pod = await wait_for(
                lambda: (p := node.pod("exiter"))["status"].get("phase") == "Failed" and p
            )
            exiter = pod["status"]["containerStatuses"][0]
            terminated = exiter["state"]["terminated"]
            assert (terminated["exitCode"], terminated["reason"]) == (7, "Error")
            assert exiter["containerID"] == before["exiter"]["containerID"]
            assert exiter["restartCount"] == 0
            await wait_for(
                lambda: (
                    {s.config.metadata.name: s.state for s in node.runtime.sandboxes.values()}
                    == {
                        "sleeper": PodSandboxState.SANDBOX_READY,
                        "exiter": PodSandboxState.SANDBOX_NOTREADY,
                    }
                )
            )
            sleeper = node.pod("sleeper")["status"]
            assert sleeper["phase"] == "Running"
            assert sleeper["containerStatuses"][0] == before["sleeper"]
            verbs = node.runtime.verbs()
            assert (verbs.count("RunPodSandbox"), verbs.count("StartContainer")) == (2, 2)
        finally:
            await again.stop()

    asyncio.run(scenario())
