"""Path elements and paths of field management, as structured-merge-diff's ``fieldpath``.

Role: the four ways to step into a JSON value (``f:`` a field of a map or struct,
``k:`` the item of an associative list with these key values, ``v:`` the item of a
set-list with this value, ``i:`` a position), their order (upstream's
``PathElement.Compare``: fields < keys < values < indexes, each compared within its
kind; values ordered float/int < string < bool < list < map < null), their FieldsV1
spelling (``serialize-pe.go``: keys sorted by name, values written as Go's
``encoding/json`` does, HTML characters escaped) and the human form used in conflict
messages (``.spec.containers[name="c"].image``).
Pure. Callers: ``fieldset``, ``typed``, ``conflict``, ``fieldmanager``.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Final, NamedTuple

FIELD: Final = "f"
KEY: Final = "k"
VALUE: Final = "v"
INDEX: Final = "i"
_KIND_RANK: Final = {FIELD: 0, KEY: 1, VALUE: 2, INDEX: 3}


def go_json(value: Any) -> str:
    """``value`` as Go's ``encoding/json`` (jsoniter's compatible mode) writes it:
    compact, map keys sorted, ``<``, ``>``, ``&``, U+2028 and U+2029 escaped."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _value_rank(value: Any) -> int:
    if isinstance(value, bool):
        return 2
    if isinstance(value, int | float):
        return 0
    if isinstance(value, str):
        return 1
    if isinstance(value, list):
        return 3
    if isinstance(value, dict):
        return 4
    return 5


def compare_values(lhs: Any, rhs: Any) -> int:
    """``value.Compare``: -1, 0 or 1."""
    lr, rr = _value_rank(lhs), _value_rank(rhs)
    if lr != rr:
        return -1 if lr < rr else 1
    if lr in (0, 1, 2):
        return int(lhs > rhs) - int(lhs < rhs)
    if lr == 3:
        for a, b in zip(lhs, rhs, strict=False):
            c = compare_values(a, b)
            if c:
                return c
        return (len(lhs) > len(rhs)) - (len(lhs) < len(rhs))
    if lr == 4:
        a_text, b_text = go_json(lhs), go_json(rhs)
        return (a_text > b_text) - (a_text < b_text)
    return 0


def _go_string(value: Any) -> str:
    """``value.ToString``: strings quoted as Go's ``%q``, numbers and bools as ``%v``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(_go_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "".join(f"{k}={_go_string(v)}" for k, v in value.items())
    return "{{undefined}}"


class PathElement(NamedTuple):
    """One step: ``kind`` is ``f``/``k``/``v``/``i``; ``name`` for a field; ``keys`` the
    (name, canonical JSON) pairs of a key, sorted by name; ``value`` the canonical JSON
    of a set item; ``position`` a list index. A tuple: paths hash and compare at C speed."""

    kind: str
    name: str = ""
    keys: tuple[tuple[str, str], ...] = ()
    value: str = ""
    position: int = 0

    @staticmethod
    def field(name: str) -> PathElement:
        return PathElement(FIELD, name=name)

    @staticmethod
    def key(fields: dict[str, Any]) -> PathElement:
        return PathElement(KEY, keys=tuple((k, go_json(fields[k])) for k in sorted(fields)))

    @staticmethod
    def of_value(value: Any) -> PathElement:
        return PathElement(VALUE, value=go_json(value))

    @staticmethod
    def at(index: int) -> PathElement:
        return PathElement(INDEX, position=index)

    def key_values(self) -> dict[str, Any]:
        return {name: json.loads(text) for name, text in self.keys}

    def compare(self, other: PathElement) -> int:
        """``PathElement.Compare``."""
        if self.kind != other.kind:
            return -1 if _KIND_RANK[self.kind] < _KIND_RANK[other.kind] else 1
        if self.kind == FIELD:
            return (self.name > other.name) - (self.name < other.name)
        if self.kind == INDEX:
            return (self.position > other.position) - (self.position < other.position)
        if self.kind == VALUE:
            return compare_values(json.loads(self.value), json.loads(other.value))
        for (an, av), (bn, bv) in zip(self.keys, other.keys, strict=False):
            if an != bn:
                return -1 if an < bn else 1
            c = compare_values(json.loads(av), json.loads(bv))
            if c:
                return c
        return (len(self.keys) > len(other.keys)) - (len(self.keys) < len(other.keys))

    def serialize(self) -> str:
        """The FieldsV1 key: ``f:name``, ``k:{"name":"c"}``, ``v:"x"``, ``i:0``."""
        if self.kind == FIELD:
            return "f:" + self.name
        if self.kind == KEY:
            return "k:{" + ",".join(f"{go_json(n)}:{v}" for n, v in self.keys) + "}"
        if self.kind == VALUE:
            return "v:" + self.value
        return f"i:{self.position}"

    def __str__(self) -> str:
        """``PathElement.String``: ``.name``, ``[k=v,...]``, ``[=v]``, ``[0]``."""
        if self.kind == FIELD:
            return "." + self.name
        if self.kind == KEY:
            return "[" + ",".join(f"{n}={_go_string(json.loads(v))}" for n, v in self.keys) + "]"
        if self.kind == VALUE:
            return f"[={_go_string(json.loads(self.value))}]"
        return f"[{self.position}]"


def _value_key(value: Any) -> tuple[int, Any]:
    rank = _value_rank(value)
    if rank == 2:
        return (rank, int(value))
    if rank in (0, 1):
        return (rank, value)
    if rank == 3:
        return (rank, tuple(_value_key(v) for v in value))
    if rank == 4:
        return (rank, go_json(value))
    return (rank, 0)


@functools.lru_cache(maxsize=65536)
def sort_key(pe: PathElement) -> tuple[Any, ...]:
    """A key that sorts path elements in ``PathElement.compare``'s order."""
    rank = _KIND_RANK[pe.kind]
    if pe.kind == FIELD:
        return (rank, pe.name)
    if pe.kind == INDEX:
        return (rank, pe.position)
    if pe.kind == VALUE:
        return (rank, _value_key(json.loads(pe.value)))
    return (rank, tuple((n, _value_key(json.loads(v))) for n, v in pe.keys))


class PathElementError(ValueError):
    """A FieldsV1 key that is not a path element (the message is upstream's)."""


class UnknownPathElementError(PathElementError):
    """A key with an unknown ``x:`` prefix: upstream drops these silently."""


@functools.lru_cache(maxsize=65536)
def deserialize(text: str) -> PathElement:
    """``DeserializePathElement`` (cached: managedFields repeat the same keys)."""
    if len(text) < 2:
        raise PathElementError("key must be 2 characters long:")
    if text[1] != ":":
        raise PathElementError(f"missing colon: {text}")
    kind, body = text[0], text[2:]
    if kind == FIELD:
        return PathElement.field(body)
    if kind == VALUE:
        try:
            return PathElement.of_value(json.loads(body))
        except ValueError as exc:
            raise PathElementError(str(exc)) from None
    if kind == KEY:
        try:
            fields = json.loads(body)
        except ValueError as exc:
            raise PathElementError(str(exc)) from None
        if not isinstance(fields, dict):
            raise PathElementError(f"invalid key: {body}")
        return PathElement.key(fields)
    if kind == INDEX:
        try:
            return PathElement.at(int(body))
        except ValueError:
            raise PathElementError(f'strconv.Atoi: parsing "{body}": invalid syntax') from None
    raise UnknownPathElementError("unknown path element type")


Path = tuple[PathElement, ...]
"""A path from the object's root; ``()`` is the root itself."""


def path_string(path: Path) -> str:
    """``Path.String``: the elements' forms joined."""
    return "".join(str(pe) for pe in path)


def field_path(*names: str) -> Path:
    """A path of field names (``MakePathOrDie("metadata", "name")``)."""
    return tuple(PathElement.field(n) for n in names)
