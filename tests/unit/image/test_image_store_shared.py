"""One image store root shared by several processes (``seclet server`` and
``seclet images``): readers see another process's index, writers wait for the store
lock and never lose another's change, the sweep at open spares live staging.

The "other process" writes the index as the store does (a temporary file renamed
over ``images.json``) and holds the store's ``flock`` on its own open file, which
conflicts with the store's exactly as another process's would. No skopeo needed.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from seclet.cri.types import ImageSpec
from seclet.runtime.image.hosts import RegistryHosts
from seclet.runtime.image.store import ImageStore, chain_ids, overlay_lower_dirs

BUSYBOX = "sha256:" + "b" * 64
AGNHOST = "sha256:" + "a" * 64
BASE = "sha256:" + "0" * 64
LAYERS = {BUSYBOX: (BASE, "sha256:" + "1" * 64), AGNHOST: (BASE, "sha256:" + "2" * 64)}
"""Chain ids, lowest first: both images share the base layer."""


def entry(image_id: str, *tags: str) -> dict[str, Any]:
    return {
        "id": image_id,
        "layers": list(LAYERS[image_id]),
        "repo_tags": list(tags),
        "repo_digests": [],
        "size": 1000,
        "config": {"entrypoint": None, "cmd": ["sh"], "env": [], "user": "", "working_dir": ""},
    }


def write_index(root: Path, *entries: dict[str, Any], text: str | None = None) -> None:
    """What another process's store does: layer directories, then the index renamed."""
    for e in entries:
        for chain in e["layers"]:
            layer_dir(root, chain).mkdir(parents=True, exist_ok=True)
    tmp = root / ".images.json.other"
    tmp.write_text(text if text is not None else json.dumps({"version": 2, "images": entries}))
    tmp.replace(root / "images.json")


def layer_dir(root: Path, chain: str) -> Path:
    return root / "layers" / chain.removeprefix("sha256:")


def layer_names(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "layers").iterdir())


def index_tags(root: Path) -> dict[str, list[str]]:
    doc = json.loads((root / "images.json").read_text())
    return {e["id"]: e["repo_tags"] for e in doc["images"]}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "images"


@pytest.fixture
def store(root: Path) -> ImageStore:
    return ImageStore(root, RegistryHosts())


def test_lookups_see_another_process_import_and_removal(store: ImageStore, root: Path) -> None:
    assert store.lookup("busybox:1.28") is None
    write_index(root, entry(BUSYBOX, "docker.io/library/busybox:1.28"))
    stored = store.lookup("busybox:1.28")
    assert stored is not None
    assert stored.image.id == BUSYBOX
    assert stored.layers == (root / "layers" / ("1" * 64), root / "layers" / ("0" * 64))
    assert [i.id for i in asyncio.run(store.list_images())] == [BUSYBOX]
    write_index(root)
    assert store.lookup("busybox:1.28") is None
    assert asyncio.run(store.image_status(ImageSpec(image=BUSYBOX))) is None


def test_a_replaced_index_with_the_same_size_and_mtime_is_seen(
    store: ImageStore, root: Path
) -> None:
    write_index(root, entry(BUSYBOX, "docker.io/library/busybox:1.28"))
    assert store.lookup("busybox:1.28") is not None
    before = (root / "images.json").stat()
    write_index(root, entry(BUSYBOX, "docker.io/library/busybox:1.29"))
    os.utime(root / "images.json", ns=(before.st_atime_ns, before.st_mtime_ns))
    after = (root / "images.json").stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert store.lookup("busybox:1.28") is None
    assert store.lookup("busybox:1.29") is not None


def test_an_unreadable_index_keeps_the_images_known(store: ImageStore, root: Path) -> None:
    write_index(root, entry(BUSYBOX, "docker.io/library/busybox:1.28"))
    assert store.lookup("busybox:1.28") is not None
    write_index(root, text="{not json")
    assert store.lookup("busybox:1.28") is not None
    write_index(root, entry(AGNHOST, "registry.k8s.io/e2e-test-images/agnhost:2.45"))
    assert store.lookup("busybox:1.28") is None
    assert store.lookup("registry.k8s.io/e2e-test-images/agnhost:2.45") is not None


def test_index_entries_without_their_layers_are_not_images(store: ImageStore, root: Path) -> None:
    write_index(root, entry(AGNHOST, "docker.io/a/b:1"))
    entries = [entry(AGNHOST, "docker.io/a/b:1"), entry(BUSYBOX, "docker.io/library/busybox:1.28")]
    write_index(root, text=json.dumps({"version": 2, "images": entries}))  # no busybox top layer
    assert store.lookup("busybox:1.28") is None
    assert store.lookup("a/b:1") is not None


def test_an_index_of_another_version_is_not_read(store: ImageStore, root: Path) -> None:
    write_index(root, entry(BUSYBOX, "docker.io/library/busybox:1.28"))
    old = [entry(BUSYBOX, "docker.io/library/busybox:1.28")]
    write_index(root, text=json.dumps({"version": 1, "images": old}))
    assert store.lookup("busybox:1.28") is None


def test_a_writer_waits_for_the_lock_and_keeps_the_other_writers_change(
    store: ImageStore, root: Path
) -> None:
    write_index(root, entry(BUSYBOX, "docker.io/library/busybox:1.28"))
    assert store.lookup("busybox:1.28") is not None
    other = os.open(root / "lock", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)

    async def scenario() -> None:
        removal = asyncio.create_task(store.remove_image(ImageSpec(image="busybox:1.28")))
        await asyncio.sleep(0.3)
        assert not removal.done()
        # the other process, holding the lock, adds an image the store has not read
        write_index(
            root,
            entry(BUSYBOX, "docker.io/library/busybox:1.28"),
            entry(AGNHOST, "registry.k8s.io/e2e-test-images/agnhost:2.45"),
        )
        os.close(other)
        await asyncio.wait_for(removal, 5)

    asyncio.run(scenario())
    assert index_tags(root) == {AGNHOST: ["registry.k8s.io/e2e-test-images/agnhost:2.45"]}
    assert layer_names(root) == ["0" * 64, "2" * 64]  # the shared base layer stays
    assert store.lookup("registry.k8s.io/e2e-test-images/agnhost:2.45") is not None


def test_opening_sweeps_only_what_nobody_owns(store: ImageStore, root: Path) -> None:
    tmp = root / "tmp"
    [live] = [p for p in tmp.iterdir() if p.is_dir()]
    (live / "unpack-1" / "rootfs").mkdir(parents=True)  # a staging image of the live store
    (tmp / "dead").mkdir()
    (tmp / "dead" / "layout").mkdir()
    (tmp / "dead.lock").touch()  # its process is gone: nobody holds the lock
    (tmp / "pull-0123").mkdir()  # an older version's work directory
    write_index(root, entry(BUSYBOX, "docker.io/library/busybox:1.28"))
    layer_dir(root, "sha256:" + "c" * 64).mkdir()  # no image names it
    (root / "images" / ("c" * 64) / "rootfs").mkdir(parents=True)  # version 1's image tree

    second = ImageStore(root, RegistryHosts())
    remaining = sorted(p.name for p in tmp.iterdir())
    assert live.name in remaining
    assert (live / "unpack-1" / "rootfs").is_dir()
    assert "dead" not in remaining
    assert "dead.lock" not in remaining
    assert "pull-0123" not in remaining
    assert len(remaining) == 4  # two stores: a directory and a lock each
    assert layer_names(root) == ["0" * 64, "1" * 64]
    assert not (root / "images").exists()
    assert second.lookup("busybox:1.28") is not None

    second.close()
    assert sorted(p.name for p in tmp.iterdir()) == sorted([live.name, f"{live.name}.lock"])
    store.close()
    assert list(tmp.iterdir()) == []


def test_opening_leaves_shared_files_alone_when_unchanged(root: Path) -> None:
    first = ImageStore(root, RegistryHosts())
    policy = (root / "policy.json").stat()
    ImageStore(root, RegistryHosts()).close()
    assert (root / "policy.json").stat().st_ino == policy.st_ino  # a running skopeo reads it
    first.close()


def test_overlay_lower_dirs_of_mountinfo() -> None:
    mountinfo = (
        "204 27 0:109 / /d/rootfs rw,relatime - overlay overlay rw,lowerdir=/a/x\\040y/rootfs"
        ":/b,upperdir=/d/upper,workdir=/d/work,uuid=on\n"
        "26 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,lowerdir=/not/overlay\n"
        "30 1 0:5 / /x rw - tmpfs tmpfs rw\n"
    )
    assert overlay_lower_dirs(mountinfo) == frozenset({"/a/x y/rootfs", "/b"})


def test_removing_an_image_a_container_still_mounts_keeps_its_files(
    store: ImageStore, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_index(root, entry(BUSYBOX, "docker.io/library/busybox:1.28"))
    base, top = (layer_dir(root, chain) for chain in LAYERS[BUSYBOX])
    (top / "bin").mkdir()
    (top / "bin" / "sh").write_text("#!")
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        f"204 27 0:109 / /c/rootfs rw - overlay overlay rw,lowerdir={top}:{base},upperdir=/u,"
        "workdir=/w\n"
    )
    monkeypatch.setattr("seclet.runtime.image.store.MOUNTINFO", mountinfo)
    asyncio.run(store.remove_image(ImageSpec(image="busybox:1.28")))
    assert store.lookup("busybox:1.28") is None
    assert index_tags(root) == {}
    assert (top / "bin" / "sh").read_text() == "#!"

    ImageStore(root, RegistryHosts()).close()  # still mounted: the sweep keeps them
    assert layer_names(root) == ["0" * 64, "1" * 64]
    mountinfo.write_text("")
    ImageStore(root, RegistryHosts()).close()  # unmounted: swept
    assert layer_names(root) == []


def test_lowers_named_by_fds_keep_every_layer(
    store: ImageStore, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_index(root, entry(BUSYBOX, "docker.io/library/busybox:1.28"))
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "204 27 0:109 / /c/rootfs rw - overlay overlay rw,lowerdir=/proc/self/fd/7:"
        "/proc/self/fd/8,upperdir=/u,workdir=/w\n"
    )
    monkeypatch.setattr("seclet.runtime.image.store.MOUNTINFO", mountinfo)
    asyncio.run(store.remove_image(ImageSpec(image=BUSYBOX)))
    assert layer_names(root) == ["0" * 64, "1" * 64]


def test_removing_an_unused_image_deletes_only_its_own_layers(
    store: ImageStore, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_index(
        root,
        entry(BUSYBOX, "docker.io/library/busybox:1.28"),
        entry(AGNHOST, "registry.k8s.io/e2e-test-images/agnhost:2.45"),
    )
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text("")
    monkeypatch.setattr("seclet.runtime.image.store.MOUNTINFO", mountinfo)
    asyncio.run(store.remove_image(ImageSpec(image=BUSYBOX)))
    assert layer_names(root) == ["0" * 64, "2" * 64]
    asyncio.run(store.remove_image(ImageSpec(image=AGNHOST)))
    assert layer_names(root) == []


def test_chain_ids_follow_the_oci_image_spec() -> None:
    diff_ids = ("sha256:" + "a" * 64, "sha256:" + "b" * 64)
    second = hashlib.sha256(f"{diff_ids[0]} {diff_ids[1]}".encode()).hexdigest()
    assert chain_ids(diff_ids) == (diff_ids[0], f"sha256:{second}")
