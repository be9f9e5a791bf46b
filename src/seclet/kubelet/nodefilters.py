"""kube-scheduler's node Filter plugins for this one node: cordon, taints, node affinity.

Role: the pure decisions of the default profile's first Filter plugins (1.35,
pkg/scheduler/framework/plugins/...), run before the volume plugins
(``seclet.kubelet.binder.decide_volumes``):
1. PreFilter ``NodeAffinity``: required terms whose ``matchFields`` name nodes
   (``metadata.name In [...]``) narrow the nodes; terms that all conflict ->
   ``pod affinity terms conflict`` (UnschedulableAndUnresolvable, the FitError's
   PreFilter text); a narrowed set without this node leaves it absent, reported as
   ``node(s) didn't satisfy plugin(s) [NodeAffinity]``;
2. Filter, in the default profile's order (each UnschedulableAndUnresolvable, so
   DefaultPreemption answers ``Preemption is not helpful for scheduling``):
   ``NodeUnschedulable`` (``node(s) were unschedulable``; a toleration of
   ``node.kubernetes.io/unschedulable:NoSchedule`` lets the pod on),
   ``TaintToleration`` (a ``NoSchedule`` or ``NoExecute`` taint no toleration
   tolerates: ``node(s) had untolerated taint(s)``, 1.35's text; ``PreferNoSchedule``
   only scores), ``NodeAffinity`` (``nodeSelector`` labels and the required node
   affinity's terms against the node's labels and ``metadata.name``: ``node(s) didn't
   match Pod's node affinity/selector``). The first failing plugin decides.
``tolerates`` is ``Toleration.ToleratesTaint`` (``Lt``/``Gt`` need the alpha
TaintTolerationComparisonOperators gate, off: they tolerate nothing).
``scheduling_fingerprint`` is what of a Node these plugins read (labels, spec): the
scheduling queue's Node events that can make a waiting pod schedulable.
Callers: seclet.kubelet.binder, tests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from seclet.api import storagehelpers as sh
from seclet.api.taints import tolerates

TAINT_UNSCHEDULABLE: Final = "node.kubernetes.io/unschedulable"
ERR_UNSCHEDULABLE: Final = "node(s) were unschedulable"
ERR_UNTOLERATED: Final = "node(s) had untolerated taint(s)"
ERR_AFFINITY: Final = "node(s) didn't match Pod's node affinity/selector"
ERR_AFFINITY_CONFLICT: Final = "pod affinity terms conflict"
ERR_AFFINITY_ABSENT: Final = "node(s) didn't satisfy plugin(s) [NodeAffinity]"
DO_NOT_SCHEDULE: Final = ("NoSchedule", "NoExecute")


def _tolerated(tolerations: Sequence[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def _tolerations(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [t for t in sh.spec(pod).get("tolerations") or () if isinstance(t, Mapping)]


def _required_terms(pod: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    affinity = (sh.spec(pod).get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return None
    return [t for t in required.get("nodeSelectorTerms") or () if isinstance(t, Mapping)]


def node_affinity_prefilter(pod: Mapping[str, Any], node_name: str) -> tuple[str, str]:
    """PreFilter of ``NodeAffinity``: ``(prefilter_text, absent_reason)``, both empty
    when this node stays a candidate."""
    terms = _required_terms(pod)
    if not terms:
        return "", ""
    names: set[str] | None = None
    for term in terms:
        term_names: set[str] | None = None
        for req in term.get("matchFields") or ():
            if req.get("key") == "metadata.name" and req.get("operator") == "In":
                values = {str(v) for v in req.get("values") or ()}
                term_names = values if term_names is None else term_names & values
        if term_names is None:
            return "", ""  # a term without a name constraint: every node
        names = term_names if names is None else names | term_names
    if names is not None and not names:
        return ERR_AFFINITY_CONFLICT, ""
    if names is not None and node_name not in names:
        return "", ERR_AFFINITY_ABSENT
    return "", ""


def node_filter(pod: Mapping[str, Any], node_name: str, node: Mapping[str, Any]) -> str:
    """The first failing Filter plugin's reason ('' when the node fits)."""
    spec = sh.spec(node)
    tolerations = _tolerations(pod)
    if spec.get("unschedulable") and not _tolerated(
        tolerations, {"key": TAINT_UNSCHEDULABLE, "effect": "NoSchedule"}
    ):
        return ERR_UNSCHEDULABLE
    for taint in spec.get("taints") or ():
        if not isinstance(taint, Mapping) or taint.get("effect") not in DO_NOT_SCHEDULE:
            continue
        if not _tolerated(tolerations, taint):
            return ERR_UNTOLERATED
    labels: Mapping[str, str] = sh.meta(node).get("labels") or {}
    selector: Mapping[str, str] = sh.spec(pod).get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return ERR_AFFINITY
    terms = _required_terms(pod)
    if terms is not None and not sh.node_selector_terms_match(terms, node_name, labels):
        return ERR_AFFINITY
    return ""


def scheduling_fingerprint(node: Mapping[str, Any] | None) -> str:
    """What of the Node the plugins read: a change of it retries waiting pods."""
    if node is None:
        return ""
    data = [sh.meta(node).get("labels"), node.get("spec")]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


__all__ = [
    "ERR_AFFINITY",
    "ERR_UNSCHEDULABLE",
    "ERR_UNTOLERATED",
    "TAINT_UNSCHEDULABLE",
    "node_affinity_prefilter",
    "node_filter",
    "scheduling_fingerprint",
    "tolerates",
]
