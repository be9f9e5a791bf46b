"""A kubelet whose store refuses writes (a full disk) at start: it starts anyway and
registers its node once writes succeed again (the heartbeat's retry), and a pod's
status written meanwhile catches up. Callers: pytest."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from integration.kubelet.harness import NODE, create_pod, make_node, simple_pod, wait_for
from seclet.store.api import NotFoundError, StorageError


def test_start_on_a_full_disk_registers_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        node = make_node(tmp_path)
        node.runtime.add_image("busybox:1.28")
        real_create = node.store.create
        real_update = node.store.update
        full = True

        def create(resource: str, namespace: str, name: str, obj: Any) -> Any:
            if full and resource != "pods":
                raise StorageError("database or disk is full")
            return real_create(resource, namespace, name, obj)

        def update(resource: str, namespace: str, name: str, obj: Any, **kw: Any) -> Any:
            if full:
                raise StorageError("database or disk is full")
            return real_update(resource, namespace, name, obj, **kw)

        monkeypatch.setattr(node.store, "create", create)
        monkeypatch.setattr(node.store, "update", update)
        await node.kubelet.start()
        try:
            with pytest.raises(NotFoundError):
                node.store.get("nodes", "", NODE)
            create_pod(node, simple_pod("waits", nodeName=NODE))  # bound: no binder write
            await asyncio.sleep(0.3)
            assert node.pod("waits")["status"]["phase"] == "Pending"
            full = False
            await wait_for(lambda: node.store.get("nodes", "", NODE))
            await wait_for(lambda: node.pod("waits")["status"]["phase"] == "Running")
        finally:
            await node.kubelet.stop()

    asyncio.run(scenario())
