"""Server-side apply and ``metadata.managedFields``, as kube-apiserver 1.35 keeps them.

Role: the package's entry points: ``track_update`` (every non-apply write) and
``apply`` (``application/apply-patch+yaml``) from ``fieldmanager``, with the errors
they raise. Modules, bottom up: ``path`` (path elements), ``fieldset`` (sets and
FieldsV1), ``typeref`` (the schema from ``seclet.api.models``), ``typed`` (walks:
field sets, compare, merge, remove), ``conflict`` (conflict texts), ``updater``
(ownership of one write), ``fieldmanager`` (the apiserver's wrapping: identifiers,
times, cap, strip, reset fields).
Pure. Callers: ``seclet.apiserver``, ``seclet.kubelet``, ``seclet.controllers``,
``seclet.record``.
"""

from __future__ import annotations

from seclet.api.managedfields.conflict import ConflictError
from seclet.api.managedfields.fieldmanager import (
    FIELD_MANAGER_MAX_LENGTH,
    ApplyError,
    apply,
    record_update,
    track_update,
)
from seclet.api.managedfields.typed import TypedError

__all__ = [
    "FIELD_MANAGER_MAX_LENGTH",
    "ApplyError",
    "ConflictError",
    "TypedError",
    "apply",
    "record_update",
    "track_update",
]
