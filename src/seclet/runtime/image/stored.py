"""An unpacked image as the runtime consumes it, and the lookup the runtime needs.

Role: ``StoredImage`` is what the image store hands the runtime for CreateContainer:
the CRI ``Image`` (id, tags, digests), its unpacked layers (read-only directories,
nearest first: the overlay's lower directories; ``/etc/passwd`` and ``/etc/group``
are read through them with ``seclet.runtime.image.rootfs``) and the parsed image config.
``ImageLookup`` is the one question the runtime asks the image store.
Callers: seclet.runtime.image.store (produces), seclet.runtime.runc (consumes), tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from seclet.cri.types import Image
from seclet.runtime.oci.inputs import ImageConfig


@dataclass(frozen=True, slots=True)
class StoredImage:
    image: Image
    layers: tuple[Path, ...]
    """The unpacked layers, nearest first (overlayfs ``lowerdir`` order); shared
    with other images, never written after unpacking."""
    config: ImageConfig


class ImageLookup(Protocol):
    def lookup(self, ref: str) -> StoredImage | None:
        """The stored image for a reference (``busybox:1.28``, normalised or not) or
        an image id (``sha256:...``); None when not present."""
        ...
