"""A real OCI registry on loopback, holding seclet's test images, for tests.

Role: test support shared by the image store's integration tests and the e2e tests.

Usage::

    from registry import LocalRegistry, push_test_images

    with LocalRegistry.start(tmp_dir) as reg:       # docker-registry on 127.0.0.1:<free port>
        digests = push_test_images(reg)              # reference -> manifest digest
        store = ImageStore(root, reg.hosts)          # docker.io, gcr.io, registry.k8s.io, *
        ...                                          # (all mirrored to reg.url)
        reg.mirror_flags                             # ("docker.io=http://127.0.0.1:P", ...)

``LocalRegistry.start`` writes its own config YAML (storage under the given
directory, deletes enabled, no auth), starts ``/usr/bin/docker-registry serve``, and
waits until ``GET /v2/`` answers 200; ``stop()`` (or leaving the ``with``) terminates
it and waits. The images are those of ``tools/build_test_images.py``
(``docker.io/library/busybox:1.28``, ``registry.k8s.io/e2e-test-images/agnhost:2.45``,
``gcr.io/google-samples/hello-app:2.0``). ``skip_unless_available()`` skips a test
module when docker-registry or skopeo is missing (never under ``CI``).
``in_image(stored, path)`` is the host file a path names in a stored image's layers.
Callers: tests/integration/image/conftest.py, tests/e2e.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import cast

import pytest

from seclet.runtime.image.hosts import RegistryHosts
from seclet.runtime.image.rootfs import resolve_in_layers
from seclet.runtime.image.stored import StoredImage

REPO = Path(__file__).resolve().parents[1]
DOCKER_REGISTRY = Path("/usr/bin/docker-registry")
MIRRORED_HOSTS = ("docker.io", "gcr.io", "registry.k8s.io", "*")
BUSYBOX = "docker.io/library/busybox:1.28"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.45"
HELLO_APP = "gcr.io/google-samples/hello-app:2.0"

_CONFIG = """\
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def skip_unless_available() -> None:
    """Skip (fail under ``CI``) when docker-registry or skopeo is not installed."""
    missing = [
        name
        for name, ok in (
            ("docker-registry", DOCKER_REGISTRY.exists()),
            ("skopeo", shutil.which("skopeo") is not None),
        )
        if not ok
    ]
    if missing:
        message = f"not installed: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message, allow_module_level=True)


@dataclass
class LocalRegistry:
    """A running docker-registry on 127.0.0.1 (build with ``start``)."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes]
    log: Path
    pushed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, directory: Path, timeout: float = 15.0) -> LocalRegistry:
        """Start a registry storing under ``directory``; wait until ``/v2/`` answers."""
        directory.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            port = free_port()
            config = directory / "config.yml"
            config.write_text(_CONFIG.format(storage=directory / "storage", port=port))
            log = directory / "registry.log"
            with log.open("ab") as out:
                proc = subprocess.Popen(
                    [str(DOCKER_REGISTRY), "serve", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            reg = cls(port, directory, proc, log)
            if reg._wait_ready(timeout):
                return reg
            reg.stop()
            if attempt == 2:
                break
        raise RuntimeError(f"docker-registry did not start: {log.read_text()[-2000:]}")

    @property
    def netloc(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.netloc}"

    @property
    def hosts(self) -> RegistryHosts:
        """docker.io, gcr.io, registry.k8s.io and every other host mirrored here."""
        return RegistryHosts.of({host: [self.url] for host in MIRRORED_HOSTS})

    @property
    def mirror_flags(self) -> tuple[str, ...]:
        """The same mirrors as ``--registry-mirror HOST=URL`` values."""
        return tuple(f"{host}={self.url}" for host in MIRRORED_HOSTS)

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/v2/", timeout=1) as resp:
                    if resp.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Terminate the registry and wait for it (kill after 5 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> LocalRegistry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@functools.cache
def build_tool() -> ModuleType:
    """``tools/build_test_images.py`` as a module (loaded once): the stand-in images,
    their account files (``BUSYBOX_USERS``, ``BUSYBOX_GROUPS``) and the push helpers."""
    path = REPO / "tools" / "build_test_images.py"
    spec = importlib.util.spec_from_file_location("seclet_build_test_images", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def push_test_images(registry: LocalRegistry) -> dict[str, str]:
    """Build and push the test images; return (and remember in ``registry.pushed``)
    reference -> manifest digest."""
    build = cast(Callable[[str, Path], dict[str, str]], build_tool().build_and_push)
    work = registry.directory / "layouts"
    work.mkdir(exist_ok=True)
    registry.pushed.update(build(registry.netloc, work))
    return dict(registry.pushed)


def in_image(stored: StoredImage, path: str) -> Path:
    """The host path of ``path`` in the image's merged layers (symlinks followed inside
    the image); fails the test when the image has no such file."""
    found = resolve_in_layers(stored.layers, path)
    assert found is not None, f"{path} is not in image {stored.image.id}"
    return found
