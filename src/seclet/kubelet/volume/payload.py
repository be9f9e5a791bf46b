"""The files of configMap, secret, downwardAPI and projected volumes (pure).

Role: upstream's payload builders, each returning ``{path: FileProjection}`` or
raising ``PayloadError`` with upstream's text:
- ``configmap_payload`` (``pkg/volume/configmap MakePayload``): every key of ``data``
  and ``binaryData`` with defaultMode, or the listed ``items`` (key -> path, mode or
  defaultMode); a listed key missing -> ``configmap references non-existent config
  key: <k>`` unless optional;
- ``secret_payload`` (``pkg/volume/secret MakePayload``): the same over ``data``
  (base64 in the stored object); missing -> ``references non-existent secret key: <k>``;
- ``downward_payload`` (``pkg/volume/downwardapi CollectData``): ``fieldRef`` through
  ``extract_field_path`` (``pkg/fieldpath ExtractFieldPathAsString``: metadata.name,
  namespace, uid, labels, annotations, ``labels['k']``/``annotations['k']``; the maps
  as sorted ``k="v"`` lines with Go ``%q`` escapes; anything else ->
  ``unsupported fieldPath: <p>``), ``resourceFieldRef`` through
  ``resource_value`` (``ExtractResourceValueByContainerNameAndNodeAllocatable``:
  limits default to the node's allocatable when unset or zero, the value divided by
  the divisor (default 1) and rounded up); errors of all items are aggregated as
  ``utilerrors.NewAggregate`` prints them;
- object lookups are the caller's: ``not_found`` gives the watch-based managers'
  ``configmap "x" not found`` / ``secret "x" not found``.
Callers: seclet.kubelet.volume.projection, tests.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from seclet.api import models
from seclet.api.field import go_quote
from seclet.kubelet.volume.atomicwriter import FileProjection, PayloadError, clean
from seclet.validation.containers import parse_quantity

DEFAULT_MODE = 0o644


def aggregate(errors: Sequence[str]) -> str:
    """``utilerrors.NewAggregate(errs).Error()``: one message as is, several as
    ``[a, b]`` (repeats dropped)."""
    seen: list[str] = []
    for e in errors:
        if e not in seen:
            seen.append(e)
    return seen[0] if len(seen) == 1 else "[" + ", ".join(seen) + "]"


def not_found(kind: str, name: str) -> str:
    return f'{kind} "{name}" not found'


def _mode(mode: int | None) -> int:
    return DEFAULT_MODE if mode is None else mode


def configmap_data(obj: Mapping[str, Any] | None) -> dict[str, bytes]:
    if obj is None:
        return {}
    out = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
    for k, v in (obj.get("binaryData") or {}).items():
        out[k] = base64.b64decode(v)
    return out


def secret_data(obj: Mapping[str, Any] | None) -> dict[str, bytes]:
    if obj is None:
        return {}
    out = {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
    for k, v in (obj.get("stringData") or {}).items():
        out[k] = str(v).encode()
    return out


def _keyed_payload(
    data: Mapping[str, bytes],
    items: Sequence[models.KeyToPath],
    default_mode: int | None,
    optional: bool,
    missing: str,
) -> dict[str, FileProjection]:
    mode = _mode(default_mode)
    if not items:
        return {k: FileProjection(v, mode) for k, v in data.items()}
    out: dict[str, FileProjection] = {}
    for ktp in items:
        key = ktp.key or ""
        if key not in data:
            if optional:
                continue
            raise PayloadError(f"{missing}: {key}")
        out[ktp.path or ""] = FileProjection(data[key], mode if ktp.mode is None else ktp.mode)
    return out


def configmap_payload(
    obj: Mapping[str, Any] | None,
    items: Sequence[models.KeyToPath],
    default_mode: int | None,
    optional: bool,
) -> dict[str, FileProjection]:
    return _keyed_payload(
        configmap_data(obj),
        items,
        default_mode,
        optional,
        "configmap references non-existent config key",
    )


def secret_payload(
    obj: Mapping[str, Any] | None,
    items: Sequence[models.KeyToPath],
    default_mode: int | None,
    optional: bool,
) -> dict[str, FileProjection]:
    return _keyed_payload(
        secret_data(obj), items, default_mode, optional, "references non-existent secret key"
    )


def format_map(m: Mapping[str, str]) -> str:
    """``fieldpath.FormatMap``: sorted ``k="v"`` lines, Go ``%q`` quoting."""
    return "\n".join(f"{k}={go_quote(m[k])}" for k in sorted(m))


def split_subscript(path: str) -> tuple[str, str] | None:
    """``SplitMaybeSubscriptedPath``: ``a['b']`` -> (a, b)."""
    if not path.endswith("']"):
        return None
    head, sep, sub = path[:-2].partition("['")
    if not sep or not head:
        return None
    return head, sub


def extract_field_path(pod: models.Pod, path: str) -> str:
    """``fieldpath.ExtractFieldPathAsString`` on a pod."""
    meta = pod.metadata or models.ObjectMeta()
    split = split_subscript(path)
    if split is not None:
        head, sub = split
        if head == "metadata.annotations":
            return meta.annotations.get(sub, "")
        if head == "metadata.labels":
            return meta.labels.get(sub, "")
        raise PayloadError(f"fieldPath {go_quote(path)} does not support subscript")
    simple = {
        "metadata.name": meta.name or "",
        "metadata.namespace": meta.namespace or "",
        "metadata.uid": meta.uid or "",
    }
    if path == "metadata.annotations":
        return format_map(meta.annotations)
    if path == "metadata.labels":
        return format_map(meta.labels)
    if path in simple:
        return simple[path]
    raise PayloadError(f"unsupported fieldPath: {path}")


def _quantity(value: object) -> Fraction:
    q = parse_quantity(value)
    return Fraction(0) if q is None else q


def resource_value(
    pod: models.Pod,
    sel: models.ResourceFieldSelector,
    allocatable: Mapping[str, object],
) -> str:
    """``ExtractResourceValueByContainerNameAndNodeAllocatable``."""
    spec = pod.spec or models.PodSpec()
    container = next(
        (c for c in (*spec.containers, *spec.initContainers) if c.name == sel.containerName),
        None,
    )
    if container is None:
        raise PayloadError(f"container {sel.containerName or ''} not found")
    res = container.resources or models.ResourceRequirements()
    limits = dict(res.limits)
    for name in ("cpu", "memory", "ephemeral-storage"):
        if _quantity(limits.get(name, 0)) == 0 and name in allocatable:
            limits[name] = allocatable[name]  # type: ignore[assignment]
    divisor = _quantity(sel.divisor) if sel.divisor not in (None, "", 0, "0") else Fraction(1)
    if divisor == 0:
        divisor = Fraction(1)
    resource = sel.resource or ""
    kind, _, name = resource.partition(".")
    table: Mapping[str, object] = limits if kind == "limits" else res.requests
    known = name in ("cpu", "memory", "ephemeral-storage") or name.startswith("hugepages-")
    if kind not in ("limits", "requests") or not known:
        raise PayloadError(f"unsupported container resource : {resource}")
    value = _quantity(table.get(name, 0))
    if name == "cpu":
        milli = math.ceil(value * 1000)
        return str(math.ceil(milli / math.ceil(divisor * 1000)))
    return str(math.ceil(math.ceil(value) / math.ceil(divisor)))


def downward_payload(
    pod: models.Pod,
    items: Sequence[models.DownwardAPIVolumeFile],
    default_mode: int | None,
    allocatable: Mapping[str, object],
) -> dict[str, FileProjection]:
    """``downwardapi.CollectData``: every item, errors aggregated."""
    out: dict[str, FileProjection] = {}
    errors: list[str] = []
    for item in items:
        mode = _mode(default_mode) if item.mode is None else item.mode
        data = b""
        try:
            if item.fieldRef is not None:
                data = extract_field_path(pod, item.fieldRef.fieldPath or "").encode()
            elif item.resourceFieldRef is not None:
                data = resource_value(pod, item.resourceFieldRef, allocatable).encode()
        except PayloadError as e:
            errors.append(str(e))
        out[clean(item.path or "")] = FileProjection(data, mode)
    if errors:
        raise PayloadError(aggregate(errors))
    return out
