"""``seclet images import/ls/rm`` with real skopeo, and a running store seeing them.

Role: archives of the stand-in images (``tools/build_test_images.py``) are written by
skopeo (``docker-archive:``, ``oci-archive:``) or by hand (a two-image oci-archive);
the command's output is compared with what the archives themselves say (config
digests, descriptor sizes), and a store opened first, as ``seclet server`` keeps
one, sees imports and removals made by ``seclet images`` processes.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from registry import build_tool, in_image
from seclet.cli.images import human_size
from seclet.cli.main import main
from seclet.cri.types import ImageSpec
from seclet.runtime.image.hosts import RegistryHosts
from seclet.runtime.image.store import ImageStore

REPO = Path(__file__).resolve().parents[3]
BUSYBOX = "docker.io/library/busybox:1.28"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.45"
HELLO = "gcr.io/google-samples/hello-app:2.0"
HEADER = "IMAGE                                     TAG                 IMAGE ID            SIZE\n"


@dataclass(frozen=True)
class Archives:
    directory: Path
    busybox_docker: Path
    agnhost_oci: Path
    hello_docker: Path
    agnhost_as_busybox: Path
    hello_as_busybox: Path
    two_images_oci: Path
    layouts: dict[str, Path]


def skopeo(policy: Path, source: str, destination: str) -> None:
    subprocess.run(
        ["skopeo", "--policy", str(policy), "copy", "--quiet", source, destination],
        check=True,
        capture_output=True,
    )


def tar_directory(directory: Path, out: Path) -> None:
    with tarfile.open(out, "w") as tar:
        for path in sorted(directory.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(directory)), recursive=False)


@pytest.fixture(scope="session")
def archives(tmp_path_factory: pytest.TempPathFactory) -> Archives:
    if shutil.which("skopeo") is None:
        pytest.skip("not installed: skopeo")
    tool = build_tool()
    work = tmp_path_factory.mktemp("archives")
    policy = tool.write_policy(work / "policy.json")
    layouts = {}
    for image in tool.stand_in_images():
        layout = work / image.repository.replace("/", "_")
        tool.write_oci_layout(image, layout)
        layouts[image.reference] = layout
    a = Archives(
        work,
        work / "busybox-docker.tar",
        work / "agnhost-oci.tar",
        work / "hello-docker.tar.gz",
        work / "agnhost-as-busybox.tar",
        work / "hello-as-busybox.tar",
        work / "two-images-oci.tar",
        layouts,
    )
    skopeo(
        policy, f"oci:{layouts[BUSYBOX]}:1.28", f"docker-archive:{a.busybox_docker}:busybox:1.28"
    )
    skopeo(policy, f"oci:{layouts[AGNHOST]}:2.45", f"oci-archive:{a.agnhost_oci}:{AGNHOST}")
    hello_tar = work / "hello-docker.tar"
    skopeo(policy, f"oci:{layouts[HELLO]}:2.0", f"docker-archive:{hello_tar}:{HELLO}")
    a.hello_docker.write_bytes(gzip.compress(hello_tar.read_bytes()))
    skopeo(
        policy, f"oci:{layouts[AGNHOST]}:2.45", f"docker-archive:{a.agnhost_as_busybox}:{BUSYBOX}"
    )
    skopeo(policy, f"oci:{layouts[HELLO]}:2.0", f"docker-archive:{a.hello_as_busybox}:{BUSYBOX}")
    # two images in one oci-archive: busybox named, agnhost with a bare tag
    both = work / "both"
    shutil.copytree(layouts[BUSYBOX], both)
    shutil.copytree(layouts[AGNHOST] / "blobs", both / "blobs", dirs_exist_ok=True)
    index = json.loads((layouts[BUSYBOX] / "index.json").read_text())
    other = json.loads((layouts[AGNHOST] / "index.json").read_text())["manifests"][0]
    index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": BUSYBOX}
    index["manifests"].append(other)
    (both / "index.json").write_text(json.dumps(index))
    tar_directory(both, a.two_images_oci)
    return a


def member(archive: Path, name: str) -> bytes:
    with tarfile.open(archive, "r:*") as tar:
        fh = tar.extractfile(name)
        assert fh is not None
        return fh.read()


def docker_image_id(archive: Path) -> str:
    """What docker calls the image id: the sha256 of the archive's config file."""
    [entry] = json.loads(member(archive, "manifest.json"))
    return f"sha256:{hashlib.sha256(member(archive, entry['Config'])).hexdigest()}"


def layout_facts(layout: Path, n: int = 0) -> tuple[str, int]:
    """(config digest, containerd's size: manifest + config + layers) of a layout."""
    desc = json.loads((layout / "index.json").read_text())["manifests"][n]
    manifest = json.loads((layout / "blobs" / desc["digest"].replace(":", "/")).read_text())
    size = desc["size"] + manifest["config"]["size"] + sum(x["size"] for x in manifest["layers"])
    return manifest["config"]["digest"], size


def dir_copy_size(archive: Path, work: Path) -> int:
    """containerd's size of a docker-archive image, as skopeo's dir: copy holds it."""
    out = work / f"dir-{archive.name}"
    shutil.rmtree(out, ignore_errors=True)
    skopeo(work / "policy.json", f"docker-archive:{archive}", f"dir:{out}")
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    return int(
        (out / "manifest.json").stat().st_size
        + manifest["config"]["size"]
        + sum(x["size"] for x in manifest["layers"])
    )


def row(ref: str, image_id: str, size: int) -> str:
    repo, _, tag = ref.rpartition(":")
    return f"{repo:<42}{tag:<20}{image_id.removeprefix('sha256:')[:13]:<20}{human_size(size)}\n"


def cli(capsys: pytest.CaptureFixture[str], data: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["images", "--data-dir", str(data), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def seclet(data: Path, *argv: str) -> subprocess.Popen[str]:
    """``seclet images`` in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "seclet", "images", "--data-dir", str(data), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def test_import_ls_rm(capsys: pytest.CaptureFixture[str], archives: Archives, data: Path) -> None:
    busybox_id = docker_image_id(archives.busybox_docker)
    agnhost_id, agnhost_size = layout_facts(archives.layouts[AGNHOST])
    code, out, err = cli(
        capsys, data, "import", str(archives.busybox_docker), str(archives.agnhost_oci)
    )
    assert (code, err) == (0, "")
    assert out == f"Imported: {BUSYBOX} {busybox_id}\nImported: {AGNHOST} {agnhost_id}\n"

    busybox_size = dir_copy_size(archives.busybox_docker, archives.directory)
    code, out, err = cli(capsys, data, "ls")
    assert (code, err) == (0, "")
    assert out == HEADER + row(BUSYBOX, busybox_id, busybox_size) + row(
        AGNHOST, agnhost_id, agnhost_size
    )

    code, out, err = cli(capsys, data, "rm", "busybox:1.28", "nothere:1", agnhost_id[7:19])
    assert code == 1
    assert out == f"Deleted: {BUSYBOX}\nDeleted: {AGNHOST}\n"
    assert err == "error: no such image nothere:1\n"
    code, out, _ = cli(capsys, data, "ls")
    assert (code, out) == (0, "IMAGE               TAG                 IMAGE ID            SIZE\n")
    assert sorted(p.name for p in (data / "images" / "layers").iterdir()) == []
    assert list((data / "images" / "tmp").iterdir()) == []


def test_imported_image_is_unpacked_with_its_config(
    capsys: pytest.CaptureFixture[str], archives: Archives, data: Path
) -> None:
    assert cli(capsys, data, "import", str(archives.hello_docker))[0] == 0  # gzip'd tar
    store = ImageStore(data / "images", RegistryHosts())
    stored = store.lookup(HELLO)
    assert stored is not None
    assert stored.image.id == docker_image_id(archives.hello_docker)
    assert in_image(stored, "hello-app").is_file()
    assert in_image(stored, "bin/busybox").is_file()
    hello = json.loads((REPO / "examples" / "images" / "hello-app-2.0.json").read_text())
    assert list(stored.config.env) == hello["config"]["Env"]
    assert stored.image.repo_digests == ()
    store.close()


def test_a_tag_moves_to_the_image_imported_last(
    capsys: pytest.CaptureFixture[str], archives: Archives, data: Path
) -> None:
    busybox_id = docker_image_id(archives.busybox_docker)
    agnhost_id = docker_image_id(archives.agnhost_as_busybox)
    cli(capsys, data, "import", str(archives.busybox_docker))
    code, out, _ = cli(capsys, data, "import", str(archives.agnhost_as_busybox))
    assert (code, out) == (0, f"Imported: {BUSYBOX} {agnhost_id}\n")
    _, out, _ = cli(capsys, data, "ls")
    rows = {  # crictl orders an untagged image and a tagged one by id
        busybox_id: f"{'<none>':<28}{'<none>':<20}{busybox_id[7:20]:<20}",
        agnhost_id: f"{'docker.io/library/busybox':<28}{'1.28':<20}{agnhost_id[7:20]:<20}",
    }
    lines = out.splitlines()
    assert lines[0] == "IMAGE                       TAG                 IMAGE ID            SIZE"
    assert [line[:68] for line in lines[1:]] == [rows[k] for k in sorted(rows)]


def test_two_image_oci_archive(
    capsys: pytest.CaptureFixture[str], archives: Archives, data: Path
) -> None:
    busybox_id, _ = layout_facts(archives.layouts[BUSYBOX])
    agnhost_id, _ = layout_facts(archives.layouts[AGNHOST])
    code, out, err = cli(capsys, data, "import", str(archives.two_images_oci))
    assert (code, err) == (0, "")
    assert out == f"Imported: {BUSYBOX} {busybox_id}\nImported: <none> {agnhost_id}\n"
    code, out, err = cli(capsys, data, "rm", agnhost_id)
    assert (code, out, err) == (0, "", "")  # no tag, no repo digest: nothing to name


def test_refusals_and_usage(
    capsys: pytest.CaptureFixture[str], archives: Archives, data: Path, tmp_path: Path
) -> None:
    code, out, err = cli(capsys, data, "import", str(tmp_path / "missing.tar"))
    assert (code, out, err) == (2, "", f"error: {tmp_path / 'missing.tar'}: no such file\n")
    assert not data.exists()  # nothing created for a usage error

    broken = tmp_path / "broken.tar"
    with tarfile.open(broken, "w") as tar:
        tar.add(archives.directory / "policy.json", arcname="manifest.json")
    code, out, err = cli(capsys, data, "import", str(broken))
    assert (code, out) == (1, "")
    assert err == f"error: {broken}: manifest.json: expected a non-empty list of images\n"

    # a layer that is not what the manifest says: skopeo or the store's verification
    tampered = tmp_path / "tampered.tar"
    layout = tmp_path / "tampered"
    shutil.copytree(archives.layouts[BUSYBOX], layout)
    desc = json.loads((layout / "index.json").read_text())["manifests"][0]
    manifest: dict[str, Any] = json.loads(
        (layout / "blobs" / desc["digest"].replace(":", "/")).read_text()
    )
    blob = layout / "blobs" / manifest["layers"][0]["digest"].replace(":", "/")
    data_bytes = bytearray(blob.read_bytes())
    data_bytes[100] ^= 0xFF
    blob.write_bytes(bytes(data_bytes))
    tar_directory(layout, tampered)
    code, out, err = cli(capsys, data, "import", str(tampered))
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {tampered}: image 0: failed to copy: ")
    code, out, _ = cli(capsys, data, "ls")
    assert out == "IMAGE               TAG                 IMAGE ID            SIZE\n"


def test_a_running_store_sees_imports_and_removals_of_other_processes(
    archives: Archives, data: Path
) -> None:
    server = ImageStore(data / "images", RegistryHosts())  # as seclet server holds it
    assert server.lookup(AGNHOST) is None
    proc = seclet(data, "import", str(archives.agnhost_oci))
    out, err = proc.communicate(timeout=120)
    assert (proc.returncode, err) == (0, "")
    stored = server.lookup(AGNHOST)
    assert stored is not None
    assert (
        "group-defined-in-image:x:50000:user-defined-in-image"
        in in_image(stored, "etc/group").read_text()
    )
    assert [i.repo_tags for i in asyncio.run(server.list_images())] == [(AGNHOST,)]

    proc = seclet(data, "rm", AGNHOST)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (0, f"Deleted: {AGNHOST}\n", "")
    assert server.lookup(AGNHOST) is None
    assert asyncio.run(server.list_images()) == ()
    server.close()


def test_concurrent_writers_lose_nothing(archives: Archives, data: Path) -> None:
    server = ImageStore(data / "images", RegistryHosts())
    procs = [
        seclet(data, "import", str(archives.busybox_docker)),
        seclet(data, "import", str(archives.agnhost_oci)),
    ]
    imported = asyncio.run(server.import_archive(archives.hello_docker))
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert (proc.returncode, err) == (0, "")
    assert [i.references for i in imported] == [(HELLO,)]
    tags = sorted(t for i in asyncio.run(server.list_images()) for t in i.repo_tags)
    assert tags == sorted([BUSYBOX, AGNHOST, HELLO])
    fresh = ImageStore(data / "images", RegistryHosts())
    assert sorted(t for i in asyncio.run(fresh.list_images()) for t in i.repo_tags) == tags
    fresh.close()
    server.close()


def test_explain_reads_an_imported_image(
    capsys: pytest.CaptureFixture[str], archives: Archives, data: Path
) -> None:
    assert cli(capsys, data, "import", str(archives.agnhost_oci))[0] == 0
    pod = REPO / "examples" / "security-context-5.yaml"
    code = main(
        ["explain", "--node", "reference", "-f", str(pod), "--image", AGNHOST,
         "--data-dir", str(data)]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert "  id:           uid=1000 gid=3000 groups=3000,4000,50000\n" in out


def test_a_digest_name_is_a_repo_digest(
    capsys: pytest.CaptureFixture[str], archives: Archives, data: Path, tmp_path: Path
) -> None:
    layout = tmp_path / "by-digest"
    shutil.copytree(archives.layouts[BUSYBOX], layout)
    index = json.loads((layout / "index.json").read_text())
    digest = index["manifests"][0]["digest"]
    name = f"docker.io/library/busybox@{digest}"
    index["manifests"][0]["annotations"] = {"io.containerd.image.name": name}
    (layout / "index.json").write_text(json.dumps(index))
    archive = tmp_path / "by-digest.tar"
    tar_directory(layout, archive)
    image_id, size = layout_facts(archives.layouts[BUSYBOX])
    code, out, err = cli(capsys, data, "import", str(archive))
    assert (code, out, err) == (0, f"Imported: {name} {image_id}\n", "")
    code, out, _ = cli(capsys, data, "ls")
    assert out == (
        "IMAGE                       TAG                 IMAGE ID            SIZE\n"
        f"docker.io/library/busybox   <none>              {image_id[7:20]}       "
        f"{human_size(size)}\n"
    )
    code, out, _ = cli(capsys, data, "rm", name)
    assert (code, out) == (0, f"Deleted: {name}\n")


def test_racing_importers_and_removers_leave_a_consistent_store(
    archives: Archives, data: Path
) -> None:
    """Three processes import and remove the same images in turn while this one
    looks them up; afterwards the index and the image directories agree."""
    script = (
        "import sys\n"
        "from seclet.cli.main import main\n"
        "data, archive, ref = sys.argv[1:]\n"
        "for _ in range(3):\n"
        "    assert main(['images', '--data-dir', data, 'import', archive]) == 0\n"
        "    main(['images', '--data-dir', data, 'rm', ref])\n"
        "assert main(['images', '--data-dir', data, 'import', archive]) == 0\n"
    )
    server = ImageStore(data / "images", RegistryHosts())
    work = [
        (archives.busybox_docker, BUSYBOX),
        (archives.agnhost_oci, AGNHOST),
        (archives.hello_as_busybox, BUSYBOX),
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(data), str(archive), ref],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for archive, ref in work
    ]
    seen = 0
    while any(p.poll() is None for p in procs):
        for ref in (BUSYBOX, AGNHOST):
            if server.lookup(ref) is not None:
                seen += 1
        time.sleep(0.01)
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert seen > 0
    images = asyncio.run(server.list_images())
    tags = [t for i in images for t in i.repo_tags]
    assert sorted(tags) == sorted(set(tags))  # a tag names one image
    assert AGNHOST in tags  # its only remover imported it last (busybox:1.28 has two)
    assert HELLO not in tags
    on_disk = {p.name for p in (data / "images" / "layers").iterdir()}
    named = {layer.name for i in images for layer in server.lookup(i.id).layers}  # type: ignore[union-attr]
    assert on_disk == named
    left = sorted(p.name for p in (data / "images" / "tmp").iterdir())
    assert len(left) == 2  # only this store's staging directory and its lock
    assert left[1] == f"{left[0]}.lock"
    server.close()
    assert sorted(p.name for p in (data / "images" / "tmp").iterdir()) == []


def test_an_import_unpacks_again_when_the_image_is_removed_meanwhile(
    archives: Archives, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ImageStore(data / "images", RegistryHosts())
    asyncio.run(store.import_archive(archives.agnhost_oci))
    other = ImageStore(data / "images", RegistryHosts())  # another process's store
    original = ImageStore._unpack
    skipped: list[bool] = []

    def racing(self: ImageStore, layout: Path, work: Path, resolved: None) -> Any:
        staged = original(self, layout, work, resolved)
        skipped.append(not staged.staged)
        if not staged.staged:  # every layer was stored; now they go away
            asyncio.run(other.remove_image(ImageSpec(image=AGNHOST)))
        return staged

    monkeypatch.setattr(ImageStore, "_unpack", racing)
    [imported] = asyncio.run(store.import_archive(archives.agnhost_oci))
    assert skipped == [True, False]
    stored = store.lookup(AGNHOST)
    assert stored is not None
    assert stored.image.id == imported.image_id
    assert in_image(stored, "etc/group").is_file()
    other.close()
    store.close()
