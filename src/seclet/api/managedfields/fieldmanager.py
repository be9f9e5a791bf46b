"""kube-apiserver's field manager over JSON objects: ``metadata.managedFields`` per write.

Role: what k8s.io/apimachinery ``util/managedfields/internal`` wraps around the
updater, in its order (``NewDefaultFieldManager``): version check, skip-non-applied
(an existing object that has no managedFields is not tracked by updates; an apply
to one first records ``before-first-apply`` owning everything), cap of 10 Update
managers (the oldest merged into ``ancient-changes``), manager identifiers
(``BuildManagerIdentifier``: manager, operation, apiVersion (not for Apply) and
subresource), ``time`` (now, when the manager's entry changes), strip-meta (nobody
owns apiVersion, kind, metadata.name/namespace/uid/... or managedFields) and the
strategy's reset fields (pods: ``status`` on the main resource, ``spec`` and
``metadata.deletionTimestamp``/``ownerReferences`` on ``status``). The request's
managedFields are kept when valid on create/update (``[{}]`` resets them; invalid
ones fall back to the live object's, as ``decodeLiveOrNew``); a subresource write
ignores them. Entries are sorted as upstream encodes them (operation, time,
manager, apiVersion, subresource).
Entry points: ``track_update`` (create, PUT, non-apply PATCH, /status writes and the
in-process writers) and ``apply`` (``application/apply-patch+yaml``).
Pure (``now`` is passed in). Callers: ``seclet.apiserver.registry``/``objects``, the
kubelet, controllers, ``seclet.record``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from seclet.api.managedfields import lastapplied, updater
from seclet.api.managedfields.conflict import ConflictError
from seclet.api.managedfields.fieldset import (
    EMPTY,
    FieldsError,
    FieldSet,
    from_fields_v1,
    to_fields_v1,
)
from seclet.api.managedfields.path import field_path
from seclet.api.managedfields.typed import TypedError, validate
from seclet.api.managedfields.typeref import root_ref

JSONObject = dict[str, Any]

MAX_UPDATE_MANAGERS: Final = 10
ANCIENT_CHANGES: Final = "ancient-changes"
BEFORE_FIRST_APPLY: Final = "before-first-apply"
CURRENT_OPERATION: Final = "current-operation"
FIELD_MANAGER_MAX_LENGTH: Final = 128

STRIP_SET: Final[FieldSet] = frozenset(
    {
        field_path("apiVersion"),
        field_path("kind"),
        field_path("metadata"),
        *(
            field_path("metadata", n)
            for n in (
                "name",
                "namespace",
                "creationTimestamp",
                "selfLink",
                "uid",
                "clusterName",
                "generation",
                "managedFields",
                "resourceVersion",
            )
        ),
    }
)
"""``NewStripMetaManager``'s set (removed from the writer's set, not recursively)."""

_STATUS: Final = frozenset({field_path("status")})
_SPEC: Final = frozenset({field_path("spec")})
RESET_FIELDS: Final[Mapping[tuple[str, str], FieldSet]] = {
    ("Pod", ""): _STATUS,
    ("Pod", "status"): frozenset(
        {
            field_path("spec"),
            field_path("metadata", "deletionTimestamp"),
            field_path("metadata", "ownerReferences"),
        }
    ),
    ("Namespace", ""): _STATUS,
    ("Namespace", "status"): _SPEC,
    ("Node", ""): _STATUS,
    ("Node", "status"): _SPEC,
    ("PersistentVolume", ""): _STATUS,
    ("PersistentVolume", "status"): _SPEC,
    ("PersistentVolumeClaim", ""): _STATUS,
    ("PersistentVolumeClaim", "status"): _SPEC,
}
"""Each strategy's ``GetResetFields`` (fields the write path resets, owned by nobody)."""

_ZERO: Final[Mapping[str, JSONObject]] = {
    "Pod": {"spec": {"containers": None}, "status": {}},
    "Namespace": {"spec": {}, "status": {}},
    "Node": {"spec": {}, "status": {}},
    "PersistentVolume": {"spec": {}, "status": {}},
    "PersistentVolumeClaim": {"spec": {}, "status": {}},
    "Event": {"involvedObject": {}, "source": {}},
    "Lease": {"spec": {}},
}
"""What Go's zero value of each kind serialises to besides ``metadata`` (the live
object of a create: fields present there are not "added" as maps)."""


class ManagedFieldsError(ValueError):
    """managedFields that do not decode (``DecodeManagedFields``'s message)."""


class ApplyError(ValueError):
    """An apply refused before merging: a 400 BadRequest with this message."""


@dataclass(slots=True)
class Managed:
    """Decoded managedFields: identifier -> fields, identifier -> time (or None)."""

    fields: updater.Managers = field(default_factory=dict)
    times: dict[str, str | None] = field(default_factory=dict)


def rfc3339(now: datetime.datetime) -> str:
    return now.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def identifier(manager: str, operation: str, api_version: str, subresource: str = "") -> str:
    """``BuildManagerIdentifier`` (JSON in ManagedFieldsEntry's field order)."""
    entry: JSONObject = {}
    if manager:
        entry["manager"] = manager
    if operation:
        entry["operation"] = operation
    if api_version and operation != "Apply":
        entry["apiVersion"] = api_version
    if subresource:
        entry["subresource"] = subresource
    return json.dumps(entry, separators=(",", ":"), ensure_ascii=False)


def decode(entries: Any) -> Managed:
    """``DecodeManagedFields``."""
    out = Managed()
    if entries is None:
        return out
    if not isinstance(entries, list):
        raise ManagedFieldsError("managedFields must be a list")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ManagedFieldsError("operation must be `Apply` or `Update`")
        operation = entry.get("operation")
        if operation not in ("Apply", "Update"):
            raise ManagedFieldsError("operation must be `Apply` or `Update`")
        version = entry.get("apiVersion")
        if not isinstance(version, str) or not version:
            raise ManagedFieldsError("apiVersion must not be empty")
        fields_type = entry.get("fieldsType") or ""
        if fields_type == "":
            raise ManagedFieldsError(f"missing fieldsType in managed fields entry {i}")
        if fields_type != "FieldsV1":
            raise ManagedFieldsError(
                f"invalid fieldsType {json.dumps(fields_type)} in managed fields entry {i}"
            )
        ident = identifier(
            str(entry.get("manager") or ""),
            operation,
            version,
            str(entry.get("subresource") or ""),
        )
        try:
            fields = from_fields_v1(entry.get("fieldsV1") or {})
        except FieldsError as exc:
            raise ManagedFieldsError(f"error decoding set: {exc}") from None
        out.fields[ident] = updater.VersionedSet(fields, version, operation == "Apply")
        time = entry.get("time")
        out.times[ident] = time if isinstance(time, str) else None
    return out


def encode(managed: Managed) -> list[JSONObject] | None:
    """``encodeManagedFields`` with upstream's sort; ``None`` when nobody manages."""
    if not managed.fields:
        return None
    entries: list[JSONObject] = []
    for ident, vs in managed.fields.items():
        who = json.loads(ident)
        entry: JSONObject = {"manager": who.get("manager", "")}
        entry["operation"] = "Apply" if vs.applied else who.get("operation", "Update")
        entry["apiVersion"] = vs.api_version
        time = managed.times.get(ident)
        if time:
            entry["time"] = time
        entry["fieldsType"] = "FieldsV1"
        entry["fieldsV1"] = to_fields_v1(vs.fields)
        if who.get("subresource"):
            entry["subresource"] = who["subresource"]
        entries.append(entry)

    def order(e: JSONObject) -> tuple[str, str, str, str, str]:
        return (
            e["operation"],
            e.get("time") or "0000",
            e["manager"],
            e["apiVersion"],
            e.get("subresource", ""),
        )

    return sorted(entries, key=order)


def _is_reset(entries: Any) -> bool:
    """``isResetManagedFields``: ``[]`` or ``[{}]``."""
    return isinstance(entries, list) and (entries == [] or entries == [{}])


def _without_managed_fields(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


def zero_object(api_version: str, kind: str) -> JSONObject:
    """The Go zero value of ``kind`` as the field manager sees it."""
    return {"metadata": {"creationTimestamp": None}, **json.loads(json.dumps(_ZERO.get(kind, {})))}


def go_round_trip(obj: Any) -> Any:
    """``obj`` as it comes back from Go's types: non-pointer struct fields that
    ``omitempty`` cannot omit are ``{}`` (a container's ``resources``)."""
    if not isinstance(obj, dict) or obj.get("kind") != "Pod":
        return obj
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return obj
    spec = dict(spec)
    for key in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(key)
        if isinstance(items, list):
            spec[key] = [
                {**c, "resources": c.get("resources") or {}} if isinstance(c, dict) else c
                for c in items
            ]
    return {**obj, "spec": spec}


def _managed_fields(obj: Any) -> Any:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta.get("managedFields") if isinstance(meta, dict) else None


def _api_version_kind(obj: Any) -> tuple[str, str]:
    if not isinstance(obj, dict):
        return "", ""
    return str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")


def _decode_live_or_new(live: Any, new: Any, subresource: bool) -> Managed:
    """``decodeLiveOrNew``."""
    if subresource:
        return _decode_or_empty(_managed_fields(live))
    sent = _managed_fields(new)
    if _is_reset(sent):
        return Managed()
    try:
        managed = decode(sent)
    except ManagedFieldsError:
        managed = Managed()
    if not managed.fields:
        return _decode_or_empty(_managed_fields(live))
    return managed


def _decode_or_empty(entries: Any) -> Managed:
    try:
        return decode(entries)
    except ManagedFieldsError:
        return Managed()


def _strip(managers: updater.Managers, ident: str) -> None:
    vs = managers.get(ident)
    if vs is None:
        return
    fields = vs.fields - STRIP_SET
    if fields:
        managers[ident] = updater.VersionedSet(fields, vs.api_version, vs.applied)
    else:
        del managers[ident]


def _cap(managed: Managed) -> None:
    """``capUpdateManagers``: at most ``MAX_UPDATE_MANAGERS`` Update entries."""
    updaters = [m for m, vs in managed.fields.items() if not vs.applied]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return
    updaters.sort(key=lambda m: (managed.times.get(m) or "0000", m))
    first_of_version: dict[str, str] = {}
    length = len(updaters)
    for manager in updaters:
        if length <= MAX_UPDATE_MANAGERS:
            break
        vs = managed.fields[manager]
        time = managed.times.get(manager)
        bucket = identifier(ANCIENT_CHANGES, "Update", vs.api_version)
        first = first_of_version.get(vs.api_version)
        if first is None:
            first_of_version[vs.api_version] = manager
            continue
        if bucket not in managed.fields:
            managed.fields[bucket] = managed.fields.pop(first)
        managed.fields[bucket] = updater.VersionedSet(
            vs.fields | managed.fields[bucket].fields, vs.api_version, vs.applied
        )
        managed.fields.pop(manager, None)
        length -= 1
        managed.times[bucket] = time


def _update(
    live: Any, new: Any, managed: Managed, manager: str, subresource: str, now: str
) -> Managed:
    """capManagers(buildManagerInfo(managedFieldsUpdater(stripMeta(structured))))."""
    api_version, kind = _api_version_kind(new)
    ident = identifier(manager or "unknown", "Update", api_version, subresource)
    fields = updater.update(
        go_round_trip(_without_managed_fields(live)),
        go_round_trip(_without_managed_fields(new)),
        root_ref(api_version, kind),
        api_version,
        dict(managed.fields),
        CURRENT_OPERATION,
        RESET_FIELDS.get((kind, subresource), EMPTY),
    )
    _strip(fields, CURRENT_OPERATION)
    times = dict(managed.times)
    current = fields.pop(CURRENT_OPERATION, None)
    if current is not None:
        previous = fields.get(ident)
        merged = current.fields | previous.fields if previous is not None else current.fields
        fields[ident] = updater.VersionedSet(merged, current.api_version, current.applied)
        times[ident] = now
    out = Managed(fields, {k: v for k, v in times.items() if k in fields})
    _cap(out)
    return out


def track_update(
    live: JSONObject | None,
    new: JSONObject,
    *,
    manager: str,
    now: datetime.datetime,
    subresource: str = "",
) -> list[JSONObject] | None:
    """``FieldManager.UpdateNoErrors``: the managedFields ``new`` is stored with.

    ``live`` is ``None`` on create (the live object is then the kind's zero value);
    ``manager`` is ``managerOrUserAgent`` ("" becomes ``unknown``)."""
    api_version, kind = _api_version_kind(new)
    base = live if live is not None else zero_object(api_version, kind)
    managed = _decode_live_or_new(base, new, bool(subresource))
    if not managed.fields and live is not None:
        return None
    try:
        out = _update(base, new, managed, manager, subresource, rfc3339(now))
    except TypedError:
        return _managed_fields(live) if live is not None else None
    return encode(out)


def record_update(
    live: JSONObject | None,
    new: JSONObject,
    *,
    manager: str,
    now: datetime.datetime | float,
    subresource: str = "",
) -> JSONObject:
    """``track_update`` for in-process writers: ``new`` (changed in place) with its
    ``metadata.managedFields``; ``now`` may be a POSIX timestamp."""
    when = (
        now
        if isinstance(now, datetime.datetime)
        else datetime.datetime.fromtimestamp(now, datetime.UTC)
    )
    entries = track_update(live, new, manager=manager, now=when, subresource=subresource)
    meta = new.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        new["metadata"] = meta
    if entries is None:
        meta.pop("managedFields", None)
    else:
        meta["managedFields"] = entries
    return new


def apply(
    live: JSONObject | None,
    config: Any,
    *,
    api_version: str,
    kind: str,
    manager: str,
    force: bool,
    now: datetime.datetime,
    subresource: str = "",
) -> JSONObject:
    """``FieldManager.Apply``: the object after applying ``config`` with its managedFields.

    Raises ``ApplyError`` (400), ``ConflictError`` (409) and ``TypedError`` (an
    applied configuration the schema cannot index). A no-op apply answers the live
    object with the new managedFields."""
    got_version, got_kind = _api_version_kind(config)
    if (got_version, got_kind) != (api_version, kind):
        raise ApplyError(f"invalid object type: {_gvk(got_version, got_kind)}")
    base = live if live is not None else zero_object(api_version, kind)
    try:
        managed = decode(_managed_fields(base))
    except ManagedFieldsError as exc:
        raise ApplyError(f"failed to decode managed fields: {exc}") from None
    stamp = rfc3339(now)
    if not managed.fields:
        managed = _update(
            zero_object(api_version, kind), base, managed, BEFORE_FIRST_APPLY, "", stamp
        )
    meta = config.get("metadata")
    if isinstance(meta, dict) and meta.get("managedFields") is not None:
        raise ApplyError("metadata.managedFields must be nil")
    ref = root_ref(api_version, kind)
    validate(config, ref)
    current = _without_managed_fields(base)
    ident = identifier(manager, "Apply", api_version, subresource)
    ignored = RESET_FIELDS.get((kind, subresource), EMPTY)

    def run(force: bool) -> tuple[Any, updater.Managers]:
        return updater.apply(
            current,
            config,
            ref,
            api_version,
            dict(managed.fields),
            ident,
            force=force,
            ignored=ignored,
        )

    try:
        new, fields = run(force)
    except ConflictError as exc:
        allowed = (
            lastapplied.allowed_conflicts(current, api_version, ref)
            if manager == lastapplied.KUBECTL
            else None
        )
        if allowed is None:
            raise
        left = [c for c in exc.conflicts if c.path not in allowed]
        if left:
            raise ConflictError(left) from None
        new, fields = run(True)
    _strip(fields, ident)
    times = {k: v for k, v in managed.times.items() if k in fields}
    if new is not None:
        times[ident] = stamp
    out = dict(current) if new is None else _drop_nulls(new)
    if manager == lastapplied.KUBECTL:
        out = lastapplied.with_last_applied(out, config)
    out_meta = dict(out.get("metadata") or {})
    entries = encode(Managed(fields, times))
    if entries is None:
        out_meta.pop("managedFields", None)
    else:
        out_meta["managedFields"] = entries
    out["metadata"] = out_meta
    return out


def _gvk(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}, Kind={kind}"


def _drop_nulls(obj: Any) -> Any:
    """Map keys whose value is null, as the round trip through Go types drops them."""
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj
