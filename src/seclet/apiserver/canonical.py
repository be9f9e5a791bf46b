"""Quantities as kube-apiserver stores them: ``Quantity.String()``, the canonical form.

Role: kube-apiserver decodes a body into typed objects and encodes them again for
storage and for every answer, so each ``resource.Quantity`` reads back canonical
(``1024Mi`` as ``1Gi``, ``0.5`` and ``500m`` as ``500m``, ``1000m`` as ``1``, a JSON
number as a string). seclet keeps objects as JSON, so this walk rewrites, in place,
every field the schema (``seclet.api.models.FIELDS``) types ``resource.Quantity``:
container, init and ephemeral container resources, pod-level resources, overhead,
emptyDir ``sizeLimit``, downward API ``divisor``, ephemeral claim templates, and the
status' allocated and reported resources. Classes holding no quantity are skipped.
Pure. Callers: ``seclet.apiserver.registry`` (pod create, update/patch, status writes).
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from seclet.api.models import FIELDS
from seclet.api.quantity import canonical
from seclet.api.schema import FieldSpec, FieldType

_canonical_text = lru_cache(maxsize=4096, typed=True)(canonical)
"""Quantity spellings repeat across pods; parsing one costs ~20 us (exact fractions)."""


def canonical_quantities(obj: Any, cls: type) -> None:
    """Rewrite every quantity of ``obj`` (a JSON object of type ``cls``) canonically."""
    if not isinstance(obj, dict):
        return
    for spec in _quantity_fields(cls):
        value = obj.get(spec.json)
        if value is None:
            continue
        new = _canonical(value, spec.type)
        if new is not None:
            obj[spec.json] = new


def _canonical(value: Any, t: FieldType) -> str | None:
    """The canonical text of a quantity; containers are rewritten in place (None)."""
    if t.kind == "quantity":
        try:
            text = _canonical_text(value)
        except TypeError:  # unhashable: not a quantity, decoding refuses it
            return None
        return text if text is not None and text != value else None
    if t.kind == "obj" and t.cls is not None:
        canonical_quantities(value, t.cls)
    elif t.kind in ("list", "map") and t.elem is not None and _type_holds_quantity(t.elem):
        if not isinstance(value, dict | list):
            return None
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in list(items):
            if item is None:
                continue
            new = _canonical(item, t.elem)
            if new is not None:
                value[key] = new
    return None


@cache
def _quantity_fields(cls: type) -> tuple[FieldSpec, ...]:
    """The fields of ``cls`` from which a quantity is reachable."""
    return tuple(spec for spec in FIELDS.get(cls, ()) if _type_holds_quantity(spec.type))


def _type_holds_quantity(t: FieldType) -> bool:
    if t.kind == "quantity":
        return True
    if t.kind == "obj":
        return t.cls is not None and t.cls not in _VISITING and _holds_quantity(t.cls)
    return t.elem is not None and _type_holds_quantity(t.elem)


@cache
def _holds_quantity(cls: type) -> bool:
    """Whether a quantity is reachable from ``cls`` (a class being looked at counts as
    holding none, which cuts cycles)."""
    _VISITING.add(cls)
    try:
        return any(_type_holds_quantity(spec.type) for spec in FIELDS.get(cls, ()))
    finally:
        _VISITING.discard(cls)


_VISITING: set[type] = set()
