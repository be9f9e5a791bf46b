"""Fixtures: the in-process API server and kubectl of tests/integration/apiserver, plus
seclet's storage controllers running on the server's loop over its store.

Role: ``storage`` starts ``start_storage`` (default class, PV controller, local-path
provisioner with a tmp storage root, protection controllers) on a 100x clock so a
15 s resync takes 0.15 s. Callers: pytest (tests/integration/controllers).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from integration.apiserver.conftest import Kubectl, Running, apiserver, kubectl
from seclet.controllers.manager import ControllerManager
from seclet.controllers.storage import start_storage

__all__ = ["Storage", "apiserver", "kubectl", "storage"]
NODE = "seclet-node"


class FastClock:
    def __init__(self, speed: float = 100.0) -> None:
        self.speed = speed
        self._t0, self._m0 = time.time(), time.monotonic()

    def now(self) -> float:
        return self._t0 + (time.monotonic() - self._m0) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self.speed)


@dataclass
class Storage:
    root: Path
    manager: ControllerManager
    running: Running


@pytest.fixture
def storage(apiserver: Running, tmp_path: Path) -> Iterator[Storage]:
    store = apiserver.server.store
    assert store is not None
    root = tmp_path / "storage"

    async def start() -> ControllerManager:
        assert store is not None
        store.create("nodes", "", NODE, {"apiVersion": "v1", "kind": "Node", "metadata": {
            "name": NODE, "uid": "node-uid", "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"kubernetes.io/hostname": NODE}}})
        return await start_storage(store, root, NODE, clock=FastClock())

    manager = asyncio.run_coroutine_threadsafe(start(), apiserver.loop).result(10)
    try:
        yield Storage(root, manager, apiserver)
    finally:
        asyncio.run_coroutine_threadsafe(manager.stop(), apiserver.loop).result(10)


def wait_kubectl(kubectl: Kubectl, check: object, *args: str, limit: float = 10.0) -> str:
    """Run kubectl until ``check(stdout)`` holds; the last stdout."""
    assert callable(check)
    end = time.monotonic() + limit
    out = ""
    while time.monotonic() < end:
        res = kubectl(*args)
        out = res.stdout
        if res.returncode == 0 and check(out):
            return out
        time.sleep(0.1)
    raise AssertionError(f"timed out: kubectl {' '.join(args)} -> {out!r}")
