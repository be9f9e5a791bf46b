"""Fixtures for end-to-end tests: a local registry with the test images and a real
``seclet server`` (API server + kubelet + runc/conmon) using it as its mirror.

Role: one node per test session (starting it costs about a second; pulling the images
happens once). Needs root, runc, conmon, catatonit, skopeo and docker-registry: without
them the e2e tests skip locally and fail under ``CI`` (the test command installs them).
Teardown deletes every pod the tests left, then stops the server with SIGTERM and
asserts a clean exit.
Callers: pytest (tests/e2e).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.node import KUBECTL, STARTED, Node, discard_leftovers
from registry import MIRRORED_HOSTS, LocalRegistry, push_test_images, skip_unless_available

_NEEDED = ("runc", "conmon", "catatonit", "skopeo")


def _require_node_components() -> None:
    missing = [name for name in _NEEDED if shutil.which(name) is None]
    if not KUBECTL.exists():
        missing.append(str(KUBECTL))
    if os.geteuid() != 0:
        missing.append("root")
    if missing:
        message = f"e2e needs: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    skip_unless_available()


@pytest.fixture(scope="session", autouse=True)
def _discard_leftovers() -> Iterator[None]:
    """At the session's end, containers and mounts any test's node left behind go."""
    yield
    for started in STARTED:
        started.stop()
        discard_leftovers(started.data_dir)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    _require_node_components()
    with LocalRegistry.start(tmp_path_factory.mktemp("registry")) as reg:
        push_test_images(reg)
        yield reg


@pytest.fixture(scope="session")
def node(registry: LocalRegistry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    base: Path = tmp_path_factory.mktemp("node")
    mirrors = [f"{host}={registry.url}" for host in MIRRORED_HOSTS]
    running = Node(data_dir=base / "data", kubeconfig=base / "kubeconfig.yaml", mirrors=mirrors)
    running.start()
    try:
        yield running
    finally:
        running.kubectl(
            "delete",
            "pods",
            "--all",
            "--all-namespaces",
            "--grace-period=1",
            check=False,
            timeout=120,
        )
        code = running.stop()
        assert code == 0, running.log()
