"""PersistentVolume and PersistentVolumeClaim validation (k/k 1.35 ``validation.go``).

Role: ``ValidatePersistentVolume`` (cluster-scoped metadata; ``ValidatePersistentVolumeSpec``:
accessModes required and each one of ReadOnlyMany, ReadWriteMany, ReadWriteOnce,
ReadWriteOncePod, which may not be mixed with the others; capacity required with
exactly the ``storage`` key, a positive quantity; reclaim policy Delete, Recycle or
Retain; ``nodeAffinity.required`` node selector terms; exactly one volume source, in
upstream's order, the later ones "may not specify more than 1 volume type" and none
"must specify a volume type"; hostPath/local path rules, ``local`` requiring node
affinity; nfs and csi essentials; no Recycle of a hostPath ``/``; storageClassName a
DNS-1123 subdomain; volumeMode Block or Filesystem), ``ValidatePersistentVolumeUpdate``
(volume source, volumeMode and a set nodeAffinity immutable),
``ValidatePersistentVolumeClaim`` (accessModes, ``spec.resources[storage]`` required
and positive, storageClassName, volumeMode, dataSource kind) and
``ValidatePersistentVolumeClaimUpdate`` (spec immutable except a first
``volumeName`` and, for a bound claim, ``resources.requests.storage``; storage may
not shrink to status.capacity or below;
volumeMode immutable). The immutable-spec message carries Go's ``cmp.Diff`` of the
two specs after the text; seclet writes the text only.
Pure. Callers: ``seclet.apiserver.objects``.
"""

from __future__ import annotations

import posixpath
from fractions import Fraction
from typing import Any

from seclet.api import models
from seclet.api.field import (
    ErrorList,
    JSONValue,
    Path,
    forbidden,
    invalid,
    not_supported,
    required,
)
from seclet.api.quantity import canonical
from seclet.api.quantity import parse as parse_quantity
from seclet.validation.affinity import validate_node_selector
from seclet.validation.names import (
    is_dns1123_subdomain,
    name_is_dns_subdomain,
)
from seclet.validation.objectmeta import validate_object_meta
from seclet.validation.profiles import validate_path_no_backsteps
from seclet.validation.volumes import (
    validate_host_path_volume_source,
    validate_nfs_volume_source,
)

ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
VOLUME_MODES = ("Block", "Filesystem")
NOT_POSITIVE = "must be greater than zero"
MORE_THAN_ONE = "may not specify more than 1 volume type"

# (attribute, path segment of the Forbidden error): upstream's order of the checks.
_SOURCES = (
    ("hostPath", "hostPath"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("nfs", "nfs"),
    ("rbd", "rbd"),
    ("quobyte", "quobyte"),
    ("cephfs", "cephFS"),
    ("iscsi", "iscsi"),
    ("cinder", "cinder"),
    ("fc", "fc"),
    ("flexVolume", ""),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("scaleIO", "scaleIO"),
    ("local", "local"),
    ("storageos", "storageos"),
    ("csi", "csi"),
)
SOURCE_FIELDS = tuple(attr for attr, _ in _SOURCES)
"""The PersistentVolumeSource fields of a PV spec (immutable after creation)."""


def _positive(value: Any, path: Path) -> ErrorList:
    """``validateBasicResource`` + ``ValidatePositiveQuantityValue``."""
    errs = ErrorList()
    parsed = parse_quantity(value)
    if parsed is None:
        return errs
    amount = parsed[0]
    if amount < 0:
        errs.append(invalid(path, int(amount), "must be a valid resource quantity"))
    if amount <= 0:
        errs.append(invalid(path, canonical(value) or str(value), NOT_POSITIVE))
    return errs


def _access_modes(modes: tuple[str, ...], path: Path, required_detail: str) -> ErrorList:
    errs = ErrorList()
    if not modes:
        errs.append(required(path, required_detail))
    rwop = other = False
    for mode in modes:
        if mode not in ACCESS_MODES:
            errs.append(not_supported(path, mode, ACCESS_MODES))
        if mode == "ReadWriteOncePod":
            rwop = True
        elif mode in ACCESS_MODES:
            other = True
    if rwop and other:
        errs.append(forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errs


def _local(src: models.LocalVolumeSource, path: Path) -> ErrorList:
    if not src.path:
        return ErrorList([required(path.child("path"))])
    return validate_path_no_backsteps(src.path, path.child("path"))


def _csi(src: models.CSIPersistentVolumeSource, path: Path) -> ErrorList:
    errs = ErrorList()
    driver = src.driver or ""
    if not driver:
        errs.append(required(path.child("driver")))
    if not src.volumeHandle:
        errs.append(required(path.child("volumeHandle")))
    return errs


def validate_persistent_volume_spec(spec: models.PersistentVolumeSpec, path: Path) -> ErrorList:
    """``ValidatePersistentVolumeSpec`` for a PersistentVolume (not an inline volume)."""
    errs = _access_modes(spec.accessModes, path.child("accessModes"), "")
    cap_path = path.child("capacity")
    if not spec.capacity:
        errs.append(required(cap_path))
    if "storage" not in spec.capacity or len(spec.capacity) > 1:
        # json.Marshal of the ResourceList: null when absent, quantities as strings.
        shown = {k: canonical(spec.capacity[k]) for k in sorted(spec.capacity)} or None
        errs.append(not_supported(cap_path, JSONValue(shown), ("storage",)))
    for name in sorted(spec.capacity):
        errs.extend(_positive(spec.capacity[name], cap_path.key(name)))
    policy = spec.persistentVolumeReclaimPolicy or ""
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(
            not_supported(path.child("persistentVolumeReclaimPolicy"), policy, RECLAIM_POLICIES)
        )
    affinity = False
    if spec.nodeAffinity is not None:
        affinity = True
        if spec.nodeAffinity.required is not None:
            errs.extend(
                validate_node_selector(
                    spec.nodeAffinity.required, False, path.child("nodeAffinity", "required")
                )
            )
        else:
            errs.append(
                required(
                    path.child("nodeAffinity", "required"), "must specify required node constraints"
                )
            )
    count = 0
    for attr, segment in _SOURCES:
        source = getattr(spec, attr)
        if source is None:
            continue
        if count > 0 and segment:
            errs.append(forbidden(path.child(segment), MORE_THAN_ONE))
            continue
        count += 1
        if attr == "hostPath":
            errs.extend(validate_host_path_volume_source(source, path.child("hostPath")))
        elif attr == "nfs":
            errs.extend(validate_nfs_volume_source(source, path.child("nfs")))
        elif attr == "local":
            errs.extend(_local(source, path.child("local")))
            if not affinity:
                errs.append(
                    required(path.child("nodeAffinity"), "Local volume requires node affinity")
                )
        elif attr == "csi":
            errs.extend(_csi(source, path.child("csi")))
    if count == 0:
        errs.append(required(path, "must specify a volume type"))
    if (
        spec.hostPath is not None
        and posixpath.normpath(spec.hostPath.path or ".") == "/"
        and policy == "Recycle"
    ):
        errs.append(
            forbidden(
                path.child("persistentVolumeReclaimPolicy"),
                "may not be 'recycle' for a hostPath mount of '/'",
            )
        )
    if spec.storageClassName:
        for msg in name_is_dns_subdomain(spec.storageClassName, False):
            errs.append(invalid(path.child("storageClassName"), spec.storageClassName, msg))
    if spec.volumeMode is not None and spec.volumeMode not in VOLUME_MODES:
        errs.append(not_supported(path.child("volumeMode"), spec.volumeMode, VOLUME_MODES))
    if spec.volumeAttributesClassName is not None:
        if not spec.volumeAttributesClassName:
            errs.append(
                required(path.child("volumeAttributesClassName"), "an empty string is disallowed")
            )
        else:
            for msg in name_is_dns_subdomain(spec.volumeAttributesClassName, False):
                errs.append(
                    invalid(
                        path.child("volumeAttributesClassName"), spec.volumeAttributesClassName, msg
                    )
                )
        if spec.csi is None:
            errs.append(
                required(
                    path.child("csi"), "has to be specified when using volumeAttributesClassName"
                )
            )
    return errs


def validate_persistent_volume(pv: models.PersistentVolume) -> ErrorList:
    errs = validate_object_meta(pv.metadata, Path.root("metadata"), requires_namespace=False)
    errs.extend(
        validate_persistent_volume_spec(pv.spec or models.PersistentVolumeSpec(), Path.root("spec"))
    )
    return errs


def validate_persistent_volume_update(
    new: models.PersistentVolume, old: models.PersistentVolume
) -> ErrorList:
    errs = validate_persistent_volume(new)
    nspec = new.spec or models.PersistentVolumeSpec()
    ospec = old.spec or models.PersistentVolumeSpec()
    if any(getattr(nspec, a) != getattr(ospec, a) for a in SOURCE_FIELDS):
        errs.append(
            forbidden(
                Path.root("spec", "persistentvolumesource"),
                "spec.persistentvolumesource is immutable after creation",
            )
        )
    if nspec.volumeMode != ospec.volumeMode:
        errs.append(invalid(Path.root("volumeMode"), nspec.volumeMode, "field is immutable"))
    if ospec.nodeAffinity is not None and nspec.nodeAffinity != ospec.nodeAffinity:
        errs.append(
            invalid(
                Path.root("nodeAffinity"),
                JSONValue(_wire(nspec.nodeAffinity)),
                "field is immutable",
            )
        )
    return errs


def _wire(value: Any) -> Any:
    """A model as its JSON (json.Marshal of the bad value; empty fields omitted)."""
    if type(value) in models.FIELDS:
        out: dict[str, Any] = {}
        for spec in models.FIELDS[type(value)]:
            v = _wire(getattr(value, spec.attr))
            if v not in (None, [], {}):
                out[spec.json] = v
        return out
    if isinstance(value, tuple):
        return [_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    return value


def _storage(spec: models.PersistentVolumeClaimSpec) -> Any:
    return (spec.resources.requests if spec.resources else {}).get("storage")


def validate_persistent_volume_claim_spec(
    spec: models.PersistentVolumeClaimSpec, path: Path
) -> ErrorList:
    errs = _access_modes(
        spec.accessModes, path.child("accessModes"), "at least 1 access mode is required"
    )
    storage = _storage(spec)
    storage_path = path.child("resources").key("storage")
    if storage is None:
        errs.append(required(storage_path))
    else:
        errs.extend(_positive(storage, storage_path))
    if spec.storageClassName:
        for msg in name_is_dns_subdomain(spec.storageClassName, False):
            errs.append(invalid(path.child("storageClassName"), spec.storageClassName, msg))
    if spec.volumeMode is not None and spec.volumeMode not in VOLUME_MODES:
        errs.append(not_supported(path.child("volumeMode"), spec.volumeMode, VOLUME_MODES))
    for name, ref in (("dataSource", spec.dataSource), ("dataSourceRef", spec.dataSourceRef)):
        if ref is None:
            continue
        rpath = path.child(name)
        if not ref.name:
            errs.append(required(rpath.child("name")))
        if not ref.kind:
            errs.append(required(rpath.child("kind")))
        group = ref.apiGroup or ""
        if not group and ref.kind != "PersistentVolumeClaim":
            errs.append(
                invalid(
                    rpath,
                    ref.kind or "",
                    "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
                )
            )
        if group:
            for msg in is_dns1123_subdomain(group):
                errs.append(invalid(rpath.child("apiGroup"), group, msg))
    if spec.volumeAttributesClassName:
        for msg in name_is_dns_subdomain(spec.volumeAttributesClassName, False):
            errs.append(
                invalid(
                    path.child("volumeAttributesClassName"), spec.volumeAttributesClassName, msg
                )
            )
    return errs


def validate_persistent_volume_claim(pvc: models.PersistentVolumeClaim) -> ErrorList:
    errs = validate_object_meta(pvc.metadata, Path.root("metadata"))
    errs.extend(
        validate_persistent_volume_claim_spec(
            pvc.spec or models.PersistentVolumeClaimSpec(), Path.root("spec")
        )
    )
    return errs


def _amount(value: Any) -> Fraction:
    parsed = parse_quantity(value)
    return parsed[0] if parsed else Fraction(0)


def validate_persistent_volume_claim_update(
    new: models.PersistentVolumeClaim, old: models.PersistentVolumeClaim
) -> ErrorList:
    errs = validate_persistent_volume_claim(new)
    nspec = new.spec or models.PersistentVolumeClaimSpec()
    ospec = old.spec or models.PersistentVolumeClaimSpec()
    o = ospec
    if not ospec.volumeName:
        o = o._replace(volumeName=nspec.volumeName)
    if ospec.storageClassName is None and nspec.storageClassName is not None:
        old_annotation = ((old.metadata.annotations if old.metadata else None) or {}).get(
            "volume.beta.kubernetes.io/storage-class"
        )
        if old_annotation is None or old_annotation == nspec.storageClassName:
            o = o._replace(storageClassName=nspec.storageClassName)
    n = nspec._replace(volumeAttributesClassName=o.volumeAttributesClassName)
    phase = (new.status or models.PersistentVolumeClaimStatus()).phase
    if phase == "Bound" and n.resources is not None and n.resources.requests:
        # A bound claim's storage request may change (expansion).
        requests = dict(n.resources.requests)
        old_requests = (o.resources or models.VolumeResourceRequirements()).requests
        if "storage" in old_requests:
            requests["storage"] = old_requests["storage"]
        else:
            requests.pop("storage", None)
        n = n._replace(resources=n.resources._replace(requests=requests))
    if n.resources is not None:
        n = n._replace(resources=n.resources._replace(requests=dict(n.resources.requests)))
    if o.resources is not None:
        o = o._replace(resources=o.resources._replace(requests=dict(o.resources.requests)))
    if n != o:
        errs.append(
            forbidden(
                Path.root("spec"),
                "spec is immutable after creation except resources.requests and "
                "volumeAttributesClassName for bound claims",
            )
        )
    if _amount(_storage(nspec)) < _amount(_storage(ospec)):
        status = old.status or models.PersistentVolumeClaimStatus()
        if _amount(_storage(nspec)) <= _amount(status.capacity.get("storage", 0)):
            errs.append(
                forbidden(
                    Path.root("spec", "resources", "requests", "storage"),
                    "field can not be less than status.capacity",
                )
            )
    if nspec.volumeMode != ospec.volumeMode:
        errs.append(invalid(Path.root("volumeMode"), nspec.volumeMode, "field is immutable"))
    return errs
