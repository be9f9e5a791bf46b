"""``pods/log`` and ``pods/exec`` through the kubelet's NodeClient on the fake runtime.

Role: logs of the current and previous attempt, timestamps, tail, limit, follow, the
upstream refusals; exec into a running container and its refusals. Callers: pytest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from integration.kubelet.harness import Node, create_pod, make_node, simple_pod, wait_for
from seclet.cri.fake import Behaviour, FakeExecSession
from seclet.nodeapi import LogOptions, NodeError


async def collect(node: Node, name: str, **options: object) -> bytes:
    out = b""
    async for chunk in node.kubelet.node_client.container_logs(
        "default",
        name,
        LogOptions(**options),  # type: ignore[arg-type]
    ):
        out += chunk
    return out


def test_logs_current_previous_and_options(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave(
            "talk",
            Behaviour(
                exit_code=1,
                run_seconds=1,
                logs=(("stdout", "one"), ("stderr", "two"), ("stdout", "three")),
            ),
        )
        await node.kubelet.start()
        try:
            with pytest.raises(NodeError) as refused:
                await collect(node, "talk")
            assert refused.value.code == 404
            create_pod(node, simple_pod("talk"))
            await wait_for(
                lambda: node.pod("talk")["status"]["containerStatuses"][0]["restartCount"] >= 1
            )
            assert await collect(node, "talk") == b"one\ntwo\nthree\n"
            assert await collect(node, "talk", previous=True) == b"one\ntwo\nthree\n"
            assert await collect(node, "talk", tail_lines=1) == b"three\n"
            assert await collect(node, "talk", limit_bytes=5) == b"one\nt"
            stamped = await collect(node, "talk", timestamps=True, tail_lines=1)
            assert stamped.endswith(b"Z three\n")
            assert stamped[:4].isdigit()
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_log_refusals(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        body = simple_pod("two")
        body["spec"]["containers"].append({"name": "b", "image": "busybox:1.28"})
        body["spec"]["initContainers"] = [{"name": "i", "image": "busybox:1.28"}]
        node.runtime.behave("i", Behaviour(exit_code=0, run_seconds=0))
        await node.kubelet.start()
        try:
            create_pod(node, body)
            create_pod(node, simple_pod("pull", image="absent:1"))
            await wait_for(lambda: node.pod("two")["status"].get("phase") == "Running")
            with pytest.raises(NodeError) as e:
                await collect(node, "two")
            assert e.value.code == 400
            assert e.value.message == (
                "a container name must be specified for pod two, choose one of: [two b] "
                "or one of the init containers: [i]"
            )
            with pytest.raises(NodeError) as e:
                await collect(node, "two", container="zz")
            assert e.value.message == "container zz is not valid for pod two"
            with pytest.raises(NodeError) as e:
                await collect(node, "two", container="b", previous=True)
            assert e.value.message == 'previous terminated container "b" in pod "two" not found'
            await wait_for(
                lambda: "waiting" in node.pod("pull")["status"]["containerStatuses"][0]["state"]
            )
            with pytest.raises(NodeError) as e:
                await collect(node, "pull")
            assert e.value.message.startswith('container "pull" in pod "pull" is waiting to start')
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_follow_ends_when_container_exits(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave(
            "job", Behaviour(exit_code=0, run_seconds=20, logs=(("stdout", "hello"),))
        )
        await node.kubelet.start()
        try:
            create_pod(node, simple_pod("job", restartPolicy="Never"))
            await wait_for(lambda: node.pod("job")["status"].get("phase") == "Running")
            out = await asyncio.wait_for(collect(node, "job", follow=True), 5)
            assert out == b"hello\n"
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_exec(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.exec_results[("id",)] = FakeExecSession(stdout=b"uid=1000\n")
        node.runtime.behave("done", Behaviour(exit_code=0, run_seconds=0))
        await node.kubelet.start()
        try:
            create_pod(node, simple_pod("sh"))
            create_pod(node, simple_pod("done", restartPolicy="Never"))
            await wait_for(lambda: node.pod("sh")["status"].get("phase") == "Running")
            session = await node.kubelet.node_client.exec(
                "default", "sh", "", ("id",), stdin=False, tty=False
            )
            assert await session.read_stdout() == b"uid=1000\n"
            assert await session.wait() == 0
            await wait_for(lambda: node.pod("done")["status"].get("phase") == "Succeeded")
            with pytest.raises(NodeError) as e:
                await node.kubelet.node_client.exec(
                    "default", "done", "", ("id",), stdin=False, tty=False
                )
            assert e.value.message == (
                "cannot exec into a container in a completed pod; current phase is Succeeded"
            )
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())
