"""Sets of field paths and their FieldsV1 encoding, as structured-merge-diff's ``fieldpath.Set``.

Role: a ``FieldSet`` is a frozenset of paths (each path owned as a whole); the
operations upstream's updater uses that plain set algebra does not give
(``RecursiveDifference``, ``WithPrefix``, upstream's iteration order) and the FieldsV1
trie (``serialize.go``): each level lists its elements in ``PathElement`` order, a
member with no children is ``{}``, a member that also has children carries ``".": {}``
first, a node that is only a parent of members has no ``"."``. Decoding reads ``"."``
back as membership, treats a key with ``{}`` as a member and drops keys of unknown
element kinds (as upstream does).
Pure. Callers: ``typed``, ``updater``, ``fieldmanager``, tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from seclet.api.managedfields.path import (
    Path,
    PathElement,
    PathElementError,
    UnknownPathElementError,
    deserialize,
    sort_key,
)

FieldSet = frozenset[Path]
EMPTY: FieldSet = frozenset()

_pe_key = sort_key


class FieldsError(ValueError):
    """FieldsV1 that does not decode; the message is upstream's."""


def recursive_difference(s: FieldSet, other: FieldSet) -> FieldSet:
    """``RecursiveDifference``: ``s`` without the paths of ``other`` and everything below them."""
    if not other:
        return s
    return frozenset(p for p in s if not any(p[:i] in other for i in range(1, len(p) + 1)))


def with_prefix(s: FieldSet, pe: PathElement) -> FieldSet:
    """``WithPrefix``: the paths below ``pe``, with ``pe`` taken off."""
    return frozenset(p[1:] for p in s if len(p) > 1 and p[0] == pe)


class _Node:
    __slots__ = ("children", "members")

    def __init__(self) -> None:
        self.members: set[PathElement] = set()
        self.children: dict[PathElement, _Node] = {}


def _tree(s: Iterable[Path]) -> _Node:
    root = _Node()
    for path in s:
        if not path:
            continue
        node = root
        for pe in path[:-1]:
            node = node.children.setdefault(pe, _Node())
        node.members.add(path[-1])
    return root


def iterate(s: FieldSet) -> Iterator[Path]:
    """``Set.Iterate``: at each level the members in order, then each child's paths."""

    def walk(node: _Node, prefix: Path) -> Iterator[Path]:
        for pe in sorted(node.members, key=_pe_key):
            yield (*prefix, pe)
        for pe in sorted(node.children, key=_pe_key):
            yield from walk(node.children[pe], (*prefix, pe))

    return walk(_tree(s), ())


def to_fields_v1(s: FieldSet) -> dict[str, Any]:
    """``SetToFields``: the FieldsV1 object (insertion order is upstream's byte order)."""

    def emit(node: _Node, include_self: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if include_self and (node.members or node.children):
            out["."] = {}
        for pe in sorted(node.members | set(node.children), key=_pe_key):
            child = node.children.get(pe)
            out[pe.serialize()] = {} if child is None else emit(child, pe in node.members)
        return out

    return emit(_tree(s), False)


def from_fields_v1(fields: Any) -> FieldSet:
    """``FieldsToSet``; a non-object or a bad key is ``FieldsError``."""
    out: set[Path] = set()

    def read(obj: Any, prefix: Path) -> bool:
        """Collect the paths below ``prefix``; True when ``prefix`` itself is a member."""
        if not isinstance(obj, dict):
            raise FieldsError(
                "ReadMapCB: expect { or n, but found " + _first_char(obj) + ", error found in "
                "#1 byte of ...||..., bigger context ...||..."
            )
        is_member = False
        has_children = False
        for key, value in obj.items():
            if key == ".":
                is_member = True
                continue
            try:
                pe = deserialize(key)
            except UnknownPathElementError:
                continue
            except PathElementError as exc:
                raise FieldsError(f"parsing key as path element: {exc}") from None
            path = (*prefix, pe)
            if read(value, path):
                out.add(path)
            has_children = True
        return is_member or not has_children

    if fields is None:
        return EMPTY
    read(fields, ())
    return frozenset(out)


def _first_char(obj: Any) -> str:
    if isinstance(obj, list):
        return "["
    if isinstance(obj, str):
        return '"'
    if isinstance(obj, bool):
        return "t" if obj else "f"
    return "0"
