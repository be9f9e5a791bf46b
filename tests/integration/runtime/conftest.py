"""Fixtures: a real ``RuncRuntime`` (runc + conmon + catatonit) on a temporary root.

Role: skip the whole directory with the reason when not root or when runc, conmon or
catatonit is missing (CI runs as root with all three); build the busybox image store
once per module; give each test module its own runtime root so modules run in
parallel safely, and tear down whatever a test left behind.
Callers: pytest (tests/integration/runtime).
"""

from __future__ import annotations

import dataclasses
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


def with_infra(env: Env, drop_infra: bool) -> Env:
    """The same root and images driven by a runtime with ``drop_infra`` on (pods that
    need no pause process get pinned namespaces) or off (every pod gets one)."""
    runtime = RuncRuntime(env.root, env.images, env.runtime.node, drop_infra=drop_infra)
    return dataclasses.replace(env, runtime=runtime)


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
        if runtime.config.run_root is not None:
            shutil.rmtree(runtime.config.run_root, ignore_errors=True)
