"""Pod-specific annotations and their agreement with the security fields.

Role: ``ValidatePodSpecificAnnotations`` (mirror-pod annotation, the tolerations
annotation ``scheduler.alpha.kubernetes.io/tolerations`` decoded as Go's
``encoding/json`` decodes it (``gojson``), pod-deletion-cost,
seccomp annotation format ``ValidateSeccompPodAnnotations``, AppArmor annotation
format and container existence ``ValidateAppArmorPodAnnotations``) and the
create-time consistency checks ``validateSeccompAnnotationsAndFields`` and
``validateAppArmorAnnotationsAndFieldsMatchOnCreate``.
Annotation maps are walked in their decoded order (upstream walks a Go map, whose
order is random, so multi-error order there is not deterministic either).
Callers: ``pod.validate_pod_create`` and ``pod.validate_pod_template_spec``.
"""

from __future__ import annotations

from collections.abc import Mapping

from seclet.api import models
from seclet.api.field import ErrorList, FieldError, Path, forbidden, go_quote, invalid
from seclet.validation import gojson
from seclet.validation.podspec import validate_tolerations
from seclet.validation.profiles import validate_local_descending_path
from seclet.validation.windows import container_lists

SECCOMP_POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
APPARMOR_CONTAINER_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
MIRROR_POD_KEY = "kubernetes.io/config.mirror"
POD_DELETION_COST_KEY = "controller.kubernetes.io/pod-deletion-cost"
TOLERATIONS_KEY = "scheduler.alpha.kubernetes.io/tolerations"


def validate_seccomp_profile_annotation(value: str, path: Path) -> ErrorList:
    """``ValidateSeccompProfile`` for an annotation value."""
    if value in ("runtime/default", "docker/default", "unconfined"):
        return ErrorList()
    if value.startswith("localhost/"):
        return validate_local_descending_path(value.removeprefix("localhost/"), path)
    return ErrorList([invalid(path, value, "must be a valid seccomp profile")])


def validate_seccomp_pod_annotations(annotations: Mapping[str, str], path: Path) -> ErrorList:
    """Pod key first, then every container key; the path uses ``.Child(key)``."""
    errs = ErrorList()
    if SECCOMP_POD_KEY in annotations:
        errs.extend(
            validate_seccomp_profile_annotation(
                annotations[SECCOMP_POD_KEY], path.child(SECCOMP_POD_KEY)
            )
        )
    for key, value in annotations.items():
        if key.startswith(SECCOMP_CONTAINER_PREFIX):
            errs.extend(validate_seccomp_profile_annotation(value, path.child(key)))
    return errs


def apparmor_profile_format_error(profile: str) -> str | None:
    """``ValidateAppArmorProfileFormat``: the error text, or None when valid."""
    if profile in ("", "runtime/default", "unconfined") or profile.startswith("localhost/"):
        return None
    return f"invalid AppArmor profile name: {go_quote(profile)}"


def _container_names(spec: models.PodSpec) -> set[str]:
    return {c.name or "" for _, ctrs in container_lists(spec) for c in ctrs}


def validate_apparmor_pod_annotations(
    annotations: Mapping[str, str], spec: models.PodSpec, path: Path
) -> ErrorList:
    errs = ErrorList()
    names: set[str] | None = None
    for key, value in annotations.items():
        if not key.startswith(APPARMOR_CONTAINER_PREFIX):
            continue
        if names is None:
            names = _container_names(spec)
        container = key.removeprefix(APPARMOR_CONTAINER_PREFIX)
        if container not in names:
            errs.append(invalid(path.key(key), container, "container not found"))
        msg = apparmor_profile_format_error(value)
        if msg is not None:
            errs.append(invalid(path.key(key), value, msg))
    return errs


def validate_tolerations_in_pod_annotations(
    annotations: Mapping[str, str], path: Path
) -> ErrorList:
    """``ValidateTolerationsInPodAnnotations``: the annotation decoded as Go's
    ``encoding/json`` decodes ``[]core.Toleration`` (its error: Invalid at ``path``
    with the annotation's key as the value), then ``ValidateTolerations`` at
    ``path.<key>``."""
    decoded, problem = gojson.tolerations(annotations[TOLERATIONS_KEY])
    if problem is not None:
        return ErrorList([invalid(path, TOLERATIONS_KEY, problem)])
    tolerations = tuple(models.Toleration(**t) for t in decoded)
    return validate_tolerations(tolerations, path.child(TOLERATIONS_KEY))


def _is_int32(text: str) -> bool:
    """``strconv.ParseInt(text, 10, 32)`` succeeds."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body.isascii() or not body.isdigit():
        return False
    return -(2**31) <= int(text) <= 2**31 - 1


def validate_pod_specific_annotations(
    annotations: Mapping[str, str],
    spec: models.PodSpec,
    path: Path,
    allow_invalid_pod_deletion_cost: bool,
) -> ErrorList:
    """``ValidatePodSpecificAnnotations``."""
    errs = ErrorList()
    if not annotations:
        return errs
    if MIRROR_POD_KEY in annotations and not spec.nodeName:
        errs.append(
            invalid(
                path.key(MIRROR_POD_KEY),
                annotations[MIRROR_POD_KEY],
                "must set spec.nodeName if mirror pod annotation is set",
            )
        )
    if annotations.get(TOLERATIONS_KEY):
        errs.extend(validate_tolerations_in_pod_annotations(annotations, path))
    if not allow_invalid_pod_deletion_cost and POD_DELETION_COST_KEY in annotations:
        cost = annotations[POD_DELETION_COST_KEY]
        if not _is_int32(cost):
            errs.append(invalid(path.key(POD_DELETION_COST_KEY), cost, "must be a 32bit integer"))
    errs.extend(validate_seccomp_pod_annotations(annotations, path))
    errs.extend(validate_apparmor_pod_annotations(annotations, spec, path))
    return errs


def seccomp_annotation_field_mismatch(
    annotation: str, field_value: models.SeccompProfile | None, path: Path
) -> FieldError | None:
    """``validateSeccompAnnotationsAndFieldsMatch`` (unknown field types are skipped)."""
    if field_value is None:
        return None
    typ = field_value.type
    if typ == "Unconfined":
        if annotation != "unconfined":
            return forbidden(path.child("type"), "seccomp type in annotation and field must match")
    elif typ == "RuntimeDefault":
        if annotation not in ("runtime/default", "docker/default"):
            return forbidden(path.child("type"), "seccomp type in annotation and field must match")
    elif typ == "Localhost":
        if not annotation.startswith("localhost/"):
            return forbidden(path.child("type"), "seccomp type in annotation and field must match")
        if (
            field_value.localhostProfile is None
            or annotation.removeprefix("localhost/") != field_value.localhostProfile
        ):
            return forbidden(
                path.child("localhostProfile"), "seccomp profile in annotation and field must match"
            )
    return None


def validate_seccomp_annotations_and_fields(
    annotations: Mapping[str, str], spec: models.PodSpec, spec_path: Path
) -> ErrorList:
    errs = ErrorList()
    if not annotations:
        return errs
    psc = spec.securityContext
    if psc is not None and psc.seccompProfile is not None and SECCOMP_POD_KEY in annotations:
        err = seccomp_annotation_field_mismatch(
            annotations[SECCOMP_POD_KEY],
            psc.seccompProfile,
            spec_path.child("securityContext", "seccompProfile"),
        )
        if err is not None:
            errs.append(err)
    for field, ctrs in container_lists(spec):
        for i, ctr in enumerate(ctrs):
            sc = ctr.securityContext
            if sc is None or sc.seccompProfile is None:
                continue
            key = SECCOMP_CONTAINER_PREFIX + (ctr.name or "")
            if key in annotations:
                err = seccomp_annotation_field_mismatch(
                    annotations[key],
                    sc.seccompProfile,
                    spec_path.child(field).index(i).child("securityContext", "seccompProfile"),
                )
                if err is not None:
                    errs.append(err)
    return errs


def validate_apparmor_annotations_and_fields_on_create(
    annotations: Mapping[str, str], spec: models.PodSpec, spec_path: Path
) -> ErrorList:
    """Effective profile (container, else pod) must agree with the container annotation."""
    errs = ErrorList()
    if not annotations or (spec.os is not None and spec.os.name == "windows"):
        return errs
    pod_profile = spec.securityContext.appArmorProfile if spec.securityContext else None
    for field, ctrs in container_lists(spec):
        for i, ctr in enumerate(ctrs):
            sc = ctr.securityContext
            profile = sc.appArmorProfile if sc and sc.appArmorProfile else pod_profile
            if profile is None:
                continue
            key = APPARMOR_CONTAINER_PREFIX + (ctr.name or "")
            if key not in annotations:
                continue
            err = _apparmor_mismatch(
                annotations[key],
                profile,
                spec_path.child(field).index(i).child("securityContext", "appArmorProfile"),
            )
            if err is not None:
                errs.append(err)
    return errs


def _apparmor_mismatch(
    annotation: str, profile: models.AppArmorProfile, ppath: Path
) -> FieldError | None:
    """The one disagreement between a container's AppArmor annotation and its profile."""
    typ = profile.type
    type_msg = "apparmor type in annotation and field must match"
    if typ == "Unconfined":
        if annotation != "unconfined":
            return forbidden(ppath.child("type"), type_msg)
    elif typ == "RuntimeDefault":
        if annotation != "runtime/default":
            return forbidden(ppath.child("type"), type_msg)
    elif typ == "Localhost":
        if not annotation.startswith("localhost/"):
            return forbidden(ppath.child("type"), type_msg)
        if (
            profile.localhostProfile is None
            or annotation.removeprefix("localhost/") != profile.localhostProfile
        ):
            return forbidden(
                ppath.child("localhostProfile"),
                "apparmor profile in annotation and field must match",
            )
    return None
