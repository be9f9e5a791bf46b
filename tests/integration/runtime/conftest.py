"""Fixtures: a real ``RuncRuntime`` (runc + conmon + catatonit) on a temporary root.

Role: skip the whole directory with the reason when not root or when runc, conmon or
catatonit is missing (CI runs as root with all three); build the busybox image store
once per module; give each test module its own runtime root so modules run in
parallel safely, and tear down whatever a test left behind.
Callers: pytest (tests/integration/runtime).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from integration.runtime.podkit import TestImages, make_image_store, run
from seclet.host.probe import probe_node_facts
from seclet.runtime.runc.service import RuncRuntime

_MISSING = [tool for tool in ("runc", "conmon", "catatonit") if shutil.which(tool) is None]


@dataclass(frozen=True)
class Env:
    runtime: RuncRuntime
    images: TestImages
    logs: Path
    root: Path


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (runc creates namespaces and mounts)"
    if _MISSING:
        return f"not installed: {', '.join(_MISSING)}"
    return None


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    """A runtime on a fresh root. The root is made under /tmp with mode 0711 (not
    pytest's 0700 tmp dirs) so that a user-namespaced pod's mapped root can reach
    its rootfs, as under containerd's 0711 state dirs."""
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="seclet-rt-"))
    base.chmod(0o711)
    images = make_image_store(base / "images")
    runtime = RuncRuntime(base / "root", images, probe_node_facts())
    yield Env(runtime, images, base / "logs", base / "root")

    async def _teardown() -> None:
        for sandbox in await runtime.list_pod_sandbox():
            await runtime.remove_pod_sandbox(sandbox.id)

    try:
        run(_teardown())
    finally:
        shutil.rmtree(base, ignore_errors=True)
