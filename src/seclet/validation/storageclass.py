"""StorageClass validation (k/k 1.35 ``pkg/apis/storage/validation``).

Role: ``ValidateStorageClass`` (cluster-scoped metadata, DNS-1123 subdomain name;
provisioner required and a qualified name once lowercased; at most 512 parameters,
no empty key, 256 KiB in total; reclaimPolicy Delete or Retain; volumeBindingMode
required, Immediate or WaitForFirstConsumer) and ``ValidateStorageClassUpdate``
(parameters, provisioner and reclaimPolicy "updates to ... are forbidden.";
volumeBindingMode immutable). The caller defaults reclaimPolicy and
volumeBindingMode first, as the apiserver does.
Pure. Callers: ``seclet.apiserver.objects``.
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.field import ErrorList, Path, forbidden, invalid, not_supported, required, too_long
from seclet.validation.names import qualified_name_errors
from seclet.validation.objectmeta import validate_object_meta

RECLAIM_POLICIES = ("Delete", "Retain")
BINDING_MODES = ("Immediate", "WaitForFirstConsumer")
MAX_PARAMETERS = 512
MAX_PARAMETERS_SIZE = 256 * 1024


def validate_storage_class(sc: models.StorageClass) -> ErrorList:
    errs = validate_object_meta(sc.metadata, Path.root("metadata"), requires_namespace=False)
    provisioner = sc.provisioner or ""
    if not provisioner:
        errs.append(required(Path.root("provisioner"), provisioner))
    else:
        for msg in qualified_name_errors(provisioner.lower()):
            errs.append(invalid(Path.root("provisioner"), provisioner.lower(), msg))
    params = Path.root("parameters")
    if len(sc.parameters) > MAX_PARAMETERS:
        errs.append(too_long(params, MAX_PARAMETERS))
    else:
        total = 0
        for key in sorted(sc.parameters):
            if not key:
                errs.append(invalid(params, key, "field can not be empty."))
            total += len(key.encode()) + len(sc.parameters[key].encode())
        if total > MAX_PARAMETERS_SIZE:
            errs.append(too_long(params, MAX_PARAMETERS_SIZE))
    policy = sc.reclaimPolicy or ""
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(not_supported(Path.root("reclaimPolicy"), policy, RECLAIM_POLICIES))
    if sc.volumeBindingMode is None:
        errs.append(required(Path.root("volumeBindingMode")))
    elif sc.volumeBindingMode not in BINDING_MODES:
        errs.append(
            not_supported(Path.root("volumeBindingMode"), sc.volumeBindingMode, BINDING_MODES)
        )
    return errs


def validate_storage_class_update(new: models.StorageClass, old: models.StorageClass) -> ErrorList:
    errs = ErrorList()
    if dict(new.parameters) != dict(old.parameters):
        errs.append(forbidden(Path.root("parameters"), "updates to parameters are forbidden."))
    if (new.provisioner or "") != (old.provisioner or ""):
        errs.append(forbidden(Path.root("provisioner"), "updates to provisioner are forbidden."))
    if (new.reclaimPolicy or "") != (old.reclaimPolicy or ""):
        errs.append(
            forbidden(Path.root("reclaimPolicy"), "updates to reclaimPolicy are forbidden.")
        )
    if new.volumeBindingMode != old.volumeBindingMode:
        errs.append(
            invalid(Path.root("volumeBindingMode"), new.volumeBindingMode, "field is immutable")
        )
    return errs
