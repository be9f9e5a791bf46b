"""Fixtures: one loopback docker-registry holding the test images, per session.

Role: ``local_registry`` starts ``tests/registry.LocalRegistry`` in a session
temporary directory, pushes the images of ``tools/build_test_images.py`` and stops
the registry at the end of the session. Skips when docker-registry or skopeo is
missing (fails under ``CI``).
Callers: pytest (tests/integration/image).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from registry import LocalRegistry, push_test_images, skip_unless_available


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    skip_unless_available()
    with LocalRegistry.start(tmp_path_factory.mktemp("registry")) as reg:
        push_test_images(reg)
        yield reg
