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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from seclet.api.field import go_float, go_quote
from seclet.api.models import FIELDS, Pod
from seclet.api.schema import FieldSpec, FieldType, FrozenMap

T = TypeVar("T")

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

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
    type_error: str | None = None
    strict: list[str] | None = None

    def strict_error(self, text: str) -> None:
        if self.strict is None:
            self.strict = []
        self.strict.append(text)


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
    """A JSON number as the literal Go saw in the body (Go's shortest float form)."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return go_float(value)
    return str(value)


def _type_error(state: _State, value: object, struct: str, path: str, go: str) -> None:
    if state.type_error is not None:
        return
    kind = json_kind(value)
    if kind == "number":
        kind = f"number {go_number(value)}"  # type: ignore[arg-type]
    state.type_error = (
        f"json: cannot unmarshal {kind} into Go struct field {struct}.{path} of type {go}"
    )


def _check_quantity(value: object, state: _State) -> None:
    if state.type_error is not None:
        return
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        state.type_error = QUANTITY_ERROR
        return
    text = value if isinstance(value, str) else go_number(value)
    m = _QUANTITY_RE.match(text)
    non_finite = isinstance(value, float) and (math.isinf(value) or math.isnan(value))
    if not m or non_finite or m.group(2).lstrip("eE+-0123456789") not in _QUANTITY_SUFFIXES:
        state.type_error = QUANTITY_ERROR


def _check_value(
    value: object,
    ft: FieldType,
    struct: str,
    path: str,
    strict_path: str,
    state: _State,
    depth: int,
) -> None:
    """Check one value against its wire type (Go decoder rules)."""
    if value is None:
        return  # JSON null leaves the Go zero value: never an error
    kind = ft.kind
    if kind == "str" or kind == "time" or kind == "bytes":
        if not isinstance(value, str):
            _type_error(state, value, struct, path, ft.go)
    elif kind == "int64" or kind == "int32":
        lo, hi = (INT32_MIN, INT32_MAX) if kind == "int32" else (INT64_MIN, INT64_MAX)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _type_error(state, value, struct, path, ft.go)
        elif isinstance(value, float):
            # kubectl re-encodes YAML floats with Go's shortest form: 1000.0 is sent as 1000.
            if not (value.is_integer() and abs(value) < 1e21 and lo <= value <= hi):
                _type_error(state, value, struct, path, ft.go)
        elif not lo <= value <= hi:
            _type_error(state, value, struct, path, ft.go)
    elif kind == "bool":
        if not isinstance(value, bool):
            _type_error(state, value, struct, path, ft.go)
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _type_error(state, value, struct, path, ft.go)
    elif kind == "intorstr":
        bad = isinstance(value, bool) or not isinstance(value, (int, str))
        if bad and state.type_error is None:
            state.type_error = (
                f"json: cannot unmarshal {json_kind(value)} into Go value of type int32"
            )
        elif isinstance(value, int) and not INT32_MIN <= value <= INT32_MAX:
            _type_error(state, value, "IntOrString", path, "int32")
    elif kind == "quantity":
        _check_quantity(value, state)
    elif kind == "any":
        _check_depth(value, depth, state)
    elif kind == "obj":
        if not isinstance(value, Mapping):
            _type_error(state, value, struct, path, ft.go)
            return
        assert ft.cls is not None
        _check_object(value, ft.cls, path, strict_path, state, depth + 1)
    elif kind == "list":
        if not isinstance(value, (list, tuple)):
            _type_error(state, value, struct, path, ft.go)
            return
        assert ft.elem is not None
        elem = ft.elem
        for i, item in enumerate(value):
            _check_value(item, elem, struct, path, f"{strict_path}[{i}]", state, depth + 1)
    elif kind == "map":
        if not isinstance(value, Mapping):
            _type_error(state, value, struct, path, ft.go)
            return
        assert ft.elem is not None
        elem = ft.elem
        for k in sorted(value):
            _check_value(value[k], elem, struct, path, f"{strict_path}.{k}", state, depth + 1)


def _check_depth(value: object, depth: int, state: _State) -> None:
    if depth > MAX_DEPTH:
        if state.type_error is None:
            state.type_error = f"json: exceeded max depth {MAX_DEPTH}"
        return
    if isinstance(value, Mapping):
        for v in value.values():
            _check_depth(v, depth + 1, state)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _check_depth(v, depth + 1, state)


_TABLES: dict[type, dict[str, FieldSpec]] = {
    cls: {f.json: f for f in specs} for cls, specs in FIELDS.items()
}


def _check_object(
    obj: Mapping[str, Any], cls: type, path: str, strict_path: str, state: _State, depth: int
) -> None:
    if depth > MAX_DEPTH:
        if state.type_error is None:
            state.type_error = f"json: exceeded max depth {MAX_DEPTH}"
        return
    table = _TABLES[cls]
    struct = cls.__name__
    dups: frozenset[str] = getattr(obj, "duplicates", frozenset())
    for key in sorted(obj, key=str):
        child = f"{strict_path}.{key}" if strict_path else key
        if key in dups:
            state.strict_error(f"duplicate field {go_quote(child)}")
        spec = table.get(key)
        if spec is None:
            state.strict_error(f"unknown field {go_quote(child)}")
            continue
        gopath = f"{path}.{key}" if path else key
        _check_value(obj[key], spec.type, struct, gopath, child, state, depth)


def check(obj: Mapping[str, Any], cls: type) -> None:
    """Step 1: raise ``DecodeError`` if the apiserver would refuse to decode ``obj``."""
    state = _State()
    _check_object(obj, cls, "", "", state, 0)
    if state.type_error is not None:
        raise DecodeError(state.type_error)
    if state.strict:
        raise DecodeError("strict decoding error: " + ", ".join(state.strict))


def _build_value(value: Any, ft: FieldType) -> Any:
    kind = ft.kind
    if kind == "obj":
        assert ft.cls is not None
        return build(value, ft.cls)
    if kind == "list":
        elem = ft.elem
        assert elem is not None
        if elem.kind in ("obj", "list", "map"):
            return tuple(_build_value(v, elem) for v in value if v is not None)
        return tuple(value)
    if kind == "map":
        elem = ft.elem
        assert elem is not None
        if elem.kind in ("obj", "list", "map"):
            return FrozenMap({k: _build_value(v, elem) for k, v in value.items()})
        return FrozenMap(value)
    if (kind == "int64" or kind == "int32") and isinstance(value, float):
        return int(value)
    return value


def build(obj: Mapping[str, Any], cls: type[T]) -> T:
    """Step 3: the frozen object for a checked body (unknown keys were refused by ``check``)."""
    table = _TABLES[cls]
    kwargs: dict[str, Any] = {}
    for key, value in obj.items():
        if value is None:
            continue
        spec = table.get(key)
        if spec is None:
            continue
        kwargs[spec.attr] = _build_value(value, spec.type)
    return cls(**kwargs)


def handled_as(kind: str, api_version: str, message: str) -> str:
    """The 400 Status message the apiserver sends for an undecodable body."""
    version = api_version.rsplit("/", 1)[-1]
    return f"{kind} in version {go_quote(version)} cannot be handled as a {kind}: {message}"


def decode(obj: Mapping[str, Any], cls: type[T]) -> T:
    """Steps 1 and 3 without defaulting (tests, and objects that are stored already)."""
    check(obj, cls)
    return build(obj, cls)


def decode_pod(raw: Mapping[str, Any]) -> Pod:
    """A strictly checked Pod, not defaulted (tests and stored objects)."""
    return decode(raw, Pod)
