"""``pods/attach`` through the kubelet's NodeClient on the fake runtime.

Role: the kubelet passes the container's ``stdin``/``stdinOnce``/``tty`` to CRI
``ContainerConfig``; attach reaches ``RuntimeService.attach`` with the spec's
``tty`` (not the request's, as upstream's ``GetAttach``) and streams what the
container prints; a container that is not running is refused with ``GetAttach``'s
text behind the apiserver proxy's ``unable to upgrade connection: ``.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from integration.kubelet.harness import create_pod, make_node, simple_pod, wait_for
from seclet.cri.fake import Behaviour, FakeExecSession
from seclet.nodeapi import NodeError


def _state(pod: dict[str, Any]) -> dict[str, Any]:
    statuses = pod["status"].get("containerStatuses") or [{"state": {"running": {}}}]
    state: dict[str, Any] = statuses[0]["state"]
    return state


def test_attach_uses_the_specs_tty_and_refuses_a_stopped_container(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.attach_results["sh"] = FakeExecSession(stdout=b"/ # ")
        node.runtime.behave("done", Behaviour(exit_code=0, run_seconds=0))
        await node.kubelet.start()
        try:
            body = simple_pod("sh")
            body["spec"]["containers"][0].update(stdin=True, stdinOnce=True, tty=True)
            create_pod(node, body)
            create_pod(node, simple_pod("done"))
            await wait_for(lambda: node.pod("sh")["status"].get("phase") == "Running")
            config = next(c.config for c in node.runtime.containers.values() if c.config.tty)
            assert (config.stdin, config.stdin_once, config.tty) == (True, True, True)
            session = await node.kubelet.node_client.attach(
                "default", "sh", "", stdin=True, tty=False
            )
            assert session.tty  # the container's terminal, whatever the request said
            assert await session.read_stdout() == b"/ # "
            assert await session.wait() == 0
            await wait_for(lambda: "running" not in _state(node.pod("done")))
            with pytest.raises(NodeError) as e:
                await node.kubelet.node_client.attach("default", "done", "", stdin=False, tty=False)
            assert (e.value.code, e.value.reason, e.value.message) == (
                500,
                "InternalError",
                "unable to upgrade connection: container done not found in pod done_default",
            )
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())
