"""Pulls through the mirrors a containers-registries.conf names (real registry and
skopeo), as ``seclet server --registries-conf`` builds its image store.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from registry import BUSYBOX, LocalRegistry, in_image
from seclet.cli.server import registry_hosts
from seclet.cri.errors import ImagePullError
from seclet.cri.types import ImageSpec
from seclet.runtime.image.store import ImageStore


def test_pull_through_a_registries_conf_mirror(
    tmp_path: Path, local_registry: LocalRegistry
) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(
        '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n'
        f'[[registry.mirror]]\nlocation = "{local_registry.netloc}"\ninsecure = true\n'
    )
    store = ImageStore(tmp_path / "images", registry_hosts([], conf))
    image_id = asyncio.run(store.pull_image(ImageSpec(image="busybox:1.28")))
    stored = store.lookup(BUSYBOX)
    assert stored is not None
    assert stored.image.id == image_id
    assert in_image(stored, "bin/busybox").is_file()
    # gcr.io is not in the file (and no flag names it): nothing is contacted
    with pytest.raises(ImagePullError) as info:
        asyncio.run(store.pull_image(ImageSpec(image="gcr.io/google-samples/hello-app:2.0")))
    assert str(info.value) == (
        'failed to pull and unpack image "gcr.io/google-samples/hello-app:2.0": failed to '
        'resolve reference "gcr.io/google-samples/hello-app:2.0": '
        "gcr.io/google-samples/hello-app:2.0: not found"
    )
    store.close()
