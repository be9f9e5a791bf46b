"""Ownership bookkeeping of one write, as structured-merge-diff's ``merge/update.go``.

Role: ``update`` (a non-apply write): the writer gains the fields added or changed
from the live object to the new one, loses the removed ones, and those fields leave
every other manager; ``apply``: the applied configuration merged into the live
object, the applier's set becomes exactly the configuration's fields, fields it
applied before and no longer applies are pruned unless another manager owns them
(``prune`` with ``addBackOwnedItems``/``addBackDanglingItems``), and other managers'
fields whose values the apply changes are conflicts unless ``force`` (then they
move to the applier). Fields of ``ignored`` (the strategy's reset fields) are never
owned. Managers with empty sets are dropped. Objects have a single version here.
Steps of ``apply``: 1. merge; 2. the applier's new set; 3. prune what it dropped;
4. ``_update`` of the other managers (conflicts); 5. ``None`` for a no-op.
Pure. Callers: ``fieldmanager``, tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seclet.api.managedfields.conflict import Conflict, ConflictError
from seclet.api.managedfields.fieldset import EMPTY, FieldSet, iterate, recursive_difference
from seclet.api.managedfields.typed import (
    Comparison,
    compare,
    ensure_named_fields,
    json_equal,
    merge,
    remove_items,
    to_field_set,
)
from seclet.api.managedfields.typeref import TypeRef


@dataclass(frozen=True, slots=True)
class VersionedSet:
    """One manager's fields, the apiVersion they were written at, and whether by apply."""

    fields: FieldSet
    api_version: str
    applied: bool


Managers = dict[str, VersionedSet]
"""Manager identifier -> its fields."""


def _exclude(comparison: Comparison, ignored: FieldSet) -> Comparison:
    return Comparison(
        recursive_difference(comparison.added, ignored),
        recursive_difference(comparison.modified, ignored),
        recursive_difference(comparison.removed, ignored),
    )


def _update(
    old: Any,
    new: Any,
    ref: TypeRef,
    managers: Managers,
    workflow: str,
    *,
    force: bool,
    ignored: FieldSet,
) -> tuple[Managers, Comparison]:
    comparison = _exclude(compare(old, new, ref), ignored)
    changed = comparison.modified | comparison.added
    conflicts: dict[str, FieldSet] = {}
    for manager, vs in managers.items():
        if manager == workflow:
            continue
        overlap = vs.fields & changed
        if overlap:
            conflicts[manager] = overlap
    if conflicts and not force:
        raise ConflictError(
            [
                Conflict(manager, path)
                for manager in sorted(conflicts)
                for path in iterate(conflicts[manager])
            ]
        )
    out: Managers = {}
    for manager, vs in managers.items():
        fields = vs.fields
        if manager != workflow:
            fields = fields - conflicts.get(manager, EMPTY) - comparison.removed
        if fields:
            out[manager] = VersionedSet(fields, vs.api_version, vs.applied)
    return out, comparison


def update(
    live: Any,
    new: Any,
    ref: TypeRef,
    version: str,
    managers: Managers,
    manager: str,
    ignored: FieldSet = EMPTY,
) -> Managers:
    """``Updater.Update``."""
    out, comparison = _update(live, new, ref, managers, manager, force=True, ignored=ignored)
    previous = out.get(manager, VersionedSet(EMPTY, version, False)).fields
    fields = (previous - comparison.removed) | comparison.modified | comparison.added
    fields = recursive_difference(fields, ignored)
    if fields:
        out[manager] = VersionedSet(fields, version, False)
    else:
        out.pop(manager, None)
    return out


def apply(
    live: Any,
    config: Any,
    ref: TypeRef,
    version: str,
    managers: Managers,
    manager: str,
    *,
    force: bool,
    ignored: FieldSet = EMPTY,
) -> tuple[Any, Managers]:
    """``Updater.Apply``: (the new object or ``None`` when nothing changes, managers)."""
    merged = merge(live, config, ref)
    last = managers.get(manager)
    fields = recursive_difference(to_field_set(config, ref), ignored)
    managers = {**managers, manager: VersionedSet(fields, version, True)}
    if last is not None and last.fields:
        merged = _prune(merged, ref, managers, last.fields)
    out, _ = _update(live, merged, ref, managers, manager, force=force, ignored=ignored)
    if json_equal(live, merged):
        return None, out
    return merged, out


def _prune(merged: Any, ref: TypeRef, managers: Managers, last: FieldSet) -> Any:
    """Remove what the applier owned last time and nobody owns now."""

    def named(s: FieldSet) -> FieldSet:
        return ensure_named_fields(s, ref)

    last_named = named(last)
    pruned = remove_items(merged, last_named, ref)
    # addBackOwnedItems
    managed: FieldSet = EMPTY
    for vs in managers.values():
        managed |= vs.fields
    merged_set = named(to_field_set(merged, ref))
    pruned_set = named(to_field_set(pruned, ref))
    pruned = remove_items(merged, merged_set - (pruned_set | named(managed)), ref)
    # addBackDanglingItems
    pruned_set = named(to_field_set(pruned, ref))
    return remove_items(merged, (merged_set - pruned_set) & last_named, ref)
