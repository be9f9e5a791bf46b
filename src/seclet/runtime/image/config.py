"""Read an OCI image config (the JSON ``skopeo inspect --config`` prints).

Role: turn an image config document into the builder's frozen ``ImageConfig``
(``User``, ``Entrypoint``, ``Cmd``, ``Env``, ``WorkingDir``, ``StopSignal``). Accepts the whole
image config (``{"config": {...}, "rootfs": ...}``) or only its ``config`` object.
Callers: ``seclet.cli.explain`` (``--image-config``), later the image store.
"""

from __future__ import annotations

import json
from typing import Any

from seclet.runtime.oci.inputs import ImageConfig


class ImageConfigError(ValueError):
    """Not an OCI image config."""


def _strings(doc: dict[str, Any], key: str) -> tuple[str, ...] | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ImageConfigError(f"config.{key}: expected a list of strings")
    return tuple(value)


def parse_image_config(text: str) -> ImageConfig:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImageConfigError(f"not JSON: {exc.msg} at offset {exc.pos}") from None
    if not isinstance(doc, dict):
        raise ImageConfigError("expected a JSON object")
    inner = doc.get("config", doc)
    if not isinstance(inner, dict):
        raise ImageConfigError("config: expected an object")
    for key in ("User", "WorkingDir", "StopSignal"):
        if key in inner and not isinstance(inner[key], (str, type(None))):
            raise ImageConfigError(f"config.{key}: expected a string")
    env = _strings(inner, "Env")
    return ImageConfig(
        entrypoint=_strings(inner, "Entrypoint"),
        cmd=_strings(inner, "Cmd") or (),
        env=env if env is not None else ImageConfig().env,
        user=inner.get("User") or "",
        working_dir=inner.get("WorkingDir") or "",
        stop_signal=inner.get("StopSignal") or "",
    )
