"""The bridge between client-side and server-side apply for the manager ``kubectl``.

Role: apimachinery's ``lastAppliedManager`` and ``lastAppliedUpdater``: when
``kubectl`` applies server-side over an object it applied client-side before, the
conflicts on fields whose live value still equals the
``kubectl.kubernetes.io/last-applied-configuration`` annotation are allowed (the
apply is retried with force), and after a successful apply the annotation, when
present, is rewritten to the applied configuration (JSON as Go's encoder writes an
unstructured object: sorted keys, a final newline).
Pure. Callers: ``fieldmanager``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from seclet.api.managedfields.fieldset import FieldSet
from seclet.api.managedfields.path import go_json
from seclet.api.managedfields.typed import TypedError, compare, to_field_set
from seclet.api.managedfields.typeref import TypeRef

LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
KUBECTL: Final = "kubectl"


def _annotation(obj: Any) -> str:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    value = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    return value if isinstance(value, str) else ""


def allowed_conflicts(live: Any, api_version: str, ref: TypeRef) -> FieldSet | None:
    """``allowedConflictsFromLastApplied``: the last-applied fields whose live values
    are unchanged, or ``None`` when there is no usable annotation."""
    text = _annotation(live)
    if not text:
        return None
    try:
        last = json.loads(text)
    except ValueError:
        return None
    if not isinstance(last, dict) or last.get("apiVersion") != api_version:
        return None
    try:
        fields = to_field_set(last, ref)
        comparison = compare(last, live, ref)
    except TypedError:
        return None
    return fields - comparison.modified - comparison.added - comparison.removed


def with_last_applied(obj: dict[str, Any], config: Any) -> dict[str, Any]:
    """``lastAppliedUpdater``: ``obj`` with the annotation set to ``config`` when it
    already has one."""
    if not _annotation(obj) or not isinstance(config, dict):
        return obj
    applied = json.loads(json.dumps(config))
    annotations = (applied.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
    meta = dict(obj.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), LAST_APPLIED: go_json(applied) + "\n"}
    return {**obj, "metadata": meta}
