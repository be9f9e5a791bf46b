"""The node's image store: CRI ``ImageService`` and the runtime's ``ImageLookup``.

Role: ``ImageStore(root, hosts)`` pulls images through the configured mirrors and
keeps each layer unpacked once, shared by every image that has it, as containerd's
CRI plugin does with its content store and overlayfs snapshotter:

1. ``pull_image`` normalises the reference (``busybox:1.28`` ->
   ``docker.io/library/busybox:1.28``), resolves it on the mirrors to a manifest
   digest (``resolve``), and ``skopeo copy``-ies exactly that digest
   (``docker://<mirror>/<path>@<digest>``) into a temporary OCI layout under the
   process's ``<root>/tmp/<token>/`` (``--src-tls-verify=false`` only for a loopback http mirror; a
   policy file under ``<root>`` accepts any image, so no ``/etc/containers`` file is
   read; credentials go in a 0600 auth file, never on the command line).
2. It reads the layout's index, manifest and config, checks every blob's sha256,
   and names each layer by its chain id (``sha256(parent chain id + " " + diff id)``,
   the key of containerd's committed snapshots). Each layer not yet at
   ``<root>/layers/<chain hex>`` is unpacked in order (``unpack``, in overlayfs
   format over the layers below it, the image's new layers bounded together by
   ``UnpackLimits``) into a staging directory beside the layout, its diff id checked
   against the config's ``rootfs.diff_ids``; under the store lock (below) each moves
   to ``<root>/layers/<chain hex>`` by an atomic rename unless it is there already.
3. The image record (tags, repo digests, size, config, chain ids) is saved in
   ``<root>/images.json`` (0600, written to a temporary file and renamed), so a new
   ``ImageStore`` on the same root knows every image. The runtime mounts an image as
   an overlay whose lower directories are its layers, nearest first (``lookup``).

Several processes may open one root (``seclet server`` and ``seclet images``):

- every change of the index or of ``<root>/layers`` (commit of unpacked layers,
  tags, removal, the sweep at open) happens under an exclusive ``flock`` on
  ``<root>/lock``, after re-reading the index, so no writer loses another's change;
  the index is replaced by an atomic rename, and a layer directory appears (rename
  from the process's staging) in the same locked step that records its image;
- readers take no lock: every lookup compares the index file's inode with the one it
  last read (whose file it keeps open, so the inode cannot be reused) and re-reads it
  when another process replaced it, so a running server sees ``seclet images
  import``/``rm`` at its next lookup;
- each process stages under its own ``<root>/tmp/<token>/``, kept alive by an
  ``flock`` on ``<root>/tmp/<token>.lock``; the sweep at open removes only the
  directories whose lock nobody holds, and layers no image names.

``remove_image`` drops the record under the lock, then deletes the layers no other
image names unless a mounted overlay (``/proc/self/mountinfo``) still has them as
lower directories: a running container keeps its files, as with containerd, and a
later removal or open deletes them once nothing mounts them.

``import_archive`` imports a docker-archive or oci-archive tar (``archive``) by
``skopeo copy``-ing each image (a docker-archive's through ``dir:``, which keeps its
config, so the image id is docker's, and its layers as they are; an oci-archive's
straight to ``oci:``) into an OCI layout and taking the same verify, unpack and
commit steps as a pull; its size is the manifest, config and layers as stored.

Concurrent pulls of one reference share one pull. A tag moves to the image pulled
or imported last, as in containerd. Errors are ``ImagePullError`` with containerd's
CRI text: ``failed to pull and unpack image "<ref>": failed to resolve reference "<ref>": ...``.
``Image.size`` is containerd's ``images.Image.Size``: the resolved manifest (or
index and the chosen manifest), the config and the compressed layers.
Callers: seclet.runtime.runc (ImageLookup), the kubelet through seclet.cri
(ImageService), the CLI that builds the node, ``seclet images`` and ``seclet explain
--image``, tests.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seclet.cri.errors import ImagePullError, ImagePullNotFoundError
from seclet.cri.types import AuthConfig, Image, ImageSpec
from seclet.runtime.image.archive import ArchiveError, read_archive
from seclet.runtime.image.config import ImageConfigError, parse_image_config
from seclet.runtime.image.hosts import RegistryHosts
from seclet.runtime.image.reference import (
    InvalidReferenceError,
    Reference,
    normalize,
    parse_docker_ref,
)
from seclet.runtime.image.resolve import Resolved, ResolveError, ResolveNotFoundError, resolve
from seclet.runtime.image.stored import StoredImage
from seclet.runtime.image.unpack import Layer, UnpackBudget, UnpackError, UnpackLimits, unpack_layer
from seclet.runtime.oci.inputs import ImageConfig

INDEX_FILE = "images.json"
LOCK_FILE = "lock"
MOUNTINFO = Path("/proc/self/mountinfo")
INDEX_VERSION = 2
"""2: layers shared by chain id; an index of another version is not read (its images
are pulled again) and the sweep removes version 1's ``<root>/images`` trees."""
SKOPEO = "skopeo"
DEFAULT_LIMITS = UnpackLimits()
_HEX64 = re.compile(r"^[a-f0-9]{64}$")
_HEX_PREFIX = re.compile(r"^[a-f0-9]{12,64}$")
_SKOPEO_MSG = re.compile(r'msg="((?:[^"\\]|\\.)*)"')
_INT = re.compile(r"^[+-]?[0-9]+$")
_BLOB_CHUNK = 1024 * 1024
_MAX_JSON_BLOB = 4 * 1024 * 1024


class ImageImportError(Exception):
    """An archive that cannot be imported; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class ImportedImage:
    """One image of an imported archive: its id and the references now naming it."""

    image_id: str
    references: tuple[str, ...]


class _PullStepError(Exception):
    """A pull step failed; the message follows containerd's ``failed to pull and
    unpack image "<ref>": `` prefix."""


def image_user(user: str) -> tuple[int | None, str]:
    """CRI's ``getUserFromImage``: (uid, username) from config ``User``."""
    if not user:
        return None, ""
    name = user.split(":", maxsplit=1)[0]
    if _INT.match(name) and -(2**63) <= int(name) < 2**63:
        return int(name), ""
    return None, name


def skopeo_error(stderr: bytes, status: int | None) -> str:
    """The message of skopeo's last log line (``level=fatal msg="..."``)."""
    lines = stderr.decode(errors="replace").strip().splitlines()
    if not lines:
        return f"skopeo exited with status {status}"
    m = _SKOPEO_MSG.search(lines[-1])
    if m is None:
        return lines[-1]
    escapes = {"n": "\n", "t": "\t"}
    return re.sub(r"\\(.)", lambda e: escapes.get(e.group(1), e.group(1)), m.group(1))


@dataclass(frozen=True, slots=True)
class _Record:
    """One stored image: what ``images.json`` keeps per image id."""

    image: Image
    config: ImageConfig
    layers: tuple[str, ...]
    """Chain ids of the layers, lowest first."""

    def to_json(self) -> dict[str, Any]:
        i, c = self.image, self.config
        return {
            "id": i.id,
            "layers": list(self.layers),
            "repo_tags": list(i.repo_tags),
            "repo_digests": list(i.repo_digests),
            "size": i.size,
            "config": {
                "entrypoint": None if c.entrypoint is None else list(c.entrypoint),
                "cmd": list(c.cmd),
                "env": list(c.env),
                "user": c.user,
                "working_dir": c.working_dir,
                "stop_signal": c.stop_signal,
            },
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> _Record:
        c = doc["config"]
        config = ImageConfig(
            entrypoint=None if c["entrypoint"] is None else tuple(c["entrypoint"]),
            cmd=tuple(c["cmd"]),
            env=tuple(c["env"]),
            user=c["user"],
            working_dir=c["working_dir"],
            stop_signal=c.get("stop_signal", ""),
        )
        return cls(
            _image(
                str(doc["id"]),
                tuple(doc["repo_tags"]),
                tuple(doc["repo_digests"]),
                int(doc["size"]),
                config,
            ),
            config,
            tuple(str(chain) for chain in doc["layers"]),
        )


def _image(
    image_id: str,
    tags: tuple[str, ...],
    digests: tuple[str, ...],
    size: int,
    config: ImageConfig,
) -> Image:
    uid, username = image_user(config.user)
    return Image(
        id=image_id,
        repo_tags=tags,
        repo_digests=digests,
        size=size,
        uid=uid,
        username=username,
        user=config.user,
        entrypoint=config.entrypoint,
        cmd=config.cmd,
        env=config.env,
        working_dir=config.working_dir,
    )


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_BLOB_CHUNK):
            h.update(chunk)
    return f"sha256:{h.hexdigest()}"


def chain_ids(diff_ids: Sequence[str]) -> tuple[str, ...]:
    """The OCI chain ids of layers with ``diff_ids`` (lowest first)."""
    chains: list[str] = []
    for diff_id in diff_ids:
        if not chains:
            chains.append(diff_id)
        else:
            digest = hashlib.sha256(f"{chains[-1]} {diff_id}".encode()).hexdigest()
            chains.append(f"sha256:{digest}")
    return tuple(chains)


@dataclass(frozen=True, slots=True)
class _Layout:
    """A pulled OCI layout, read and verified."""

    config_digest: str
    config_text: str
    manifest_size: int
    config_size: int
    layers: tuple[Layer, ...]
    layer_sizes: tuple[int, ...]
    diff_ids: tuple[str, ...]


def _blob_path(layout: Path, digest: str) -> Path:
    algorithm, _, encoded = digest.partition(":")
    if algorithm != "sha256" or not _HEX64.match(encoded):
        raise _PullStepError(f"unsupported digest {digest!r}")
    return layout / "blobs" / "sha256" / encoded


def _verified(layout: Path, desc: Mapping[str, Any]) -> Path:
    digest = str(desc.get("digest", ""))
    path = _blob_path(layout, digest)
    if not path.is_file():
        raise _PullStepError(f"failed to copy: {digest}: not found")
    actual = _sha256_file(path)
    if actual != digest:
        raise _PullStepError(f"failed to copy: {digest}: digest mismatch: got {actual}")
    if path.stat().st_size != desc.get("size"):
        raise _PullStepError(f"failed to copy: {digest}: unexpected size")
    return path


def _json_blob(layout: Path, desc: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    path = _verified(layout, desc)
    if path.stat().st_size > _MAX_JSON_BLOB:
        raise _PullStepError(f"{desc.get('digest')}: larger than {_MAX_JSON_BLOB} bytes")
    text = path.read_text()
    doc = json.loads(text)
    if not isinstance(doc, dict):
        raise _PullStepError(f"{desc.get('digest')}: expected a JSON object")
    return text, doc


def _read_layout(layout: Path) -> _Layout:
    index = json.loads((layout / "index.json").read_text())
    manifests = index.get("manifests") or []
    if len(manifests) != 1:
        raise _PullStepError(f"expected one manifest in the pulled layout, got {len(manifests)}")
    _, manifest = _json_blob(layout, manifests[0])
    config_desc = manifest.get("config") or {}
    config_text, config = _json_blob(layout, config_desc)
    layers = tuple(manifest.get("layers") or [])
    paths = tuple(Layer(_verified(layout, d), str(d["digest"])) for d in layers)
    diff_ids = tuple((config.get("rootfs") or {}).get("diff_ids") or [])
    if len(diff_ids) != len(paths):
        raise _PullStepError("mismatched image rootfs and manifest layers")
    return _Layout(
        config_digest=str(config_desc["digest"]),
        config_text=config_text,
        manifest_size=int(manifests[0]["size"]),
        config_size=int(config_desc["size"]),
        layers=paths,
        layer_sizes=tuple(int(d["size"]) for d in layers),
        diff_ids=tuple(str(d) for d in diff_ids),
    )


def _mountinfo_unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def overlay_lower_dirs(mountinfo: str) -> frozenset[str]:
    """Every ``lowerdir`` of the overlay mounts a ``/proc/<pid>/mountinfo`` lists
    (a lower given as ``/proc/self/fd/<n>``, see ``seclet.runtime.runc.mounts``, is
    listed as it is: the caller then keeps every layer)."""
    lowers: set[str] = set()
    for line in mountinfo.splitlines():
        _, sep, tail = line.partition(" - ")
        fields = tail.split(" ")
        if not sep or len(fields) < 3 or fields[0] != "overlay":
            continue
        for option in fields[2].split(","):
            if option.startswith("lowerdir="):
                lowers.update(
                    _mountinfo_unescape(d) for d in option[len("lowerdir=") :].split(":") if d
                )
    return frozenset(lowers)


def _flock(path: Path, *, blocking: bool) -> int | None:
    """An fd of ``path`` (created 0600) holding an exclusive ``flock``; None when
    another open file holds it and ``blocking`` is false. Closing the fd unlocks."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = _flock(path, blocking=True)
    assert fd is not None
    try:
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class _Staged:
    """A verified image whose missing layers are unpacked under the process's
    staging directory (``staged``: chain id -> its unpacked directory)."""

    image_id: str
    config: ImageConfig
    size: int
    layers: tuple[str, ...]
    staged: dict[str, Path]


def _dir_to_layout(copied: Path, layout: Path) -> None:
    """Present a skopeo ``dir:`` copy (``manifest.json`` and blobs named by their
    sha256 hex) as a one-image OCI layout, blobs hard-linked; ``_read_layout``
    verifies every digest as for a pull."""
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for blob in copied.iterdir():
        if _HEX64.match(blob.name):
            os.link(blob, blobs / blob.name)
    manifest = (copied / "manifest.json").read_bytes()
    digest = hashlib.sha256(manifest).hexdigest()
    (blobs / digest).write_bytes(manifest)
    media_type = json.loads(manifest).get("mediaType", "")
    desc = {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(manifest)}
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [desc]}))
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))


def _plain_tar(archive: Path, link: Path) -> None:
    """``link`` names ``archive`` for skopeo: a symbolic link to it, or, for a gzip'd
    tar (which skopeo 1.9 cannot read), a decompressed copy."""
    with archive.open("rb") as fh:
        if fh.read(2) != b"\x1f\x8b":
            link.symlink_to(archive.absolute())
            return
        fh.seek(0)
        with gzip.GzipFile(fileobj=fh, mode="rb") as src, link.open("xb") as dst:
            shutil.copyfileobj(src, dst, _BLOB_CHUNK)


def _write_if_changed(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically, only when its content differs (another process
    may be reading it right now)."""
    with contextlib.suppress(OSError):
        if path.read_bytes() == data:
            return
    _write_private(path, data)


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600) by a temporary file and an atomic rename."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class ImageStore:
    """CRI ``ImageService`` + ``ImageLookup`` over ``root`` (see the module doc)."""

    def __init__(
        self,
        root: Path,
        hosts: RegistryHosts,
        *,
        limits: UnpackLimits = DEFAULT_LIMITS,
        skopeo: str = SKOPEO,
    ) -> None:
        self.root = root.absolute()
        self.hosts = hosts
        self.limits = limits
        self.skopeo = skopeo
        self._records: dict[str, _Record] = {}
        self._index_fd: int | None = None
        self._index_id: tuple[int, int] | None = None
        self._work_lock_fd: int | None = None
        self._pulls: dict[str, asyncio.Task[str]] = {}
        self._lock = asyncio.Lock()
        self._open()

    # --- paths and persistence -------------------------------------------------

    @property
    def _layers_dir(self) -> Path:
        return self.root / "layers"

    @property
    def _tmp_dir(self) -> Path:
        return self.root / "tmp"

    def layer_dir(self, chain_id: str) -> Path:
        """``<root>/layers/<chain hex>``: one unpacked layer (overlayfs format)."""
        return self._layers_dir / chain_id.removeprefix("sha256:")

    def _open(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._layers_dir.mkdir(mode=0o711, exist_ok=True)
        self._tmp_dir.mkdir(mode=0o700, exist_ok=True)
        with _locked(self.root / LOCK_FILE):
            policy = {"default": [{"type": "insecureAcceptAnything"}]}
            _write_if_changed(self.root / "policy.json", json.dumps(policy).encode())
            _write_if_changed(self.root / "registries.conf", b"")
            (self.root / "registries.d").mkdir(exist_ok=True)
            self._refresh(strict=True)
            self._sweep()
            token = secrets.token_hex(8)
            self._work_lock_fd = _flock(self._tmp_dir / f"{token}.lock", blocking=False)
            self._work = self._tmp_dir / token
            self._work.mkdir(mode=0o700)

    def close(self) -> None:
        """Remove this process's staging directory and release it and the index."""
        if self._work_lock_fd is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work.with_name(f"{self._work.name}.lock").unlink(missing_ok=True)
        for fd in (self._index_fd, self._work_lock_fd):
            if fd is not None:
                os.close(fd)
        self._index_fd = self._work_lock_fd = None
        self._index_id = None

    def _sweep(self) -> None:
        """Under the store lock: remove staging directories of processes that are
        gone, layers no image names (a crash or a removal left them) and version 1's
        per-image trees, each unless a mounted overlay still uses it."""
        for entry in self._tmp_dir.iterdir():
            if entry.name.endswith(".lock"):
                fd = _flock(entry, blocking=False)
                if fd is None:
                    continue  # its process is alive
                try:
                    shutil.rmtree(entry.with_suffix(""), ignore_errors=True)
                    entry.unlink(missing_ok=True)
                finally:
                    os.close(fd)
            elif not entry.with_name(f"{entry.name}.lock").exists():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        in_use = self._lower_dirs_in_use()
        legacy = self.root / "images"
        if legacy.is_dir():
            for tree in legacy.iterdir():
                if str(tree / "rootfs") not in in_use:
                    shutil.rmtree(tree, ignore_errors=True)
            with contextlib.suppress(OSError):
                legacy.rmdir()
        self._collect_layers(in_use)

    def _collect_layers(self, in_use: frozenset[str] | None = None) -> None:
        """Under the store lock: delete the layers no image names and no mounted
        overlay uses (every layer is kept while an overlay's lowers are fds)."""
        if in_use is None:
            in_use = self._lower_dirs_in_use()
        if any(d.startswith("/proc/") for d in in_use):
            return
        named = {
            chain.removeprefix("sha256:") for r in self._records.values() for chain in r.layers
        }
        for layer in self._layers_dir.iterdir():
            if layer.name not in named and str(layer) not in in_use:
                shutil.rmtree(layer, ignore_errors=True)

    def _lower_dirs_in_use(self) -> frozenset[str]:
        """The overlay lower directories mounted now (the runtime mounts each
        container's rootfs with its image's layers as the lowers)."""
        try:
            return overlay_lower_dirs(MOUNTINFO.read_text(errors="replace"))
        except OSError:
            return frozenset()

    def _refresh(self, *, strict: bool = False) -> None:
        """Re-read the index when another process replaced it (see the module doc).

        The file last read stays open, so its inode is never reused while it is the
        one compared with. A file that cannot be read keeps the records as they were
        (raises with ``strict``, at open)."""
        path = self.root / INDEX_FILE
        try:
            st = path.stat()
        except FileNotFoundError:
            if self._index_id is not None or strict:
                self._adopt(None, None, {})
            return
        if (st.st_dev, st.st_ino) == self._index_id:
            return
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return  # replaced again meanwhile; the next lookup reads it
        try:
            fst = os.fstat(fd)
            with os.fdopen(os.dup(fd), "rb") as fh:
                doc = json.loads(fh.read())
            records: dict[str, _Record] = {}
            entries = doc.get("images", []) if doc.get("version") == INDEX_VERSION else []
            for entry in entries:
                record = _Record.from_json(entry)
                if all(self.layer_dir(chain).is_dir() for chain in record.layers):
                    records[record.image.id] = record
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            os.close(fd)
            if strict:
                raise
            return
        self._adopt(fd, (fst.st_dev, fst.st_ino), records)

    def _adopt(
        self, fd: int | None, index_id: tuple[int, int] | None, records: dict[str, _Record]
    ) -> None:
        if self._index_fd is not None:
            os.close(self._index_fd)
        self._index_fd, self._index_id, self._records = fd, index_id, records

    def _index_bytes(self) -> bytes:
        doc = {"version": INDEX_VERSION, "images": [r.to_json() for r in self._records.values()]}
        return json.dumps(doc, indent=1).encode()

    async def _save(self) -> None:
        """Write the index (only inside ``_writing``) and adopt the new file."""
        await asyncio.to_thread(_write_private, self.root / INDEX_FILE, self._index_bytes())
        self._refresh()

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        """The store lock of this process and, across processes, the ``flock`` on
        ``<root>/lock``, with the index re-read under it."""
        async with self._lock:
            delay = 0.002
            while (fd := _flock(self.root / LOCK_FILE, blocking=False)) is None:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)
            try:
                self._refresh()
                yield
            finally:
                os.close(fd)

    # --- lookups ---------------------------------------------------------------

    def _find(self, ref_or_id: str) -> _Record | None:
        """containerd's ``LocalResolve``: a reference (normalised), else an id
        (``sha256:<hex>``, ``<hex>`` or an unambiguous prefix of at least 12)."""
        with contextlib.suppress(InvalidReferenceError):
            name = normalize(ref_or_id)
            for record in self._records.values():
                if name in record.image.repo_tags or name in record.image.repo_digests:
                    return record
        hex_id = ref_or_id.removeprefix("sha256:")
        if not _HEX_PREFIX.match(hex_id):
            return None
        matches = [r for i, r in self._records.items() if i[len("sha256:") :].startswith(hex_id)]
        return matches[0] if len(matches) == 1 else None

    def lookup(self, ref: str) -> StoredImage | None:
        self._refresh()
        record = self._find(ref)
        if record is None:
            return None
        layers = tuple(self.layer_dir(chain) for chain in reversed(record.layers))
        return StoredImage(record.image, layers, record.config)

    async def list_images(self) -> tuple[Image, ...]:
        self._refresh()
        return tuple(r.image for r in self._records.values())

    async def image_status(self, image: ImageSpec) -> Image | None:
        self._refresh()
        record = self._find(image.image)
        return None if record is None else record.image

    # --- remove ----------------------------------------------------------------

    async def remove_image(self, image: ImageSpec) -> None:
        """Remove the image and all its references; absent images are not an error.

        Under the store lock the record goes, then every layer no other image names
        is deleted unless a mounted overlay still has it as a lower directory (a
        running container keeps its root filesystem, as with containerd, whose
        snapshots outlive the image record): a later removal or open deletes it once
        nothing mounts it."""
        async with self._writing():
            record = self._find(image.image)
            if record is None:
                return
            del self._records[record.image.id]
            await self._save()
            await asyncio.to_thread(self._collect_layers)

    # --- pull ------------------------------------------------------------------

    async def pull_image(self, image: ImageSpec, auth: AuthConfig | None = None) -> str:
        try:
            ref = parse_docker_ref(image.image)
        except InvalidReferenceError as exc:
            raise ImagePullError(
                f'failed to parse image reference "{image.image}": {exc}'
            ) from None
        key = str(ref)
        task = self._pulls.get(key)
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.create_task(self._pull(ref, auth))
            self._pulls[key] = task
            task.add_done_callback(
                lambda done: self._pulls.pop(key) if self._pulls.get(key) is done else None
            )
        return await asyncio.shield(task)

    async def _pull(self, ref: Reference, auth: AuthConfig | None) -> str:
        name = str(ref)
        creds = (auth.username, auth.password) if auth and auth.username else None
        try:
            try:
                resolved = await resolve(ref, self.hosts, creds)
            except ResolveNotFoundError as exc:
                raise ImagePullNotFoundError(
                    f'failed to pull and unpack image "{name}": '
                    f'failed to resolve reference "{name}": {exc}'
                ) from None
            except ResolveError as exc:
                raise _PullStepError(f'failed to resolve reference "{name}": {exc}') from None
            return await self._fetch(ref, resolved, creds)
        except (_PullStepError, OSError) as exc:
            raise ImagePullError(f'failed to pull and unpack image "{name}": {exc}') from None

    async def _fetch(
        self, ref: Reference, resolved: Resolved, creds: tuple[str, str] | None
    ) -> str:
        repo_digest = f"{ref.name}@{resolved.digest}"
        tags = () if ref.digest else (str(ref),)
        async with self._writing():
            known = self._find(repo_digest)
            if known is not None:
                self._name(known.image.id, tags, (repo_digest,))
                await self._save()
                return known.image.id
        work = self._work / f"pull-{secrets.token_hex(8)}"
        await asyncio.to_thread(work.mkdir, 0o700)
        try:
            layout = work / "layout"
            await self._copy(resolved, ref, layout, creds, work)
            return await self._store(layout, work, resolved, tags, (repo_digest,))
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)

    async def _store(
        self,
        layout: Path,
        work: Path,
        resolved: Resolved | None,
        tags: Sequence[str],
        digests: Sequence[str],
    ) -> str:
        """Verify, unpack the layers not stored yet and commit a layout; unpack again
        when another process removed a stored layer meanwhile."""
        staged = await asyncio.to_thread(self._unpack, layout, work, resolved)
        image_id = await self._commit(staged, tags, digests)
        if image_id:
            return image_id
        staged = await asyncio.to_thread(self._unpack, layout, work, resolved)
        image_id = await self._commit(staged, tags, digests)
        if not image_id:
            raise _PullStepError("a layer was removed while the image was being stored")
        return image_id

    async def _commit(self, staged: _Staged, tags: Sequence[str], digests: Sequence[str]) -> str:
        """Under the store lock: move the unpacked layers into place (unless there),
        record the image, point ``tags`` and ``digests`` at it and save the index.
        "" when a layer that was not unpacked is gone (removed meanwhile)."""
        image_id = staged.image_id
        async with self._writing():
            for chain in staged.layers:
                final = self.layer_dir(chain)
                if final.is_dir():
                    continue
                if chain not in staged.staged:
                    return ""
                await asyncio.to_thread(staged.staged[chain].rename, final)
            if image_id not in self._records:
                image = _image(image_id, (), (), staged.size, staged.config)
                self._records[image_id] = _Record(image, staged.config, staged.layers)
            self._name(image_id, tags, digests)
            await self._save()
        return image_id

    def _name(self, image_id: str, tags: Sequence[str], digests: Sequence[str]) -> None:
        """Point ``tags`` (and the repo digests) at ``image_id``, moving a tag that
        named another image (inside ``_writing``; the caller saves)."""
        for other_id, other in list(self._records.items()):
            if other_id != image_id and any(t in other.image.repo_tags for t in tags):
                kept = tuple(t for t in other.image.repo_tags if t not in tags)
                self._records[other_id] = replace(other, image=replace(other.image, repo_tags=kept))
        record = self._records[image_id]
        have_tags = record.image.repo_tags
        have_digests = record.image.repo_digests
        have_tags = (*have_tags, *(t for t in tags if t not in have_tags))
        have_digests = (*have_digests, *(d for d in digests if d not in have_digests))
        self._records[image_id] = replace(
            record, image=replace(record.image, repo_tags=have_tags, repo_digests=have_digests)
        )

    async def _copy(
        self,
        resolved: Resolved,
        ref: Reference,
        layout: Path,
        creds: tuple[str, str] | None,
        work: Path,
    ) -> None:
        source = resolved.endpoint.source(ref, resolved.digest)
        args = []
        if resolved.endpoint.plain_http:
            args.append("--src-tls-verify=false")
        if creds is None:
            args.append("--src-no-creds")
        else:
            authfile = work / "auth.json"
            host = resolved.endpoint.netloc
            token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            data = json.dumps({"auths": {host: {"auth": token}}}).encode()
            await asyncio.to_thread(_write_private, authfile, data)
            args += ["--src-authfile", str(authfile)]
        await self._skopeo_copy(args, source, layout, work)

    async def _skopeo_copy(
        self, options: Sequence[str], source: str, layout: Path, work: Path
    ) -> None:
        """``skopeo copy <options> <source> oci:<layout>:image`` with the store's
        policy and an empty registries.conf; its fatal message as ``_PullStepError``."""
        await self._skopeo(options, source, f"oci:{layout}:image", work)

    async def _skopeo(
        self, options: Sequence[str], source: str, destination: str, work: Path
    ) -> None:
        args = [
            self.skopeo,
            "--policy",
            str(self.root / "policy.json"),
            "--registries.d",
            str(self.root / "registries.d"),
            "--tmpdir",
            str(work),
            "copy",
            "--quiet",
            *options,
            source,
            destination,
        ]
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "HOME": str(work),
            "TMPDIR": str(work),
            "CONTAINERS_REGISTRIES_CONF": str(self.root / "registries.conf"),
        }
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            _, stderr = await proc.communicate()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        if proc.returncode != 0:
            raise _PullStepError(f"failed to copy: {skopeo_error(stderr, proc.returncode)}")

    def _unpack(self, layout: Path, work: Path, resolved: Resolved | None) -> _Staged:
        """Verify the layout and unpack the layers not stored yet under ``work`` (in
        a worker thread), each over the layers below it. The size is containerd's:
        the resolved manifest or index (the layout's manifest for an import), the
        chosen manifest under an index, the config, the layers."""
        try:
            pulled = _read_layout(layout)
            config = parse_image_config(pulled.config_text)
        except (OSError, ValueError, KeyError, TypeError, ImageConfigError) as exc:
            raise _PullStepError(f"failed to read pulled image: {exc}") from None
        image_id = pulled.config_digest
        size = pulled.config_size + sum(pulled.layer_sizes)
        if resolved is None:
            size += pulled.manifest_size
        else:
            size += resolved.size + (pulled.manifest_size if resolved.is_index else 0)
        chains = chain_ids(pulled.diff_ids)
        staging = work / f"unpack-{secrets.token_hex(8)}"
        staging.mkdir(mode=0o700)
        budget = UnpackBudget(self.limits)
        below: list[Path] = []  # nearest first
        staged: dict[str, Path] = {}
        try:
            for layer, diff_id, chain in zip(pulled.layers, pulled.diff_ids, chains, strict=True):
                stored = self.layer_dir(chain)
                if not stored.is_dir():
                    target = staging / chain.removeprefix("sha256:")
                    target.mkdir(mode=0o755)
                    target.chmod(0o755)
                    got = unpack_layer(layer, target, budget, parents=below)
                    if got != diff_id:
                        raise _PullStepError(f"wrong diff id calculated on extraction {diff_id!r}")
                    staged[chain] = stored = target
                below.insert(0, stored)
        except UnpackError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise _PullStepError(str(exc)) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return _Staged(image_id, config, size, chains, staged)

    # --- import ----------------------------------------------------------------

    async def import_archive(self, archive: Path) -> tuple[ImportedImage, ...]:
        """Import every image of a docker-archive or oci-archive tar (``archive``
        names them); each is verified, unpacked and committed as a pull is, and its
        references move to it. Raises ``ImageImportError``."""
        try:
            contents = await asyncio.to_thread(read_archive, archive)
        except ArchiveError as exc:
            raise ImageImportError(f"{archive}: {exc}") from None
        work = self._work / f"import-{secrets.token_hex(8)}"
        await asyncio.to_thread(work.mkdir, 0o700)
        imported = []
        try:
            link = work / "archive"  # skopeo splits its argument at the first ":"
            try:
                await asyncio.to_thread(_plain_tar, archive, link)
            except (OSError, EOFError) as exc:
                raise ImageImportError(f"{archive}: {exc}") from None
            for n, entry in enumerate(contents.images):
                layout = work / f"layout-{n}"
                try:
                    if entry.transport == "docker-archive":
                        # dir: keeps the archive's manifest, config (so the image id
                        # is docker's) and layers as they are; oci: would rewrite them.
                        copied = work / f"dir-{n}"
                        await self._skopeo([], entry.source(link), f"dir:{copied}", work)
                        await asyncio.to_thread(_dir_to_layout, copied, layout)
                    else:
                        await self._skopeo_copy([], entry.source(link), layout, work)
                    refs = entry.references  # a name@digest is a repo digest, not a tag
                    tags = tuple(r for r in refs if "@" not in r)
                    digests = tuple(r for r in refs if "@" in r)
                    image_id = await self._store(layout, work, None, tags, digests)
                except (_PullStepError, OSError) as exc:
                    name = ", ".join(entry.references) or f"image {n}"
                    raise ImageImportError(f"{archive}: {name}: {exc}") from None
                imported.append(ImportedImage(image_id, entry.references))
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)
        return tuple(imported)
