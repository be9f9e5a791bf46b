"""Wire-schema vocabulary shared by the generated models and the strict decoder.

Role: names the kinds of JSON value a Kubernetes field holds (with the Go type
upstream's decoder would name in an error) so that ``seclet.api.models`` can
describe every field and ``seclet.api.decode`` / ``seclet.api.encode`` can walk them.
Callers: ``seclet.api.models`` (generated), ``seclet.api.decode``, ``seclet.api.encode``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

V = TypeVar("V")


class FrozenMap(dict[str, V]):
    """An immutable, hashable string-keyed map: the value of every map field.

    A ``dict`` subclass whose mutators raise: reads (``len``, ``in``, ``get``, iteration)
    stay at C speed, which matters because validation asks every map whether it is
    empty; frozen models need hashable values, so it hashes by content.
    """

    __slots__ = ("_h",)

    def __init__(self, data: Mapping[str, V] | None = None) -> None:
        super().__init__(data or ())
        self._h: int | None = None

    def _immutable(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("FrozenMap is immutable")

    __setitem__ = _immutable
    __delitem__ = _immutable
    __ior__ = _immutable
    clear = _immutable
    pop = _immutable
    popitem = _immutable
    setdefault = _immutable
    update = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        if self._h is None:
            self._h = hash(frozenset((k, repr(v)) for k, v in self.items()))
        return self._h

    def __repr__(self) -> str:
        return f"FrozenMap({dict.__repr__(self)})"

    def __reduce__(self) -> tuple[type[FrozenMap[V]], tuple[dict[str, V]]]:
        return (FrozenMap, (dict(self),))


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
