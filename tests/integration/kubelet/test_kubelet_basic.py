"""The kubelet on the fake runtime: binding, Running status, node object.

Role: integration tests of seclet.kubelet with MemoryStore + FakeRuntime + a fast
clock. Callers: pytest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from integration.kubelet.harness import NODE, create_pod, make_node, simple_pod, wait_for


def test_pod_is_bound_and_running(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28", user="")
        await node.kubelet.start()
        try:
            create_pod(node, simple_pod("demo"))
            pod = await wait_for(
                lambda: (p := node.pod("demo"))["status"].get("phase") == "Running" and p
            )
            print(pod)
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())
