"""The registry of the simple kinds: ConfigMap, Secret, PersistentVolume(Claim), StorageClass.

Role: kube-apiserver's generic store (``genericregistry.Store``) with each kind's
strategy, for kinds that have no logic beyond defaults, validation and admission:
create, get, update (PUT), patch (merge, JSON, strategic, apply), delete (with
finalizers), and ``/status`` for PersistentVolumes and claims. List and watch are the
``Registry``'s (they are generic over the store). Store resource names are the
plural resources: ``configmaps``, ``secrets``, ``persistentvolumes``,
``persistentvolumeclaims``, ``storageclasses`` (cluster-scoped ones under namespace
``""``); controllers and the kubelet read and write the same JSON.

Upstream facts kept here, by kind:
- Secret: ``stringData`` merged into ``data`` (base64) by the v1 conversion and
  dropped; ``type`` defaults to ``Opaque``; ``data``/``binaryData`` values that are
  not standard base64 refuse the body (Go's ``illegal base64 data at input byte N``).
- PersistentVolume: ``persistentVolumeReclaimPolicy`` Retain, ``volumeMode``
  Filesystem; status reset on create to ``phase: Pending`` with
  ``lastPhaseTransitionTime``, which a status write changing the phase renews.
- PersistentVolumeClaim: ``volumeMode`` Filesystem, status ``phase: Pending``.
- StorageClass: ``reclaimPolicy`` Delete, ``volumeBindingMode`` Immediate.
- Admission on a claim's update: ``PersistentVolumeClaimResize`` (a bound claim grows
  only through a class with ``allowVolumeExpansion: true``; 403 otherwise).
- Admission on create: ``DefaultStorageClass`` (a claim with no
  ``storageClassName`` and no beta annotation gets the newest class annotated
  ``storageclass.kubernetes.io/is-default-class: "true"`` (or its beta key), ties
  by name) and ``StorageObjectInUseProtection`` (finalizers
  ``kubernetes.io/pvc-protection`` / ``kubernetes.io/pv-protection``).
- Quantities (PV capacity, claim requests/limits) are stored canonical.
- Delete of an object with finalizers sets ``deletionTimestamp`` (now) and
  ``deletionGracePeriodSeconds: 0`` and keeps it; an update that removes the last
  finalizer of such an object deletes it; a terminating object takes no new
  finalizer. PV and claim deletes answer the object, the others a Success Status.

Steps of ``create`` (upstream's order): 1. kind/apiVersion check and decode per
``fieldValidation``; 2. namespace (request's, NamespaceLifecycle) or none; 3.
generateName, server metadata, defaults; 4. mutating admission; 5. the strategy's
PrepareForCreate; 6. validation (422); 7. store (409 AlreadyExists).
Callers: ``seclet.apiserver.http``, tests.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

from seclet.api import models, storagehelpers
from seclet.api.decode import build, handled_as
from seclet.api.field import ErrorList, FieldError, Path, forbidden, required
from seclet.api.quantity import canonical
from seclet.api.quantity import parse as parse_quantity
from seclet.apiserver import patch as patching
from seclet.apiserver import status as st
from seclet.apiserver.registry import (
    Registry,
    Result,
    _meta,
    check_name,
    check_namespace,
    decode_body,
    name_mismatch,
    patched_or_applied,
    rfc3339,
)
from seclet.review import generated_name
from seclet.store.api import AlreadyExistsError, ConflictError, NotFoundError
from seclet.validation.configmap import validate_config_map, validate_config_map_update
from seclet.validation.persistentvolume import (
    validate_persistent_volume,
    validate_persistent_volume_claim,
    validate_persistent_volume_claim_update,
    validate_persistent_volume_update,
)
from seclet.validation.secret import validate_secret, validate_secret_update
from seclet.validation.storageclass import validate_storage_class, validate_storage_class_update

JSONObject = dict[str, Any]

STORAGE_GROUP: Final = "storage.k8s.io"
BETA_CLASS_ANNOTATION: Final = "volume.beta.kubernetes.io/storage-class"
PVC_PROTECTION: Final = "kubernetes.io/pvc-protection"
PV_PROTECTION: Final = "kubernetes.io/pv-protection"


@dataclass(frozen=True, slots=True)
class Kind:
    """One served kind: its REST names, model, and validation."""

    resource: str
    kind: str
    group: str
    namespaced: bool
    model: type
    validate: Callable[[Any], ErrorList]
    validate_update: Callable[[Any, Any], ErrorList]
    has_status: bool = False
    return_deleted: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/v1" if self.group else "v1"


def _sc_update(new: models.StorageClass, old: models.StorageClass) -> ErrorList:
    errs = validate_storage_class(new)
    errs.extend(validate_storage_class_update(new, old))
    return errs


KINDS: Final = {
    k.resource: k
    for k in (
        Kind(
            "configmaps",
            "ConfigMap",
            "",
            True,
            models.ConfigMap,
            validate_config_map,
            validate_config_map_update,
        ),
        Kind("secrets", "Secret", "", True, models.Secret, validate_secret, validate_secret_update),
        Kind(
            "persistentvolumes",
            "PersistentVolume",
            "",
            False,
            models.PersistentVolume,
            validate_persistent_volume,
            validate_persistent_volume_update,
            has_status=True,
            return_deleted=True,
        ),
        Kind(
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            "",
            True,
            models.PersistentVolumeClaim,
            validate_persistent_volume_claim,
            validate_persistent_volume_claim_update,
            has_status=True,
            return_deleted=True,
        ),
        Kind(
            "storageclasses",
            "StorageClass",
            STORAGE_GROUP,
            False,
            models.StorageClass,
            validate_storage_class,
            _sc_update,
        ),
    )
}


def base64_error(value: str) -> str | None:
    """Go's ``base64.StdEncoding.DecodeString`` error for ``value`` (None: valid),
    as ``encoding/json`` reports it for a ``[]byte`` field."""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    src = value.encode()
    si = 0
    n = len(src)
    while True:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return f"illegal base64 data at input byte {si - j}"
            c = src[si]
            si += 1
            if c in (10, 13):
                continue
            if c == ord("="):
                if j < 2:
                    return f"illegal base64 data at input byte {si - 1}"
                if j == 2:
                    while si < n and src[si] in (10, 13):
                        si += 1
                    if si == n:
                        return f"illegal base64 data at input byte {n}"
                    if src[si] != ord("="):
                        return f"illegal base64 data at input byte {si - 1}"
                    si += 1
                while si < n and src[si] in (10, 13):
                    si += 1
                if si < n:
                    return f"illegal base64 data at input byte {si}"
                return None
            if c not in alphabet:
                return f"illegal base64 data at input byte {si - 1}"
            j += 1


def _check_type(body: Any, kind: Kind) -> None:
    """A body of another kind or group/version (400, as the apiserver's decoder)."""
    if not isinstance(body, dict):
        return
    got_kind, got_version = body.get("kind"), body.get("apiVersion")
    if got_version not in (None, "", kind.api_version):
        raise st.bad_request(
            f"the API version in the data ({got_version}) does not match the expected API "
            f"version ({kind.api_version})"
        )
    if got_kind not in (None, "", kind.kind):
        raise st.bad_request(
            f"the kind in the data ({got_kind}) does not match the expected kind ({kind.kind})"
        )


def _check_bytes(body: Any, kind: Kind) -> None:
    """``[]byte`` maps (Secret data, ConfigMap binaryData) must be standard base64."""
    if not isinstance(body, dict) or kind.kind not in ("Secret", "ConfigMap"):
        return
    values = body.get("data" if kind.kind == "Secret" else "binaryData")
    if not isinstance(values, dict):
        return
    for key in sorted(values, key=str):
        v = values[key]
        if isinstance(v, str):
            problem = base64_error(v)
            if problem:
                raise st.bad_request(handled_as(kind.kind, kind.api_version, problem))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _canonical_map(values: Any) -> None:
    if isinstance(values, dict):
        for key, v in values.items():
            c = canonical(v)
            if c is not None:
                values[key] = c


class Objects:
    """The simple kinds over ``registry``'s store, clock and uids."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.store = registry.store

    # -- strategy -------------------------------------------------------------------

    def _defaults(self, kind: Kind, obj: JSONObject) -> None:
        """Decode-time defaulting (``SetDefaults_*``) and the v1 conversion."""
        if kind.kind == "Secret":
            string_data = obj.pop("stringData", None)
            if isinstance(string_data, dict) and string_data:
                data = obj.setdefault("data", {})
                for k, v in string_data.items():
                    data[k] = _b64(str(v).encode())
            if not obj.get("type"):
                obj["type"] = "Opaque"
        elif kind.kind == "PersistentVolume":
            spec = obj.setdefault("spec", {})
            if not spec.get("persistentVolumeReclaimPolicy"):
                spec["persistentVolumeReclaimPolicy"] = "Retain"
            spec.setdefault("volumeMode", "Filesystem")
            _canonical_map(spec.get("capacity"))
            status = obj.setdefault("status", {})
            if not status.get("phase"):
                status["phase"] = "Pending"
        elif kind.kind == "PersistentVolumeClaim":
            spec = obj.setdefault("spec", {})
            spec.setdefault("volumeMode", "Filesystem")
            resources = spec.get("resources") or {}
            _canonical_map(resources.get("requests"))
            _canonical_map(resources.get("limits"))
            status = obj.setdefault("status", {})
            if not status.get("phase"):
                status["phase"] = "Pending"
        elif kind.kind == "StorageClass":
            obj.setdefault("reclaimPolicy", "Delete")
            obj.setdefault("volumeBindingMode", "Immediate")

    def _admit_create(self, kind: Kind, obj: JSONObject) -> None:
        """Mutating admission: DefaultStorageClass, StorageObjectInUseProtection."""
        meta = _meta(obj)
        if kind.kind == "PersistentVolumeClaim":
            spec = obj.setdefault("spec", {})
            annotations = meta.get("annotations") or {}
            if spec.get("storageClassName") is None and BETA_CLASS_ANNOTATION not in annotations:
                chosen = storagehelpers.default_class(self.store.list("storageclasses").items)
                if chosen is not None:
                    spec["storageClassName"] = (chosen.get("metadata") or {}).get("name", "")
            self._add_finalizer(meta, PVC_PROTECTION)
        elif kind.kind == "PersistentVolume":
            self._add_finalizer(meta, PV_PROTECTION)

    def _admit_resize(self, new: JSONObject, old: JSONObject) -> None:
        """``PersistentVolumeClaimResize``: a claim grows only through a class with
        ``allowVolumeExpansion: true`` (the same class before and after)."""

        def storage(obj: JSONObject) -> Fraction:
            value = (((obj.get("spec") or {}).get("resources") or {}).get("requests") or {}).get(
                "storage"
            )
            parsed = parse_quantity(value)
            return parsed[0] if parsed else Fraction(0)

        def klass(obj: JSONObject) -> str:
            annotations = (obj.get("metadata") or {}).get("annotations") or {}
            if BETA_CLASS_ANNOTATION in annotations:
                return str(annotations[BETA_CLASS_ANNOTATION])
            return str((obj.get("spec") or {}).get("storageClassName") or "")

        if storage(new) <= storage(old):
            return
        name = (new.get("metadata") or {}).get("name", "")
        if (old.get("status") or {}).get("phase") != "Bound":
            raise st.forbidden(
                "persistentvolumeclaims",
                name,
                "Only bound persistent volume claims can be expanded",
            )
        allowed = False
        if klass(new) and klass(new) == klass(old):
            try:
                sc = self.store.get("storageclasses", "", klass(new))
                allowed = sc.get("allowVolumeExpansion") is True
            except NotFoundError:
                allowed = False
        if not allowed:
            raise st.forbidden(
                "persistentvolumeclaims",
                name,
                "only dynamically provisioned pvc can be resized and the storageclass that "
                "provisions the pvc must support resize",
            )

    @staticmethod
    def _add_finalizer(meta: JSONObject, finalizer: str) -> None:
        finalizers = list(meta.get("finalizers") or [])
        if finalizer not in finalizers:
            finalizers.append(finalizer)
        meta["finalizers"] = finalizers

    def _prepare_create(self, kind: Kind, obj: JSONObject) -> None:
        if kind.kind == "PersistentVolume":
            obj["status"] = {
                "phase": "Pending",
                "lastPhaseTransitionTime": rfc3339(self.registry.clock()),
            }
        elif kind.kind == "PersistentVolumeClaim":
            obj["status"] = {"phase": "Pending"}

    # -- helpers --------------------------------------------------------------------

    def _decode(
        self, kind: Kind, body: Any, field_validation: str
    ) -> tuple[JSONObject, tuple[str, ...]]:
        _check_type(body, kind)
        _check_bytes(body, kind)
        checked, warnings = decode_body(body, kind.model, kind.kind, field_validation)
        checked["kind"], checked["apiVersion"] = kind.kind, kind.api_version
        return checked, warnings

    def _validated(self, kind: Kind, obj: JSONObject, errors: ErrorList | list[FieldError]) -> None:
        if errors:
            raise st.invalid(
                kind.kind, (obj.get("metadata") or {}).get("name") or "", errors, kind.group
            )

    def get(self, kind: Kind, namespace: str, name: str) -> JSONObject:
        try:
            return self.store.get(kind.resource, namespace if kind.namespaced else "", name)
        except NotFoundError:
            raise st.not_found(kind.resource, name, kind.group) from None

    # -- create ---------------------------------------------------------------------

    def create(
        self,
        kind: Kind,
        namespace: str,
        body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
        applied: bool = False,
    ) -> Result:
        """``POST`` (see the module's steps); the field manager sees the defaulted
        object before admission; ``applied``: the body comes from a server-side apply
        and carries its managedFields."""
        obj, warnings = self._decode(kind, body, field_validation)
        meta = _meta(obj)
        if kind.namespaced:
            check_namespace(meta, namespace)
            meta["namespace"] = namespace
            self.registry._namespace_ready(namespace, kind.resource, meta.get("name") or "")
        else:
            meta.pop("namespace", None)
            namespace = ""
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = generated_name(meta["generateName"])
        sent_managed_fields = meta.get("managedFields")
        self.registry._stamp_new(meta)
        self._defaults(kind, obj)
        if sent_managed_fields is not None:
            meta["managedFields"] = sent_managed_fields
        if not applied:
            patching.track(None, obj, writer, self.registry.clock())
        self._admit_create(kind, obj)
        self._prepare_create(kind, obj)
        self._validated(kind, obj, kind.validate(build(obj, kind.model)))
        if dry_run:
            # A dry run goes as far as the storage's existence check.
            try:
                self.store.get(kind.resource, namespace, meta["name"])
            except NotFoundError:
                return Result(obj, warnings)
            raise st.already_exists(kind.resource, meta["name"], kind.group)
        try:
            return Result(self.store.create(kind.resource, namespace, meta["name"], obj), warnings)
        except AlreadyExistsError:
            raise st.already_exists(kind.resource, meta["name"], kind.group) from None

    # -- update and patch -----------------------------------------------------------

    def update(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``PUT``: the whole object; a stale ``resourceVersion`` is a 409."""
        obj, warnings = self._decode(kind, body, field_validation)
        meta = _meta(obj)
        check_name(meta, name)
        if kind.namespaced:
            check_namespace(meta, namespace)
        current = self.get(kind, namespace, name)
        return self._store_update(
            kind, namespace, name, obj, current, warnings, dry_run, writer=writer
        )

    def patch(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        patch_type: str,
        patch_body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``PATCH``: the patched object, decoded and validated as an update; an apply
        is server-side apply (on a missing object: applied to an empty one, created)."""
        try:
            current = self.store.get(kind.resource, namespace if kind.namespaced else "", name)
        except NotFoundError:
            if patch_type == patching.APPLY:
                body = patched_or_applied(
                    None,
                    patch_type,
                    patch_body,
                    api_version=kind.api_version,
                    kind=kind.kind,
                    writer=writer,
                    now=self.registry.clock(),
                    name=name,
                )
                return self.create(
                    kind,
                    namespace,
                    body,
                    field_validation=field_validation,
                    dry_run=dry_run,
                    applied=True,
                )
            raise st.not_found(kind.resource, name, kind.group) from None
        patched = patched_or_applied(
            current,
            patch_type,
            patch_body,
            api_version=kind.api_version,
            kind=kind.kind,
            writer=writer,
            now=self.registry.clock(),
        )
        obj, warnings = self._decode(kind, patched, field_validation)
        meta = _meta(obj)
        if meta.get("name") != name:
            raise name_mismatch(meta.get("name"), name)
        return self._store_update(
            kind,
            namespace,
            name,
            obj,
            current,
            warnings,
            dry_run,
            writer=writer,
            applied=patch_type == patching.APPLY,
        )

    def _store_update(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        obj: JSONObject,
        current: JSONObject,
        warnings: tuple[str, ...],
        dry_run: bool,
        *,
        writer: patching.Writer = patching.DEFAULT_WRITER,
        applied: bool = False,
    ) -> Result:
        ns = namespace if kind.namespaced else ""
        meta = _meta(obj)
        old_meta = current.get("metadata") or {}
        rv = meta.get("resourceVersion")
        if rv and rv != old_meta.get("resourceVersion"):
            raise st.conflict(kind.resource, name, st.OBJECT_MODIFIED, kind.group)
        for key in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "resourceVersion",
        ):
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        meta["name"] = name
        if kind.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        self._defaults(kind, obj)
        if kind.has_status:
            obj["status"] = copy.deepcopy(current.get("status") or {})
        if not applied:
            patching.track(current, obj, writer, self.registry.clock())
        errors = ErrorList()
        if old_meta.get("deletionTimestamp"):
            added = [
                f
                for f in meta.get("finalizers") or []
                if f not in (old_meta.get("finalizers") or [])
            ]
            if added:
                errors.append(
                    forbidden(
                        Path.root("metadata", "finalizers"),
                        "no new finalizers can be added if the object is being deleted, found "
                        "new finalizers []string{" + ", ".join(f'"{f}"' for f in added) + "}",
                    )
                )
        errors.extend(kind.validate_update(build(obj, kind.model), build(current, kind.model)))
        self._validated(kind, obj, errors)
        if kind.kind == "PersistentVolumeClaim":
            self._admit_resize(obj, current)
        if obj == current:
            return Result(current, warnings)
        if dry_run:
            return Result(obj, warnings)
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            # The last finalizer is gone: the store deletes the object.
            try:
                self.store.update(kind.resource, ns, name, obj, old_meta.get("resourceVersion"))
                return Result(self.store.delete(kind.resource, ns, name), warnings)
            except NotFoundError:
                raise st.not_found(kind.resource, name, kind.group) from None
            except ConflictError:
                raise st.conflict(kind.resource, name, st.OBJECT_MODIFIED, kind.group) from None
        try:
            stored = self.store.update(
                kind.resource, ns, name, obj, old_meta.get("resourceVersion")
            )
        except NotFoundError:
            raise st.not_found(kind.resource, name, kind.group) from None
        except ConflictError:
            raise st.conflict(kind.resource, name, st.OBJECT_MODIFIED, kind.group) from None
        return Result(stored, warnings)

    # -- status ---------------------------------------------------------------------

    def update_status(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        body: Any,
        *,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``PUT .../status``: the body's status over the stored object (the status
        strategy keeps spec and metadata)."""
        obj, _ = self._decode(kind, body, "Ignore")
        meta = obj.get("metadata") or {}
        check_name(meta, name)
        current = self.get(kind, namespace, name)
        if not meta.get("resourceVersion"):
            raise st.invalid(kind.kind, name, [required(Path.root("resourceVersion"))], kind.group)
        return self._store_status(
            kind, namespace, name, obj, current, meta["resourceVersion"], writer
        )

    def patch_status(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        patch_type: str,
        patch_body: Any,
        *,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        current = self.get(kind, namespace, name)
        patched = patched_or_applied(
            current,
            patch_type,
            patch_body,
            api_version=kind.api_version,
            kind=kind.kind,
            writer=writer,
            now=self.registry.clock(),
            subresource="status",
        )
        obj, _ = self._decode(kind, patched, "Ignore")
        rv = (obj.get("metadata") or {}).get("resourceVersion") or (
            current.get("metadata") or {}
        ).get("resourceVersion")
        return self._store_status(
            kind, namespace, name, obj, current, str(rv), writer, patch_type == patching.APPLY
        )

    def _store_status(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        new: JSONObject,
        current: JSONObject,
        expected_rv: str,
        writer: patching.Writer = patching.DEFAULT_WRITER,
        applied: bool = False,
    ) -> Result:
        ns = namespace if kind.namespaced else ""
        if expected_rv != (current.get("metadata") or {}).get("resourceVersion"):
            raise st.conflict(kind.resource, name, st.OBJECT_MODIFIED, kind.group)
        obj = copy.deepcopy(current)
        status = copy.deepcopy(new.get("status") or {})
        old_status = current.get("status") or {}
        if kind.kind == "PersistentVolume" and status.get("phase") != old_status.get("phase"):
            stamp = status.get("lastPhaseTransitionTime")
            if not stamp or stamp == old_status.get("lastPhaseTransitionTime"):
                status["lastPhaseTransitionTime"] = rfc3339(self.registry.clock())
        for key in ("capacity", "allocatedResources"):
            _canonical_map(status.get(key))
        obj["status"] = status
        if applied:
            managed_fields = (new.get("metadata") or {}).get("managedFields")
            obj["metadata"] = {
                k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"
            }
            if managed_fields is not None:
                obj["metadata"]["managedFields"] = managed_fields
        else:
            patching.track(current, obj, writer, self.registry.clock(), "status")
        if obj == current:
            return Result(current)
        try:
            return Result(self.store.update(kind.resource, ns, name, obj, expected_rv))
        except NotFoundError:
            raise st.not_found(kind.resource, name, kind.group) from None
        except ConflictError:
            raise st.conflict(kind.resource, name, st.OBJECT_MODIFIED, kind.group) from None

    # -- delete ---------------------------------------------------------------------

    def delete_collection(
        self,
        kind: Kind,
        namespace: str | None,
        options: JSONObject,
        label_selector: str = "",
        field_selector: str = "",
    ) -> JSONObject:
        """``DELETE`` of a collection: each selected object as ``delete`` does; the
        answer lists the deleted (or marked) objects."""
        items, _ = self.registry.list(
            kind.resource, namespace if kind.namespaced else None, label_selector, field_selector
        )
        out: list[JSONObject] = []
        for obj in items:
            meta = obj.get("metadata") or {}
            try:
                answer = self.delete(kind, meta.get("namespace", ""), meta.get("name", ""), options)
            except st.APIError as err:
                if err.code == 404:
                    continue
                raise
            out.append(obj if answer.get("kind") == "Status" else answer)
        return {
            "kind": f"{kind.kind}List",
            "apiVersion": kind.api_version,
            "metadata": {},
            "items": [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in out],
        }

    def delete(self, kind: Kind, namespace: str, name: str, options: JSONObject) -> JSONObject:
        """``DELETE``: with finalizers the object is marked (deletionTimestamp now,
        grace 0) and stays; otherwise it goes. The answer: the object (PVs, claims,
        or a marked object) or a Success Status."""
        ns = namespace if kind.namespaced else ""
        current = self.get(kind, namespace, name)
        self.registry._preconditions(kind.resource, name, current, options)
        meta = _meta(current)
        dry_run = bool(options.get("dryRun"))
        if meta.get("finalizers"):
            if meta.get("deletionTimestamp"):
                return current
            meta["deletionTimestamp"] = rfc3339(self.registry.clock())
            meta["deletionGracePeriodSeconds"] = 0
            if dry_run:
                return current
            try:
                return self.store.update(kind.resource, ns, name, current)
            except NotFoundError:
                raise st.not_found(kind.resource, name, kind.group) from None
        deleted = current
        if not dry_run:
            try:
                deleted = self.store.delete(kind.resource, ns, name)
            except NotFoundError:
                raise st.not_found(kind.resource, name, kind.group) from None
        if kind.return_deleted:
            return deleted
        details: JSONObject = {"name": name}
        if kind.group:
            details["group"] = kind.group
        details["kind"] = kind.resource
        details["uid"] = meta.get("uid", "")
        return st.success_status(details)


__all__ = ["KINDS", "Kind", "Objects", "base64_error"]
