"""``spec.affinity``: node affinity, pod affinity and anti-affinity, as kube-apiserver 1.35.

Role: the affinity step of ``ValidatePodSpec`` (it runs after imagePullSecrets and
before dnsConfig) and the label-selector and node-selector validators it needs.
Mirrors k/k ``pkg/apis/core/validation/validation.go``: ``validateAffinity`` →
``validateNodeAffinity`` (``ValidateNodeSelector`` → ``ValidateNodeSelectorTerm`` →
``ValidateNodeSelectorRequirement`` / ``ValidateNodeFieldSelectorRequirement``;
``ValidatePreferredSchedulingTerms``), ``validatePodAffinity`` /
``validatePodAntiAffinity`` → ``validatePodAffinityTerms`` /
``validateWeightedPodAffinityTerms`` → ``validatePodAffinityTerm``
(``ValidatePodAffinityTermSelector``, namespaces, ``validateMatchLabelKeysAndMismatchLabelKeys``,
topologyKey); and apimachinery ``metav1/validation.ValidateLabelSelector`` with
``LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector}``.
Also ``merge_label_keys``: the pod strategy's ``mutatePodAffinity`` (PrepareForCreate,
MatchLabelKeysInPodAffinity GA): a term's ``matchLabelKeys``/``mismatchLabelKeys``
become ``key In/NotIn (<pod label value>)`` expressions of its ``labelSelector``
before validation, which is what the "exists in both matchLabelKeys and
labelSelector" rule looks at.

Upstream quirks kept: a bad namespace is reported at ``<term>.namespace`` (no
index); "exists in both matchLabelKeys and labelSelector" is reported at
``<term>[<i>]``; operators are named Go types, so their bad value prints as JSON;
required node affinity checks label values for every operator, preferred terms never.
Callers: ``seclet.validation.podspec.validate_pod_spec``; ``merge_label_keys``: the
pod create path (``seclet.apiserver.registry``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seclet.api import models
from seclet.api.field import ErrorList, JSONValue, Path, forbidden, invalid, required
from seclet.validation.names import (
    is_label_value,
    name_is_dns_label,
    name_is_dns_subdomain,
    qualified_name_errors,
)
from seclet.validation.objectmeta import validate_labels
from seclet.validation.options import PodValidationOptions

_NO_TERM = models.NodeSelectorTerm()
_NO_AFFINITY_TERM = models.PodAffinityTerm()
WEIGHT_RANGE = "must be in the range 1-100"


def validate_affinity(
    affinity: models.Affinity | None, opts: PodValidationOptions, path: Path
) -> ErrorList:
    """``validateAffinity``: node, then pod, then pod anti-affinity."""
    errs = ErrorList()
    if affinity is None:
        return errs
    if affinity.nodeAffinity is not None:
        errs.extend(_node_affinity(affinity.nodeAffinity, opts, path.child("nodeAffinity")))
    selector_opt = opts.allow_invalid_label_value_in_selector
    for name, rules in (
        ("podAffinity", affinity.podAffinity),
        ("podAntiAffinity", affinity.podAntiAffinity),
    ):
        if rules is None:
            continue
        rpath = path.child(name)
        for i, term in enumerate(rules.requiredDuringSchedulingIgnoredDuringExecution):
            errs.extend(
                _pod_affinity_term(
                    term,
                    selector_opt,
                    rpath.child("requiredDuringSchedulingIgnoredDuringExecution").index(i),
                )
            )
        for j, weighted in enumerate(rules.preferredDuringSchedulingIgnoredDuringExecution):
            wpath = rpath.child("preferredDuringSchedulingIgnoredDuringExecution").index(j)
            weight = weighted.weight or 0
            if weight <= 0 or weight > 100:
                errs.append(invalid(wpath.child("weight"), weight, WEIGHT_RANGE))
            errs.extend(
                _pod_affinity_term(
                    weighted.podAffinityTerm or _NO_AFFINITY_TERM,
                    selector_opt,
                    wpath.child("podAffinityTerm"),
                )
            )
    return errs


def _node_affinity(na: models.NodeAffinity, opts: PodValidationOptions, path: Path) -> ErrorList:
    """``validateNodeAffinity``: required node selector, then preferred terms."""
    errs = ErrorList()
    if na.requiredDuringSchedulingIgnoredDuringExecution is not None:
        errs.extend(
            validate_node_selector(
                na.requiredDuringSchedulingIgnoredDuringExecution,
                opts.allow_invalid_label_value_in_required_node_affinity,
                path.child("requiredDuringSchedulingIgnoredDuringExecution"),
            )
        )
    if na.preferredDuringSchedulingIgnoredDuringExecution:
        errs.extend(
            validate_preferred_scheduling_terms(
                na.preferredDuringSchedulingIgnoredDuringExecution,
                path.child("preferredDuringSchedulingIgnoredDuringExecution"),
            )
        )
    return errs


def validate_node_selector(
    selector: models.NodeSelector, allow_invalid_label_value: bool, path: Path
) -> ErrorList:
    """``ValidateNodeSelector``: at least one term; each term checked."""
    terms = path.child("nodeSelectorTerms")
    if not selector.nodeSelectorTerms:
        return ErrorList([required(terms, "must have at least one node selector term")])
    errs = ErrorList()
    for i, term in enumerate(selector.nodeSelectorTerms):
        errs.extend(validate_node_selector_term(term, allow_invalid_label_value, terms.index(i)))
    return errs


def validate_node_selector_term(
    term: models.NodeSelectorTerm, allow_invalid_label_value: bool, path: Path
) -> ErrorList:
    """``ValidateNodeSelectorTerm``: matchExpressions, then matchFields."""
    errs = ErrorList()
    for j, req in enumerate(term.matchExpressions):
        errs.extend(
            validate_node_selector_requirement(
                req, allow_invalid_label_value, path.child("matchExpressions").index(j)
            )
        )
    for j, req in enumerate(term.matchFields):
        errs.extend(_node_field_selector_requirement(req, path.child("matchFields").index(j)))
    return errs


def validate_node_selector_requirement(
    req: models.NodeSelectorRequirement, allow_invalid_label_value: bool, path: Path
) -> ErrorList:
    """``ValidateNodeSelectorRequirement``: operator and value count, key, values."""
    errs = ErrorList()
    op = req.operator or ""
    if op in _SET_OPERATORS:
        errs.extend(_set_operator_values(op, req.values, path))
    elif op in ("Gt", "Lt"):
        if len(req.values) != 1:
            errs.append(
                required(
                    path.child("values"),
                    "must be specified single value when `operator` is 'Lt' or 'Gt'",
                )
            )
    else:
        errs.append(invalid(path.child("operator"), JSONValue(op), "not a valid selector operator"))
    errs.extend(_key_and_values(req.key or "", req.values, allow_invalid_label_value, path))
    return errs


def _node_field_selector_requirement(req: models.NodeSelectorRequirement, path: Path) -> ErrorList:
    """``ValidateNodeFieldSelectorRequirement``: In/NotIn with one value; only
    ``metadata.name``, whose values must be node names."""
    errs = ErrorList()
    op = req.operator or ""
    if op in ("In", "NotIn"):
        if len(req.values) != 1:
            errs.append(
                required(
                    path.child("values"),
                    "must be only one value when `operator` is 'In' or 'NotIn' for node field "
                    "selector",
                )
            )
    else:
        errs.append(invalid(path.child("operator"), JSONValue(op), "not a valid selector operator"))
    key = req.key or ""
    if key != "metadata.name":
        errs.append(invalid(path.child("key"), key, "not a valid field selector key"))
    else:
        for i, value in enumerate(req.values):
            errs.extend(
                invalid(path.child("values").index(i), value, m)
                for m in name_is_dns_subdomain(value, False)
            )
    return errs


def validate_preferred_scheduling_terms(
    terms: tuple[models.PreferredSchedulingTerm, ...], path: Path
) -> ErrorList:
    """``ValidatePreferredSchedulingTerms``: weight 1..100; label values never checked."""
    errs = ErrorList()
    for i, term in enumerate(terms):
        weight = term.weight or 0
        if weight <= 0 or weight > 100:
            errs.append(invalid(path.index(i).child("weight"), weight, WEIGHT_RANGE))
        errs.extend(
            validate_node_selector_term(
                term.preference or _NO_TERM, True, path.index(i).child("preference")
            )
        )
    return errs


def validate_label_selector(
    selector: models.LabelSelector | None, allow_invalid_label_value: bool, path: Path
) -> ErrorList:
    """``metav1validation.ValidateLabelSelector``: matchLabels, then each expression."""
    errs = ErrorList()
    if selector is None:
        return errs
    if selector.matchLabels:
        errs.extend(validate_labels(selector.matchLabels, path.child("matchLabels")))
    for i, expr in enumerate(selector.matchExpressions):
        errs.extend(
            _label_selector_requirement(
                expr, allow_invalid_label_value, path.child("matchExpressions").index(i)
            )
        )
    return errs


def _label_selector_requirement(
    req: models.LabelSelectorRequirement, allow_invalid_label_value: bool, path: Path
) -> ErrorList:
    """``ValidateLabelSelectorRequirement`` (unknown operators are refused)."""
    errs = ErrorList()
    op = req.operator or ""
    if op in _SET_OPERATORS:
        errs.extend(_set_operator_values(op, req.values, path))
    else:
        errs.append(invalid(path.child("operator"), JSONValue(op), "not a valid selector operator"))
    errs.extend(_key_and_values(req.key or "", req.values, allow_invalid_label_value, path))
    return errs


def _pod_affinity_term(
    term: models.PodAffinityTerm, allow_invalid_label_value: bool, path: Path
) -> ErrorList:
    """``validatePodAffinityTerm``: selectors, namespaces, label keys, topologyKey."""
    errs = ErrorList()
    errs.extend(
        validate_label_selector(
            term.labelSelector, allow_invalid_label_value, path.child("labelSelector")
        )
    )
    errs.extend(
        validate_label_selector(
            term.namespaceSelector, allow_invalid_label_value, path.child("namespaceSelector")
        )
    )
    for name in term.namespaces:
        errs.extend(
            invalid(path.child("namespace"), name, m) for m in name_is_dns_label(name, False)
        )
    if term.matchLabelKeys or term.mismatchLabelKeys:
        errs.extend(_match_label_keys(term, path))
    topology_key = term.topologyKey or ""
    if not topology_key:
        errs.append(required(path.child("topologyKey"), "can not be empty"))
    errs.extend(
        invalid(path.child("topologyKey"), topology_key, m)
        for m in qualified_name_errors(topology_key)
    )
    return errs


def _match_label_keys(term: models.PodAffinityTerm, path: Path) -> ErrorList:
    """``validateMatchLabelKeysAndMismatchLabelKeys``: both lists are label names and
    need a labelSelector; a matchLabelKeys key the (merged) selector already had; a key
    in both lists."""
    errs = ErrorList()
    selector = term.labelSelector
    errs.extend(_label_keys(term.matchLabelKeys, selector, path.child("matchLabelKeys")))
    errs.extend(_label_keys(term.mismatchLabelKeys, selector, path.child("mismatchLabelKeys")))
    if selector is not None:
        index = {key: i for i, key in enumerate(term.matchLabelKeys)}
        seen = set(selector.matchLabels)
        for expr in selector.matchExpressions:
            key = expr.key or ""
            i = index.get(key)
            if i is not None and key in seen:
                errs.append(
                    invalid(path.index(i), key, "exists in both matchLabelKeys and labelSelector")
                )
            seen.add(key)
    mismatch = set(term.mismatchLabelKeys)
    for i, key in enumerate(term.matchLabelKeys):
        if key in mismatch:
            errs.append(
                invalid(
                    path.child("matchLabelKeys").index(i),
                    key,
                    "exists in both matchLabelKeys and mismatchLabelKeys",
                )
            )
    return errs


def _label_keys(
    keys: tuple[str, ...], selector: models.LabelSelector | None, path: Path
) -> ErrorList:
    """``validateLabelKeys``: Forbidden without a labelSelector, else label names."""
    if not keys:
        return ErrorList()
    if selector is None:
        return ErrorList([forbidden(path, "must not be specified when labelSelector is not set")])
    errs = ErrorList()
    for i, key in enumerate(keys):
        errs.extend(invalid(path.index(i), key, m) for m in qualified_name_errors(key))
    return errs


def merge_label_keys(pod: dict[str, Any]) -> None:
    """``mutatePodAffinity`` on a Pod body, in place.

    For each pod affinity and anti-affinity term (preferred, then required) with a
    labelSelector: every ``matchLabelKeys`` key the pod has as a label appends
    ``{key, In, [value]}`` to ``labelSelector.matchExpressions``, then every
    ``mismatchLabelKeys`` key appends ``{key, NotIn, [value]}``.
    """
    spec = pod.get("spec")
    meta = pod.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if not isinstance(spec, dict) or not isinstance(labels, Mapping):
        return
    affinity = spec.get("affinity")
    if not isinstance(affinity, dict):
        return
    for name in ("podAffinity", "podAntiAffinity"):
        rules = affinity.get(name)
        if not isinstance(rules, dict):
            continue
        for weighted in _dicts(rules.get("preferredDuringSchedulingIgnoredDuringExecution")):
            term = weighted.get("podAffinityTerm")
            if isinstance(term, dict):
                _merge_term(term, labels)
        for term in _dicts(rules.get("requiredDuringSchedulingIgnoredDuringExecution")):
            _merge_term(term, labels)


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _merge_term(term: dict[str, Any], labels: Mapping[str, Any]) -> None:
    """``applyMatchLabelKeysAndMismatchLabelKeys`` for one term."""
    match = term.get("matchLabelKeys") or []
    mismatch = term.get("mismatchLabelKeys") or []
    selector = term.get("labelSelector")
    if not (match or mismatch) or not isinstance(selector, dict):
        return
    exprs = selector.get("matchExpressions")
    if not isinstance(exprs, list):
        exprs = []
    for keys, op in ((match, "In"), (mismatch, "NotIn")):
        if not isinstance(keys, list):
            continue
        for key in keys:
            if isinstance(key, str) and key in labels:
                exprs.append({"key": key, "operator": op, "values": [labels[key]]})
    if exprs:
        selector["matchExpressions"] = exprs


_SET_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _set_operator_values(op: str, values: tuple[str, ...], path: Path) -> ErrorList:
    """The value count of a set operator, as node and label selector requirements
    both word it: In/NotIn need values, Exists/DoesNotExist take none."""
    if op in ("In", "NotIn") and not values:
        return ErrorList(
            [required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'")]
        )
    if op in ("Exists", "DoesNotExist") and values:
        return ErrorList(
            [
                forbidden(
                    path.child("values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            ]
        )
    return ErrorList()


def _key_and_values(
    key: str, values: tuple[str, ...], allow_invalid_label_value: bool, path: Path
) -> ErrorList:
    """A requirement's key (a qualified name) and, unless allowed, its label values."""
    errs = ErrorList(invalid(path.child("key"), key, m) for m in qualified_name_errors(key))
    if not allow_invalid_label_value:
        for k, value in enumerate(values):
            errs.extend(
                invalid(path.child("values").index(k), value, m) for m in is_label_value(value)
            )
    return errs
