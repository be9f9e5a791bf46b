"""The kubelet's container log manager and pod pids limit on the fake runtime.

Role: a kubelet started with small ``containerLogMaxSize``/``containerLogMaxFiles``
rotates a running container's growing log (renamed, ReopenContainerLog asked, at most
MaxFiles files, the older ones gzipped) while ``kubectl logs -f`` goes on across the
rotations; ``containerLogMaxSize`` -1 starts no manager; ``podPidsLimit`` reaches
RunPodSandbox. Callers: pytest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from integration.kubelet.harness import create_pod, make_node, simple_pod, wait_for
from seclet.cri.fake import Behaviour
from seclet.nodeapi import LogOptions


def _line(n: int) -> bytes:
    return f"2026-11-28T07:00:00.{n:09d}Z stdout F line {n}\n".encode()


def _append(log: Path, data: bytes) -> None:
    with log.open("ab") as f:  # as conmon appends: one write per record
        f.write(data)


def test_growing_log_is_rotated_and_followed(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(
            tmp_path,
            container_log_max_size=300,
            container_log_max_files=3,
            container_log_monitor_interval=10.0,  # 0.1 s on the 100x clock
            container_log_max_workers=2,
            pod_pids_limit=50,
        )
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("chatty", Behaviour(run_seconds=3600))
        await node.kubelet.start()
        try:
            create_pod(node, simple_pod("chatty"))
            await wait_for(lambda: node.pod("chatty")["status"].get("phase") == "Running")
            (sandbox,) = node.runtime.sandboxes.values()
            assert sandbox.config.pod_pids_limit == 50
            (container,) = node.runtime.containers.values()
            log = Path(container.log_path)
            followed = bytearray()

            async def follow() -> None:
                async for chunk in node.kubelet.node_client.container_logs(
                    "default", "chatty", LogOptions(follow=True)
                ):
                    followed.extend(chunk)

            follower = asyncio.create_task(follow())
            for n in range(60):
                await asyncio.to_thread(_append, log, _line(n))
                await asyncio.sleep(0.02)
            await wait_for(lambda: b"line 59\n" in followed)
            follower.cancel()
            assert node.kubelet.log_manager is not None
            assert node.kubelet.log_manager.rotations >= 2
            assert node.kubelet.log_manager.max_workers == 2
            assert node.runtime.verbs().count("ReopenContainerLog") >= 2
            names = sorted(p.name for p in log.parent.iterdir())
            assert names[0] == "0.log" and len(names) <= 3, names
            assert all(n.endswith(".gz") for n in names[1:-1]), names
            assert bytes(followed) == b"".join(f"line {n}\n".encode() for n in range(60))
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_negative_max_size_disables_rotation(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path, container_log_max_size=-1)
        await node.kubelet.start()
        try:
            assert node.kubelet.log_manager is None
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())
