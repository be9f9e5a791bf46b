"""A kubelet on the fake runtime and the in-memory store, on a fast clock.

Role: ``Node`` bundles MemoryStore + FakeRuntime + Kubelet with a ``ScaledClock``
(100x: a 10 s back-off takes 0.1 s) and tmp directories; ``create_pod`` stores a pod
as the apiserver would (defaults, uid, creationTimestamp, generation, Pending status
with qosClass); ``wait_for`` polls a condition. Callers: tests/integration/kubelet.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seclet.api.featuregates import DEFAULT_GATES
from seclet.cri.fake import FakeRuntime
from seclet.host.facts import NodeFacts
from seclet.kubelet.clock import ScaledClock, rfc3339
from seclet.kubelet.config import KubeletConfig
from seclet.kubelet.hostinfo import HostInfo
from seclet.kubelet.kubelet import Kubelet
from seclet.review import default_body
from seclet.store.memory import MemoryStore

JSON = dict[str, Any]
NODE = "seclet-node"
HOST = HostInfo(
    os_image="Debian GNU/Linux 12 (bookworm)",
    machine_id="m-id",
    boot_id="b-id",
    system_uuid="s-uuid",
    cpus=4,
    memory_bytes=8 * 1024**3,
    ephemeral_storage_bytes=100 * 1024**3,
)


@dataclass
class Node:
    store: MemoryStore
    runtime: FakeRuntime
    kubelet: Kubelet
    clock: ScaledClock
    root: Path

    def pod(self, name: str, namespace: str = "default") -> JSON:
        return self.store.get("pods", namespace, name)

    def events(self, name: str = "") -> list[JSON]:
        items = self.store.list("events").items
        if name:
            items = [e for e in items if e["involvedObject"]["name"] == name]
        return sorted(items, key=lambda e: int(e["metadata"]["resourceVersion"]))

    def event_lines(self, name: str = "") -> list[tuple[str, str, str]]:
        return [(e["type"], e["reason"], e["message"]) for e in self.events(name)]


def make_node(tmp: Path, speed: float = 100.0, **config: Any) -> Node:
    clock = ScaledClock(speed=speed)
    store = MemoryStore()
    runtime = FakeRuntime(time_ns=clock.time_ns)
    cfg = KubeletConfig(
        node_name=NODE,
        root_dir=str(tmp / "kubelet"),
        pod_logs_dir=str(tmp / "pods-logs"),
        sync_period=0.5,
        **config,
    )
    kubelet = Kubelet(store, runtime, runtime, cfg, NodeFacts.reference(), clock=clock, host=HOST)
    return Node(store, runtime, kubelet, clock, tmp)


def create_pod(node: Node, body: JSON, namespace: str = "default") -> JSON:
    """Store ``body`` as the apiserver's create does (no validation here)."""
    from seclet.api.decode import build
    from seclet.api.models import Pod

    obj = default_body(copy.deepcopy(body), DEFAULT_GATES)
    obj["kind"], obj["apiVersion"] = "Pod", "v1"
    meta = obj["metadata"]
    meta["namespace"] = namespace
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = rfc3339(node.clock.now())
    meta["generation"] = 1
    build(obj, Pod)
    obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    return node.store.create("pods", namespace, meta["name"], obj)


def delete_pod(node: Node, name: str, namespace: str = "default", grace: int = 30) -> None:
    """The apiserver's graceful delete: deletionTimestamp + grace period."""
    current = node.store.get("pods", namespace, name)
    current["metadata"]["deletionTimestamp"] = rfc3339(node.clock.now() + grace)
    current["metadata"]["deletionGracePeriodSeconds"] = grace
    node.store.update("pods", namespace, name, current)


async def wait_for(check: Callable[[], Any], limit: float = 5.0) -> Any:
    """Poll ``check`` (real seconds) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    last_error: Exception | None = None
    while loop.time() < end:
        try:
            value = check()
        except Exception as e:  # the object may not exist yet
            last_error = e
            value = None
        if value:
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting ({last_error!r})")


def simple_pod(name: str, image: str = "busybox:1.28", **spec: Any) -> JSON:
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": name, "image": image}], **spec},
    }
