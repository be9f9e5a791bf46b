"""Immutable slotted records: the runtime form of every generated API model.

Role: ``seclet.api.models`` declares each model as ``@record(frozen=True) class X(Record)``
with annotated, defaulted fields. Type checkers read that as a frozen dataclass
(``models`` imports ``dataclasses.dataclass`` under the name ``record`` when
``TYPE_CHECKING``), so assigning to a field is a type error. At run time ``record``
replaces the class with a ``__slots__`` class of the same name and fields that keeps
the NamedTuple vocabulary callers use: positional or keyword construction, ``_replace``,
``_fields``, ``_field_defaults``, equality and hashing by value, and NamedTuple's
``repr`` text (``Capabilities(add=(), drop=())``), which the kubelet hashes.
``hot_dataclass`` is the same idea for the hand-written frozen dataclasses built once
or twice per Pod or container (the plan, its inputs, results): a type checker sees
``dataclasses.dataclass`` (so ``frozen=True`` holds for it); at run time the class is
a slotted dataclass whose ``__init__`` stores plainly, with the frozen class's value
hash. A frozen dataclass stores each field through ``object.__setattr__``, four
times slower than a plain slot store (measured on a 7-field class: 2.8 us -> 0.6 us).
Callers: ``seclet.api.models`` (generated), ``seclet.api.decode`` (``fast_maker``),
``hot_dataclass`` users (seclet.api.load, seclet.review, seclet.podsecurity.policy,
seclet.runtime.oci).

Why not NamedTuple: CPython 3.11 cannot specialise an attribute load through
NamedTuple's field descriptors, while a slot load is a specialised instruction; the
pure pipeline reads model fields hundreds of times per Pod.
Why not a frozen dataclass at run time: its ``__init__`` sets every field through
``object.__setattr__``, several times slower than a NamedTuple to build.

How a record stays immutable and cheap to build: three classes share one layout. The
*fields* class holds the slots and the value methods; the public class adds
``__setattr__``/``__delattr__`` that raise ``dataclasses.FrozenInstanceError``; a
private *maker* class adds a plain ``__init__``. An instance is built as a maker (each
store is a specialised slot store) and then becomes the public class by a
``__class__`` assignment, which CPython allows because neither subclass adds a slot.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

__all__ = ["Record", "fast_maker", "hot_dataclass", "record"]

T = TypeVar("T")


class Record:
    """The common base of every model class (no state of its own)."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _field_defaults: ClassVar[dict[str, Any]] = {}


def _frozen_setattr(self: object, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: object, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


_MAKERS: dict[type, type] = {}


def fast_maker(cls: type[T]) -> Callable[[list[Any]], T]:
    """The record of ``cls`` from a list holding every field in order (``decode.build``):
    a maker allocated without ``__init__``, its slots stored by one unpacking
    assignment, then made ``cls``."""
    maker: Callable[[list[Any]], T] = _MAKERS[cls]
    return maker


def _methods(name: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """The generated value methods, compiled once per class."""
    names = [f"d_{i}" for i in range(len(fields))]
    params = ", ".join(f"{f}={d}" for f, d in zip(fields, names, strict=True))
    lines = [f"def __init__(self, {params}):"]
    lines += [f"    self.{f} = {f}" for f in fields] or ["    pass"]
    own = ", ".join(f"self.{f}" for f in fields)
    other = ", ".join(f"other.{f}" for f in fields)
    comma = "," if len(fields) == 1 else ""
    lines += [
        "def __eq__(self, other):",
        "    if other.__class__ is self.__class__:",
        f"        return ({own}{comma}) == ({other}{comma})",
        "    return NotImplemented",
        "def __hash__(self):",
        f"    return hash(({own}{comma}))",
        "def __repr__(self):",
        "    return f'" + name + "(" + ", ".join(f"{f}={{self.{f}!r}}" for f in fields) + ")'",
        "def __reduce__(self):",
        f"    return (self.__class__, ({own}{comma}))",
        f"def __new__(cls, {params}):",
        f"    obj = _maker({', '.join(fields)})",
        "    obj.__class__ = cls",
        "    return obj",
        "def _replace(self, /, **changes):",
        "    get = changes.pop",
        "    obj = _maker(" + ", ".join(f"get({f!r}, self.{f})" for f in fields) + ")",
        "    if changes:",
        "        raise ValueError(f'Got unexpected field names: {list(changes)!r}')",
        "    obj.__class__ = self.__class__",
        "    return obj",
        "def _from_values(values):",
        "    obj = _alloc(_maker)",
        *([f"    {', '.join(f'obj.{f}' for f in fields)}{comma} = values"] if fields else []),
        "    obj.__class__ = _public",
        "    return obj",
    ]
    return {"src": "\n".join(lines), "names": names}


def _make(cls: type) -> type:
    fields = tuple(inspect.get_annotations(cls))
    defaults = {f: cls.__dict__[f] for f in fields}
    gen = _methods(cls.__name__, fields)
    namespace: dict[str, Any] = {d: defaults[f] for d, f in zip(gen["names"], fields, strict=True)}
    exec(gen["src"], namespace)  # noqa: S102 - our own generated text, as namedtuple does
    common = {
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
    }
    base = type(
        cls.__name__,
        cls.__bases__,
        {
            **common,
            "__slots__": fields,
            "_fields": fields,
            "_field_defaults": defaults,
            "__match_args__": fields,
            **{
                k: namespace[k]
                for k in ("__eq__", "__hash__", "__repr__", "__reduce__", "_replace")
            },
        },
    )
    init = namespace["__init__"]
    maker = type(cls.__name__, (base,), {**common, "__slots__": (), "__init__": init})
    public = type(
        cls.__name__,
        (base,),
        {
            **common,
            "__slots__": (),
            "__new__": namespace["__new__"],
            "__setattr__": _frozen_setattr,
            "__delattr__": _frozen_delattr,
        },
    )
    namespace["_maker"] = maker
    namespace["_public"] = public
    namespace["_alloc"] = object.__new__
    _MAKERS[public] = namespace["_from_values"]
    return public


def record(*, frozen: bool = True) -> Callable[[type[T]], type[T]]:
    """The class decorator ``models`` uses (spelled like ``dataclass(frozen=True)``)."""
    if not frozen:
        raise ValueError("records are always frozen")

    def wrap(cls: type[T]) -> type[T]:
        made: type[T] = _make(cls)
        return made

    return wrap


if TYPE_CHECKING:
    from dataclasses import dataclass as hot_dataclass
else:

    def hot_dataclass(*, frozen: bool = False, **kwargs: Any) -> Callable[[type[T]], type[T]]:
        """``dataclass(frozen=True, ...)`` to a type checker; see the module doc."""
        if not frozen or not kwargs.get("slots"):
            raise ValueError("hot_dataclass is for frozen slotted dataclasses")
        return dataclass(unsafe_hash=True, **kwargs)
