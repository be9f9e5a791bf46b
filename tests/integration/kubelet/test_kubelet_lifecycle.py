"""Pod lifecycle edges: terminal pods deleted, orphans after a kubelet restart, tmpfs
emptyDirs, the node Lease renewed. Callers: pytest.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from integration.kubelet.harness import HOST, NODE, create_pod, make_node, simple_pod, wait_for
from seclet.cri.fake import Behaviour
from seclet.host.facts import NodeFacts
from seclet.kubelet.clock import parse_rfc3339
from seclet.kubelet.kubelet import Kubelet


def test_deleted_terminal_pod_is_cleaned_up(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("job", Behaviour(exit_code=0, run_seconds=1))
        await node.kubelet.start()
        try:
            create_pod(node, simple_pod("job", restartPolicy="Never"))
            await wait_for(lambda: node.pod("job")["status"].get("phase") == "Succeeded")
            assert node.runtime.containers  # kept for logs
            node.store.delete("pods", "default", "job")  # the apiserver's immediate delete
            await wait_for(lambda: not node.runtime.sandboxes and not node.runtime.containers)
            await wait_for(lambda: not node.kubelet.workers)
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_restart_removes_orphans_and_keeps_running_pods(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        await node.kubelet.start()
        create_pod(node, simple_pod("keep"))
        gone = create_pod(node, simple_pod("gone"))
        await wait_for(lambda: node.pod("keep")["status"].get("phase") == "Running")
        await wait_for(lambda: node.pod("gone")["status"].get("phase") == "Running")
        await node.kubelet.stop()
        node.store.delete("pods", "default", "gone")
        created = node.runtime.verbs().count("CreateContainer")
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
            uids = {s.config.metadata.uid for s in node.runtime.sandboxes.values()}
            assert gone["metadata"]["uid"] not in uids
            assert len(uids) == 1
            await asyncio.sleep(0.2)
            assert node.runtime.verbs().count("CreateContainer") == created
            assert node.pod("keep")["status"]["phase"] == "Running"
        finally:
            await again.stop()

    asyncio.run(scenario())


@pytest.mark.skipif(os.geteuid() != 0, reason="tmpfs mounts need root")
def test_memory_empty_dir_is_tmpfs(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        body = simple_pod("mem")
        body["spec"]["volumes"] = [{"name": "m", "emptyDir": {"medium": "Memory"}}]
        body["spec"]["containers"][0]["volumeMounts"] = [{"name": "m", "mountPath": "/m"}]
        await node.kubelet.start()
        try:
            pod = create_pod(node, body)
            await wait_for(lambda: node.pod("mem")["status"].get("phase") == "Running")
            vol = Path(node.kubelet.config.root_dir) / "pods" / pod["metadata"]["uid"]
            vol = vol / "volumes/kubernetes.io~empty-dir/m"
            assert vol.is_mount()
            assert oct(vol.stat().st_mode & 0o7777) == "0o777"
            node.store.delete("pods", "default", "mem")
            await wait_for(lambda: not vol.parent.parent.parent.exists())
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_active_deadline_fails_the_pod(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        await node.kubelet.start()
        try:
            create_pod(node, simple_pod("late", activeDeadlineSeconds=5))
            pod = await wait_for(
                lambda: (p := node.pod("late"))["status"].get("phase") == "Failed" and p
            )
            assert pod["status"]["reason"] == "DeadlineExceeded"
            assert pod["status"]["message"] == (
                "Pod was active on the node longer than the specified deadline"
            )
            cs = pod["status"]["containerStatuses"][0]
            assert cs["state"]["terminated"]["exitCode"] == 143
            conditions = {c["type"]: c for c in pod["status"]["conditions"]}
            assert conditions["Ready"]["reason"] == "PodFailed"
            lines = node.event_lines("late")
            assert (
                "Normal",
                "DeadlineExceeded",
                "Pod was active on the node longer than the specified deadline",
            ) in lines
            assert ("Normal", "Killing", "Stopping container late") in lines
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_image_change_restarts_the_container(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.add_image("busybox:1.36")
        await node.kubelet.start()
        try:
            create_pod(node, simple_pod("web"))
            await wait_for(lambda: node.pod("web")["status"].get("phase") == "Running")
            current = node.pod("web")
            current["spec"]["containers"][0]["image"] = "busybox:1.36"
            node.store.update("pods", "default", "web", current)

            def restarted() -> dict[str, object] | None:
                cs = node.pod("web")["status"]["containerStatuses"][0]
                ok = cs["restartCount"] == 1 and "running" in cs["state"]
                return cs if ok else None

            cs = await wait_for(restarted)
            assert cs["image"] == "docker.io/library/busybox:1.36"
            assert (
                "Normal",
                "Killing",
                "Container web definition changed, will be restarted",
            ) in node.event_lines("web")
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_sidecar_runs_beside_the_job_and_stops_with_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        node.runtime.behave("job", Behaviour(exit_code=0, run_seconds=3))
        node.runtime.behave("init", Behaviour(exit_code=0, run_seconds=1))
        body = simple_pod("job", restartPolicy="Never")
        body["spec"]["initContainers"] = [
            {"name": "proxy", "image": "busybox:1.28", "restartPolicy": "Always"},
            {"name": "init", "image": "busybox:1.28"},
        ]
        await node.kubelet.start()
        try:
            create_pod(node, body)
            running = await wait_for(
                lambda: (p := node.pod("job"))["status"].get("phase") == "Running" and p
            )
            proxy, init = running["status"]["initContainerStatuses"]
            assert proxy["name"] == "proxy"
            assert "running" in proxy["state"]
            assert proxy["ready"] is True
            assert proxy["started"] is True
            assert init["state"]["terminated"]["reason"] == "Completed"
            conditions = {c["type"]: c for c in running["status"]["conditions"]}
            assert conditions["Initialized"]["status"] == "True"
            created = [a for v, a in node.runtime.calls if v == "CreateContainer"]
            assert created == ["proxy", "init", "job"]
            done = await wait_for(
                lambda: (p := node.pod("job"))["status"].get("phase") == "Succeeded" and p
            )
            proxy = done["status"]["initContainerStatuses"][0]
            assert "terminated" in proxy["state"]
            assert ("Normal", "Killing", "Stopping container proxy") in node.event_lines("job")
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())


def test_node_lease_is_created_and_renewed(tmp_path: Path) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        await node.kubelet.start()
        try:
            first = await wait_for(lambda: node.store.get("leases", "kube-node-lease", NODE))
            uid = node.store.get("nodes", "", NODE)["metadata"]["uid"]
            assert first["metadata"]["ownerReferences"] == [
                {"apiVersion": "v1", "kind": "Node", "name": NODE, "uid": uid}
            ]
            assert first["spec"]["holderIdentity"] == NODE
            assert first["spec"]["leaseDurationSeconds"] == 40
            renewed = await wait_for(
                lambda: (
                    (lease := node.store.get("leases", "kube-node-lease", NODE))["spec"][
                        "renewTime"
                    ]
                    != first["spec"]["renewTime"]
                    and lease
                )
            )
            gap = parse_rfc3339(renewed["spec"]["renewTime"]) - parse_rfc3339(
                first["spec"]["renewTime"]
            )
            assert 9.0 <= gap <= 15.0  # every 10 s of (scaled) clock time
            assert renewed["metadata"]["uid"] == first["metadata"]["uid"]
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())
