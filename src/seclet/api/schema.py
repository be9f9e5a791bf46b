"""Wire-schema vocabulary shared by the generated models and the strict decoder.

Role: names the kinds of JSON value a Kubernetes field holds (with the Go type
upstream's decoder would name in an error) so that ``seclet.api.models`` can
describe every field and ``seclet.api.decode`` / ``seclet.api.encode`` can walk them.
Callers: ``seclet.api.models`` (generated), ``seclet.api.decode``, ``seclet.api.encode``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

V_co = TypeVar("V_co", covariant=True)


class FrozenMap(Mapping[str, V_co]):
    """An immutable, hashable string-keyed map: the value of every map field.

    Frozen dataclasses need hashable defaults; a read-only view over a private
    dict keeps decoded objects immutable without copying on every read.
    """

    __slots__ = ("_d", "_h")

    def __init__(self, data: Mapping[str, V_co] | None = None) -> None:
        self._d: dict[str, V_co] = dict(data) if data else {}
        self._h: int | None = None

    def __getitem__(self, key: str) -> V_co:
        return self._d[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        if self._h is None:
            self._h = hash(frozenset((k, repr(v)) for k, v in self._d.items()))
        return self._h

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._d == other._d
        if isinstance(other, Mapping):
            return self._d == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._d!r})"


EMPTY_MAP: FrozenMap[Any] = FrozenMap()
"""Shared immutable default for map-valued fields (labels, annotations, ...)."""


@dataclass(frozen=True, slots=True)
class FieldType:
    """The wire kind of one field.

    kind: str, bytes, int32, int64, float, bool, obj, list, map, intorstr,
    quantity, time or any. ``go`` is the Go type spelling upstream's JSON decoder
    prints (``int64``, ``[]v1.Container``). ``cls`` is set for ``obj``; ``elem``
    for ``list`` and ``map``; ``listType``/``listKeys`` mirror the OpenAPI
    ``x-kubernetes-list-*`` extensions.
    """

    kind: str
    go: str
    cls: type | None = None
    elem: FieldType | None = None
    listType: str = ""  # noqa: N815 - OpenAPI spelling
    listKeys: tuple[str, ...] = ()  # noqa: N815 - OpenAPI spelling


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a struct: its JSON name, Python attribute and type."""

    json: str
    attr: str
    type: FieldType
