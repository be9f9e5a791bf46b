"""Pure helpers on PersistentVolumes, claims and StorageClasses shared by binder and controller.

Role: seclet's ``k8s.io/component-helpers/storage/volume`` (``pv_helpers.go``,
``helpers.go``) plus the bits of ``pkg/volume/util`` both sides need: the binding
annotations and finalizers, a claim's class (the beta annotation first), whether a
volume is (pre-)bound to a claim, the access-mode superset and volumeMode checks,
``FindMatchingVolume`` (smallest fitting Available volume, pre-bound volumes first,
label selector, node affinity), the PV controller index's access-mode grouping
(``findBestMatchForClaim``), ``GetBindVolumeToClaim``, ``IsDelayBindingMode`` and
``GetDefaultClass``. Objects are the stored JSON dicts (camelCase). Pure.
Callers: seclet.controllers.pv_binder, seclet.controllers.local_path (the
kube-controller-manager side), seclet.kubelet.binder (the scheduler's volume binding).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from seclet.api import quantity

JSONObject = dict[str, Any]

ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_DYNAMICALLY_PROVISIONED = "pv.kubernetes.io/provisioned-by"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
ANN_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
ANN_BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
NOT_SUPPORTED_PROVISIONER = "kubernetes.io/no-provisioner"
PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection"
PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection"

READ_WRITE_ONCE = "ReadWriteOnce"
READ_ONLY_MANY = "ReadOnlyMany"
READ_WRITE_MANY = "ReadWriteMany"
READ_WRITE_ONCE_POD = "ReadWriteOncePod"
_MODE_ORDER = (READ_WRITE_ONCE, READ_ONLY_MANY, READ_WRITE_MANY, READ_WRITE_ONCE_POD)
"""``GetAccessModesAsString``'s order (RWO, ROX, RWX, RWOP)."""

WAIT_FOR_FIRST_CONSUMER = "WaitForFirstConsumer"


class StorageHelperError(ValueError):
    """An upstream helper's error (``str()`` is its message)."""


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def annotations_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return meta(obj).get("annotations") or {}


def spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def phase(obj: Mapping[str, Any]) -> str:
    return str((obj.get("status") or {}).get("phase") or "")


def claim_key(claim: Mapping[str, Any]) -> str:
    m = meta(claim)
    return f"{m.get('namespace', '')}/{m.get('name', '')}"


def claim_has_class(claim: Mapping[str, Any]) -> bool:
    """``PersistentVolumeClaimHasClass``: the beta annotation or a (possibly empty)
    ``spec.storageClassName``."""
    return (
        ANN_BETA_STORAGE_CLASS in annotations_of(claim)
        or spec(claim).get("storageClassName") is not None
    )


def claim_class(claim: Mapping[str, Any]) -> str:
    """``GetPersistentVolumeClaimClass``: the beta annotation, else the field, else ""."""
    ann = annotations_of(claim)
    if ANN_BETA_STORAGE_CLASS in ann:
        return str(ann[ANN_BETA_STORAGE_CLASS])
    return str(spec(claim).get("storageClassName") or "")


def volume_class(volume: Mapping[str, Any]) -> str:
    """``GetPersistentVolumeClass``."""
    ann = annotations_of(volume)
    if ANN_BETA_STORAGE_CLASS in ann:
        return str(ann[ANN_BETA_STORAGE_CLASS])
    return str(spec(volume).get("storageClassName") or "")


def storage_quantity(raw: object) -> Fraction:
    """A ``storage`` quantity's exact value (``resource.Quantity``; 0 when absent or
    unparsable)."""
    parsed = quantity.parse(raw) if raw is not None else None
    return parsed[0] if parsed is not None else Fraction(0)


def requested_storage(claim: Mapping[str, Any]) -> Fraction:
    requests = (spec(claim).get("resources") or {}).get("requests") or {}
    return storage_quantity(requests.get("storage"))


def volume_capacity(volume: Mapping[str, Any]) -> Fraction:
    return storage_quantity((spec(volume).get("capacity") or {}).get("storage"))


def is_volume_bound_to_claim(volume: Mapping[str, Any], claim: Mapping[str, Any]) -> bool:
    """``IsVolumeBoundToClaim``: claimRef names the claim (and its uid, when set)."""
    ref = spec(volume).get("claimRef")
    if not ref:
        return False
    m = meta(claim)
    if m.get("name") != ref.get("name") or m.get("namespace") != ref.get("namespace"):
        return False
    return not (ref.get("uid") and ref.get("uid") != m.get("uid"))


def volume_mode_mismatch(claim: Mapping[str, Any], volume: Mapping[str, Any]) -> bool:
    """``CheckVolumeModeMismatches`` (unset means Filesystem on both sides)."""
    wanted = spec(claim).get("volumeMode") or "Filesystem"
    has = spec(volume).get("volumeMode") or "Filesystem"
    return bool(wanted != has)


def check_access_modes(claim: Mapping[str, Any], volume: Mapping[str, Any]) -> bool:
    """``CheckAccessModes``: the volume offers every mode the claim asks for."""
    offered = set(spec(volume).get("accessModes") or ())
    return all(mode in offered for mode in spec(claim).get("accessModes") or ())


def access_modes_key(modes: Iterable[str]) -> tuple[str, ...]:
    """``GetAccessModesAsString`` as a tuple: known modes in upstream's order, once."""
    present = set(modes)
    return tuple(m for m in _MODE_ORDER if m in present)


def access_modes_short(modes: Iterable[str]) -> str:
    """``RWO,ROX,RWX,RWOP`` as kubectl's ACCESS MODES column spells them."""
    short = {READ_WRITE_ONCE: "RWO", READ_ONLY_MANY: "ROX", READ_WRITE_MANY: "RWX",
             READ_WRITE_ONCE_POD: "RWOP"}
    return ",".join(short[m] for m in access_modes_key(modes))


def label_selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """``metav1.LabelSelectorAsSelector(selector).Matches(labels)`` (an empty selector
    matches everything). ``StorageHelperError`` for an unknown operator."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for req in selector.get("matchExpressions") or ():
        key, op, values = req.get("key", ""), req.get("operator", ""), req.get("values") or ()
        if op == "In":
            if key not in labels or labels[key] not in values:
                return False
        elif op == "NotIn":
            if key in labels and labels[key] in values:
                return False
        elif op == "Exists":
            if key not in labels:
                return False
        elif op == "DoesNotExist":
            if key in labels:
                return False
        else:
            raise StorageHelperError(f'"{op}" is not a valid label selector operator')
    return True


def _node_requirement_matches(req: Mapping[str, Any], values_of: Mapping[str, str]) -> bool:
    key, op = req.get("key", ""), req.get("operator", "")
    values: list[str] = list(req.get("values") or ())
    if op == "In":
        return key in values_of and values_of[key] in values
    if op == "NotIn":
        return not (key in values_of and values_of[key] in values)
    if op == "Exists":
        return key in values_of
    if op == "DoesNotExist":
        return key not in values_of
    if op in ("Gt", "Lt"):
        if key not in values_of or len(values) != 1:
            return False
        try:
            have, want = int(values_of[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def node_selector_terms_match(
    terms: Sequence[Mapping[str, Any]], node_name: str, node_labels: Mapping[str, str]
) -> bool:
    """``MatchNodeSelectorTerms``: any term whose expressions (labels) and fields
    (``metadata.name``) all match; an empty term matches nothing."""
    for term in terms:
        exprs = term.get("matchExpressions") or ()
        fields = term.get("matchFields") or ()
        if not exprs and not fields:
            continue
        if all(_node_requirement_matches(r, node_labels) for r in exprs) and all(
            _node_requirement_matches(r, {"metadata.name": node_name}) for r in fields
        ):
            return True
    return False


def check_node_affinity(
    volume: Mapping[str, Any], node_name: str, node_labels: Mapping[str, str]
) -> bool:
    """``CheckNodeAffinity`` (True when the volume has no required affinity)."""
    affinity = spec(volume).get("nodeAffinity") or {}
    required = affinity.get("required")
    if required is None:
        return True
    return node_selector_terms_match(
        required.get("nodeSelectorTerms") or (), node_name, node_labels
    )


def find_matching_volume(
    claim: Mapping[str, Any],
    volumes: Sequence[Mapping[str, Any]],
    node: tuple[str, Mapping[str, str]] | None,
    excluded: Iterable[str] = (),
    delay_binding: bool = False,
) -> Mapping[str, Any] | None:
    """``FindMatchingVolume`` (VolumeAttributesClass, GA, enabled: the classes must be
    equal): a volume
    pre-bound to the claim wins; otherwise the smallest Available volume of the
    claim's class, size, volumeMode, selector and (with ``node`` = (name, labels))
    node affinity and access modes; with no node, delay-binding claims only take
    pre-bound volumes."""
    skip = set(excluded)
    requested = requested_storage(claim)
    wanted_class = claim_class(claim)
    selector = spec(claim).get("selector")
    smallest: Mapping[str, Any] | None = None
    smallest_qty = Fraction(0)
    for volume in volumes:
        name = meta(volume).get("name", "")
        if name in skip:
            continue
        if spec(volume).get("claimRef") and not is_volume_bound_to_claim(volume, claim):
            continue
        qty = volume_capacity(volume)
        if qty < requested:
            continue
        if volume_mode_mismatch(claim, volume):
            continue
        if (spec(claim).get("volumeAttributesClassName") or "") != (
            spec(volume).get("volumeAttributesClassName") or ""
        ):
            continue
        if meta(volume).get("deletionTimestamp"):
            continue
        affinity_ok = node is None or check_node_affinity(volume, node[0], node[1])
        if is_volume_bound_to_claim(volume, claim):
            return volume if affinity_ok else None
        if node is None and delay_binding:
            continue
        if phase(volume) != "Available":
            continue
        if selector is not None and not label_selector_matches(
            selector, meta(volume).get("labels") or {}
        ):
            continue
        if volume_class(volume) != wanted_class:
            continue
        if not affinity_ok:
            continue
        if node is not None and not check_access_modes(claim, volume):
            continue
        if smallest is None or smallest_qty > qty:
            smallest, smallest_qty = volume, qty
    return smallest


def find_best_match_for_claim(
    claim: Mapping[str, Any], volumes: Sequence[Mapping[str, Any]], delay_binding: bool
) -> Mapping[str, Any] | None:
    """The PV controller index's ``findBestMatchForClaim``: volumes grouped by their
    access-mode set; the groups holding every requested mode, fewest modes first,
    each searched with ``find_matching_volume`` (no node)."""
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for volume in sorted(volumes, key=lambda v: str(meta(v).get("name", ""))):
        groups.setdefault(access_modes_key(spec(volume).get("accessModes") or ()), []).append(
            volume
        )
    requested = set(spec(claim).get("accessModes") or ())
    matching = [key for key in groups if requested <= set(key)]
    matching.sort(key=lambda key: (len(key), key))
    for key in matching:
        found = find_matching_volume(claim, groups[key], None, (), delay_binding)
        if found is not None:
            return found
    return None


def claim_reference(claim: Mapping[str, Any]) -> JSONObject:
    """``reference.GetReference`` of a claim (the ``ObjectReference`` in claimRef)."""
    m = meta(claim)
    return {
        "kind": "PersistentVolumeClaim",
        "namespace": m.get("namespace", ""),
        "name": m.get("name", ""),
        "uid": m.get("uid", ""),
        "apiVersion": "v1",
        "resourceVersion": m.get("resourceVersion", ""),
    }


def set_annotation(obj: JSONObject, key: str, value: str) -> None:
    obj.setdefault("metadata", {})
    anns = dict(obj["metadata"].get("annotations") or {})
    anns[key] = value
    obj["metadata"]["annotations"] = anns


def bind_volume_to_claim(
    volume: Mapping[str, Any], claim: Mapping[str, Any]
) -> tuple[JSONObject, bool]:
    """``GetBindVolumeToClaim``: the volume with claimRef set to the claim (and
    ``bound-by-controller: yes`` unless it was pre-bound), and whether it changed."""
    dirty = False
    set_by_controller = not is_volume_bound_to_claim(volume, claim)
    clone: JSONObject = copy.deepcopy(dict(volume))
    ref = spec(volume).get("claimRef") or {}
    m = meta(claim)
    if (
        not ref
        or ref.get("name") != m.get("name")
        or ref.get("namespace") != m.get("namespace")
        or ref.get("uid") != m.get("uid")
    ):
        clone.setdefault("spec", {})["claimRef"] = claim_reference(claim)
        dirty = True
    if set_by_controller and ANN_BOUND_BY_CONTROLLER not in annotations_of(clone):
        set_annotation(clone, ANN_BOUND_BY_CONTROLLER, "yes")
        dirty = True
    return clone, dirty


def is_delay_binding_mode(
    claim: Mapping[str, Any], classes: Mapping[str, Mapping[str, Any]]
) -> bool:
    """``IsDelayBindingMode``: the claim's class exists and binds WaitForFirstConsumer
    (``StorageHelperError`` when that class has no volumeBindingMode)."""
    name = claim_class(claim)
    if not name:
        return False
    sc = classes.get(name)
    if sc is None:
        return False
    mode = sc.get("volumeBindingMode")
    if not mode:
        raise StorageHelperError(f'VolumeBindingMode not set for StorageClass "{name}"')
    return bool(mode == WAIT_FOR_FIRST_CONSUMER)


def is_default_class(sc: Mapping[str, Any]) -> bool:
    """``IsDefaultAnnotation``: either default-class annotation is ``"true"``."""
    ann = annotations_of(sc)
    return ann.get(ANN_DEFAULT_CLASS) == "true" or ann.get(ANN_BETA_DEFAULT_CLASS) == "true"


def default_class(classes: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """``GetDefaultClass``: of the default-annotated classes, the newest
    (creationTimestamp), ties by name ascending."""
    defaults = [sc for sc in classes if is_default_class(sc)]
    if not defaults:
        return None
    defaults.sort(key=lambda sc: str(meta(sc).get("name", "")))
    defaults.sort(key=lambda sc: str(meta(sc).get("creationTimestamp") or ""), reverse=True)
    return defaults[0]


def pod_claim_names(pod: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """The claims a pod's volumes use, in volume order: (claim name, ephemeral?).
    A generic ephemeral volume's claim is ``<pod>-<volume>`` (``VolumeClaimName``)."""
    out: list[tuple[str, bool]] = []
    pod_name = meta(pod).get("name", "")
    for vol in spec(pod).get("volumes") or ():
        pvc = vol.get("persistentVolumeClaim")
        if pvc is not None:
            out.append((str(pvc.get("claimName", "")), False))
        elif vol.get("ephemeral") is not None:
            out.append((f"{pod_name}-{vol.get('name', '')}", True))
    return out


def is_pod_terminated(pod: Mapping[str, Any]) -> bool:
    """A pod whose phase is Succeeded or Failed (it no longer uses its volumes)."""
    return phase(pod) in ("Succeeded", "Failed")
