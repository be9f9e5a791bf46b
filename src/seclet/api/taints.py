"""Taints and tolerations on the wire: ``Toleration.ToleratesTaint``.

Role: the one matching rule kube-scheduler's TaintToleration filter and the taint
eviction controller share (k8s.io/api core/v1 ``toleration.go``): a toleration with an
effect matches only that effect, one with a key only that key; ``Equal`` (or no
operator) needs the same value, ``Exists`` any. (The Lt/Gt operators of the alpha
``TaintTolerationComparisonOperators`` gate are off.) Pure, over JSON objects.
Callers: seclet.kubelet.nodefilters, seclet.controllers.tainteviction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """``Toleration.ToleratesTaint``."""
    effect = toleration.get("effect") or ""
    if effect and effect != (taint.get("effect") or ""):
        return False
    key = toleration.get("key") or ""
    if key and key != (taint.get("key") or ""):
        return False
    operator = toleration.get("operator") or ""
    if operator in ("", "Equal"):
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return operator == "Exists"
