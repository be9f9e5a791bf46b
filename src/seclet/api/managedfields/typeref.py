"""The schema field management walks by, derived from ``seclet.api.models``.

Role: structured-merge-diff sees every value as a scalar, a map (a struct is a map
with declared fields), or a list (``atomic``, ``set`` or ``map`` with keys); atomic
maps and structs are one leaf. ``TypeRef`` says which, built from the models'
``FieldSpec``/``FieldType`` (``listType``/``listKeys`` are the OpenAPI
``x-kubernetes-list-*``); the Go types marked ``+structType=atomic`` in
k8s.io/api core/v1 and apimachinery meta/v1 and ``PodSpec.nodeSelector``
(``+mapType=atomic``) are listed here since the models do not carry the marker.
Kinds without a model (Namespace, Node, Event, Lease) walk as upstream's *deduced*
type (maps granular, lists atomic) with ``metadata`` typed as ObjectMeta, an Event's
object references atomic and the conditions/addresses of Node and Namespace status
keyed by ``type``.
Pure. Callers: ``typed``, ``fieldmanager``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Final

from seclet.api import models
from seclet.api.schema import FieldSpec, FieldType

SCALAR: Final = "scalar"
STRUCT: Final = "struct"
MAP: Final = "map"
LIST: Final = "list"
DEDUCED: Final = "deduced"

ATOMIC_STRUCTS: Final = frozenset(
    {
        "SecretReference",
        "FileKeySelector",
        "ObjectFieldSelector",
        "ResourceFieldSelector",
        "ConfigMapKeySelector",
        "SecretKeySelector",
        "NodeSelector",
        "NodeSelectorTerm",
        "TopologySelectorTerm",
        "ObjectReference",
        "LocalObjectReference",
        "TypedLocalObjectReference",
        "OwnerReference",
        "LabelSelector",
    }
)
"""Go types marked ``+structType=atomic`` (k8s.io/api core/v1 types.go, apimachinery
meta/v1 types.go) that seclet's models have."""
ATOMIC_MAP_FIELDS: Final = frozenset({("PodSpec", "nodeSelector")})
"""Map fields marked ``+mapType=atomic``."""
KEY_DEFAULTS: Final = {("ContainerPort", "protocol"): "TCP"}
"""Defaults of associative-list keys an item may omit (``getAssociativeKeyDefault``)."""


@dataclass(frozen=True, slots=True)
class TypeRef:
    """One node of the schema: ``kind`` is scalar/struct/map/list/deduced; ``cls`` the
    model class of a struct; ``elem`` the element of a map or list; ``list_type``
    ``atomic``/``set``/``map`` with ``keys``; ``atomic`` for a map or struct that is one
    leaf; ``typed_metadata`` for a deduced root whose ``metadata`` is ObjectMeta."""

    kind: str
    cls: type | None = None
    elem: TypeRef | None = None
    list_type: str = "atomic"
    keys: tuple[str, ...] = ()
    atomic: bool = False
    typed_metadata: bool = False
    root_kind: str = ""
    where: tuple[str, ...] = ()

    def is_leaf_kind(self) -> bool:
        return (
            self.kind == SCALAR
            or (self.kind in (MAP, STRUCT) and self.atomic)
            or (self.kind == LIST and self.list_type == "atomic")
        )


DEDUCED_REF: Final = TypeRef(DEDUCED)
SCALAR_REF: Final = TypeRef(SCALAR)


def _from_field_type(ft: FieldType, owner: str = "", name: str = "") -> TypeRef:
    if ft.kind == "obj" and ft.cls is not None:
        return struct_ref(ft.cls)
    if ft.kind == "list" and ft.elem is not None:
        return TypeRef(
            LIST,
            elem=_from_field_type(ft.elem),
            list_type=ft.listType or "atomic",
            keys=tuple(ft.listKeys),
        )
    if ft.kind == "map" and ft.elem is not None:
        return TypeRef(
            MAP, elem=_from_field_type(ft.elem), atomic=(owner, name) in ATOMIC_MAP_FIELDS
        )
    if ft.kind == "any":
        return DEDUCED_REF
    return SCALAR_REF


@functools.cache
def struct_ref(cls: type) -> TypeRef:
    """The struct ``cls`` of ``seclet.api.models``."""
    return TypeRef(STRUCT, cls=cls, atomic=cls.__name__ in ATOMIC_STRUCTS)


@functools.cache
def _fields(cls: type) -> dict[str, TypeRef]:
    specs: tuple[FieldSpec, ...] = models.FIELDS.get(cls, ())
    return {s.json: _from_field_type(s.type, cls.__name__, s.json) for s in specs}


ROOT_FIELDS: Final = {
    "Event": {"involvedObject": "ObjectReference", "related": "ObjectReference"},
}
"""Typed fields of deduced roots (an Event's object references are atomic)."""
KEYED_LISTS: Final[dict[tuple[str, tuple[str, ...]], tuple[str, ...]]] = {
    ("Node", ("status", "conditions")): ("type",),
    ("Node", ("status", "addresses")): ("type",),
    ("Namespace", ("status", "conditions")): ("type",),
}
"""Lists of deduced kinds that upstream's schema keys (``+listType=map``); the
deduced type would make them atomic."""
_KEYED_KINDS: Final = frozenset(kind for kind, _ in KEYED_LISTS)


def _root_field(ref: TypeRef, name: str) -> type | None:
    if name == "metadata":
        return models.ObjectMeta
    cls = getattr(models, ROOT_FIELDS.get(ref.root_kind, {}).get(name, ""), None)
    return cls if isinstance(cls, type) else None


def declared(ref: TypeRef, name: str) -> bool:
    """Whether ``name`` is a declared field of struct ``ref`` (``Map.FindField``)."""
    if ref.kind == STRUCT and ref.cls is not None:
        return name in _fields(ref.cls)
    return ref.kind == DEDUCED and ref.typed_metadata and _root_field(ref, name) is not None


def field_ref(ref: TypeRef, name: str) -> TypeRef:
    """The type of field ``name`` of map/struct ``ref`` (unknown fields: deduced)."""
    if ref.kind == STRUCT and ref.cls is not None:
        return _fields(ref.cls).get(name, DEDUCED_REF)
    if ref.kind == MAP and ref.elem is not None:
        return ref.elem
    if ref.kind == DEDUCED and ref.typed_metadata:
        cls = _root_field(ref, name)
        if cls is not None:
            return struct_ref(cls)
    if ref.kind == DEDUCED and ref.root_kind in _KEYED_KINDS:
        where = (*ref.where, name)
        below = TypeRef(DEDUCED, root_kind=ref.root_kind, where=where)
        keys = KEYED_LISTS.get((ref.root_kind, where))
        if keys:
            return TypeRef(LIST, elem=below, list_type="map", keys=keys)
        return below
    return DEDUCED_REF


def key_default(ref: TypeRef, key: str) -> Any:
    """A key's default for an item of list ``ref`` that omits it, or ``None``."""
    elem = ref.elem
    if elem is None or elem.cls is None:
        return None
    return KEY_DEFAULTS.get((elem.cls.__name__, key))


_MODELS: Final = {
    ("v1", "Pod"): "Pod",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "PersistentVolume"): "PersistentVolume",
    ("v1", "PersistentVolumeClaim"): "PersistentVolumeClaim",
    ("storage.k8s.io/v1", "StorageClass"): "StorageClass",
}


def root_ref(api_version: str, kind: str) -> TypeRef:
    """The schema of a whole object of ``apiVersion``/``kind``."""
    name = _MODELS.get((api_version, kind))
    cls = getattr(models, name, None) if name else None
    if isinstance(cls, type) and cls in models.FIELDS:
        return struct_ref(cls)
    return TypeRef(DEDUCED, typed_metadata=True, root_kind=kind)
