"""Fixtures: an in-process ``seclet`` API server and the real kubectl against it.

Role: start ``seclet.apiserver.server.Server`` on 127.0.0.1 with a free port, a tmp
data directory, the in-memory store and a ``FakeNode`` as its kubelet
(``Running.node``), on an event loop in a background thread; write its kubeconfig;
run ``.venv/bin/kubectl`` (installed by ``tools/get_kubectl.py``) with
``--kubeconfig``. Without kubectl the kubectl tests skip locally and fail under ``CI``.
Callers: pytest (tests/integration/apiserver).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from integration.apiserver.fakenode import FakeNode
from seclet.apiserver.server import Server, ServerConfig
from seclet.store.memory import MemoryStore

REPO = Path(__file__).resolve().parents[3]
KUBECTL = Path(sys.prefix) / "bin" / "kubectl"
EXAMPLES = REPO / "examples"


@dataclass
class Running:
    server: Server
    kubeconfig: Path
    loop: asyncio.AbstractEventLoop
    node: FakeNode

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        assert self.server.credentials is not None
        return self.server.credentials.token

    @property
    def ca(self) -> Path:
        assert self.server.credentials is not None
        return self.server.credentials.ca_cert


async def _drain() -> None:
    """Let handlers the server's shutdown cancelled finish before the loop closes."""
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


@pytest.fixture
def apiserver(tmp_path: Path) -> Iterator[Running]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig.yaml"
    node = FakeNode()
    server = Server(
        ServerConfig(data_dir=tmp_path / "data", port=0, kubeconfig=kubeconfig),
        store=MemoryStore(),
        node_client=node,
    )
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        yield Running(server, kubeconfig, loop, node)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        asyncio.run_coroutine_threadsafe(_drain(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


@dataclass
class Kubectl:
    kubeconfig: Path

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            check=False,
            text=True,
            input=stdin,
            timeout=60,
            env={**os.environ, "KUBECACHEDIR": str(self.kubeconfig.parent / "cache")},
        )


@pytest.fixture
def kubectl(apiserver: Running) -> Kubectl:
    if not KUBECTL.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{KUBECTL} is missing: run tools/get_kubectl.py")
        pytest.skip(f"{KUBECTL} is missing (tools/get_kubectl.py installs it)")
    return Kubectl(apiserver.kubeconfig)
