"""``seclet images``: import, list and remove the images of the node's image store.

Role: open the image store of ``seclet server --data-dir D`` (``D/images``) from
another process and act on it. A running server sees every change at its next image
lookup: the store re-reads its index when another process replaced it, and writers
take the store's lock (``seclet.runtime.image.store``).

- ``import FILE...`` — docker-archive or oci-archive tars (``docker save``,
  ``skopeo copy ... docker-archive:``/``oci-archive:``, ``ctr export``), plain or
  gzip; one line per image: ``Imported: <reference> <image id>`` per reference, or
  ``Imported: <none> <image id>`` for an unnamed image.
- ``ls`` — ``crictl images``' table: ``IMAGE  TAG  IMAGE ID  SIZE``, sorted as crictl
  sorts, the id's first 13 hex digits, the size as go-units ``HumanSizeWithPrecision``
  (decimal, 3 significant digits), columns laid out by Go's tabwriter as crictl sets
  it (minimum width 20, padding 3).
- ``rm REF...`` — ``crictl rmi``: ``Deleted: <tag>`` for each tag of a removed image
  (its repo digests when it has no tag).

Exit codes: 0 done; 1 an archive or a reference was refused (not importable, no such
image); 2 usage (unreadable file; argparse's own errors).
Callers: ``seclet.cli.main`` (the ``images`` subcommand).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
from collections.abc import Sequence
from pathlib import Path

from seclet.api.featuregates import FeatureGates
from seclet.cri.types import Image, ImageSpec
from seclet.runtime.image.hosts import RegistryHosts
from seclet.runtime.image.store import ImageImportError, ImageStore

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
TRUNCATED_ID_LEN = 13
NONE = "<none>"
_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def store_root(data_dir: Path) -> Path:
    """``<data-dir>/images``: where ``seclet server`` keeps its image store."""
    return data_dir / "images"


def human_size(size: float) -> str:
    """go-units ``HumanSizeWithPrecision(size, 3)``: ``4.27MB``, ``772kB``, ``1e+03kB``."""
    unit = 0
    while size >= 1000.0 and unit < len(_UNITS) - 1:
        size /= 1000.0
        unit += 1
    return f"{size:.3g}{_UNITS[unit]}"


def _by_ref(a: Image, b: Image) -> int:
    """crictl's ``imageByRef.Less`` as a comparison."""

    def less(x: Image, y: Image) -> bool:
        if x.repo_tags and y.repo_tags:
            return x.repo_tags[0] < y.repo_tags[0]
        if x.repo_digests and y.repo_digests:
            return x.repo_digests[0] < y.repo_digests[0]
        return x.id < y.id

    return -1 if less(a, b) else 1 if less(b, a) else 0


def _repo_tag_pairs(image: Image) -> list[tuple[str, str]]:
    """crictl's ``normalizeRepoDigest`` + ``normalizeRepoTagPair``."""
    name = NONE
    if image.repo_digests:
        parts = image.repo_digests[0].split("@")
        name = parts[0] if len(parts) == 2 else "errorName"
    if not image.repo_tags:
        return [(name, NONE)]
    pairs = []
    for tag in image.repo_tags:
        idx = tag.rfind(":")
        if idx == -1:
            pairs.append(("errorRepoTag", "errorRepoTag"))
            continue
        repo = tag[:idx]
        pairs.append((name if repo == NONE else repo, tag[idx + 1 :]))
    return pairs


def tabwrite(rows: Sequence[Sequence[str]], minwidth: int = 20, padding: int = 3) -> str:
    """Go's ``text/tabwriter`` for rows of equal length joined by tabs: every cell
    but the last is padded with spaces to its column's width (the widest cell plus
    ``padding``, at least ``minwidth``); the last cell is written as it is."""
    if not rows:
        return ""
    widths = [
        max(minwidth, max(len(row[col]) for row in rows) + padding)
        for col in range(len(rows[0]) - 1)
    ]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("".join(cells) + row[-1] + "\n")
    return "".join(lines)


def image_table(images: Sequence[Image]) -> str:
    """``crictl images``: the header and one row per (image, tag)."""
    rows = [["IMAGE", "TAG", "IMAGE ID", "SIZE"]]
    for image in sorted(images, key=functools.cmp_to_key(_by_ref)):
        image_id = image.id.removeprefix("sha256:")[:TRUNCATED_ID_LEN]
        size = human_size(float(image.size))
        rows.extend([repo, tag, image_id, size] for repo, tag in _repo_tag_pairs(image))
    return tabwrite(rows)


async def _import(store: ImageStore, files: Sequence[Path]) -> int:
    code = EXIT_OK
    for path in files:
        try:
            imported = await store.import_archive(path)
        except ImageImportError as exc:
            print(f"error: {exc}", file=sys.stderr)
            code = EXIT_REFUSED
            continue
        for image in imported:
            for ref in image.references or (NONE,):
                print(f"Imported: {ref} {image.image_id}", flush=True)
    return code


async def _remove(store: ImageStore, refs: Sequence[str]) -> int:
    code = EXIT_OK
    for ref in dict.fromkeys(refs):
        image = await store.image_status(ImageSpec(image=ref))
        if image is None:
            print(f"error: no such image {ref}", file=sys.stderr)
            code = EXIT_REFUSED
            continue
        await store.remove_image(ImageSpec(image=image.id))
        for name in image.repo_tags or image.repo_digests:
            print(f"Deleted: {name}")
    return code


async def _list(store: ImageStore) -> int:
    print(image_table(await store.list_images()), end="")
    return EXIT_OK


def _unusable(names: Sequence[str]) -> list[str]:
    """An error line for each FILE that is not a regular file."""
    errors = []
    for name in names:
        path = Path(name)
        if not path.is_file():
            reason = "not a regular file" if path.exists() else "no such file"
            errors.append(f"error: {name}: {reason}")
    return errors


def run(args: argparse.Namespace, gates: FeatureGates) -> int:
    del gates  # images have no feature gates
    root = store_root(Path(args.data_dir))
    command: str = args.images_command
    if command == "ls" and not root.is_dir():
        print(image_table(()), end="")  # no store yet: no images (and none created)
        return EXIT_OK
    if command == "import" and (errors := _unusable(args.files)):
        print("\n".join(errors), file=sys.stderr)
        return EXIT_USAGE
    try:
        store = ImageStore(root, RegistryHosts())
    except OSError as exc:
        print(f"error: image store {root}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if command == "import":
            return asyncio.run(_import(store, [Path(f) for f in args.files]))
        if command == "rm":
            return asyncio.run(_remove(store, args.refs))
        return asyncio.run(_list(store))
    finally:
        store.close()
