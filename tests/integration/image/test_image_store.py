"""Integration tests of ``ImageStore`` against a real registry with real skopeo.

Role: pull the stand-in images through loopback mirrors, check every CRI field
against what the registry itself serves (manifest and config read with urllib,
independently of the store), the unpacked root filesystem, persistence across a new
``ImageStore``, removal, coalesced pulls and containerd's exact error messages.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import time
import urllib.request
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from registry import AGNHOST, BUSYBOX, HELLO_APP, LocalRegistry, free_port, in_image
from seclet.cri.errors import ImagePullError
from seclet.cri.types import AuthConfig, ImageSpec
from seclet.runtime.image.hosts import RegistryHosts
from seclet.runtime.image.store import ImageStore

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[3]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 120))


def spec(ref: str) -> ImageSpec:
    return ImageSpec(image=ref)


def registry_json(reg: LocalRegistry, path: str, accept: str) -> tuple[dict[str, Any], int]:
    req = urllib.request.Request(f"{reg.url}/v2/{path}", headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
    return json.loads(body), len(body)


def served(reg: LocalRegistry, repository: str, tag: str) -> dict[str, Any]:
    """What the registry serves for repository:tag: digests and containerd's size."""
    manifest, manifest_size = registry_json(
        reg, f"{repository}/manifests/{tag}", "application/vnd.oci.image.manifest.v1+json"
    )
    config_digest = manifest["config"]["digest"]
    config, _ = registry_json(reg, f"{repository}/blobs/{config_digest}", "*/*")
    return {
        "manifest_digest": reg.pushed[next(r for r in reg.pushed if repository in r)],
        "config_digest": config_digest,
        "config": config,
        "size": manifest_size
        + manifest["config"]["size"]
        + sum(layer["size"] for layer in manifest["layers"]),
    }


@pytest.fixture
def store(tmp_path: Path, local_registry: LocalRegistry) -> ImageStore:
    return ImageStore(tmp_path / "images", local_registry.hosts)


def test_pull_busybox_through_the_mirror(
    store: ImageStore, local_registry: LocalRegistry, tmp_path: Path
) -> None:
    want = served(local_registry, "library/busybox", "1.28")
    image_id = run(store.pull_image(spec("busybox:1.28")))
    assert image_id == want["config_digest"]

    image = run(store.image_status(spec("busybox:1.28")))
    assert image is not None
    assert image.id == image_id
    assert image.repo_tags == ("docker.io/library/busybox:1.28",)
    assert image.repo_digests == (f"docker.io/library/busybox@{want['manifest_digest']}",)
    assert image.size == want["size"]
    assert (image.uid, image.username, image.user) == (None, "", "")
    assert (image.entrypoint, image.cmd, image.working_dir) == (None, ("sh",), "")
    assert image.env == ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)

    for name in (
        "docker.io/library/busybox:1.28",
        "library/busybox:1.28",
        image_id,
        image_id.removeprefix("sha256:"),
        image_id.removeprefix("sha256:")[:12],
        f"busybox@{want['manifest_digest']}",
    ):
        assert run(store.image_status(spec(name))) == image, name
    assert run(store.image_status(spec("busybox"))) is None
    assert run(store.image_status(spec("busybox:1.29"))) is None
    assert run(store.list_images()) == (image,)

    stored = store.lookup("busybox:1.28")
    assert stored is not None
    assert stored.image == image
    assert stored.config.cmd == ("sh",)
    [layer] = stored.layers  # busybox is one layer, named by its chain id (= its diff id)
    assert layer.parent == tmp_path / "images" / "layers"
    busybox = (layer / "bin/busybox").stat()
    assert stat.S_ISREG(busybox.st_mode)
    assert stat.S_IMODE(busybox.st_mode) == 0o755
    assert (layer / "bin/busybox").read_bytes() == Path("/bin/busybox").read_bytes()
    assert (layer / "bin/sh").readlink() == Path("busybox")
    assert (layer / "etc/passwd").read_text().splitlines()[0] == "root:x:0:0:root:/root:/bin/sh"
    assert "nobody:x:65534:65534:nobody:/home:/bin/false" in (layer / "etc/passwd").read_text()
    assert stat.S_IMODE((layer / "tmp").stat().st_mode) == 0o1777
    index = tmp_path / "images" / "images.json"
    assert stat.S_IMODE(index.stat().st_mode) == 0o600

    restarted = ImageStore(tmp_path / "images", local_registry.hosts)
    assert run(restarted.list_images()) == (image,)
    assert restarted.lookup("busybox:1.28") == stored


def test_remove_image(store: ImageStore, tmp_path: Path, local_registry: LocalRegistry) -> None:
    image_id = run(store.pull_image(spec("busybox:1.28")))
    stored = store.lookup(image_id)
    assert stored is not None
    [layer] = stored.layers
    assert layer.is_dir()
    run(store.remove_image(spec("docker.io/library/busybox:1.28")))
    assert run(store.image_status(spec("busybox:1.28"))) is None
    assert run(store.image_status(spec(image_id))) is None
    assert store.lookup(image_id) is None
    assert run(store.list_images()) == ()
    assert not layer.exists()
    run(store.remove_image(spec("busybox:1.28")))  # absent: not an error, as containerd
    assert sorted(p.name for p in (tmp_path / "images" / "layers").iterdir()) == []
    assert run(ImageStore(tmp_path / "images", local_registry.hosts).list_images()) == ()


def test_layers_apply_in_order_and_configs_are_read(
    store: ImageStore, local_registry: LocalRegistry
) -> None:
    agnhost_id = run(store.pull_image(spec(AGNHOST)))
    hello_id = run(store.pull_image(spec(HELLO_APP)))
    agnhost = store.lookup("registry.k8s.io/e2e-test-images/agnhost:2.45")
    hello = store.lookup("gcr.io/google-samples/hello-app:2.0")
    assert agnhost is not None
    assert hello is not None
    assert agnhost.image.id == agnhost_id
    assert hello.image.id == hello_id
    examples = REPO / "examples" / "images" / "agnhost-2.45" / "etc"
    assert in_image(agnhost, "etc/passwd").read_text() == (examples / "passwd").read_text()
    assert in_image(agnhost, "etc/group").read_text() == (examples / "group").read_text()
    assert agnhost.config.entrypoint == ("/agnhost",)
    assert agnhost.image.entrypoint == ("/agnhost",)
    assert in_image(agnhost, "bin/busybox").is_file()
    assert hello.config.entrypoint == ("/hello-app",)
    assert stat.S_IMODE(in_image(hello, "hello-app").stat().st_mode) == 0o755
    assert in_image(hello, "etc/passwd").read_text().startswith("root:x:0:0:root:/root:/bin/sh\n")
    assert {i.id for i in run(store.list_images())} == {agnhost_id, hello_id}
    want = served(local_registry, "google-samples/hello-app", "2.0")
    assert hello.image.size == want["size"]
    # the busybox base layer is unpacked once and shared by all three images
    busybox = store.lookup(run(store.pull_image(spec("busybox:1.28"))))
    assert busybox is not None
    assert agnhost.layers[-1] == hello.layers[-1] == busybox.layers[-1]
    assert len(list(agnhost.layers[-1].parent.iterdir())) == 3


def test_pull_by_digest_records_no_tag(store: ImageStore, local_registry: LocalRegistry) -> None:
    digest = local_registry.pushed[BUSYBOX]
    image_id = run(store.pull_image(spec(f"busybox@{digest}")))
    image = run(store.image_status(spec(image_id)))
    assert image is not None
    assert image.repo_tags == ()
    assert image.repo_digests == (f"docker.io/library/busybox@{digest}",)
    assert run(store.pull_image(spec("busybox:1.28"))) == image_id
    tagged = run(store.image_status(spec(image_id)))
    assert tagged is not None
    assert tagged.repo_tags == ("docker.io/library/busybox:1.28",)
    assert tagged.repo_digests == (f"docker.io/library/busybox@{digest}",)


def test_concurrent_pulls_of_one_image_share_one_copy(
    tmp_path: Path, local_registry: LocalRegistry
) -> None:
    calls = tmp_path / "calls"
    wrapper = tmp_path / "skopeo"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec skopeo "$@"\n')
    wrapper.chmod(0o755)
    store = ImageStore(tmp_path / "images", local_registry.hosts, skopeo=str(wrapper))

    async def pulls() -> list[str]:
        refs = ["busybox:1.28", "docker.io/library/busybox:1.28", "busybox:1.28"]
        return list(await asyncio.gather(*(store.pull_image(spec(r)) for r in refs)))

    ids = run(pulls())
    assert len(set(ids)) == 1
    lines = calls.read_text().splitlines()
    assert len(lines) == 1
    assert "--src-tls-verify=false" in lines[0].split()
    assert "--src-no-creds" in lines[0].split()
    digest = local_registry.pushed[BUSYBOX]
    assert f"docker://{local_registry.netloc}/library/busybox@{digest}" in lines[0].split()


def test_missing_tag_and_repository_are_not_found(store: ImageStore) -> None:
    for ref, name in (
        ("busybox:nosuch", "docker.io/library/busybox:nosuch"),
        ("nosuch:1", "docker.io/library/nosuch:1"),
        ("quay.io/x/y:1", "quay.io/x/y:1"),
    ):
        with pytest.raises(ImagePullError) as err:
            run(store.pull_image(spec(ref)))
        assert err.value.message == (
            f'failed to pull and unpack image "{name}": failed to resolve reference '
            f'"{name}": {name}: not found'
        )
    assert run(store.list_images()) == ()


def test_host_without_mirror_is_not_found(tmp_path: Path, local_registry: LocalRegistry) -> None:
    store = ImageStore(tmp_path / "images", RegistryHosts.of({"gcr.io": [local_registry.url]}))
    with pytest.raises(ImagePullError) as err:
        run(store.pull_image(spec("busybox:1.28")))
    assert err.value.message == (
        'failed to pull and unpack image "docker.io/library/busybox:1.28": failed to resolve '
        'reference "docker.io/library/busybox:1.28": docker.io/library/busybox:1.28: not found'
    )


def test_unreachable_mirror_message(tmp_path: Path) -> None:
    port = free_port()
    store = ImageStore(
        tmp_path / "images", RegistryHosts.of({"docker.io": [f"http://127.0.0.1:{port}"]})
    )
    with pytest.raises(ImagePullError) as err:
        run(store.pull_image(spec("busybox:1.28")))
    assert err.value.message == (
        'failed to pull and unpack image "docker.io/library/busybox:1.28": failed to resolve '
        'reference "docker.io/library/busybox:1.28": failed to do request: Head '
        f'"http://127.0.0.1:{port}/v2/library/busybox/manifests/1.28?ns=docker.io": '
        f"dial tcp 127.0.0.1:{port}: connect: connection refused"
    )


def test_second_mirror_answers_when_the_first_is_down(
    tmp_path: Path, local_registry: LocalRegistry
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    store = ImageStore(
        tmp_path / "images", RegistryHosts.of({"docker.io": [down, local_registry.url]})
    )
    assert run(store.pull_image(spec("busybox:1.28"))).startswith("sha256:")


def test_invalid_reference_message(store: ImageStore) -> None:
    with pytest.raises(ImagePullError) as err:
        run(store.pull_image(spec("Busybox:1.28")))
    assert err.value.message == (
        'failed to parse image reference "Busybox:1.28": invalid reference format: '
        "repository name (library/Busybox) must be lowercase"
    )


def test_credentials_go_to_an_auth_file(tmp_path: Path, local_registry: LocalRegistry) -> None:
    calls = tmp_path / "calls"
    wrapper = tmp_path / "skopeo"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec skopeo "$@"\n')
    wrapper.chmod(0o755)
    store = ImageStore(tmp_path / "images", local_registry.hosts, skopeo=str(wrapper))
    auth = AuthConfig(username="user", password="s3cret")
    run(store.pull_image(spec("busybox:1.28"), auth))
    line = calls.read_text()
    assert "s3cret" not in line
    assert "--src-authfile" in line.split()


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root")
def test_hello_app_stand_in_answers_hello_world(
    store: ImageStore, local_registry: LocalRegistry, tmp_path: Path
) -> None:
    run(store.pull_image(spec(HELLO_APP)))
    hello = store.lookup(HELLO_APP)
    assert hello is not None
    port = free_port()
    merged = tmp_path / "merged"  # the layers as a read-only overlay, as a container sees them
    merged.mkdir()
    lowers = ":".join(str(layer) for layer in hello.layers)
    subprocess.run(
        ["mount", "-t", "overlay", "-o", f"lowerdir={lowers}", "overlay", str(merged)], check=True
    )
    proc = subprocess.Popen(
        ["chroot", str(merged), "/bin/httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/www"]
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    body = resp.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait()
        subprocess.run(["umount", "-l", str(merged)], check=True)
    assert body.startswith("Hello, world!\nVersion: 2.0.0\nHostname: ")


def test_pull_straight_from_a_loopback_registry(
    tmp_path: Path, local_registry: LocalRegistry
) -> None:
    store = ImageStore(tmp_path / "images", RegistryHosts())
    ref = f"{local_registry.netloc}/library/busybox:1.28"
    image_id = run(store.pull_image(spec(ref)))
    image = run(store.image_status(spec(ref)))
    assert image is not None
    assert image.id == image_id
    assert image.repo_tags == (ref,)
    digest = local_registry.pushed[BUSYBOX]
    assert image.repo_digests == (f"{local_registry.netloc}/library/busybox@{digest}",)


def test_mirror_flags_name_the_same_hosts(local_registry: LocalRegistry) -> None:
    assert RegistryHosts.from_flags(local_registry.mirror_flags) == local_registry.hosts


def test_restart_drops_layers_no_image_names(
    store: ImageStore, tmp_path: Path, local_registry: LocalRegistry
) -> None:
    image_id = run(store.pull_image(spec("busybox:1.28")))
    stored = store.lookup(image_id)
    assert stored is not None
    orphan = tmp_path / "images" / "layers" / ("f" * 64)
    orphan.mkdir()
    restarted = ImageStore(tmp_path / "images", local_registry.hosts)
    assert not orphan.exists()
    assert restarted.lookup(image_id) is not None
    assert list((tmp_path / "images" / "layers").iterdir()) == list(stored.layers)


def test_pulls_in_successive_event_loops(store: ImageStore) -> None:
    first = run(store.pull_image(spec("busybox:1.28")))
    assert run(store.pull_image(spec("busybox:1.28"))) == first
