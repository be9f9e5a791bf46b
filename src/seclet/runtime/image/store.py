"""The node's image store: CRI ``ImageService`` and the runtime's ``ImageLookup``.

Role: ``ImageStore(root, hosts)`` pulls images through the configured mirrors and
keeps one unpacked root filesystem per image id, as containerd's CRI plugin does
with its content store and snapshotter:

1. ``pull_image`` normalises the reference (``busybox:1.28`` ->
   ``docker.io/library/busybox:1.28``), resolves it on the mirrors to a manifest
   digest (``resolve``), and ``skopeo copy``-ies exactly that digest
   (``docker://<mirror>/<path>@<digest>``) into a temporary OCI layout under
   ``<root>/tmp`` (``--src-tls-verify=false`` only for a loopback http mirror; a
   policy file under ``<root>`` accepts any image, so no ``/etc/containers`` file is
   read; credentials go in a 0600 auth file, never on the command line).
2. It reads the layout's index, manifest and config, checks every blob's sha256, and
   unpacks the layers in order (``unpack``, bounded by ``UnpackLimits``) into
   ``<root>/images/<config hex>/rootfs``, checking each layer's diff id against the
   config's ``rootfs.diff_ids``; the directory appears by an atomic rename.
3. The image record (tags, repo digests, size, config) is saved in
   ``<root>/images.json`` (0600, written to a temporary file and renamed), so a new
   ``ImageStore`` on the same root knows every image.

Concurrent pulls of one reference share one pull. A tag moves to the image pulled
last, as in containerd. Errors are ``ImagePullError`` with containerd's CRI text:
``failed to pull and unpack image "<ref>": failed to resolve reference "<ref>": ...``.
``Image.size`` is containerd's ``images.Image.Size``: the resolved manifest (or
index and the chosen manifest), the config and the compressed layers.
Callers: seclet.runtime.runc (ImageLookup), the kubelet through seclet.cri
(ImageService), the CLI that builds the node, tests.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seclet.cri.errors import ImagePullError
from seclet.cri.types import AuthConfig, Image, ImageSpec
from seclet.runtime.image.config import ImageConfigError, parse_image_config
from seclet.runtime.image.hosts import RegistryHosts
from seclet.runtime.image.reference import (
    InvalidReferenceError,
    Reference,
    normalize,
    parse_docker_ref,
)
from seclet.runtime.image.resolve import Resolved, ResolveError, resolve
from seclet.runtime.image.stored import StoredImage
from seclet.runtime.image.unpack import Layer, UnpackError, UnpackLimits, unpack_layers
from seclet.runtime.oci.inputs import ImageConfig

INDEX_FILE = "images.json"
INDEX_VERSION = 1
SKOPEO = "skopeo"
DEFAULT_LIMITS = UnpackLimits()
_HEX64 = re.compile(r"^[a-f0-9]{64}$")
_HEX_PREFIX = re.compile(r"^[a-f0-9]{12,64}$")
_SKOPEO_MSG = re.compile(r'msg="((?:[^"\\]|\\.)*)"')
_INT = re.compile(r"^[+-]?[0-9]+$")
_BLOB_CHUNK = 1024 * 1024
_MAX_JSON_BLOB = 4 * 1024 * 1024


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

    def to_json(self) -> dict[str, Any]:
        i, c = self.image, self.config
        return {
            "id": i.id,
            "repo_tags": list(i.repo_tags),
            "repo_digests": list(i.repo_digests),
            "size": i.size,
            "config": {
                "entrypoint": None if c.entrypoint is None else list(c.entrypoint),
                "cmd": list(c.cmd),
                "env": list(c.env),
                "user": c.user,
                "working_dir": c.working_dir,
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
        self._pulls: dict[str, asyncio.Task[str]] = {}
        self._lock = asyncio.Lock()
        self._open()

    # --- paths and persistence -------------------------------------------------

    @property
    def _images_dir(self) -> Path:
        return self.root / "images"

    @property
    def _tmp_dir(self) -> Path:
        return self.root / "tmp"

    def rootfs(self, image_id: str) -> Path:
        """``<root>/images/<hex>/rootfs`` of an image id."""
        return self._images_dir / image_id.removeprefix("sha256:") / "rootfs"

    def _open(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._images_dir.mkdir(mode=0o700, exist_ok=True)
        shutil.rmtree(self._tmp_dir, ignore_errors=True)
        self._tmp_dir.mkdir(mode=0o700)
        (self.root / "policy.json").write_text(
            json.dumps({"default": [{"type": "insecureAcceptAnything"}]})
        )
        (self.root / "registries.conf").write_text("")
        (self.root / "registries.d").mkdir(exist_ok=True)
        index = self.root / INDEX_FILE
        if index.exists():
            doc = json.loads(index.read_text())
            for entry in doc.get("images", []):
                record = _Record.from_json(entry)
                if self.rootfs(record.image.id).is_dir():
                    self._records[record.image.id] = record
        known = {image_id.removeprefix("sha256:") for image_id in self._records}
        for orphan in self._images_dir.iterdir():
            if orphan.name not in known:  # unpacked, then the index was not saved
                shutil.rmtree(orphan, ignore_errors=True)

    def _index_bytes(self) -> bytes:
        doc = {"version": INDEX_VERSION, "images": [r.to_json() for r in self._records.values()]}
        return json.dumps(doc, indent=1).encode()

    async def _save(self) -> None:
        await asyncio.to_thread(_write_private, self.root / INDEX_FILE, self._index_bytes())

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
        record = self._find(ref)
        if record is None:
            return None
        return StoredImage(record.image, self.rootfs(record.image.id), record.config)

    async def list_images(self) -> tuple[Image, ...]:
        return tuple(r.image for r in self._records.values())

    async def image_status(self, image: ImageSpec) -> Image | None:
        record = self._find(image.image)
        return None if record is None else record.image

    # --- remove ----------------------------------------------------------------

    async def remove_image(self, image: ImageSpec) -> None:
        """Remove the image and all its references; absent images are not an error."""
        async with self._lock:
            record = self._find(image.image)
            if record is None:
                return
            del self._records[record.image.id]
            await self._save()
            image_dir = self.rootfs(record.image.id).parent
            trash = self._images_dir / f".removed-{secrets.token_hex(8)}"
            try:
                await asyncio.to_thread(image_dir.rename, trash)
            except FileNotFoundError:
                return
        await asyncio.to_thread(shutil.rmtree, trash, True)

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
            except ResolveError as exc:
                raise _PullStepError(f'failed to resolve reference "{name}": {exc}') from None
            return await self._fetch(ref, resolved, creds)
        except (_PullStepError, OSError) as exc:
            raise ImagePullError(f'failed to pull and unpack image "{name}": {exc}') from None

    async def _fetch(
        self, ref: Reference, resolved: Resolved, creds: tuple[str, str] | None
    ) -> str:
        repo_digest = f"{ref.name}@{resolved.digest}"
        known = self._find(repo_digest)
        if known is not None:
            await self._tag(known.image.id, ref, repo_digest)
            return known.image.id
        work = self._tmp_dir / f"pull-{secrets.token_hex(8)}"
        await asyncio.to_thread(work.mkdir, 0o700)
        try:
            layout = work / "layout"
            await self._copy(resolved, ref, layout, creds, work)
            image_id, size, config = await asyncio.to_thread(self._unpack, layout, resolved)
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)
        async with self._lock:
            if image_id not in self._records:
                self._records[image_id] = _Record(_image(image_id, (), (), size, config), config)
        await self._tag(image_id, ref, repo_digest)
        return image_id

    async def _tag(self, image_id: str, ref: Reference, repo_digest: str) -> None:
        """Point ``ref`` (and the repo digest) at ``image_id``, moving a tag that
        named another image, and save the index."""
        tag = str(ref)
        async with self._lock:
            for other_id, other in list(self._records.items()):
                if other_id != image_id and tag in other.image.repo_tags:
                    tags = tuple(t for t in other.image.repo_tags if t != tag)
                    self._records[other_id] = replace(
                        other, image=replace(other.image, repo_tags=tags)
                    )
            record = self._records[image_id]
            tags = record.image.repo_tags
            digests = record.image.repo_digests
            if not ref.digest and tag not in tags:
                tags = (*tags, tag)
            if repo_digest not in digests:
                digests = (*digests, repo_digest)
            self._records[image_id] = replace(
                record, image=replace(record.image, repo_tags=tags, repo_digests=digests)
            )
            await self._save()

    async def _copy(
        self,
        resolved: Resolved,
        ref: Reference,
        layout: Path,
        creds: tuple[str, str] | None,
        work: Path,
    ) -> None:
        source = resolved.endpoint.source(ref, resolved.digest)
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
        ]
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
        args += [source, f"oci:{layout}:image"]
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

    def _unpack(self, layout: Path, resolved: Resolved) -> tuple[str, int, ImageConfig]:
        """Verify and unpack the layout (in a worker thread); (id, size, config)."""
        try:
            pulled = _read_layout(layout)
            config = parse_image_config(pulled.config_text)
        except (OSError, ValueError, KeyError, TypeError, ImageConfigError) as exc:
            raise _PullStepError(f"failed to read pulled image: {exc}") from None
        image_id = pulled.config_digest
        size = resolved.size + pulled.config_size + sum(pulled.layer_sizes)
        if resolved.is_index:
            size += pulled.manifest_size
        final = self.rootfs(image_id).parent
        if final.is_dir():
            return image_id, size, config
        staging = self._images_dir / f".unpack-{secrets.token_hex(8)}"
        (staging / "rootfs").mkdir(parents=True, mode=0o700)
        try:
            (staging / "rootfs").chmod(0o755)
            diff_ids = unpack_layers(pulled.layers, staging / "rootfs", self.limits)
            for want, got in zip(pulled.diff_ids, diff_ids, strict=True):
                if want != got:
                    raise _PullStepError(f"wrong diff id calculated on extraction {want!r}")
            (staging / "config.json").write_text(pulled.config_text)
            try:
                staging.rename(final)
            except OSError:
                if not final.is_dir():
                    raise
        except UnpackError as exc:
            raise _PullStepError(str(exc)) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return image_id, size, config
