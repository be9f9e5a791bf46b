"""``metadata`` validation: ``ValidateObjectMeta`` for a namespaced object (apimachinery 1.35).

Role: generateName and name (DNS-1123 subdomain for pods, ``ValidatePodName``),
namespace (DNS-1123 label), generation, labels (qualified-name keys, label values),
annotations (qualified-name keys, case-insensitive; 256 KiB total), owner
references, finalizers (qualified names plus core's ``validateKubeFinalizerName``),
then the template variant ``ValidateTemplateObjectMeta``.
Callers: ``pod.validate_pod_create`` / ``pod.validate_pod_template_spec``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from seclet.api import models
from seclet.api.field import ErrorList, JSONValue, Path, forbidden, invalid, required, too_long
from seclet.validation.names import (
    is_label_value,
    is_qualified_name,
    name_is_dns_label,
    name_is_dns_subdomain,
    qualified_name_errors,
)

TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024
_STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})

_EMPTY_META = models.ObjectMeta()

NameFunc = Callable[[str, bool], list[str]]


def validate_labels(labels: Mapping[str, str], path: Path) -> ErrorList:
    """``ValidateLabels``: every error sits at the map's path itself."""
    errs = ErrorList()
    for key, value in labels.items():
        for msg in qualified_name_errors(key):
            errs.append(invalid(path, key, msg))
        for msg in is_label_value(value):
            errs.append(invalid(path, value, msg))
    return errs


def validate_annotations(annotations: Mapping[str, str], path: Path) -> ErrorList:
    errs = ErrorList()
    total = 0
    for key, value in annotations.items():
        for msg in qualified_name_errors(key.lower()):
            errs.append(invalid(path, key, msg))
        total += len(key.encode()) + len(value.encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT_B:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT_B))
    return errs


def _owner_ref_json(ref: models.OwnerReference) -> dict[str, object]:
    out: dict[str, object] = {
        "apiVersion": ref.apiVersion or "",
        "kind": ref.kind or "",
        "name": ref.name or "",
        "uid": ref.uid or "",
    }
    if ref.controller is not None:
        out["controller"] = ref.controller
    if ref.blockOwnerDeletion is not None:
        out["blockOwnerDeletion"] = ref.blockOwnerDeletion
    return out


def _validate_owner_references(refs: tuple[models.OwnerReference, ...], path: Path) -> ErrorList:
    errs = ErrorList()
    first_controller = ""
    for ref in refs:
        api_version = ref.apiVersion or ""
        version = api_version.rsplit("/", 1)[-1] if api_version.count("/") <= 1 else ""
        if not version:
            errs.append(invalid(path.child("apiVersion"), api_version, "version must not be empty"))
        if not ref.kind:
            errs.append(invalid(path.child("kind"), ref.kind or "", "must not be empty"))
        if not ref.name:
            errs.append(invalid(path.child("name"), ref.name or "", "must not be empty"))
        if not ref.uid:
            errs.append(invalid(path.child("uid"), ref.uid or "", "must not be empty"))
        if ref.controller:
            current = f"{ref.kind or ''}/{ref.name or ''}"
            if first_controller:
                errs.append(
                    invalid(
                        path,
                        JSONValue([_owner_ref_json(r) for r in refs]),
                        'Only one reference can have Controller set to true. Found "true" in '
                        f"references for {first_controller} and {current}",
                    )
                )
            else:
                first_controller = current
    return errs


def _validate_finalizers(finalizers: tuple[str, ...], path: Path) -> ErrorList:
    errs = ErrorList()
    for f in finalizers:
        for msg in is_qualified_name(f):
            errs.append(invalid(path, f, msg))
    if "orphan" in finalizers and "foregroundDeletion" in finalizers:
        errs.append(
            invalid(
                path,
                list(finalizers),
                "finalizer orphan and foregroundDeletion cannot be both set",
            )
        )
    for i, f in enumerate(finalizers):
        if "/" not in f and f not in _STANDARD_FINALIZERS:
            errs.append(
                invalid(
                    path.index(i),
                    f,
                    "name is neither a standard finalizer name nor is it fully qualified",
                )
            )
    return errs


def validate_object_meta(
    meta: models.ObjectMeta | None,
    path: Path,
    name_fn: NameFunc = name_is_dns_subdomain,
    requires_namespace: bool = True,
) -> ErrorList:
    """``ValidateObjectMeta``; steps in upstream's order (see module docstring)."""
    meta = meta or _EMPTY_META
    errs = ErrorList()
    if meta.generateName:
        for msg in name_fn(meta.generateName, True):
            errs.append(invalid(path.child("generateName"), meta.generateName, msg))
    if not meta.name:
        errs.append(required(path.child("name"), "name or generateName is required"))
    else:
        for msg in name_fn(meta.name, False):
            errs.append(invalid(path.child("name"), meta.name, msg))
    if requires_namespace:
        if not meta.namespace:
            errs.append(required(path.child("namespace")))
        else:
            for msg in name_is_dns_label(meta.namespace, False):
                errs.append(invalid(path.child("namespace"), meta.namespace, msg))
    elif meta.namespace:
        errs.append(forbidden(path.child("namespace"), "not allowed on this type"))
    if meta.generation is not None and meta.generation < 0:
        errs.append(
            invalid(path.child("generation"), meta.generation, "must be greater than or equal to 0")
        )
    if meta.labels:
        errs.extend(validate_labels(meta.labels, path.child("labels")))
    if meta.annotations:
        errs.extend(validate_annotations(meta.annotations, path.child("annotations")))
    if meta.ownerReferences:
        errs.extend(_validate_owner_references(meta.ownerReferences, path.child("ownerReferences")))
    if meta.finalizers:
        errs.extend(_validate_finalizers(meta.finalizers, path.child("finalizers")))
    return errs
