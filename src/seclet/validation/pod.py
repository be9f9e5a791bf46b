"""Entry points: ``validate_pod_create`` and ``validate_pod_template_spec``.

Role: ``ValidatePodCreate`` = ``validatePodMetadataAndSpec`` (ObjectMeta,
pod-specific annotations, ValidatePodSpec, projected service-account tokens need a
serviceAccountName, image whitespace of containers and init containers), then
``ephemeralContainers`` forbidden on create, nodeName vs schedulingGates, seccomp
annotation↔field agreement, AppArmor annotation↔field agreement. The error order
is upstream's call order, so ``invalid_message`` prints what kube-apiserver prints.
Callers: the API server's create path, ``seclet.cli``, tests.
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.featuregates import FeatureGates
from seclet.api.field import ErrorList, Path, forbidden
from seclet.validation.annotations import (
    validate_apparmor_annotations_and_fields_on_create,
    validate_pod_specific_annotations,
    validate_seccomp_annotations_and_fields,
)
from seclet.validation.containers import image_has_outer_space, validate_container_only_for_pod
from seclet.validation.objectmeta import validate_annotations, validate_labels, validate_object_meta
from seclet.validation.options import PodValidationOptions
from seclet.validation.podspec import validate_pod_spec

_EMPTY_SPEC = models.PodSpec()
_EMPTY_META = models.ObjectMeta()
# Roots are immutable and shared; children are built only where an error is reported.
_META_PATH = Path.root("metadata")
_SPEC_PATH = Path.root("spec")


def validate_pod_metadata_and_spec(pod: models.Pod, opts: PodValidationOptions) -> ErrorList:
    """``validatePodMetadataAndSpec``."""
    meta = pod.metadata or _EMPTY_META
    spec = pod.spec or _EMPTY_SPEC
    meta_path = _META_PATH
    spec_path = _SPEC_PATH
    errs = validate_object_meta(meta, meta_path)
    if meta.annotations:
        errs.extend(
            validate_pod_specific_annotations(
                meta.annotations,
                spec,
                meta_path.child("annotations"),
                opts.allow_invalid_pod_deletion_cost,
            )
        )
    errs.extend(validate_pod_spec(spec, spec_path, opts))
    if not spec.serviceAccountName:
        for vi, vol in enumerate(spec.volumes):
            if vol.projected is None:
                continue
            for si, source in enumerate(vol.projected.sources):
                if source.serviceAccountToken is not None:
                    errs.append(
                        forbidden(
                            spec_path.child("volumes")
                            .index(vi)
                            .child("projected", "sources")
                            .index(si)
                            .child("serviceAccountToken"),
                            "must not be specified when serviceAccountName is not set",
                        )
                    )
    for field, ctrs in (("containers", spec.containers), ("initContainers", spec.initContainers)):
        for i, ctr in enumerate(ctrs):
            if ctr.image and image_has_outer_space(ctr.image):
                errs.extend(validate_container_only_for_pod(ctr, spec_path.child(field).index(i)))
    return errs


def validate_pod_create(
    pod: models.Pod, opts: PodValidationOptions, gates: FeatureGates | None = None
) -> ErrorList:
    """``ValidatePodCreate``. ``gates`` only shaped ``opts`` (see ``options_for_create``)."""
    del gates
    errs = validate_pod_metadata_and_spec(pod, opts)
    spec = pod.spec or _EMPTY_SPEC
    annotations = (pod.metadata or _EMPTY_META).annotations
    spec_path = _SPEC_PATH
    if spec.ephemeralContainers:
        errs.append(forbidden(spec_path.child("ephemeralContainers"), "cannot be set on create"))
    if spec.nodeName and spec.schedulingGates:
        errs.append(
            forbidden(
                spec_path.child("nodeName"),
                "cannot be set until all schedulingGates have been cleared",
            )
        )
    if annotations:
        errs.extend(validate_seccomp_annotations_and_fields(annotations, spec, spec_path))
        errs.extend(
            validate_apparmor_annotations_and_fields_on_create(annotations, spec, spec_path)
        )
    return errs


def validate_pod_template_spec(
    meta: models.ObjectMeta | None,
    spec: models.PodSpec | None,
    path: Path,
    opts: PodValidationOptions,
) -> ErrorList:
    """``ValidatePodTemplateSpec``: labels, annotations, pod-specific annotations, spec,
    then the seccomp annotation↔field agreement (workload templates, e.g. 8.20–8.22)."""
    meta = meta or _EMPTY_META
    spec = spec or _EMPTY_SPEC
    spec_path = path.child("spec")
    # Upstream builds these paths off the template itself: ``template.labels``.
    errs = validate_labels(meta.labels, path.child("labels"))
    errs.extend(validate_annotations(meta.annotations, path.child("annotations")))
    errs.extend(
        validate_pod_specific_annotations(
            meta.annotations, spec, path.child("annotations"), opts.allow_invalid_pod_deletion_cost
        )
    )
    errs.extend(validate_pod_spec(spec, spec_path, opts))
    errs.extend(validate_seccomp_annotations_and_fields(meta.annotations, spec, spec_path))
    errs.extend(
        validate_apparmor_annotations_and_fields_on_create(meta.annotations, spec, spec_path)
    )
    if spec.ephemeralContainers:
        errs.append(
            forbidden(
                spec_path.child("ephemeralContainers"),
                "ephemeral containers not allowed in pod template",
            )
        )
    return errs
