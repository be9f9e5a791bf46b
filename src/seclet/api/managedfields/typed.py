"""The typed walks over JSON objects, as structured-merge-diff's ``typed`` package.

Role: for a JSON value and its ``TypeRef``:
- ``to_field_set`` (``tofieldset.go``): every scalar, atomic list/map/struct and
  associative-list item; a map key when its value is null or ``{}`` or when it is
  not a declared struct field (the keys of ``labels``);
- ``compare`` (``compare.go``): the paths added, modified and removed from ``lhs``
  to ``rhs``; a granular node present on one side only is added/removed itself as
  well as its content; empty-or-absent on both sides is a leaf;
- ``merge`` (``merge.go``): ``rhs`` over ``lhs`` (associative lists by key with
  upstream's order rules, atomic values replaced, maps unioned);
- ``remove_items`` (``remove.go``): the value without the given paths (a map or
  list emptied by the removal becomes null, as upstream);
- ``ensure_named_fields`` (``EnsureNamedFieldsAreMembers``);
- ``validate`` (``ObjectToTyped``'s errors for an applied configuration: a field not
  declared in the schema, an associative-list item the schema cannot key).
Pure. Callers: ``updater``, ``fieldmanager``, tests.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Final

from seclet.api.managedfields.fieldset import FieldSet, with_prefix
from seclet.api.managedfields.path import FIELD, KEY, Path, PathElement
from seclet.api.managedfields.typeref import (
    DEDUCED,
    DEDUCED_REF,
    LIST,
    MAP,
    STRUCT,
    TypeRef,
    declared,
    field_ref,
    key_default,
)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""An absent value (distinct from JSON null)."""


class TypedError(ValueError):
    """A value the schema cannot index (e.g. an associative-list item without keys)."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """What ``compare`` found; no path is in two of the sets."""

    added: FieldSet
    modified: FieldSet
    removed: FieldSet


def json_equal(a: Any, b: Any) -> bool:
    """``value.Equals``: deep equality that tells booleans from numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(json_equal(v, b[k]) for k, v in a.items())
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _shape(ref: TypeRef, value: Any) -> str:
    """``leaf``, ``map`` or ``list``: how the walk treats ``value`` of type ``ref``."""
    if ref.kind == DEDUCED:
        return "map" if isinstance(value, dict) else "leaf"
    if ref.kind in (STRUCT, MAP):
        if ref.atomic:
            return "leaf"
        return "map" if value is None or isinstance(value, dict) else "leaf"
    if ref.kind == LIST:
        if ref.list_type == "atomic":
            return "leaf"
        return "list" if value is None or isinstance(value, list) else "leaf"
    return "leaf"


def child_ref(ref: TypeRef, pe: PathElement) -> TypeRef:
    """The type below ``pe`` in ``ref``."""
    if pe.kind == FIELD:
        return field_ref(ref, pe.name)
    if ref.kind == LIST and ref.elem is not None:
        return ref.elem
    return DEDUCED_REF


def item_element(ref: TypeRef, item: Any) -> PathElement:
    """``listItemToPathElement`` for an item of associative list ``ref``."""
    if ref.keys:
        if item is None:
            raise TypedError("associative list with keys may not have a null element")
        if not isinstance(item, dict):
            raise TypedError("associative list with keys may not have non-map elements")
        fields: dict[str, Any] = {}
        for key in ref.keys:
            if key in item:
                fields[key] = item[key]
            else:
                default = key_default(ref, key)
                if default is not None:
                    fields[key] = default
        if not fields:
            quoted = " ".join(f'"{k}"' for k in ref.keys)
            raise TypedError(
                f"associative list with keys has an element that omits all key fields "
                f"[{quoted}] (and doesn't have default values for any key fields)"
            )
        return PathElement.key(fields)
    if isinstance(item, dict):
        raise TypedError("associative list without keys has an element that's a map type")
    if isinstance(item, list):
        raise TypedError("not supported: associative list with lists as elements")
    if item is None:
        raise TypedError("associative list without keys has an element that's an explicit null")
    return PathElement.of_value(item)


def _empty(value: Any) -> bool:
    return value is MISSING or value is None or (isinstance(value, dict | list) and not value)


# -- to_field_set ----------------------------------------------------------------------


def to_field_set(value: Any, ref: TypeRef) -> FieldSet:
    """The fields ``value`` sets (``TypedValue.ToFieldSet``)."""
    out: set[Path] = set()
    _to_set(value, ref, (), out)
    return frozenset(out)


def _to_set(value: Any, ref: TypeRef, path: Path, out: set[Path]) -> None:
    shape = _shape(ref, value)
    if shape == "leaf":
        if path:
            out.add(path)
        return
    if value is None:
        return
    if shape == "list":
        assert ref.elem is not None
        seen: set[PathElement] = set()
        dups: set[PathElement] = set()
        pes = [item_element(ref, item) for item in value]
        for pe in pes:
            if pe in seen and pe not in dups:
                out.add((*path, pe))
                dups.add(pe)
            seen.add(pe)
        for pe, item in zip(pes, value, strict=True):
            if pe in dups:
                continue
            _to_set(item, ref.elem, (*path, pe), out)
            out.add((*path, pe))
        return
    for key, val in value.items():
        sub = (*path, PathElement.field(key))
        _to_set(val, field_ref(ref, key), sub, out)
        if val is None or (isinstance(val, dict) and not val) or not declared(ref, key):
            out.add(sub)


# -- compare ------------------------------------------------------------------------------


def compare(lhs: Any, rhs: Any, ref: TypeRef) -> Comparison:
    """``TypedValue.Compare``: from ``lhs`` to ``rhs``."""
    added: set[Path] = set()
    modified: set[Path] = set()
    removed: set[Path] = set()
    _compare(lhs, rhs, ref, (), (added, modified, removed))
    return Comparison(frozenset(added), frozenset(modified), frozenset(removed))


_Acc = tuple[set[Path], set[Path], set[Path]]


def _compare(lhs: Any, rhs: Any, ref: TypeRef, path: Path, acc: _Acc) -> None:
    if type(lhs) is type(rhs) and lhs == rhs:
        # Equal values change nothing below: one C-level comparison instead of a walk
        # (a status write leaves the spec as it was).
        return
    added, modified, removed = acc
    shape = _shape(ref, rhs if rhs is not MISSING else lhs)
    if lhs is not MISSING and rhs is not MISSING and _shape(ref, lhs) != shape:
        shape = "leaf"
    if shape != "leaf" and _empty(lhs) and _empty(rhs):
        shape = "leaf"
    if shape == "leaf":
        if lhs is MISSING:
            added.add(path)
        elif rhs is MISSING:
            removed.add(path)
        elif not json_equal(lhs, rhs):
            modified.add(path)
        return
    if shape == "list":
        _compare_lists(lhs, rhs, ref, path, acc)
    else:
        left = lhs if isinstance(lhs, dict) else {}
        right = rhs if isinstance(rhs, dict) else {}
        for key in {**left, **right}:
            _compare(
                left.get(key, MISSING),
                right.get(key, MISSING),
                field_ref(ref, key),
                (*path, PathElement.field(key)),
                acc,
            )
    if lhs is MISSING:
        added.add(path)
    elif rhs is MISSING:
        removed.add(path)


def _index(ref: TypeRef, items: Any) -> dict[PathElement, list[Any]]:
    out: dict[PathElement, list[Any]] = {}
    for item in items if isinstance(items, list) else ():
        out.setdefault(item_element(ref, item), []).append(item)
    return out


def _compare_lists(lhs: Any, rhs: Any, ref: TypeRef, path: Path, acc: _Acc) -> None:
    assert ref.elem is not None
    left, right = _index(ref, lhs), _index(ref, rhs)
    for pe in [*left, *(p for p in right if p not in left)]:
        lv, rv = left.get(pe, []), right.get(pe, [])
        sub = (*path, pe)
        if len(lv) <= 1 and len(rv) <= 1:
            _compare(lv[0] if lv else MISSING, rv[0] if rv else MISSING, ref.elem, sub, acc)
        elif len(lv) >= 2 and len(rv) >= 2:
            if not json_equal(lv, rv):
                acc[1].add(sub)
        elif len(lv) >= 2:
            if rv:
                _compare(MISSING, rv[0], ref.elem, sub, acc)
            acc[2].add(sub)
        else:
            if lv:
                _compare(lv[0], MISSING, ref.elem, sub, acc)
            acc[0].add(sub)


# -- merge ------------------------------------------------------------------------------


def merge(lhs: Any, rhs: Any, ref: TypeRef) -> Any:
    """``TypedValue.Merge``: ``rhs`` (the applied configuration) over ``lhs``."""
    if rhs is MISSING:
        return copy.deepcopy(lhs)
    if lhs is MISSING:
        return copy.deepcopy(rhs)
    shape = _shape(ref, rhs)
    if _shape(ref, lhs) != shape or (_empty(lhs) and _empty(rhs)):
        shape = "leaf"
    if shape == "leaf":
        return copy.deepcopy(rhs)
    if shape == "map":
        left = lhs if isinstance(lhs, dict) else {}
        right = rhs if isinstance(rhs, dict) else {}
        return {
            key: merge(left.get(key, MISSING), right.get(key, MISSING), field_ref(ref, key))
            for key in {**left, **right}
        }
    return _merge_lists(lhs if isinstance(lhs, list) else [], rhs or [], ref)


def _merge_lists(lhs: list[Any], rhs: list[Any], ref: TypeRef) -> list[Any]:
    assert ref.elem is not None
    elem = ref.elem
    rhs_pes: list[PathElement] = []
    observed_rhs: dict[PathElement, Any] = {}
    for item in rhs:
        pe = item_element(ref, item)
        if pe in observed_rhs:
            raise TypedError(f"duplicate entries for key {pe}")
        observed_rhs[pe] = item
        rhs_pes.append(pe)
    lhs_pes: list[PathElement] = []
    observed_lhs: dict[PathElement, Any] = {}
    for item in lhs:
        pe = item_element(ref, item)
        observed_lhs[pe] = None if pe in observed_lhs else item
        lhs_pes.append(pe)
    shared = [pe for pe in rhs_pes if pe in observed_lhs]
    next_shared = shared.pop(0) if shared else None
    merged_rhs: set[PathElement] = set()
    out: list[Any] = []
    li = ri = 0
    while li < len(lhs_pes) or ri < len(rhs_pes):
        if li < len(lhs_pes) and ri < len(rhs_pes):
            pe = lhs_pes[li]
            if pe == rhs_pes[ri]:
                merged_rhs.add(pe)
                out.append(merge(observed_lhs[pe], observed_rhs[pe], elem))
                li += 1
                ri += 1
                next_shared = shared.pop(0) if shared else None
                continue
            if pe in observed_rhs and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < len(lhs_pes):
            pe = lhs_pes[li]
            if pe not in observed_rhs:
                out.append(merge(lhs[li], MISSING, elem))
                li += 1
                continue
            if pe in merged_rhs:
                li += 1
        if ri < len(rhs_pes):
            pe = rhs_pes[ri]
            merged_rhs.add(pe)
            out.append(merge(observed_lhs.get(pe, MISSING), observed_rhs[pe], elem))
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop(0) if shared else None
    return out


# -- remove_items -------------------------------------------------------------------------


def remove_items(value: Any, paths: FieldSet, ref: TypeRef) -> Any:
    """``TypedValue.RemoveItems``: ``value`` without ``paths`` (and what is below them)."""
    if not paths:
        return value
    shape = _shape(ref, value)
    if shape == "leaf" or _empty(value):
        return value
    if shape == "list":
        assert ref.elem is not None
        items: list[Any] = []
        for item in value:
            pe = item_element(ref, item)
            if (pe,) in paths:
                continue
            sub = with_prefix(paths, pe)
            items.append(remove_items(item, sub, ref.elem) if sub else item)
        return items or None
    out: dict[str, Any] = {}
    for key, val in value.items():
        pe = PathElement.field(key)
        if (pe,) in paths:
            continue
        sub = with_prefix(paths, pe)
        out[key] = remove_items(val, sub, field_ref(ref, key)) if sub else val
    return out or None


# -- ensure_named_fields -----------------------------------------------------------------


def ensure_named_fields(paths: FieldSet, ref: TypeRef) -> FieldSet:
    """``EnsureNamedFieldsAreMembers``: ``paths`` plus each declared struct field that
    is only a parent in it."""
    out = set(paths)
    for path in paths:
        current = ref
        for i, pe in enumerate(path[:-1]):
            if pe.kind == FIELD and declared(current, pe.name):
                out.add(path[: i + 1])
            if pe.kind not in (FIELD, KEY):
                break
            current = child_ref(current, pe)
    return frozenset(out)


# -- validate ------------------------------------------------------------------------------


def validate(value: Any, ref: TypeRef) -> None:
    """``TypedValue.Validate``: ``TypedError`` with upstream's ``ValidationErrors``
    text (``.spec.foo: field not declared in schema``; several: ``errors:`` and one
    indented line each)."""
    errors: list[str] = []
    _validate(value, ref, "", errors)
    if len(errors) == 1:
        raise TypedError(errors[0])
    if errors:
        raise TypedError("\n".join(["errors:", *("  " + e for e in errors)]))


def _validate(value: Any, ref: TypeRef, path: str, errors: list[str]) -> None:
    shape = _shape(ref, value)
    if shape == "leaf" or value is None:
        return
    if shape == "list":
        assert ref.elem is not None
        for i, item in enumerate(value):
            try:
                pe = item_element(ref, item)
            except TypedError as exc:
                errors.append(f"{path}: element {i}: {exc}")
                continue
            _validate(item, ref.elem, f"{path}{pe}", errors)
        return
    for key, val in value.items():
        sub = f"{path}.{key}"
        if ref.kind == STRUCT and not declared(ref, key):
            errors.append(f"{sub}: field not declared in schema")
            continue
        _validate(val, field_ref(ref, key), sub, errors)
