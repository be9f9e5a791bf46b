"""Read-only JSON containers: large constant spec data shared between specs by reference.

Role: ``ReadOnlyList``/``ReadOnlyDict`` are ``list``/``dict`` subclasses whose
mutating methods raise ``TypeError``. They serialise exactly like plain lists and
dicts (``json.dumps`` with or without ``indent``/``sort_keys``), compare equal to
them, pass ``isinstance(x, list | dict)`` (JSON Schema validators) and copy
(``copy.copy``/``copy.deepcopy``/pickle) into plain, mutable lists and dicts. The
builder puts one cached RuntimeDefault seccomp profile made of these into every spec
that uses it instead of copying ~370 names and 14 rules per container; a caller that
must edit ``linux.seccomp`` deep-copies it first, and forgetting to fails loudly
instead of silently changing every later spec.
Callers: seclet.securitycontext.seccomp_default.
"""

from __future__ import annotations

import copy
from typing import Any, NoReturn

_MESSAGE = "read-only shared spec data: copy.deepcopy() it before changing it"


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError(_MESSAGE)


class ReadOnlyList(list[Any]):
    """A list that refuses every in-place change."""

    __slots__ = ()

    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return [copy.deepcopy(v, memo) for v in self]

    def __reduce__(self) -> tuple[type[list[Any]], tuple[list[Any]]]:
        return (list, (list(self),))


class ReadOnlyDict(dict[str, Any]):
    """A dict that refuses every in-place change."""

    __slots__ = ()

    pop = popitem = clear = update = setdefault = _refuse
    __setitem__ = __delitem__ = __ior__ = _refuse

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self) -> tuple[type[dict[str, Any]], tuple[dict[str, Any]]]:
        return (dict, (dict(self),))


def freeze(value: Any) -> Any:
    """A read-only deep copy of a JSON-shaped value (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return ReadOnlyDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return ReadOnlyList(freeze(v) for v in value)
    return value
