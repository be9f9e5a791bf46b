"""``ValidatePodUpdate``: what kube-apiserver 1.35 allows a pod update to change.

Role: the pod strategy's ``ValidateUpdate`` (k/k ``pkg/apis/core/validation``,
apimachinery ``ValidateObjectMetaAccessorUpdate``). Steps, in upstream's order (the
error order of the 422 follows them):

1. ``ValidateObjectMetaUpdate``: no new finalizers on an object being deleted, a
   resourceVersion, no generation decrement, name/namespace/uid/creationTimestamp/
   deletionTimestamp/deletionGracePeriodSeconds immutable ("field is immutable"),
   labels, annotations, owner references (managedFields are not re-validated here);
2. ``validatePodMetadataAndSpec`` of the new pod (as on create);
3. ``ValidatePodSpecificAnnotationUpdates``: AppArmor beta and mirror-pod annotations
   may not be added, changed or removed; then the pod-specific annotation checks;
4. ``ValidateContainerUpdates`` for containers, then init containers: a changed count
   ends validation (Forbidden); every image required and without outer whitespace;
5. ``activeDeadlineSeconds``: 0..MaxInt32, never raised, never cleared;
6. ``validateOnlyAddedTolerations`` (existing ones keep all but tolerationSeconds),
   then ``ValidateTolerations`` of the new list;
7. ``validateOnlyDeletedSchedulingGates``;
8. the specs equal: done. Otherwise the updatable fields are masked with the old
   values (``mungedPodSpec``: images, activeDeadlineSeconds, schedulingGates,
   tolerations, terminationGracePeriodSeconds negative→1); on a gated pod (the old
   pod has schedulingGates) nodeSelector additions and required node affinity
   narrowing are checked and masked too; anything left different is
   ``spec: Forbidden: pod updates may not change fields other than ...``.

Upstream appends ``cmp.Diff(oldPod.Spec, mungedPodSpec)`` after a newline. go-cmp
deliberately randomises its output's spacing, so no byte-exact copy exists: the
message up to and including that newline is upstream's, and what follows is seclet's
readable diff of the changed fields (``- path: old`` / ``+ path: new``, wire names,
JSON values) inside the same ``core.PodSpec{ ... }`` frame.

Map iteration: Go walks annotations and the new-gate map in random order; seclet
walks them in the objects' order (new scheduling gates by their index), which is
what upstream prints whenever there is a single such error.
Callers: ``seclet.apiserver.registry`` (PUT and PATCH of pods), tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from seclet.api import models
from seclet.api.field import (
    ErrorList,
    JSONValue,
    Path,
    forbidden,
    go_json,
    invalid,
    required,
)
from seclet.validation.annotations import (
    APPARMOR_CONTAINER_PREFIX,
    MIRROR_POD_KEY,
    validate_pod_specific_annotations,
)
from seclet.validation.containers import image_has_outer_space
from seclet.validation.names import inclusive_range_error
from seclet.validation.objectmeta import (
    _validate_owner_references,
    validate_annotations,
    validate_labels,
)
from seclet.validation.options import PodValidationOptions
from seclet.validation.pod import validate_pod_metadata_and_spec
from seclet.validation.podspec import validate_tolerations

FIELD_IMMUTABLE = "field is immutable"
MAX_INT32 = 2**31 - 1

UPDATABLE_POD_SPEC_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)
"""``updatablePodSpecFields`` of 1.35: since 1.33 resources change only through the
``resize`` subresource, so the list no longer names ``spec.containers[*].resources``."""

_META = Path.root("metadata")
_SPEC = Path.root("spec")
_EMPTY_SPEC = models.PodSpec()
_EMPTY_META = models.ObjectMeta()


# -- step 1 -------------------------------------------------------------------------


def _go_string_slice(items: Sequence[str]) -> str:
    """``fmt.Sprintf("%#v", []string{...})``."""
    return "[]string{" + ", ".join(go_json(s) for s in items) + "}"


def validate_object_meta_update(
    new: models.ObjectMeta, old: models.ObjectMeta, path: Path = _META
) -> ErrorList:
    """``ValidateObjectMetaAccessorUpdate`` (apimachinery 1.35), step 1."""
    errs = ErrorList()
    if old.deletionTimestamp is not None:
        extra = sorted(set(new.finalizers) - set(old.finalizers))
        if extra:
            errs.append(
                forbidden(
                    path.child("finalizers"),
                    "no new finalizers can be added if the object is being deleted, "
                    f"found new finalizers {_go_string_slice(extra)}",
                )
            )
    if not new.resourceVersion:
        errs.append(invalid(path.child("resourceVersion"), "", "must be specified for an update"))
    new_generation = new.generation or 0
    if new_generation < (old.generation or 0):
        errs.append(invalid(path.child("generation"), new_generation, "must not be decremented"))
    for name in ("name", "namespace", "uid", "creationTimestamp"):
        value = getattr(new, name) or ""
        if value != (getattr(old, name) or ""):
            errs.append(invalid(path.child(name), value, FIELD_IMMUTABLE))
    for name in ("deletionTimestamp", "deletionGracePeriodSeconds"):
        value = getattr(new, name)
        if value != getattr(old, name):
            errs.append(invalid(path.child(name), value, FIELD_IMMUTABLE))
    # labels, annotations and owner references again (ValidateObjectMeta repeats them)
    errs.extend(validate_labels(new.labels, path.child("labels")))
    errs.extend(validate_annotations(new.annotations, path.child("annotations")))
    if new.ownerReferences:
        errs.extend(_validate_owner_references(new.ownerReferences, path.child("ownerReferences")))
    return errs


# -- step 3 -------------------------------------------------------------------------


def validate_pod_specific_annotation_updates(
    new: models.Pod, old: models.Pod, path: Path, opts: PodValidationOptions
) -> ErrorList:
    """``ValidatePodSpecificAnnotationUpdates``."""
    errs = ErrorList()
    new_annotations = (new.metadata or _EMPTY_META).annotations
    old_annotations = (old.metadata or _EMPTY_META).annotations
    for key, old_value in old_annotations.items():
        if key in new_annotations and new_annotations[key] == old_value:
            continue
        if key.startswith(APPARMOR_CONTAINER_PREFIX):
            errs.append(forbidden(path.key(key), "may not remove or update AppArmor annotations"))
        if key == MIRROR_POD_KEY:
            errs.append(forbidden(path.key(key), "may not remove or update mirror pod annotation"))
    for key in new_annotations:
        if key in old_annotations:
            continue
        if key.startswith(APPARMOR_CONTAINER_PREFIX):
            errs.append(forbidden(path.key(key), "may not add AppArmor annotations"))
        if key == MIRROR_POD_KEY:
            errs.append(forbidden(path.key(key), "may not add mirror pod annotation"))
    errs.extend(
        validate_pod_specific_annotations(
            new_annotations,
            new.spec or _EMPTY_SPEC,
            path,
            opts.allow_invalid_pod_deletion_cost,
        )
    )
    return errs


# -- step 4 -------------------------------------------------------------------------


def validate_container_updates(
    new: Sequence[models.Container], old: Sequence[models.Container], path: Path
) -> tuple[ErrorList, bool]:
    """``ValidateContainerUpdates``: the errors and whether validation stops."""
    errs = ErrorList()
    if len(new) != len(old):
        errs.append(forbidden(path, "pod updates may not add or remove containers"))
        return errs, True
    for i, ctr in enumerate(new):
        image = ctr.image or ""
        if not image:
            errs.append(required(path.index(i).child("image")))
        if image_has_outer_space(image):
            errs.append(
                invalid(
                    path.index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                )
            )
    return errs, False


# -- steps 6 and 7 --------------------------------------------------------------------


def validate_only_added_tolerations(
    new: Sequence[models.Toleration],
    old: Sequence[models.Toleration],
    spec_path: Path,
    allow_comparison_operators: bool,
) -> ErrorList:
    """``validateOnlyAddedTolerations``: every old toleration is still there (its
    tolerationSeconds may change); then ``ValidateTolerations`` of the new list."""
    errs = ErrorList()
    for old_t in old:
        if not any(old_t._replace(tolerationSeconds=t.tolerationSeconds) == t for t in new):
            errs.append(
                forbidden(
                    spec_path.child("tolerations"),
                    "existing toleration can not be modified except its tolerationSeconds",
                )
            )
            return errs
    errs.extend(
        validate_tolerations(tuple(new), spec_path.child("tolerations"), allow_comparison_operators)
    )
    return errs


def validate_only_deleted_scheduling_gates(
    new: Sequence[models.PodSchedulingGate], old: Sequence[models.PodSchedulingGate], path: Path
) -> ErrorList:
    """``validateOnlyDeletedSchedulingGates``: a gate name the old pod lacks is an error
    at the index of its last occurrence (upstream's map value)."""
    errs = ErrorList()
    if not new:
        return errs
    additional: dict[str, int] = {}
    for i, gate in enumerate(new):
        additional[gate.name or ""] = i
    for gate in old:
        additional.pop(gate.name or "", None)
    for name, i in sorted(additional.items(), key=lambda kv: kv[1]):
        errs.append(
            forbidden(
                path.index(i).child("name"),
                f"only deletion is allowed, but found new scheduling gate '{name}'",
            )
        )
    return errs


# -- step 8: gated pods ---------------------------------------------------------------


def validate_node_selector_mutation(
    path: Path, new: Mapping[str, str], old: Mapping[str, str]
) -> ErrorList:
    """``validateNodeSelectorMutation``: only additions."""
    for key, value in old.items():
        if new.get(key) != value:
            shown = JSONValue(dict(sorted(new.items())) if new else None)
            return ErrorList(
                [
                    invalid(
                        path,
                        shown,
                        "only additions to spec.nodeSelector are allowed "
                        "(no mutations or deletions)",
                    )
                ]
            )
    return ErrorList()


def _go_requirements(reqs: tuple[models.NodeSelectorRequirement, ...]) -> object:
    if not reqs:
        return None
    return [
        {"Key": r.key or "", "Operator": r.operator or "", "Values": list(r.values) or None}
        for r in reqs
    ]


def _go_term(term: models.NodeSelectorTerm) -> dict[str, object]:
    """A ``core.NodeSelectorTerm`` as ``json.Marshal`` writes it (internal type: Go
    field names, nil slices as null)."""
    return {
        "MatchExpressions": _go_requirements(term.matchExpressions),
        "MatchFields": _go_requirements(term.matchFields),
    }


def _only_additions(new: models.NodeSelectorTerm, old: models.NodeSelectorTerm) -> bool:
    """``validateNodeSelectorTermHasOnlyAdditions``."""
    if not (old.matchExpressions or old.matchFields) and (new.matchExpressions or new.matchFields):
        return False
    for new_list, old_list in (
        (new.matchExpressions, old.matchExpressions),
        (new.matchFields, old.matchFields),
    ):
        n = len(old_list)
        if n and (len(new_list) < n or new_list[:n] != old_list):
            return False
    return True


def validate_node_affinity_mutation(
    path: Path, new: models.NodeAffinity | None, old: models.NodeAffinity | None
) -> ErrorList:
    """``validateNodeAffinityMutation``: required terms may only narrow."""
    errs = ErrorList()
    if old is None or old.requiredDuringSchedulingIgnoredDuringExecution is None:
        return errs
    old_terms = old.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
    new_terms: tuple[models.NodeSelectorTerm, ...] = ()
    if new is not None and new.requiredDuringSchedulingIgnoredDuringExecution is not None:
        new_terms = new.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
    terms_path = path.child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
    if old_terms and len(old_terms) != len(new_terms):
        shown = JSONValue([_go_term(t) for t in new_terms] if new_terms else None)
        errs.append(
            invalid(
                terms_path,
                shown,
                "no additions/deletions to non-empty NodeSelectorTerms list are allowed",
            )
        )
        return errs
    for i, old_term in enumerate(old_terms):
        if not _only_additions(new_terms[i], old_term):
            errs.append(
                invalid(
                    terms_path.index(i),
                    JSONValue(_go_term(new_terms[i])),
                    "only additions are allowed (no mutations or deletions)",
                )
            )
    return errs


def _mask_gated(munged: models.PodSpec, old: models.PodSpec, errs: ErrorList) -> models.PodSpec:
    """Step 8 on a gated pod: check and mask nodeSelector and node affinity."""
    if munged.nodeSelector != old.nodeSelector:
        errs.extend(
            validate_node_selector_mutation(
                _SPEC.child("nodeSelector"), munged.nodeSelector, old.nodeSelector
            )
        )
        munged = munged._replace(nodeSelector=old.nodeSelector)
    old_na = old.affinity.nodeAffinity if old.affinity is not None else None
    munged_na = munged.affinity.nodeAffinity if munged.affinity is not None else None
    if old_na != munged_na:
        errs.extend(
            validate_node_affinity_mutation(
                _SPEC.child("affinity", "nodeAffinity"), munged_na, old_na
            )
        )
        aff = munged.affinity
        if aff is None and old_na is None:
            pass
        elif aff is None:
            munged = munged._replace(affinity=models.Affinity(nodeAffinity=old_na))
        elif old.affinity is None and aff.podAntiAffinity is None and aff.podAffinity is None:
            munged = munged._replace(affinity=None)
        else:
            munged = munged._replace(affinity=aff._replace(nodeAffinity=old_na))
    return munged


# -- the diff after the Forbidden message ------------------------------------------------


def _wire(value: object) -> Any:
    """A model value as its JSON (wire names, unset fields left out)."""
    if isinstance(value, tuple):
        return [_wire(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _wire(v) for k, v in value.items()}
    fields = models.FIELDS.get(type(value))
    if fields is None:
        return value
    out: dict[str, Any] = {}
    for spec in fields:
        v = getattr(value, spec.attr)
        if v is None or v == () or (isinstance(v, Mapping) and not v):
            continue
        out[spec.json] = _wire(v)
    return out


def _diff(old: object, new: object, path: str, out: list[str]) -> None:
    if old == new:
        return
    old_fields = models.FIELDS.get(type(old))
    if old_fields is not None and type(old) is type(new):
        for spec in old_fields:
            child = f"{path}.{spec.json}" if path else spec.json
            _diff(getattr(old, spec.attr), getattr(new, spec.attr), child, out)
        return
    if isinstance(old, tuple) and isinstance(new, tuple) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(a, b, f"{path}[{i}]", out)
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping) and old and new:
        for key in sorted(set(old) | set(new)):
            _diff(old.get(key), new.get(key), f"{path}[{go_json(key)}]", out)
        return
    if old is not None and old != () and not (isinstance(old, Mapping) and not old):
        out.append(f"- \t{path}: {go_json(_wire(old))}")
    if new is not None and new != () and not (isinstance(new, Mapping) and not new):
        out.append(f"+ \t{path}: {go_json(_wire(new))}")


def spec_diff(old: models.PodSpec, new: models.PodSpec) -> str:
    """seclet's stand-in for ``cmp.Diff(oldSpec, mungedSpec)`` (see the module doc)."""
    lines: list[str] = []
    _diff(old, new, "", lines)
    return "\n".join(["  core.PodSpec{", *lines, "  }", ""])


# -- the entry point --------------------------------------------------------------------


def validate_pod_update(new: models.Pod, old: models.Pod, opts: PodValidationOptions) -> ErrorList:
    """``ValidatePodUpdate`` (see the module's steps)."""
    errs = validate_object_meta_update(
        new.metadata or _EMPTY_META, old.metadata or _EMPTY_META, _META
    )
    errs.extend(validate_pod_metadata_and_spec(new, opts))
    annotations_path = _META.child("annotations")
    errs.extend(validate_pod_specific_annotation_updates(new, old, annotations_path, opts))
    new_spec = new.spec or _EMPTY_SPEC
    old_spec = old.spec or _EMPTY_SPEC
    for name in ("containers", "initContainers"):
        ctr_errs, stop = validate_container_updates(
            getattr(new_spec, name), getattr(old_spec, name), _SPEC.child(name)
        )
        errs.extend(ctr_errs)
        if stop:
            return errs
    deadline_path = _SPEC.child("activeDeadlineSeconds")
    new_deadline = new_spec.activeDeadlineSeconds
    old_deadline = old_spec.activeDeadlineSeconds
    if new_deadline is not None:
        if new_deadline < 0 or new_deadline > MAX_INT32:
            errs.append(invalid(deadline_path, new_deadline, inclusive_range_error(0, MAX_INT32)))
            return errs
        if old_deadline is not None and old_deadline < new_deadline:
            errs.append(
                invalid(deadline_path, new_deadline, "must be less than or equal to previous value")
            )
            return errs
    elif old_deadline is not None:
        errs.append(
            invalid(deadline_path, None, "must not update from a positive integer to nil value")
        )
    errs.extend(
        validate_only_added_tolerations(
            new_spec.tolerations,
            old_spec.tolerations,
            _SPEC,
            opts.allow_taint_toleration_comparison_operators,
        )
    )
    errs.extend(
        validate_only_deleted_scheduling_gates(
            new_spec.schedulingGates, old_spec.schedulingGates, _SPEC.child("schedulingGates")
        )
    )
    if new_spec == old_spec:
        return errs
    munged = new_spec._replace(
        containers=tuple(
            c._replace(image=o.image)
            for c, o in zip(new_spec.containers, old_spec.containers, strict=True)
        ),
        initContainers=tuple(
            c._replace(image=o.image)
            for c, o in zip(new_spec.initContainers, old_spec.initContainers, strict=True)
        ),
        activeDeadlineSeconds=old_deadline,
        schedulingGates=old_spec.schedulingGates,
        tolerations=old_spec.tolerations,
    )
    old_grace = old_spec.terminationGracePeriodSeconds
    if old_grace is not None and old_grace < 0 and munged.terminationGracePeriodSeconds == 1:
        munged = munged._replace(terminationGracePeriodSeconds=old_grace)
    if old_spec.schedulingGates:
        munged = _mask_gated(munged, old_spec, errs)
    if munged != old_spec:
        errs.append(
            forbidden(
                _SPEC,
                "pod updates may not change fields other than "
                + ",".join(UPDATABLE_POD_SPEC_FIELDS)
                + "\n"
                + spec_diff(old_spec, munged),
            )
        )
    return errs
