"""Node validation: ``ValidateNode`` + ``ValidateNodeUpdate`` (pkg/apis/core/validation, 1.35).

Role: what the node strategy's ``ValidateUpdate`` checks on a user's write of a Node
(``kubectl cordon``, ``label``, ``annotate``, ``taint``, ``replace``), on the Node's
JSON (seclet has no typed Node model):
1. ``ValidateNode``: ``ValidateObjectMeta`` (cluster-scoped, name a DNS-1123
   subdomain), then ``validateNodeTaints`` at ``metadata.taints`` (upstream's path
   for spec.taints): key a qualified name, value a label value, effect required and one
   of ``NoSchedule``/``PreferNoSchedule``/``NoExecute``, and no two taints with the same
   key and effect (``Duplicate value: <taint>: taints must be unique by key and effect
   pair``);
2. ``ValidateNodeUpdate``: ``ValidateObjectMetaUpdate``; ``spec.podCIDRs`` may only be
   set once (``node updates may not change podCIDR except from "" to valid``),
   ``spec.providerID`` too (``... providerID except from "" to valid``),
   ``spec.externalID`` never changes (``may not be updated``); the taints again.
Both lists are returned together, as the strategy appends them (the 422 message
dedupes repeated texts, the causes keep them).
Callers: ``seclet.apiserver.nodes``, tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from seclet.api import models
from seclet.api.decode import build
from seclet.api.field import (
    ErrorList,
    ErrorType,
    FieldError,
    JSONValue,
    Path,
    forbidden,
    invalid,
    not_supported,
    required,
)
from seclet.validation.names import is_label_value, name_is_dns_subdomain, qualified_name_errors
from seclet.validation.objectmeta import validate_object_meta
from seclet.validation.update import validate_object_meta_update

TAINT_EFFECTS: Final = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_META: Final = Path.root("metadata")


def taint_json(taint: Mapping[str, Any]) -> dict[str, Any]:
    """A taint as Go's ``json.Marshal`` of ``core.Taint`` writes it (``value`` and
    ``timeAdded`` omitted when empty)."""
    out: dict[str, Any] = {"key": str(taint.get("key") or "")}
    if taint.get("value"):
        out["value"] = taint["value"]
    out["effect"] = str(taint.get("effect") or "")
    if taint.get("timeAdded"):
        out["timeAdded"] = taint["timeAdded"]
    return out


def validate_node_taints(taints: Sequence[Mapping[str, Any]], path: Path) -> ErrorList:
    """``validateNodeTaints``."""
    errs = ErrorList()
    seen: dict[str, set[str]] = {}
    for i, taint in enumerate(taints):
        at = path.index(i)
        key = str(taint.get("key") or "")
        value = str(taint.get("value") or "")
        effect = str(taint.get("effect") or "")
        for msg in qualified_name_errors(key):
            errs.append(invalid(at.child("key"), key, msg))
        value_errors = is_label_value(value)
        if value_errors:
            errs.append(invalid(at.child("value"), value, ";".join(value_errors)))
        if not effect:
            errs.append(required(at.child("effect")))
        elif effect not in TAINT_EFFECTS:
            errs.append(not_supported(at.child("effect"), effect, TAINT_EFFECTS))
        keys = seen.setdefault(effect, set())
        if key in keys:
            errs.append(
                FieldError(
                    ErrorType.DUPLICATE,
                    str(at),
                    JSONValue(taint_json(taint)),
                    "taints must be unique by key and effect pair",
                )
            )
            continue
        keys.add(key)
    return errs


def _taints(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = node.get("spec") or {}
    return [t for t in spec.get("taints") or () if isinstance(t, Mapping)]


def validate_node(node: Mapping[str, Any]) -> ErrorList:
    """``ValidateNode`` (the parts a user's write can reach)."""
    meta = build(node.get("metadata") or {}, models.ObjectMeta)
    errs = validate_object_meta(meta, _META, name_is_dns_subdomain, requires_namespace=False)
    taints = _taints(node)
    if taints:
        errs.extend(validate_node_taints(taints, _META.child("taints")))
    return errs


def validate_node_update(node: Mapping[str, Any], old: Mapping[str, Any]) -> ErrorList:
    """``ValidateNodeUpdate``."""
    new_meta = build(node.get("metadata") or {}, models.ObjectMeta)
    old_meta = build(old.get("metadata") or {}, models.ObjectMeta)
    errs = validate_object_meta_update(new_meta, old_meta, _META)
    spec = node.get("spec") or {}
    old_spec = old.get("spec") or {}
    old_cidrs = list(old_spec.get("podCIDRs") or ())
    if old_cidrs and old_cidrs != list(spec.get("podCIDRs") or ()):
        new_cidrs = list(spec.get("podCIDRs") or ())
        msg = 'node updates may not change podCIDR except from "" to valid'
        if len(new_cidrs) != len(old_cidrs):
            errs.append(forbidden(Path.root("spec", "podCIDRs"), msg))
        else:
            for a, b in zip(old_cidrs, new_cidrs, strict=True):
                if a != b:
                    errs.append(forbidden(Path.root("spec", "podCIDRs"), msg))
    old_provider = str(old_spec.get("providerID") or "")
    if old_provider and old_provider != str(spec.get("providerID") or ""):
        errs.append(
            forbidden(
                Path.root("spec", "providerID"),
                'node updates may not change providerID except from "" to valid',
            )
        )
    taints = _taints(node)
    if taints:
        errs.extend(validate_node_taints(taints, _META.child("taints")))
    if str(spec.get("externalID") or "") != str(old_spec.get("externalID") or ""):
        errs.append(forbidden(Path.root("spec", "externalID"), "may not be updated"))
    return errs


def validate_node_write(node: Mapping[str, Any], old: Mapping[str, Any]) -> ErrorList:
    """The node strategy's ``ValidateUpdate``: ``ValidateNode`` then ``ValidateNodeUpdate``."""
    errs = validate_node(node)
    errs.extend(validate_node_update(node, old))
    return errs


__all__ = [
    "TAINT_EFFECTS",
    "taint_json",
    "validate_node",
    "validate_node_taints",
    "validate_node_update",
    "validate_node_write",
]
