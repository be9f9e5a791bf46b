"""What an image archive holds: a docker-archive (``docker save``) or an oci-archive.

Role: ``read_archive(path)`` reads a tar (plain or gzip) once, as a stream, keeping
only its small index files (``manifest.json`` of a docker-archive; ``index.json`` and
``oci-layout`` of an oci-archive; at most ``MAX_INDEX_BYTES`` each), and returns
``ArchiveContents``: per image, the ``skopeo copy`` source that selects exactly that
image and the references it is imported under. The naming rules are pure
(``docker_images``, ``oci_images``):

- docker-archive (chosen when ``manifest.json`` is present, even beside an
  ``index.json``, as ``docker save`` of Docker 25 writes both): each entry's
  ``RepoTags``, normalised (``busybox:1.28`` -> ``docker.io/library/busybox:1.28``);
  the source is ``docker-archive:<path>:@<n>``.
- oci-archive: a manifest's ``io.containerd.image.name`` annotation (a full
  reference, as ``ctr export`` and ``nerdctl save`` write it), else its
  ``org.opencontainers.image.ref.name`` when that is a reference (contains ``/`` or
  ``:``); a bare ref name (``1.28``, ``latest``) is only a tag, so that image is
  imported without a name, as containerd does. The source is ``oci-archive:<path>``
  for a single manifest, else ``oci-archive:<path>:<ref name>`` (skopeo 1.9 selects
  oci-archive images by ref name only, so every manifest then needs a unique one).

Callers: seclet.runtime.image.store (``ImageStore.import_archive``), tests.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seclet.runtime.image.reference import InvalidReferenceError, normalize

MAX_INDEX_BYTES = 4 * 1024 * 1024
DOCKER_MANIFEST = "manifest.json"
OCI_INDEX = "index.json"
OCI_LAYOUT = "oci-layout"
ANNOTATION_IMAGE_NAME = "io.containerd.image.name"
ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"


class ArchiveError(ValueError):
    """Not an importable archive; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class ArchiveImage:
    """One image of an archive: how skopeo selects it, and its references."""

    transport: str
    """``docker-archive`` or ``oci-archive``."""
    selector: str
    """What follows ``<transport>:<path>``: ``:@0``, ``:1.28`` or nothing."""
    references: tuple[str, ...]
    """Normalised references, in the archive's order; empty for an unnamed image."""

    def source(self, path: Path) -> str:
        """The ``skopeo copy`` source for this image of the archive at ``path``."""
        return f"{self.transport}:{path}{self.selector}"


@dataclass(frozen=True, slots=True)
class ArchiveContents:
    transport: str
    images: tuple[ArchiveImage, ...]


def _references(names: Sequence[object], where: str) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        if not isinstance(name, str):
            raise ArchiveError(f"{where}: expected a string, got {name!r}")
        try:
            ref = normalize(name)
        except InvalidReferenceError as exc:
            raise ArchiveError(f"{where}: {name!r}: {exc}") from None
        if ref not in out:
            out.append(ref)
    return tuple(out)


def docker_images(manifest: object) -> tuple[ArchiveImage, ...]:
    """The images of a docker-archive's ``manifest.json`` (already parsed)."""
    if not isinstance(manifest, list) or not manifest:
        raise ArchiveError(f"{DOCKER_MANIFEST}: expected a non-empty list of images")
    images = []
    for n, entry in enumerate(manifest):
        if not isinstance(entry, dict):
            raise ArchiveError(f"{DOCKER_MANIFEST}[{n}]: expected an object")
        tags = entry.get("RepoTags") or []
        if not isinstance(tags, list):
            raise ArchiveError(f"{DOCKER_MANIFEST}[{n}].RepoTags: expected a list")
        refs = _references(tags, f"{DOCKER_MANIFEST}[{n}].RepoTags")
        images.append(ArchiveImage("docker-archive", f":@{n}", refs))
    return tuple(images)


def _oci_name(annotations: Mapping[str, Any], where: str) -> tuple[str, ...]:
    full = annotations.get(ANNOTATION_IMAGE_NAME)
    if full:
        return _references([full], f"{where}.annotations[{ANNOTATION_IMAGE_NAME}]")
    ref_name = annotations.get(ANNOTATION_REF_NAME)
    if isinstance(ref_name, str) and ("/" in ref_name or ":" in ref_name):
        return _references([ref_name], f"{where}.annotations[{ANNOTATION_REF_NAME}]")
    return ()


def oci_images(index: object) -> tuple[ArchiveImage, ...]:
    """The images of an oci-archive's ``index.json`` (already parsed)."""
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list) or not manifests:
        raise ArchiveError(f"{OCI_INDEX}: expected a non-empty manifests list")
    images = []
    seen: set[str] = set()
    for n, desc in enumerate(manifests):
        where = f"{OCI_INDEX}.manifests[{n}]"
        if not isinstance(desc, dict):
            raise ArchiveError(f"{where}: expected an object")
        annotations = desc.get("annotations") or {}
        if not isinstance(annotations, dict):
            raise ArchiveError(f"{where}.annotations: expected an object")
        refs = _oci_name(annotations, where)
        if len(manifests) == 1:
            images.append(ArchiveImage("oci-archive", "", refs))
            continue
        ref_name = annotations.get(ANNOTATION_REF_NAME)
        if not isinstance(ref_name, str) or not ref_name:
            raise ArchiveError(
                f"{where}: no {ANNOTATION_REF_NAME} annotation: an image of a "
                "multi-image oci-archive can only be selected by its ref name"
            )
        if ref_name in seen:
            raise ArchiveError(f"{where}: ref name {ref_name!r} names two images")
        seen.add(ref_name)
        images.append(ArchiveImage("oci-archive", f":{ref_name}", refs))
    return tuple(images)


def _member_name(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def read_archive(path: Path) -> ArchiveContents:
    """Read ``path``'s index files (one streaming pass) and name its images."""
    wanted = {DOCKER_MANIFEST, OCI_INDEX, OCI_LAYOUT}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r|*") as tar:
            for member in tar:
                name = _member_name(member.name)
                if name not in wanted or not member.isfile():
                    continue
                if member.size > MAX_INDEX_BYTES:
                    raise ArchiveError(f"{name}: larger than {MAX_INDEX_BYTES} bytes")
                fh = tar.extractfile(member)
                if fh is not None:
                    found[name] = fh.read()
    except OSError as exc:
        raise ArchiveError(exc.strerror or str(exc)) from None
    except (tarfile.TarError, EOFError) as exc:
        raise ArchiveError(f"not a docker-archive or oci-archive tar: {exc}") from None

    def parsed(name: str) -> object:
        try:
            return json.loads(found[name])
        except (ValueError, UnicodeDecodeError) as exc:
            raise ArchiveError(f"{name}: {exc}") from None

    if DOCKER_MANIFEST in found:
        return ArchiveContents("docker-archive", docker_images(parsed(DOCKER_MANIFEST)))
    if OCI_INDEX in found and OCI_LAYOUT in found:
        return ArchiveContents("oci-archive", oci_images(parsed(OCI_INDEX)))
    raise ArchiveError(
        f"not a docker-archive or oci-archive tar: no {DOCKER_MANIFEST}, "
        f"nor {OCI_INDEX} with {OCI_LAYOUT}"
    )
