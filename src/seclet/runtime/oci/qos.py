"""A Pod's QoS class, as upstream's ``qos.ComputePodQOS`` / ``GetPodQOS`` decide it.

Role: the one definition of the QoS class. Guaranteed (every container has cpu and
memory limits, and requests equal limits), BestEffort (no cpu/memory requests or
limits at all), Burstable otherwise; init containers count; pod-level resources,
when set, decide alone (``PodLevelResources``, on in 1.35). ``pod_qos`` reads the
defaulted wire body (the apiserver's ``status.qosClass`` on create, re-exported by
``seclet.apiserver.qos``); ``pod_qos_class`` reads a decoded ``models.Pod`` as the
kubelet's ``GetPodQOS`` does: ``status.qosClass`` when the apiserver set it, else
computed. Quantities are compared exactly; parsing and the class are memoised on
the (frozen) quantity spellings. Pure.
Callers: seclet.apiserver (via seclet.apiserver.qos), seclet.runtime.oci.resources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any

from seclet.api import models
from seclet.validation.containers import parse_quantity

GUARANTEED = "Guaranteed"
BURSTABLE = "Burstable"
BEST_EFFORT = "BestEffort"

_COMPUTE = ("cpu", "memory")

ResourceMap = Mapping[str, Any]
"""A ``ResourceList``: resource name -> quantity (string or number)."""


@lru_cache(maxsize=4096)
def _cached_quantity(raw: str | int | float) -> Fraction | None:
    return parse_quantity(raw)


def quantity(raw: object) -> Fraction | None:
    """``parse_quantity`` memoised on the (few, repeated) quantity spellings."""
    if isinstance(raw, (str, int, float)):
        return _cached_quantity(raw)
    return parse_quantity(raw)


def _sum_into(total: dict[str, Fraction], values: ResourceMap | None) -> set[str]:
    found: set[str] = set()
    for name, raw in (values or {}).items():
        if name not in _COMPUTE:
            continue
        q = quantity(raw)
        if q is not None and q > 0:
            total[name] = total.get(name, Fraction(0)) + q
            found.add(name)
    return found


def compute_qos(
    pod_level: tuple[ResourceMap | None, ResourceMap | None] | None,
    containers: Iterable[tuple[ResourceMap | None, ResourceMap | None]],
) -> str:
    """``ComputePodQOS`` over (requests, limits) pairs: the pod-level pair when the
    pod sets pod-level requests or limits, else every container's (init included)."""
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    pairs = [pod_level] if pod_level is not None else containers
    for req, lim in pairs:
        _sum_into(requests, req)
        if _sum_into(limits, lim) != set(_COMPUTE):
            guaranteed = False
    if not requests and not limits:
        return BEST_EFFORT
    if (
        guaranteed
        and all(limits.get(n) == q for n, q in requests.items())
        and len(requests) == len(limits)
    ):
        return GUARANTEED
    return BURSTABLE


def pod_qos(pod: dict[str, Any]) -> str:
    """The QoS class of a defaulted wire Pod body (``status.qosClass`` on create)."""
    spec = pod.get("spec") or {}
    pod_resources = spec.get("resources")
    pod_level = None
    if isinstance(pod_resources, dict) and (
        pod_resources.get("requests") or pod_resources.get("limits")
    ):
        pod_level = (pod_resources.get("requests"), pod_resources.get("limits"))
    containers = [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
    return compute_qos(
        pod_level,
        (
            ((c.get("resources") or {}).get("requests"), (c.get("resources") or {}).get("limits"))
            for c in containers
        ),
    )


_Frozen = tuple[tuple[str, Any], ...]
_NONE_PAIR: tuple[_Frozen, _Frozen] = ((), ())


def frozen_resources(res: models.ResourceRequirements | None) -> tuple[_Frozen, _Frozen]:
    """(requests, limits) as tuples of items: hashable, for memo keys."""
    if res is None:
        return _NONE_PAIR
    return tuple(res.requests.items()), tuple(res.limits.items())


@lru_cache(maxsize=1024)
def _compute_frozen(
    pod_level: tuple[_Frozen, _Frozen] | None, containers: tuple[tuple[_Frozen, _Frozen], ...]
) -> str:
    def thaw(pair: tuple[_Frozen, _Frozen]) -> tuple[ResourceMap, ResourceMap]:
        return dict(pair[0]), dict(pair[1])

    return compute_qos(
        thaw(pod_level) if pod_level is not None else None, (thaw(p) for p in containers)
    )


def pod_qos_class(pod: models.Pod) -> str:
    """kubelet ``GetPodQOS``: ``status.qosClass`` if set, else ``ComputePodQOS``."""
    if pod.status is not None and pod.status.qosClass:
        return pod.status.qosClass
    spec = pod.spec or models.PodSpec()
    pod_level = None
    if spec.resources is not None and (spec.resources.requests or spec.resources.limits):
        pod_level = frozen_resources(spec.resources)
    containers = tuple(
        frozen_resources(c.resources) for c in (*spec.containers, *spec.initContainers)
    )
    # memoised: a pod's containers share it, and manifests repeat a few shapes
    return _compute_frozen(pod_level, containers)
