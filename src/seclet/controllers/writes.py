"""What the API server does around a controller's write, for writes that go to the store.

Role: kube-controller-manager writes through the API server, which stamps new
objects (uid, creationTimestamp), turns a delete of an object with finalizers into
setting ``deletionTimestamp``, and completes that deletion when an update leaves no
finalizer. seclet's controllers write to the store directly, so these helpers do
the same: ``stamp_new`` (server-owned metadata of a created object), ``delete``
(graceful: finalizers -> ``deletionTimestamp`` once; none -> removed), ``update``
(an optimistic update that, like the registry's, removes an object being deleted
whose last finalizer went), ``remove_finalizer``.
Callers: seclet.controllers.pv_binder, .local_path, .protection.
"""

from __future__ import annotations

import uuid
from typing import Any

from seclet.controllers.clock import rfc3339
from seclet.store.api import JSONObject, NotFoundError, Store


def stamp_new(obj: JSONObject, now: float) -> JSONObject:
    """``obj`` with the metadata the API server sets on create (uid,
    creationTimestamp; a ``generation`` of 1 as for every object with a spec)."""
    meta: dict[str, Any] = obj.setdefault("metadata", {})
    meta.setdefault("uid", str(uuid.uuid4()))
    meta.setdefault("creationTimestamp", rfc3339(now))
    return obj


def update(store: Store, resource: str, obj: JSONObject) -> JSONObject | None:
    """Write ``obj`` if its resourceVersion is still current (``ConflictError``
    otherwise, ``NotFoundError`` when gone). An object being deleted with no
    finalizer left is removed instead; then the result is None."""
    meta = obj.get("metadata") or {}
    namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    rv = meta.get("resourceVersion")
    if meta.get("deletionTimestamp") and not meta.get("finalizers"):
        store.delete(resource, namespace, name, expected_resource_version=rv)
        return None
    return store.update(resource, namespace, name, obj, expected_resource_version=rv)


def delete(store: Store, resource: str, namespace: str, name: str, now: float) -> None:
    """A DELETE as the API server handles it: with finalizers the object only gets a
    ``deletionTimestamp`` (once); without, it is removed. A gone object is fine."""
    try:
        current = store.get(resource, namespace, name)
    except NotFoundError:
        return
    meta = current.setdefault("metadata", {})
    if meta.get("finalizers"):
        if not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = rfc3339(now)
            meta["deletionGracePeriodSeconds"] = 0
            store.update(
                resource, namespace, name, current,
                expected_resource_version=meta.get("resourceVersion"),
            )
        return
    try:
        store.delete(resource, namespace, name)
    except NotFoundError:
        return


def remove_finalizer(store: Store, resource: str, obj: JSONObject, finalizer: str) -> bool:
    """Drop ``finalizer`` from ``obj`` (as read, resourceVersion-checked); True when
    it was there. The deletion completes if it was the last one."""
    meta = obj.get("metadata") or {}
    finalizers = list(meta.get("finalizers") or ())
    if finalizer not in finalizers:
        return False
    meta = dict(meta)
    meta["finalizers"] = [f for f in finalizers if f != finalizer]
    if not meta["finalizers"]:
        del meta["finalizers"]
    out = dict(obj)
    out["metadata"] = meta
    update(store, resource, out)
    return True
