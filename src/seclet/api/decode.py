"""Strict decoding of Kubernetes objects, as kube-apiserver does with ``fieldValidation=Strict``.

Role: turn a JSON-like value (already parsed from YAML or JSON by ``seclet.api.parse``)
into the frozen models of ``seclet.api.models``, rejecting what the apiserver rejects
with the apiserver's words:

- a value of the wrong JSON type: the first one found, as Go's ``encoding/json``
  reports it (``json: cannot unmarshal string into Go struct field
  PodSecurityContext.spec.securityContext.runAsUser of type int64``);
- unknown and duplicate fields, all of them, as ``sigs.k8s.io/json`` strict mode
  reports them (``strict decoding error: unknown field "spec.containers[0].foo"``).

Both surface as ``DecodeError``; the apiserver wraps the text as
``Pod in version "v1" cannot be handled as a Pod: <text>`` (see ``handled_as``).

Fields are visited in sorted key order, because kubectl re-encodes every manifest
from a Go map before sending it, and Go sorts map keys: the first type error and the
order of strict errors are the ones a kubectl user sees.

Callers: ``seclet.api.load`` (files for the CLI), later the API server (request bodies).

Steps of ``decode``:
1. check the body against the model's wire table, collecting the first type error and
   every strict error (``check``);
2. let the caller default the checked body (``seclet.api.defaults``), since defaulting
   works on the wire form;
3. build the frozen objects (``build``), which trusts the body checked in step 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from seclet.api.field import go_float, go_quote
from seclet.api.models import FIELDS, Pod
from seclet.api.record import fast_maker
from seclet.api.schema import FieldSpec, FieldType, FrozenMap

T = TypeVar("T")

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1

# resource.Quantity's parser accepts this shape (then checks the suffix).
_QUANTITY_RE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_QUANTITY_SUFFIXES = frozenset(
    {"", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}
)
QUANTITY_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
MAX_DEPTH = 100
"""Nesting bound; deeper bodies are refused before any recursion can run away."""


class DecodeError(Exception):
    """A body the apiserver cannot decode; ``str()`` is the apiserver's text."""


@dataclass(slots=True)
class _State:
    """Errors met during one walk; ``sort`` asks for upstream's (sorted-key) visit order."""

    sort: bool
    type_error: str | None = None
    strict: list[str] | None = None

    def strict_error(self, text: str) -> None:
        if self.strict is None:
            self.strict = []
        self.strict.append(text)


class _Loc(NamedTuple):
    """Where a value sits, rendered only when an error needs it.

    ``strict`` is the sigs.k8s.io/json segment (``.name``, ``[0]``), ``go`` the
    encoding/json one (indexes are not part of Go's field stack), ``struct`` the Go
    struct that owns the field.
    """

    parent: _Loc | None
    strict: str
    go: str
    struct: str

    def render(self) -> tuple[str, str]:
        strict: list[str] = []
        go: list[str] = []
        loc: _Loc | None = self
        while loc is not None:
            strict.append(loc.strict)
            go.append(loc.go)
            loc = loc.parent
        return "".join(reversed(strict)).lstrip("."), "".join(reversed(go)).lstrip(".")


def json_kind(value: object) -> str:
    """The JSON type name Go's decoder prints for a value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "null"


def go_number(value: int | float) -> str:
    """A number as the literal the apiserver saw after kubectl re-encoded it.

    goyaml v2 reads an integer that fits neither int64 nor uint64 as a float64, and Go's
    JSON encoder writes float64s below 1e21 without an exponent: ``99999999999999999999``
    reaches the apiserver as ``100000000000000000000``.
    """
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return go_float(value)
    if INT64_MIN <= value <= UINT64_MAX:
        return str(value)
    return go_number(float(value))


def _type_error(state: _State, value: object, loc: _Loc, go_type: str) -> None:
    if state.type_error is not None:
        return
    kind = json_kind(value)
    if kind == "number":
        kind = f"number {go_number(value)}"  # type: ignore[arg-type]
    path = loc.render()[1]
    state.type_error = (
        f"json: cannot unmarshal {kind} into Go struct field {loc.struct}.{path} of type {go_type}"
    )


def _quantity_ok(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return False
    text = value if isinstance(value, str) else go_number(value)
    m = _QUANTITY_RE.match(text)
    return bool(m) and m.group(2).lstrip("eE+-0123456789") in _QUANTITY_SUFFIXES  # type: ignore[union-attr]


_STRINGS = frozenset({"str", "time", "bytes"})
_INTS = {"int64": (INT64_MIN, INT64_MAX), "int32": (INT32_MIN, INT32_MAX)}


def _value(value: Any, ft: FieldType, loc: _Loc, state: _State, depth: int) -> Any:
    """Check one value against its wire type (Go decoder rules); return its normal form.

    The normal form is a fresh container (the caller may default it in place), with
    JSON nulls dropped (Go keeps the zero value) and integral floats made ints.
    """
    kind = ft.kind
    if kind in _STRINGS:
        if type(value) is str:
            return value
        _type_error(state, value, loc, ft.go)
        return None
    bounds = _INTS.get(kind)
    if bounds is not None:
        t = type(value)
        if t is int and bounds[0] <= value <= bounds[1]:
            return value
        # kubectl re-encodes YAML floats in Go's shortest form: 1000.0 is sent as 1000.
        if t is float and value.is_integer() and bounds[0] <= value <= bounds[1]:
            return int(value)
        _type_error(state, value, loc, ft.go)
        return None
    if kind == "obj":
        if isinstance(value, Mapping):
            assert ft.cls is not None
            return _object(value, ft.cls, loc, state, depth + 1)
        _type_error(state, value, loc, ft.go)
        return None
    if kind == "list":
        if not isinstance(value, list):
            _type_error(state, value, loc, ft.go)
            return None
        elem = ft.elem
        assert elem is not None
        if elem.kind == "str" and all(type(v) is str for v in value):
            return list(value)
        out = []
        for i, item in enumerate(value):
            if item is None:
                continue
            v = _value(item, elem, _Loc(loc, f"[{i}]", "", loc.struct), state, depth + 1)
            if v is not None:
                out.append(v)
        return out
    if kind == "map":
        if not isinstance(value, Mapping):
            _type_error(state, value, loc, ft.go)
            return None
        elem = ft.elem
        assert elem is not None
        if elem.kind == "str" and all(type(v) is str for v in value.values()):
            return dict(value)
        keys = sorted(value, key=str) if state.sort else value
        return {
            k: _value(value[k], elem, _Loc(loc, f".{k}", "", loc.struct), state, depth + 1)
            for k in keys
            if value[k] is not None
        }
    if kind == "bool":
        if type(value) is bool:
            return value
        _type_error(state, value, loc, ft.go)
        return None
    if kind == "float":
        if isinstance(value, (int, float)) and type(value) is not bool:
            return value
        _type_error(state, value, loc, ft.go)
        return None
    if kind == "intorstr":
        if type(value) is str or (type(value) is int and INT32_MIN <= value <= INT32_MAX):
            return value
        if state.type_error is None:
            kind_text = json_kind(value)
            if kind_text == "number":
                kind_text = f"number {go_number(value)}"
            state.type_error = f"json: cannot unmarshal {kind_text} into Go value of type int32"
        return None
    if kind == "quantity":
        if _quantity_ok(value):
            return value
        if state.type_error is None:
            state.type_error = QUANTITY_ERROR
        return None
    # "any": free-form JSON (managedFields' fieldsV1); only its depth is bounded.
    if not _depth_ok(value, depth):
        if state.type_error is None:
            state.type_error = f"json: exceeded max depth {MAX_DEPTH}"
        return None
    return value


def _depth_ok(value: object, depth: int) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, Mapping):
        return all(_depth_ok(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all(_depth_ok(v, depth + 1) for v in value)
    return True


_TABLES: dict[type, dict[str, FieldSpec]] = {
    cls: {f.json: f for f in specs} for cls, specs in FIELDS.items()
}


def _object(
    obj: Mapping[Any, Any], cls: type, loc: _Loc | None, state: _State, depth: int
) -> dict[str, Any] | None:
    if depth > MAX_DEPTH:
        if state.type_error is None:
            state.type_error = f"json: exceeded max depth {MAX_DEPTH}"
        return None
    table = _TABLES[cls]
    struct = cls.__name__
    dups: frozenset[str] | None = getattr(obj, "duplicates", None)
    out: dict[str, Any] = {}
    keys = sorted(obj, key=str) if state.sort else obj
    for key in keys:
        value = obj[key]
        spec = table.get(key) if type(key) is str else None
        if dups is not None and key in dups:
            state.strict_error(f"duplicate field {go_quote(_strict_child(loc, key))}")
        if spec is None:
            state.strict_error(f"unknown field {go_quote(_strict_child(loc, key))}")
            continue
        if value is None:
            continue
        child = _Loc(loc, f".{key}", f".{key}", struct)
        v = _value(value, spec.type, child, state, depth)
        if v is not None:
            out[key] = v
    return out


def _strict_child(loc: _Loc | None, key: object) -> str:
    if loc is None:
        return str(key)
    return f"{loc.render()[0]}.{key}"


class _RejectedError(Exception):
    """The fast walk met something wrong; the diagnostic walk will say what."""


_FAST_SCALARS: dict[str, type | tuple[type, ...]] = {
    "str": str,
    "time": str,
    "bytes": str,
    "bool": bool,
}


def _fast_value(value: Any, ft: FieldType, depth: int) -> Any:
    """``_value`` without locations: the normal form, or ``_RejectedError`` at the first problem."""
    kind = ft.kind
    want = _FAST_SCALARS.get(kind)
    if want is not None:
        if type(value) is want:
            return value
        raise _RejectedError
    bounds = _INTS.get(kind)
    if bounds is not None:
        if type(value) is int and bounds[0] <= value <= bounds[1]:
            return value
        if type(value) is float and value.is_integer() and bounds[0] <= value <= bounds[1]:
            return int(value)
        raise _RejectedError
    if kind == "obj":
        if type(value) is dict or isinstance(value, dict):
            return _fast_object(value, ft.cls, depth + 1)  # type: ignore[arg-type]
        raise _RejectedError
    if kind == "list":
        if type(value) is not list:
            raise _RejectedError
        elem = ft.elem
        assert elem is not None
        ek = elem.kind
        if ek == "obj":
            cls = elem.cls
            assert cls is not None
            out = []
            for v in value:
                if isinstance(v, dict):
                    out.append(_fast_object(v, cls, depth + 1))
                elif v is not None:
                    raise _RejectedError
            return out
        if ek == "str":
            for v in value:
                if type(v) is not str:
                    raise _RejectedError
            return list(value)
        return [_fast_value(v, elem, depth + 1) for v in value if v is not None]
    if kind == "map":
        if not isinstance(value, dict) or (
            type(value) is not dict and getattr(value, "duplicates", None)
        ):
            raise _RejectedError
        elem = ft.elem
        assert elem is not None
        if elem.kind == "str":
            for v in value.values():
                if type(v) is not str:
                    raise _RejectedError
            return dict(value)
        return {
            k: _fast_value(v, elem, depth + 1) for k, v in value.items() if v is not None
        }
    # float, intorstr, quantity, any: rare; let the diagnostic walk decide them.
    state = _State(sort=False)
    result = _value(value, ft, _Loc(None, "", "", ""), state, depth)
    if state.type_error is not None or state.strict:
        raise _RejectedError
    return result


# How the fast walk checks one field, decided once per class (``_FAST_PLANS``): the
# common shapes are checked inline by ``_fast_object`` instead of through a
# ``_fast_value`` call per field (a call per scalar was most of the walk's cost).
_F_STR, _F_BOOL, _F_OBJ, _F_LIST_OBJ, _F_LIST_STR, _F_OTHER = range(6)


def _fast_plan(cls: type) -> dict[str, tuple[int, Any]]:
    plan: dict[str, tuple[int, Any]] = {}
    for spec in FIELDS[cls]:
        ft = spec.type
        elem = ft.elem
        if ft.kind in _STRINGS:
            plan[spec.json] = (_F_STR, None)
        elif ft.kind == "bool":
            plan[spec.json] = (_F_BOOL, None)
        elif ft.kind == "obj":
            plan[spec.json] = (_F_OBJ, ft.cls)
        elif ft.kind == "list" and elem is not None and elem.kind == "obj":
            plan[spec.json] = (_F_LIST_OBJ, elem.cls)
        elif ft.kind == "list" and elem is not None and elem.kind == "str":
            plan[spec.json] = (_F_LIST_STR, None)
        else:
            plan[spec.json] = (_F_OTHER, ft)
    return plan


_FAST_PLANS: dict[type, dict[str, tuple[int, Any]]] = {cls: _fast_plan(cls) for cls in FIELDS}


def _fast_object(obj: dict[Any, Any], cls: type, depth: int) -> dict[str, Any]:
    """``_object`` without locations, in the body's own key order (see ``_fast_value``);
    each field is checked exactly as ``_fast_value`` would check it."""
    # Only the PyYAML/JSON readers' RawMap can carry duplicates; a plain dict cannot.
    if depth > MAX_DEPTH or (type(obj) is not dict and getattr(obj, "duplicates", None)):
        raise _RejectedError
    plan = _FAST_PLANS[cls]
    out: dict[str, Any] = {}
    for key, value in obj.items():
        how = plan.get(key)
        if how is None:
            raise _RejectedError
        if value is None:
            continue
        code = how[0]
        if code == _F_STR:
            if type(value) is not str:
                raise _RejectedError
            out[key] = value
        elif code == _F_OBJ:
            if not isinstance(value, dict):
                raise _RejectedError
            out[key] = _fast_object(value, how[1], depth + 1)
        elif code == _F_LIST_OBJ:
            if type(value) is not list:
                raise _RejectedError
            items = []
            for v in value:
                if isinstance(v, dict):
                    items.append(_fast_object(v, how[1], depth + 1))
                elif v is not None:
                    raise _RejectedError
            out[key] = items
        elif code == _F_LIST_STR:
            if type(value) is not list:
                raise _RejectedError
            for v in value:
                if type(v) is not str:
                    raise _RejectedError
            out[key] = list(value)
        elif code == _F_BOOL:
            if type(value) is not bool:
                raise _RejectedError
            out[key] = value
        else:
            out[key] = _fast_value(value, how[1], depth)
    return out


def check(obj: Mapping[str, Any], cls: type) -> dict[str, Any]:
    """Step 1: the normal form of ``obj``, or ``DecodeError`` with the apiserver's words.

    A fast walk without locations handles the common, valid body. A body it rejects is
    walked again with locations, in sorted key order, so the first type error and the
    order of strict errors are the ones kubectl's sorted re-encoding produces.
    """
    if isinstance(obj, dict):
        try:
            return _fast_object(obj, cls, 0)
        except (_RejectedError, RecursionError):
            pass
    state = _State(sort=True)
    out = _object(obj, cls, None, state, 0)
    if state.type_error is not None:
        raise DecodeError(state.type_error)
    if state.strict:
        raise DecodeError("strict decoding error: " + ", ".join(state.strict))
    assert out is not None
    return out


def check_lenient(obj: Mapping[str, Any], cls: type) -> tuple[dict[str, Any], list[str]]:
    """``fieldValidation=Warn``/``Ignore``: the normal form without unknown fields.

    Returns the body and the strict errors it would have raised (``unknown field
    "spec.foo"``, ``duplicate field ...``) for the caller to turn into warnings; a type
    error still raises ``DecodeError``, as upstream refuses it in every mode.
    """
    if isinstance(obj, dict):
        try:
            return _fast_object(obj, cls, 0), []
        except (_RejectedError, RecursionError):
            pass
    state = _State(sort=True)
    out = _object(obj, cls, None, state, 0)
    if state.type_error is not None:
        raise DecodeError(state.type_error)
    assert out is not None
    return out, list(state.strict or ())


def _build_plan(cls: type) -> dict[str, int | tuple[int, int, Any]]:
    """Per JSON field: its position in the record for a scalar (stored as is, the common
    case), else (position, how to build, class or element type)."""
    positions = {name: i for i, name in enumerate(cls._fields)}  # type: ignore[attr-defined]
    plan: dict[str, int | tuple[int, int, Any]] = {}
    for spec in FIELDS[cls]:
        ft = spec.type
        at = positions[spec.attr]
        if ft.kind == "obj":
            plan[spec.json] = (at, _OBJ, ft.cls)
        elif ft.kind == "list":
            assert ft.elem is not None
            if ft.elem.kind == "obj":
                plan[spec.json] = (at, _LIST_OBJ, ft.elem.cls)
            elif ft.elem.kind in ("list", "map"):
                plan[spec.json] = (at, _GENERIC, ft)
            else:
                plan[spec.json] = (at, _LIST, None)
        elif ft.kind == "map":
            assert ft.elem is not None
            if ft.elem.kind in ("obj", "list", "map"):
                plan[spec.json] = (at, _GENERIC, ft)
            else:
                plan[spec.json] = (at, _MAP, None)
        else:
            plan[spec.json] = at
    return plan


_OBJ, _LIST, _LIST_OBJ, _MAP, _GENERIC = range(5)
_PLANS: dict[type, dict[str, int | tuple[int, int, Any]]] = {
    cls: _build_plan(cls) for cls in FIELDS
}
_DEFAULTS: dict[type, list[Any]] = {
    cls: [cls._field_defaults[f] for f in cls._fields]  # type: ignore[attr-defined]
    for cls in FIELDS
}
_MAKERS: dict[type, Callable[[list[Any]], Any]] = {cls: fast_maker(cls) for cls in FIELDS}
"""Per class, its record maker (``seclet.api.record.fast_maker``): a list of defaults
filled by position becomes the record in one call, cheaper than the keyword
constructor (no argument binding, no ``__init__`` frame)."""
_EMPTY_RECORDS: dict[type, Any] = {cls: cls() for cls in FIELDS}
"""One shared all-defaults record per class (records are immutable): ``{}`` bodies such
as a defaulted ``securityContext`` need no new object."""


def _build_generic(value: Any, ft: FieldType) -> Any:
    kind = ft.kind
    if kind == "obj":
        assert ft.cls is not None
        return build(value, ft.cls)
    if kind == "list":
        assert ft.elem is not None
        return tuple(_build_generic(v, ft.elem) for v in value)
    if kind == "map":
        assert ft.elem is not None
        return FrozenMap({k: _build_generic(v, ft.elem) for k, v in value.items()})
    return value


def build(obj: Mapping[str, Any], cls: type[T]) -> T:
    """Step 3: the immutable object for a body in the normal form ``check`` returned."""
    if not obj:
        empty: T = _EMPTY_RECORDS[cls]
        return empty
    plan = _PLANS[cls]
    values = _DEFAULTS[cls][:]
    for key, value in obj.items():
        step = plan[key]
        if type(step) is int:  # a scalar: most fields
            values[step] = value
            continue
        at, how, arg = step  # type: ignore[misc]
        if how == _OBJ:
            values[at] = build(value, arg)
        elif how == _LIST_OBJ:
            values[at] = tuple([build(v, arg) for v in value])
        elif how == _LIST:
            values[at] = tuple(value)
        elif how == _MAP:
            values[at] = FrozenMap(value)
        else:
            values[at] = _build_generic(value, arg)
    record: T = _MAKERS[cls](values)
    return record


def handled_as(kind: str, api_version: str, message: str) -> str:
    """The 400 Status message the apiserver sends for an undecodable body."""
    version = api_version.rsplit("/", 1)[-1]
    return f"{kind} in version {go_quote(version)} cannot be handled as a {kind}: {message}"


def decode(obj: Mapping[str, Any], cls: type[T]) -> T:
    """Steps 1 and 3 without defaulting (tests, and objects that are stored already)."""
    return build(check(obj, cls), cls)


def decode_pod(raw: Mapping[str, Any]) -> Pod:
    """A strictly checked Pod, not defaulted (tests and stored objects)."""
    return decode(raw, Pod)
