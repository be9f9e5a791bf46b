"""``ValidatePodUpdate``, the security-relevant core (semantics §13).

Role: after re-validating metadata and spec (``validatePodMetadataAndSpec``), the
spec must be unchanged apart from the updatable fields (container and init
container images, activeDeadlineSeconds, added tolerations, removed scheduling
gates); otherwise ``spec: Forbidden: pod updates may not change fields other than
...``. Upstream appends a ``cmp.Diff`` of the two specs after a newline; seclet
appends a short field list instead (the diff text is not reproduced).
Callers: the API server's update path.
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.field import ErrorList, Path, forbidden
from seclet.validation.options import PodValidationOptions
from seclet.validation.pod import validate_pod_metadata_and_spec

UPDATABLE_POD_SPEC_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)


def _attrs(cls: type) -> tuple[str, ...]:
    return tuple(f.attr for f in models.FIELDS[cls])


def _same_except(a: object, b: object, cls: type, skip: frozenset[str]) -> bool:
    return all(getattr(a, n) == getattr(b, n) for n in _attrs(cls) if n not in skip)


_SPEC_SKIP = frozenset(
    {"containers", "initContainers", "activeDeadlineSeconds", "schedulingGates", "tolerations"}
)
_IMAGE = frozenset({"image"})


def _changed_fields(new: models.PodSpec, old: models.PodSpec) -> list[str]:
    """Spec fields that differ once the updatable ones are masked (``mungedPodSpec``)."""
    changed = [
        n
        for n in _attrs(models.PodSpec)
        if n not in _SPEC_SKIP and getattr(new, n) != getattr(old, n)
    ]
    for name in ("containers", "initContainers"):
        pairs = zip(getattr(new, name), getattr(old, name), strict=True)
        if not all(_same_except(a, b, models.Container, _IMAGE) for a, b in pairs):
            changed.append(name)
    return changed


def validate_pod_update(new: models.Pod, old: models.Pod, opts: PodValidationOptions) -> ErrorList:
    errs = validate_pod_metadata_and_spec(new, opts)
    new_spec = new.spec or models.PodSpec()
    old_spec = old.spec or models.PodSpec()
    spec_path = Path.root("spec")
    if len(new_spec.containers) != len(old_spec.containers) or len(new_spec.initContainers) != len(
        old_spec.initContainers
    ):
        which = (
            "containers"
            if len(new_spec.containers) != len(old_spec.containers)
            else "initContainers"
        )
        errs.append(
            forbidden(spec_path.child(which), "pod updates may not add or remove containers")
        )
        return errs
    if new_spec == old_spec:
        return errs
    changed = _changed_fields(new_spec, old_spec)
    if changed:
        errs.append(
            forbidden(
                spec_path,
                "pod updates may not change fields other than "
                + ",".join(UPDATABLE_POD_SPEC_FIELDS)
                + "\n  changed: "
                + ", ".join(changed),
            )
        )
    return errs
