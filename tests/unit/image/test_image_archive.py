"""``runtime.image.archive``: which images an archive holds and their names."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from seclet.runtime.image.archive import (
    ArchiveError,
    ArchiveImage,
    docker_images,
    oci_images,
    read_archive,
)

DIGEST = "sha256:" + "a" * 64


def tar_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_docker_manifest_names_normalised_and_selected_by_index() -> None:
    manifest = [
        {"Config": "c.json", "RepoTags": ["busybox:1.28", "docker.io/library/busybox:1.28"]},
        {"Config": "d.json", "RepoTags": None},
        {"Config": "e.json", "RepoTags": ["localhost:5000/x/y"]},
    ]
    assert docker_images(manifest) == (
        ArchiveImage("docker-archive", ":@0", ("docker.io/library/busybox:1.28",)),
        ArchiveImage("docker-archive", ":@1", ()),
        ArchiveImage("docker-archive", ":@2", ("localhost:5000/x/y:latest",)),
    )
    assert docker_images(manifest)[1].source(Path("/a/b.tar")) == "docker-archive:/a/b.tar:@1"


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({}, "manifest.json: expected a non-empty list of images"),
        ([], "manifest.json: expected a non-empty list of images"),
        (["x"], "manifest.json[0]: expected an object"),
        ([{"RepoTags": "a:b"}], "manifest.json[0].RepoTags: expected a list"),
        ([{"RepoTags": [1]}], "manifest.json[0].RepoTags: expected a string, got 1"),
        (
            [{"RepoTags": ["UPPER:1"]}],
            "manifest.json[0].RepoTags: 'UPPER:1': invalid reference format: "
            "repository name (library/UPPER) must be lowercase",
        ),
    ],
)
def test_docker_manifest_refusals(manifest: object, message: str) -> None:
    with pytest.raises(ArchiveError) as info:
        docker_images(manifest)
    assert str(info.value) == message


def desc(annotations: dict[str, str] | None = None) -> dict[str, object]:
    d: dict[str, object] = {"mediaType": "m", "digest": DIGEST, "size": 1}
    if annotations is not None:
        d["annotations"] = annotations
    return d


def test_oci_single_manifest_names() -> None:
    full = {"org.opencontainers.image.ref.name": "registry.k8s.io/pause:3.10"}
    tag_only = {"org.opencontainers.image.ref.name": "1.28"}
    containerd = {
        "io.containerd.image.name": "docker.io/library/busybox:1.28",
        "org.opencontainers.image.ref.name": "1.28",
    }
    assert oci_images({"manifests": [desc(full)]}) == (
        ArchiveImage("oci-archive", "", ("registry.k8s.io/pause:3.10",)),
    )
    assert oci_images({"manifests": [desc(tag_only)]}) == (ArchiveImage("oci-archive", "", ()),)
    assert oci_images({"manifests": [desc()]}) == (ArchiveImage("oci-archive", "", ()),)
    assert oci_images({"manifests": [desc(containerd)]}) == (
        ArchiveImage("oci-archive", "", ("docker.io/library/busybox:1.28",)),
    )


def test_oci_several_manifests_selected_by_ref_name() -> None:
    index = {
        "manifests": [
            desc({"org.opencontainers.image.ref.name": "busybox:1.28"}),
            desc({"org.opencontainers.image.ref.name": "2.45"}),
        ]
    }
    images = oci_images(index)
    assert images == (
        ArchiveImage("oci-archive", ":busybox:1.28", ("docker.io/library/busybox:1.28",)),
        ArchiveImage("oci-archive", ":2.45", ()),
    )
    assert images[0].source(Path("/x.tar")) == "oci-archive:/x.tar:busybox:1.28"


@pytest.mark.parametrize(
    ("index", "message"),
    [
        ({}, "index.json: expected a non-empty manifests list"),
        ([], "index.json: expected a non-empty manifests list"),
        ({"manifests": [1]}, "index.json.manifests[0]: expected an object"),
        (
            {"manifests": [desc({"org.opencontainers.image.ref.name": "a"}), desc()]},
            "index.json.manifests[1]: no org.opencontainers.image.ref.name annotation: an "
            "image of a multi-image oci-archive can only be selected by its ref name",
        ),
        (
            {
                "manifests": [
                    desc({"org.opencontainers.image.ref.name": "a"}),
                    desc({"org.opencontainers.image.ref.name": "a"}),
                ]
            },
            "index.json.manifests[1]: ref name 'a' names two images",
        ),
    ],
)
def test_oci_index_refusals(index: object, message: str) -> None:
    with pytest.raises(ArchiveError) as info:
        oci_images(index)
    assert str(info.value) == message


def test_read_archive_prefers_docker_manifest_and_reads_gzip(tmp_path: Path) -> None:
    manifest = json.dumps([{"Config": "c.json", "RepoTags": ["busybox:1.28"]}]).encode()
    index = json.dumps({"manifests": [desc()]}).encode()
    files = {"./index.json": index, "oci-layout": b"{}", "manifest.json": manifest}
    path = tmp_path / "save.tar.gz"
    path.write_bytes(gzip.compress(tar_bytes(files)))
    contents = read_archive(path)
    assert contents.transport == "docker-archive"
    assert contents.images == (
        ArchiveImage("docker-archive", ":@0", ("docker.io/library/busybox:1.28",)),
    )


def test_read_archive_oci(tmp_path: Path) -> None:
    index = json.dumps({"manifests": [desc({"io.containerd.image.name": "a/b:c"})]}).encode()
    path = tmp_path / "oci.tar"
    path.write_bytes(tar_bytes({"index.json": index, "oci-layout": b"{}"}))
    assert read_archive(path).images == (ArchiveImage("oci-archive", "", ("docker.io/a/b:c",)),)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"index.json": b"{}"},
            "not a docker-archive or oci-archive tar: no manifest.json, nor index.json "
            "with oci-layout",
        ),
        (
            {"manifest.json": b"[{"},
            "manifest.json: Expecting property name enclosed in "
            "double quotes: line 1 column 3 (char 2)",
        ),
    ],
)
def test_read_archive_refusals(tmp_path: Path, files: dict[str, bytes], message: str) -> None:
    path = tmp_path / "a.tar"
    path.write_bytes(tar_bytes(files))
    with pytest.raises(ArchiveError) as info:
        read_archive(path)
    assert str(info.value) == message


def test_read_archive_not_a_tar_and_oversized_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"hello" * 200)
    with pytest.raises(ArchiveError) as info:
        read_archive(junk)
    assert str(info.value).startswith("not a docker-archive or oci-archive tar: ")
    monkeypatch.setattr("seclet.runtime.image.archive.MAX_INDEX_BYTES", 10)
    big = tmp_path / "big.tar"
    big.write_bytes(tar_bytes({"manifest.json": b"[" + b" " * 20 + b"]"}))
    with pytest.raises(ArchiveError) as info:
        read_archive(big)
    assert str(info.value) == "manifest.json: larger than 10 bytes"
    with pytest.raises(ArchiveError) as info:
        read_archive(tmp_path / "missing.tar")
    assert str(info.value) == "No such file or directory"
