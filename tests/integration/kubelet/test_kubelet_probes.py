"""Exec readiness and liveness probes on the fake runtime. Callers: pytest."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from integration.kubelet.harness import create_pod, make_node, simple_pod, wait_for
from seclet.cri.fake import FakeExecSession


def probe(command: str, **extra: Any) -> dict[str, Any]:
    return {"exec": {"command": [command]}, "periodSeconds": 2, **extra}


def test_readiness_probe_gates_ready(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.exec_results[("ready?",)] = FakeExecSession(stdout=b"not yet", exit_code=1)
        body = simple_pod("web")
        body["spec"]["containers"][0]["readinessProbe"] = probe("ready?")
        await node.kubelet.start()
        try:
            create_pod(node, body)
            pod = await wait_for(
                lambda: (p := node.pod("web"))["status"].get("phase") == "Running" and p
            )
            cs = pod["status"]["containerStatuses"][0]
            assert cs["ready"] is False
            assert cs["started"] is True
            await wait_for(
                lambda: (
                    ("Warning", "Unhealthy", "Readiness probe failed: not yet")
                    in node.event_lines("web")
                )
            )
            node.runtime.exec_results[("ready?",)] = FakeExecSession(exit_code=0)
            await wait_for(lambda: node.pod("web")["status"]["containerStatuses"][0]["ready"])
            ready = {c["type"]: c for c in node.pod("web")["status"]["conditions"]}["Ready"]
            assert ready["status"] == "True"
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_liveness_failure_restarts_container(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.exec_results[("alive?",)] = FakeExecSession(stdout=b"dead", exit_code=1)
        body = simple_pod("web")
        body["spec"]["containers"][0]["livenessProbe"] = probe("alive?", failureThreshold=2)
        await node.kubelet.start()
        try:
            create_pod(node, body)
            pod = await wait_for(
                lambda: (
                    (p := node.pod("web"))["status"]["containerStatuses"][0].get("restartCount")
                    == 1
                    and p
                ),
                limit=10,
            )
            lines = node.event_lines("web")
            assert ("Warning", "Unhealthy", "Liveness probe failed: dead") in lines
            assert (
                "Normal",
                "Killing",
                "Container web failed liveness probe, will be restarted",
            ) in lines
            last = pod["status"]["containerStatuses"][0]["lastState"]["terminated"]
            assert last["exitCode"] == 143
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())
