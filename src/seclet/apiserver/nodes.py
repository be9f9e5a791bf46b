"""User writes of Nodes: ``PUT`` and ``PATCH /api/v1/nodes/{name}`` (the node strategy).

Role: what kube-apiserver's node registry does for ``kubectl cordon``/``uncordon``
(a strategic merge patch of ``spec.unschedulable``), ``kubectl label``/``annotate
node`` (merge patches of metadata), ``kubectl taint`` (a strategic patch of
``spec.taints``, an atomic list), ``kubectl replace``/``apply`` of a Node. The kubelet
writes its Node straight into the store (``seclet.kubelet.node``); this is the user's
path. Upstream facts (pkg/registry/core/node/strategy.go): ``PrepareForUpdate`` keeps
the stored status (``newNode.Status = oldNode.Status``), ``AllowUnconditionalUpdate``
is true, ``ValidateUpdate`` is ``ValidateNode`` + ``ValidateNodeUpdate``
(``seclet.validation.node``); generation is not tracked for nodes.

Steps of ``update`` (PUT) and ``patch`` (PATCH):
1. the body (PUT) or the patched stored node (PATCH; apply through the field manager)
   decoded per ``fieldValidation`` (unknown fields: 400 Strict / warnings Warn; type
   errors 400), the NodeSpec and Taint fields re-encoded as Go's ``omitempty`` does;
2. PUT: the body's name must be the URL's, its uid a precondition (409); the stored
   node, else 404 (no create on update);
3. ``BeforeUpdate``: uid, creationTimestamp, deletion fields kept; resourceVersion
   none = unconditional, stale = 409 (``OptimisticLockErrorMsg``); ``PrepareForUpdate``
   (status kept);
4. the field manager (operation Update, or the apply's own entry);
5. validation (422 ``Node "vm" is invalid: ...``); dryRun stops here;
6. store, guarded by the read resourceVersion (409 on a race with the kubelet's
   heartbeat); an unchanged node is not written.
Callers: ``seclet.apiserver.http``, tests.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from seclet.api.decode import handled_as, json_kind
from seclet.api.models import Pod
from seclet.apiserver import patch as patching
from seclet.apiserver import status as st
from seclet.apiserver.registry import (
    JSONObject,
    Registry,
    Result,
    _check_kind,
    _meta,
    check_body_uid,
    check_name,
    decode_body,
    patched_or_applied,
)
from seclet.store.api import ConflictError, NotFoundError
from seclet.validation.node import taint_json, validate_node_write

_TOP: Final = ("apiVersion", "kind", "metadata", "spec", "status")
_SPEC_FIELDS: Final[dict[str, str]] = {
    "podCIDR": "string",
    "podCIDRs": "[]string",
    "providerID": "string",
    "unschedulable": "bool",
    "taints": "[]v1.Taint",
    "configSource": "v1.NodeConfigSource",
    "externalID": "string",
}
_TAINT_FIELDS: Final = ("key", "value", "effect", "timeAdded")
_GO_KINDS: Final = {"string": str, "bool": bool}


def _type_error(value: Any, where: str, go_type: str) -> st.APIError:
    return st.bad_request(
        handled_as(
            "Node",
            "v1",
            f"json: cannot unmarshal {json_kind(value)} into Go struct field {where} of type "
            f"{go_type}",
        )
    )


def _decode_spec(spec: Any, unknown: list[str]) -> JSONObject:
    """NodeSpec as the v1 type keeps it (all fields ``omitempty``)."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise _type_error(spec, "Node.spec", "v1.NodeSpec")
    out: JSONObject = {}
    for key, value in spec.items():
        go_type = _SPEC_FIELDS.get(key)
        if go_type is None:
            unknown.append(f"spec.{key}")
            continue
        if value is None:
            continue
        py = _GO_KINDS.get(go_type)
        if py is not None and not isinstance(value, py):
            raise _type_error(value, f"NodeSpec.spec.{key}", go_type)
        if go_type.startswith("[]") and not isinstance(value, list):
            raise _type_error(value, f"NodeSpec.spec.{key}", go_type)
        kept = (
            [_decode_taint(t, i, unknown) for i, t in enumerate(value)]
            if key == "taints"
            else value
        )
        if kept in ("", False, [], {}):
            continue
        out[key] = kept
    return out


def _decode_taint(taint: Any, index: int, unknown: list[str]) -> JSONObject:
    if not isinstance(taint, dict):
        raise _type_error(taint, "NodeSpec.spec.taints", "v1.Taint")
    for key, value in taint.items():
        if key not in _TAINT_FIELDS:
            unknown.append(f"spec.taints[{index}].{key}")
        elif key != "timeAdded" and value is not None and not isinstance(value, str):
            raise _type_error(value, f"Taint.spec.taints.{key}", "string")
    return taint_json(taint)


def decode_node(body: Any, field_validation: str) -> tuple[JSONObject, tuple[str, ...]]:
    """Step 1: the Node as the server keeps it, and the unknown-field warnings."""
    _check_kind(body, "Node")
    if not isinstance(body, dict):
        raise st.bad_request(
            handled_as(
                "Node", "v1", f"json: cannot unmarshal {json_kind(body)} into Go value of type "
                "core.Node"
            )
        )
    meta_only, warnings = decode_body(
        {"metadata": body.get("metadata")} if body.get("metadata") is not None else {},
        Pod,
        "Node",
        field_validation,
    )
    unknown = [k for k in body if k not in _TOP]
    spec = _decode_spec(body.get("spec"), unknown)
    strict = [f'unknown field "{k}"' for k in sorted(unknown)]
    if strict and field_validation == "Strict":
        raise st.bad_request(
            handled_as("Node", "v1", "strict decoding error: " + ", ".join(strict))
        )
    if field_validation != "Ignore":
        warnings += tuple(strict)
    out: JSONObject = {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": meta_only.get("metadata") or {},
        "spec": spec,
    }
    if isinstance(body.get("status"), dict):
        out["status"] = body["status"]
    return out, warnings


class _RacedError(Exception):
    """The stored node changed between the read and the write (the heartbeat)."""


_ATTEMPTS: Final = 5


class Nodes:
    """The node registry's update paths over the server's ``Registry``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.store = registry.store

    def update(
        self,
        name: str,
        body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``PUT /api/v1/nodes/{name}`` (module doc, steps 1-6)."""
        obj, warnings = decode_node(body, field_validation)
        meta = _meta(obj)
        check_name(meta, name)
        try:
            current: JSONObject | None = self.store.get("nodes", "", name)
        except NotFoundError:
            current = None
        check_body_uid("nodes", name, meta, current)
        if current is None:
            raise st.not_found("nodes", name)
        meta["name"] = name
        for _ in range(_ATTEMPTS):
            try:
                return self._store(
                    name, current, copy.deepcopy(obj), warnings, dry_run=dry_run,
                    writer=writer, track=True,
                )
            except _RacedError:
                if meta.get("resourceVersion"):
                    break  # the client's version is stale now: its conflict
                current = self.registry.get("nodes", "", name)
        raise st.conflict("nodes", name, st.OBJECT_MODIFIED)

    def patch(
        self,
        name: str,
        patch_type: str,
        patch_body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``PATCH /api/v1/nodes/{name}`` (module doc, steps 1, 3-6); a patch raced
        by another writer is applied again to the fresh node (``GuaranteedUpdate``)."""
        for _ in range(_ATTEMPTS - 1):
            try:
                return self._patch_once(
                    name, patch_type, patch_body, field_validation, dry_run, writer
                )
            except _RacedError:
                continue
        try:
            return self._patch_once(name, patch_type, patch_body, field_validation, dry_run, writer)
        except _RacedError:
            raise st.conflict("nodes", name, st.OBJECT_MODIFIED) from None

    def _patch_once(
        self,
        name: str,
        patch_type: str,
        patch_body: Any,
        field_validation: str,
        dry_run: bool,
        writer: patching.Writer,
    ) -> Result:
        current = self.registry.get("nodes", "", name)
        patched = patched_or_applied(
            current,
            patch_type,
            patch_body,
            api_version="v1",
            kind="Node",
            writer=writer,
            now=self.registry.clock(),
        )
        obj, warnings = decode_node(patched, field_validation)
        return self._store(
            name,
            current,
            obj,
            warnings,
            dry_run=dry_run,
            writer=writer,
            track=patch_type != patching.APPLY,
        )

    def _store(
        self,
        name: str,
        current: JSONObject,
        obj: JSONObject,
        warnings: tuple[str, ...],
        *,
        dry_run: bool,
        writer: patching.Writer,
        track: bool,
    ) -> Result:
        meta = _meta(obj)
        old_meta = current.get("metadata") or {}
        rv = meta.get("resourceVersion")
        if not rv:
            meta["resourceVersion"] = old_meta.get("resourceVersion")
        elif rv != old_meta.get("resourceVersion"):
            raise st.conflict("nodes", name, st.OBJECT_MODIFIED)
        if not meta.get("uid") and "uid" in old_meta:
            meta["uid"] = old_meta["uid"]
        for key in ("creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if old_meta.get(key) is not None:
                meta[key] = old_meta[key]
        if "generation" in old_meta:
            meta["generation"] = old_meta["generation"]
        else:
            meta.pop("generation", None)
        obj["status"] = copy.deepcopy(current.get("status") or {})
        if track:
            patching.track(current, obj, writer, self.registry.clock())
        errors = validate_node_write(obj, current)
        if errors:
            raise st.invalid("Node", name, errors)
        if dry_run:
            return Result(obj, warnings)
        if obj == current:
            return Result(current, warnings)
        try:
            stored = self.store.update("nodes", "", name, obj, old_meta.get("resourceVersion"))
        except NotFoundError:
            raise st.not_found("nodes", name) from None
        except ConflictError:
            raise _RacedError from None
        return Result(stored, warnings)


__all__ = ["Nodes", "decode_node"]
