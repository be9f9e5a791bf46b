"""Patches of stored objects and the field manager of every write.

Role: ``application/merge-patch+json`` (RFC 7386), ``application/json-patch+json``
(RFC 6902: add, remove, replace, test, copy, move), ``application/strategic-merge-patch+json``
(upstream's merge by ``patchMergeKey`` for the Pod and Namespace lists that have one,
the union for ``finalizers`` (a merge list of scalars),
with the ``$patch`` directive and ``$setElementOrder``/``$retainKeys`` accepted), and
``application/apply-patch+yaml``: server-side apply by ``seclet.api.managedfields``
(``applied``: 400 for a wrong kind, 409 Conflict with ``FieldManagerConflict``
causes). ``Writer`` is who writes (``?fieldManager=``, else the User-Agent's
prefix, as upstream's ``managerOrUserAgent``; ``?force=``); ``check_options`` is
``ValidatePatchOptions``/``ValidateFieldManager`` (422 ``PatchOptions.meta.k8s.io "" is
invalid: ...``); ``track`` sets ``metadata.managedFields`` for a non-apply write.
Pure; ``PatchError`` carries the text the HTTP layer answers with (400/422).
Callers: ``seclet.apiserver.registry``, ``seclet.apiserver.objects``, ``seclet.apiserver.http``.
"""

from __future__ import annotations

import copy
import datetime
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

from seclet.api import managedfields
from seclet.api.field import (
    FieldError,
    Path,
    forbidden,
    invalid,
    invalid_message,
    required,
    status_causes,
    too_long,
)
from seclet.apiserver import status as st

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_TYPES: Final = (JSON_PATCH, MERGE, STRATEGIC, APPLY)


class PatchError(ValueError):
    """A patch that cannot be applied; ``str()`` is the message."""


MERGE_KEYS: Final[dict[str, str]] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "conditions": "type",
    "ownerReferences": "uid",
    "resourceClaims": "name",
    "topologySpreadConstraints": "topologyKey",
}


PRIMITIVE_MERGE: Final = frozenset({"finalizers"})
"""Lists of scalars with ``patchStrategy: merge`` (``metadata.finalizers``)."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def strategic_merge(target: Any, patch: Any, key: str = "") -> Any:
    """Strategic merge patch for the lists seclet's kinds carry."""
    if isinstance(patch, list):
        if key in PRIMITIVE_MERGE and isinstance(target, list):
            # patchStrategy "merge" on a list of scalars: the union, target order first.
            return list(target) + [p for p in patch if p not in target and not _directive_only(p)]
        merge_key = MERGE_KEYS.get(key)
        if merge_key is None or not isinstance(target, list):
            return [p for p in copy.deepcopy(patch) if not _directive_only(p)]
        return _merge_list(target, patch, merge_key, key)
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: v for k, v in copy.deepcopy(patch).items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, value in patch.items():
        if k.startswith("$"):
            continue
        if k.startswith("$setElementOrder/") or k.startswith("$deleteFromPrimitiveList/"):
            continue
        if value is None:
            out.pop(k, None)
        else:
            merged = strategic_merge(out.get(k), value, k)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
    for k, value in patch.items():
        if k.startswith("$deleteFromPrimitiveList/") and isinstance(value, list):
            field = k.split("/", 1)[1]
            if isinstance(out.get(field), list):
                out[field] = [v for v in out[field] if v not in value]
    return out


def _directive_only(item: Any) -> bool:
    return isinstance(item, dict) and item.get("$patch") == "delete"


def _merge_list(target: list[Any], patch: list[Any], merge_key: str, key: str) -> list[Any]:
    out = copy.deepcopy(target)
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            raise PatchError(f"map: {item!r} does not contain declared merge key: {merge_key}")
        at = next(
            (
                i
                for i, t in enumerate(out)
                if isinstance(t, dict) and t.get(merge_key) == item[merge_key]
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if at is not None:
                del out[at]
            continue
        if at is None:
            out.append({k: v for k, v in copy.deepcopy(item).items() if not k.startswith("$")})
        else:
            out[at] = strategic_merge(out[at], item, key)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer: {path}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for p in parts:
        if isinstance(doc, dict):
            if p not in doc:
                raise PatchError(f"doc is missing path: /{'/'.join(parts)}")
            doc = doc[p]
        elif isinstance(doc, list):
            try:
                doc = doc[int(p)]
            except (ValueError, IndexError):
                raise PatchError(f"doc is missing path: /{'/'.join(parts)}") from None
        else:
            raise PatchError(f"doc is missing path: /{'/'.join(parts)}")
    return doc


def json_patch(target: Any, ops: Any) -> Any:
    """RFC 6902."""
    if not isinstance(ops, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError("invalid JSON patch operation")
        kind = op.get("op")
        parts = _pointer(str(op.get("path", "")))
        if kind in ("copy", "move"):
            value = copy.deepcopy(_walk(doc, _pointer(str(op.get("from", "")))))
            if kind == "move":
                doc = _remove(doc, _pointer(str(op.get("from", ""))))
            doc = _add(doc, parts, value)
        elif kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            doc = _remove(doc, parts)
        elif kind == "replace":
            doc = _remove(doc, parts)
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind == "test":
            if _walk(doc, parts) != op.get("value"):
                raise PatchError("testing value failed")
        else:
            raise PatchError(f"Unexpected kind: {kind}")
    return doc


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if index > len(parent):
            raise PatchError(f"add operation does not apply: doc is missing path: {last}")
        parent.insert(index, value)
    else:
        raise PatchError("add operation does not apply")
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    if not parts:
        return None
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    try:
        if isinstance(parent, dict):
            del parent[last]
        elif isinstance(parent, list):
            del parent[int(last)]
        else:
            raise PatchError("remove operation does not apply")
    except (KeyError, ValueError, IndexError):
        raise PatchError(
            f'remove operation does not apply: doc is missing path: "/{"/".join(parts)}"'
        ) from None
    return doc


def apply_patch(patch_type: str, target: Any, patch: Any) -> Any:
    """The patched document for one of ``PATCH_TYPES``."""
    if patch_type == JSON_PATCH:
        return json_patch(target, patch)
    if not isinstance(patch, dict):
        raise PatchError(
            "json: cannot unmarshal array into Go value of type map[string]interface {}"
        )
    if patch_type == MERGE:
        return merge_patch(target, patch)
    return strategic_merge(target, patch)


# -- field management ---------------------------------------------------------------------


def _printable(ch: str) -> bool:
    """Go's ``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols and the
    ASCII space."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def user_agent_prefix(user_agent: str) -> str:
    """``prefixFromUserAgent``: up to the first ``/``, printable runes, at most 128 bytes."""
    out = ""
    size = 0
    for ch in user_agent.split("/", maxsplit=1)[0]:
        if not _printable(ch):
            continue
        n = len(ch.encode())
        if size + n > managedfields.FIELD_MANAGER_MAX_LENGTH:
            break
        out += ch
        size += n
    return out


@dataclass(frozen=True, slots=True)
class Writer:
    """Who writes: the request's ``fieldManager``, its User-Agent and ``force``."""

    field_manager: str = ""
    user_agent: str = ""
    force: bool | None = None

    @property
    def manager(self) -> str:
        """``managerOrUserAgent`` (the field manager turns "" into ``unknown``)."""
        return self.field_manager or user_agent_prefix(self.user_agent)


DEFAULT_WRITER: Final = Writer()


def _field_manager_errors(name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if len(name.encode()) > managedfields.FIELD_MANAGER_MAX_LENGTH:
        errors.append(too_long(Path.root("fieldManager"), managedfields.FIELD_MANAGER_MAX_LENGTH))
    position = 0
    for ch in name:
        if not _printable(ch):
            errors.append(
                invalid(
                    Path.root("fieldManager"),
                    name,
                    f"invalid character {_go_unicode(ch)} (at position {position})",
                )
            )
        position += len(ch.encode())
    return errors


def _go_unicode(ch: str) -> str:
    """Go's ``%#U``: ``U+0007`` (with ``'c'`` for printable runes)."""
    code = f"U+{ord(ch):04X}"
    return f"{code} '{ch}'" if _printable(ch) else code


def check_options(kind: str, writer: Writer, patch_type: str | None = None) -> None:
    """``Validate{Create,Update,Patch}Options`` for the field-manager part: 422 with
    ``<kind>.meta.k8s.io "" is invalid``; ``kind`` is CreateOptions, UpdateOptions or
    PatchOptions."""
    errors: list[FieldError] = []
    if patch_type == APPLY:
        if not writer.field_manager:
            errors.append(required(Path.root("fieldManager"), "is required for apply patch"))
    elif patch_type is not None and writer.force is not None:
        errors.append(forbidden(Path.root("force"), "may not be specified for non-apply patch"))
    errors.extend(_field_manager_errors(writer.field_manager))
    if errors:
        details = {"group": "meta.k8s.io", "kind": kind, "causes": status_causes(errors)}
        raise st.APIError(
            st.status(422, "Invalid", invalid_message(f"{kind}.meta.k8s.io", "", errors), details)
        )


def track(
    live: dict[str, Any] | None,
    new: dict[str, Any],
    writer: Writer,
    now: datetime.datetime,
    subresource: str = "",
) -> None:
    """Set ``new``'s ``metadata.managedFields`` for a non-apply write (create when
    ``live`` is ``None``)."""
    entries = managedfields.track_update(
        live, new, manager=writer.manager, now=now, subresource=subresource
    )
    meta = new.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        new["metadata"] = meta
    if entries is None:
        meta.pop("managedFields", None)
    else:
        meta["managedFields"] = entries


def applied(
    live: dict[str, Any] | None,
    config: Any,
    *,
    api_version: str,
    kind: str,
    writer: Writer,
    now: datetime.datetime,
    subresource: str = "",
) -> dict[str, Any]:
    """The object after a server-side apply of ``config`` (with its managedFields)."""
    if not isinstance(config, dict):
        raise st.bad_request(
            "error decoding patch: json: cannot unmarshal array into Go value of type "
            "map[string]interface {}"
        )
    try:
        return managedfields.apply(
            live,
            config,
            api_version=api_version,
            kind=kind,
            manager=writer.field_manager,
            force=bool(writer.force),
            now=now,
            subresource=subresource,
        )
    except managedfields.ApplyError as exc:
        raise st.bad_request(str(exc)) from None
    except managedfields.ConflictError as exc:
        raise st.APIError(st.status(409, "Conflict", exc.message, {"causes": exc.causes})) from None
    except managedfields.TypedError as exc:
        # A plain error upstream: 500 with no reason (StatusReasonUnknown).
        meta = config.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
        where = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
        gvk = f"{api_version.rpartition('/')[0]}/{api_version.rpartition('/')[2]}, Kind={kind}"
        body = st.status(500, "", f"failed to create typed patch object ({where}; {gvk}): {exc}")
        del body["reason"]
        raise st.APIError(body) from None
