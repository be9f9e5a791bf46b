"""A new Pod's ``status.qosClass``, as ``qos.GetPodQOS`` computes it on create.

Role: Guaranteed (every container has cpu and memory limits, and requests equal
limits), BestEffort (no cpu/memory requests or limits at all), Burstable otherwise;
init containers count; pod-level resources, when set, decide alone. Pure, on the
defaulted wire body. Callers: ``seclet.apiserver.registry``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from seclet.validation.containers import parse_quantity

_COMPUTE = ("cpu", "memory")


def _sum_into(total: dict[str, Fraction], values: Any) -> set[str]:
    found: set[str] = set()
    for name, raw in (values or {}).items():
        if name not in _COMPUTE:
            continue
        q = parse_quantity(raw)
        if q is not None and q > 0:
            total[name] = total.get(name, Fraction(0)) + q
            found.add(name)
    return found


def pod_qos(pod: dict[str, Any]) -> str:
    spec = pod.get("spec") or {}
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    pod_resources = spec.get("resources")
    if isinstance(pod_resources, dict) and (
        pod_resources.get("requests") or pod_resources.get("limits")
    ):
        _sum_into(requests, pod_resources.get("requests"))
        if set(_sum_into(limits, pod_resources.get("limits"))) != set(_COMPUTE):
            guaranteed = False
    else:
        for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
            res = c.get("resources") or {}
            _sum_into(requests, res.get("requests"))
            if _sum_into(limits, res.get("limits")) != set(_COMPUTE):
                guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if (
        guaranteed
        and all(limits.get(n) == q for n, q in requests.items())
        and len(requests) == len(limits)
    ):
        return "Guaranteed"
    return "Burstable"
