"""The kubelet's SELinux plan of a pod's volumes on a node without SELinux.

Role: a pod that asks for SELinux (seLinuxOptions) gets one ``SELinuxRelabelPlan``
event per mounted volume saying that nothing is relabelled and why; a pod that does
not ask gets none; the CRI mounts carry ``selinux_relabel`` as upstream's
``makeMounts`` sets it from the plugin's attributes. Fake runtime; emptyDir mounts
need root. Callers: pytest.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from integration.kubelet.harness import Node, create_pod, make_node, simple_pod, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="volume mounts need root")
EXPECTED = "volume scratch: no relabel (SELinux is not enabled on this node)"


def _pod(name: str, **sc: object) -> dict[str, object]:
    body = simple_pod(name)
    spec = body["spec"]
    spec["volumes"] = [{"name": "scratch", "emptyDir": {}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/scratch"}]
    if sc:
        spec["securityContext"] = sc
    return body


def test_a_pod_asking_for_selinux_is_told_what_this_node_does(tmp_path: Path) -> None:
    async def scenario(node: Node) -> None:
        create_pod(node, _pod("asks", seLinuxOptions={"level": "s0:c1,c2"}))
        create_pod(node, _pod("plain"))
        await wait_for(lambda: node.pod("asks")["status"].get("phase") == "Running")
        await wait_for(lambda: node.pod("plain")["status"].get("phase") == "Running")
        plans = [line for line in node.event_lines("asks") if line[1] == "SELinuxRelabelPlan"]
        assert plans == [("Normal", "SELinuxRelabelPlan", EXPECTED)]
        assert [e for e in node.event_lines("plain") if e[1] == "SELinuxRelabelPlan"] == []
        # emptyDir's attributes ask the runtime to relabel (a no-op without SELinux)
        for container in node.runtime.containers.values():
            [mount] = [m for m in container.config.mounts if m.container_path == "/scratch"]
            assert mount.selinux_relabel

    asyncio.run(_run(tmp_path, scenario))


async def _run(tmp_path: Path, scenario: object) -> None:
    node = make_node(tmp_path)
    node.runtime.add_image("busybox:1.28")
    await node.kubelet.start()
    try:
        await scenario(node)  # type: ignore[operator]
    finally:
        await node.kubelet.stop()
