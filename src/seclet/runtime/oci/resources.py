"""Container resources: the kubelet's CRI ``LinuxContainerResources`` and the pod cgroup.

Role: what the kubelet (1.35, ``kuberuntime_container_linux.go``
``generateLinuxContainerResources`` / ``calculateLinuxResources``) sends in
``ContainerConfig.linux.resources``, computed from the pod, the container and the
node, plus the kubelet's pod cgroup (cgroupfs driver) the runtime nests containers
under. Rules, each with upstream's numbers:
- ``cpu_shares``: ``MilliCPUToShares`` of the cpu request (250m -> 256), of the
  limit when no request is given, 2 with neither, at most 262144;
- ``cpu_period`` 100000 (``cpuCFSQuota`` on, the default period) and ``cpu_quota``
  ``milliCPUToQuota`` of the limit (500m -> 50000; at least 1000; 0 without a limit);
- ``memory_limit_in_bytes`` the memory limit, rounded up to whole bytes as
  ``Quantity.Value`` (64Mi -> 67108864); with pod-level resources a container
  without its own limit takes the pod's;
- ``oom_score_adj`` (``qos.GetContainerOOMScoreAdjust``): node-critical pods and
  Guaranteed -997, BestEffort 1000, Burstable ``1000 - 1000 * request /
  capacity`` kept within 3..999 (sidecars never above the smallest regular
  container; pod-level memory requests shared out);
- ``hugepage_limits`` one per node page size, 0 unless ``hugepages-<size>`` limits;
- swap: the kubelet's NoSwap (its default ``memorySwap.swapBehavior``): on cgroup v1
  with swap accounting ``memory_swap_limit_in_bytes`` = the memory limit, on v2
  ``memory.swap.max: 0`` in ``unified``; v2 also gets ``memory.oom.group: 1``
  (``singleProcessOOMKill`` off, the v2 default).
``pod_cgroup_parent`` is ``/kubepods/pod<uid>`` (Guaranteed),
``/kubepods/burstable/pod<uid>`` or ``/kubepods/besteffort/pod<uid>``.
Quantities are exact (``Fraction``); Go's ``Value``/``MilliValue`` round up.
Callers: seclet.runtime.oci.plan, seclet.runtime.runc (the sandbox's cgroup parent).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from seclet.api import models
from seclet.api.schema import FrozenMap
from seclet.host.facts import NodeFacts
from seclet.runtime.oci.qos import (
    BEST_EFFORT,
    BURSTABLE,
    GUARANTEED,
    frozen_resources,
    pod_qos_class,
    quantity,
)

MIN_SHARES = 2
MAX_SHARES = 262144
SHARES_PER_CPU = 1024
MILLI_CPU_TO_CPU = 1000
QUOTA_PERIOD = 100000
MIN_QUOTA_PERIOD = 1000
GUARANTEED_OOM_SCORE_ADJ = -997
BEST_EFFORT_OOM_SCORE_ADJ = 1000
SYSTEM_CRITICAL_PRIORITY = 2 * 1000000000
CGROUP2_MEMORY_OOM_GROUP = "memory.oom.group"
CGROUP2_MAX_SWAP = "memory.swap.max"
KUBEPODS = "/kubepods"

_EMPTY: Mapping[str, str] = FrozenMap()
_NO_RESOURCES = models.ResourceRequirements()


@dataclass(frozen=True, slots=True)
class HugepageLimit:
    """CRI ``HugepageLimit``: ``page_size`` as ``2MB``, ``limit`` in bytes."""

    page_size: str
    limit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LinuxContainerResources:
    """CRI ``LinuxContainerResources`` as the kubelet fills it (CRI names)."""

    cpu_period: int = 0
    cpu_quota: int = 0
    cpu_shares: int = 0
    memory_limit_in_bytes: int = 0
    oom_score_adj: int = 0
    hugepage_limits: tuple[HugepageLimit, ...] = ()
    unified: Mapping[str, str] = field(default=_EMPTY)
    memory_swap_limit_in_bytes: int = 0


def _quantity(values: Mapping[str, Any], name: str) -> Fraction:
    q = quantity(values[name]) if name in values else None
    return q if q is not None else Fraction(0)


def _ceil(q: Fraction) -> int:
    """Go ``Quantity.Value``/``MilliValue`` rounding: up, away from zero."""
    return math.ceil(q) if q >= 0 else -math.ceil(-q)


@lru_cache(maxsize=4096)
def _units(raw: str | int | float, scale: int) -> int:
    q = quantity(raw)
    return _ceil(q * scale) if q is not None else 0


def value(values: Mapping[str, Any], name: str) -> int:
    """``ResourceList.<Name>().Value()``: whole units, 0 when absent."""
    raw = values.get(name)
    if raw is None:
        return 0
    return _units(raw, 1) if isinstance(raw, (str, int, float)) else _ceil(_quantity(values, name))


def milli_value(values: Mapping[str, Any], name: str) -> int:
    """``ResourceList.<Name>().MilliValue()``."""
    raw = values.get(name)
    if raw is None:
        return 0
    if isinstance(raw, (str, int, float)):
        return _units(raw, 1000)
    return _ceil(_quantity(values, name) * 1000)


def milli_cpu_to_shares(milli_cpu: int) -> int:
    """kubelet ``cm.MilliCPUToShares``."""
    if milli_cpu == 0:
        return MIN_SHARES
    shares = (milli_cpu * SHARES_PER_CPU) // MILLI_CPU_TO_CPU
    return max(MIN_SHARES, min(MAX_SHARES, shares))


def milli_cpu_to_quota(milli_cpu: int, period: int = QUOTA_PERIOD) -> int:
    """kubelet ``milliCPUToQuota`` (CPUCFSQuotaPeriod off: the period is 100000)."""
    if milli_cpu == 0:
        return 0
    return max(MIN_QUOTA_PERIOD, (milli_cpu * QUOTA_PERIOD) // MILLI_CPU_TO_CPU)


def _resources(c: models.Container) -> models.ResourceRequirements:
    return c.resources if c.resources is not None else _NO_RESOURCES


def _pod_resources(pod: models.Pod) -> models.ResourceRequirements | None:
    spec = pod.spec
    return spec.resources if spec is not None else None


def _pod_level_set(pod: models.Pod, *, requests_only: bool = False) -> bool:
    """``resourcehelper.IsPodLevelResourcesSet`` / ``IsPodLevelRequestsSet``."""
    res = _pod_resources(pod)
    if res is None:
        return False
    keys = set(res.requests) if requests_only else {*res.requests, *res.limits}
    return bool(keys & {"cpu", "memory"})


def _limit(pod: models.Pod, container: models.Container, name: str) -> Mapping[str, Any]:
    """``getCPULimit``/``getMemoryLimit``: the container's limits, or the pod's when
    pod-level resources are set and the container has no (non-zero) limit."""
    limits = _resources(container).limits
    if _pod_level_set(pod) and _quantity(limits, name) == 0:
        res = _pod_resources(pod)
        if res is not None:
            return res.limits
    return limits


def is_node_critical_pod(pod: models.Pod) -> bool:
    """kubelet ``types.IsNodeCriticalPod``: critical (static, mirror or priority at
    least system-critical) and priorityClassName ``system-node-critical``."""
    spec = pod.spec or models.PodSpec()
    if spec.priorityClassName != "system-node-critical":
        return False
    annotations = pod.metadata.annotations if pod.metadata is not None else {}
    static = annotations.get("kubernetes.io/config.source", "api") != "api"
    mirror = "kubernetes.io/config.mirror" in annotations
    return (
        static
        or mirror
        or (spec.priority is not None and spec.priority >= SYSTEM_CRITICAL_PRIORITY)
    )


def _aggregate_memory_requests(pod: models.Pod) -> int:
    """``resourcehelper.AggregateContainerRequests`` (memory): regular containers and
    sidecars add up; a plain init container counts at its peak with the sidecars
    started before it."""
    spec = pod.spec or models.PodSpec()
    total = sum(value(_resources(c).requests, "memory") for c in spec.containers)
    sidecars = 0
    init_peak = 0
    for c in spec.initContainers:
        req = value(_resources(c).requests, "memory")
        if c.restartPolicy == "Always":
            total += req
            sidecars += req
            req = sidecars
        else:
            req += sidecars
        init_peak = max(init_peak, req)
    return max(total, init_peak)


def _remaining_pod_memory_per_container(pod: models.Pod) -> int:
    """``remainingPodMemReqPerContainer``."""
    res = _pod_resources(pod)
    spec = pod.spec or models.PodSpec()
    pod_request = value(res.requests, "memory") if res is not None else 0
    if pod_request == 0:
        return 0
    remaining = pod_request - _aggregate_memory_requests(pod)
    return _go_div(remaining, len(spec.containers) + len(spec.initContainers))


def _go_div(a: int, b: int) -> int:
    """Go integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _is_sidecar(pod: models.Pod, container: models.Container) -> bool:
    if container.restartPolicy != "Always":
        return False
    spec = pod.spec or models.PodSpec()
    return any(c.name == container.name for c in spec.initContainers)


def container_oom_score_adjust(
    pod: models.Pod, container: models.Container, memory_capacity: int
) -> int:
    """kubelet ``qos.GetContainerOOMScoreAdjust`` (1.35, no tie-break)."""
    if is_node_critical_pod(pod):
        return GUARANTEED_OOM_SCORE_ADJ
    qos = pod_qos_class(pod)
    if qos == GUARANTEED:
        return GUARANTEED_OOM_SCORE_ADJ
    if qos == BEST_EFFORT:
        return BEST_EFFORT_OOM_SCORE_ADJ
    capacity = memory_capacity if memory_capacity > 0 else 1
    request = value(_resources(container).requests, "memory")
    remaining = 0
    if _pod_level_set(pod, requests_only=True):
        remaining = _remaining_pod_memory_per_container(pod)
    adj = 1000 - _go_div(1000 * (request + remaining), capacity)
    if _is_sidecar(pod, container):
        spec = pod.spec or models.PodSpec()
        regular = [value(_resources(c).requests, "memory") for c in spec.containers]
        min_request = min(regular) if regular else 0
        min_request += remaining
        adj = min(adj, 1000 - _go_div(1000 * min_request, capacity))
    if adj < 1000 + GUARANTEED_OOM_SCORE_ADJ:
        return 1000 + GUARANTEED_OOM_SCORE_ADJ
    if adj == BEST_EFFORT_OOM_SCORE_ADJ:
        return adj - 1
    return adj


_HUGEPAGE_PREFIX = "hugepages-"
_HUGEPAGE_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def _hugepage_unit_size(size: int) -> str | None:
    """``v1helper.HugePageUnitSizeFromByteSize``: 2097152 -> ``2MB``."""
    idx = 0
    while size % 1024 == 0 and idx < len(_HUGEPAGE_UNITS) - 1:
        size //= 1024
        idx += 1
    if size > 1023:
        return None
    return f"{size}{_HUGEPAGE_UNITS[idx]}"


def hugepage_limits(
    resources: models.ResourceRequirements, page_sizes: tuple[str, ...]
) -> tuple[HugepageLimit, ...]:
    """``GetHugepageLimitsFromResources``: every node page size, limit 0 unless the
    container limits ``hugepages-<size>``."""
    required: dict[str, int] = {}
    for name in resources.limits:
        if not name.startswith(_HUGEPAGE_PREFIX):
            continue
        size = quantity(name.removeprefix(_HUGEPAGE_PREFIX))
        if size is None or size <= 0:  # HugePageSizeFromResourceName refuses these
            continue
        unit = _hugepage_unit_size(_ceil(size))
        if unit is not None:
            required[unit] = value(resources.limits, name)
    return tuple(HugepageLimit(size, required.get(size, 0)) for size in page_sizes)


_MEMO: dict[tuple[object, ...], LinuxContainerResources] = {}
_MEMO_MAX = 2048


def _shape(containers: tuple[models.Container, ...]) -> tuple[object, ...]:
    return tuple((c.name, c.restartPolicy, frozen_resources(c.resources)) for c in containers)


def _pod_key(pod: models.Pod) -> tuple[object, ...]:
    """What the memo key reads from the pod (the same for each of its containers)."""
    spec = pod.spec or models.PodSpec()
    return (
        frozen_resources(spec.resources) if spec.resources is not None else None,
        _shape(spec.containers),
        _shape(spec.initContainers),
        pod.status.qosClass if pod.status is not None else None,
        is_node_critical_pod(pod),
    )


_LAST_POD_KEY: tuple[models.Pod, tuple[object, ...]] | None = None
"""The last pod's part of the memo key: a pod's containers are built one after the
other, and a frozen pod (held here, so its identity stays its own) gives the same
part each time."""


def linux_container_resources(
    pod: models.Pod, container: models.Container, node: NodeFacts
) -> LinuxContainerResources:
    """kubelet ``generateLinuxContainerResources`` for this node (see the module doc).

    Memoised on everything it reads, as frozen values: the pod's resource shape
    (pod-level, every container's name, restartPolicy, requests and limits), the
    container, the QoS the apiserver stated, criticality and the node's facts.
    """
    global _LAST_POD_KEY  # noqa: PLW0603 - a one-entry cache, replaced atomically
    last = _LAST_POD_KEY
    if last is not None and last[0] is pod:
        pod_key = last[1]
    else:
        pod_key = _pod_key(pod)
        _LAST_POD_KEY = (pod, pod_key)
    key = (
        pod_key,
        container.name,
        container.restartPolicy,
        frozen_resources(container.resources),
        node.memory_capacity,
        node.hugepage_sizes,
        node.unified_cgroups,
        node.swap_controller,
    )
    try:
        hit = _MEMO.get(key)
    except TypeError:  # an unhashable quantity value: compute without the memo
        return _linux_container_resources(pod, container, node)
    if hit is None:
        hit = _linux_container_resources(pod, container, node)
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[key] = hit
    return hit


def _linux_container_resources(
    pod: models.Pod, container: models.Container, node: NodeFacts
) -> LinuxContainerResources:
    res = _resources(container)
    cpu_limit = milli_value(_limit(pod, container, "cpu"), "cpu")
    memory_limit = value(_limit(pod, container, "memory"), "memory")
    if "cpu" not in res.requests:
        shares = milli_cpu_to_shares(cpu_limit)
    else:
        shares = milli_cpu_to_shares(milli_value(res.requests, "cpu"))
    unified: dict[str, str] = {}
    swap = 0
    if node.unified_cgroups:
        unified[CGROUP2_MEMORY_OOM_GROUP] = "1"
        if node.swap_controller:
            unified[CGROUP2_MAX_SWAP] = "0"
    elif node.swap_controller:
        swap = memory_limit
    return LinuxContainerResources(
        cpu_period=QUOTA_PERIOD,
        cpu_quota=milli_cpu_to_quota(cpu_limit),
        cpu_shares=shares,
        memory_limit_in_bytes=memory_limit,
        oom_score_adj=container_oom_score_adjust(pod, container, node.memory_capacity),
        hugepage_limits=hugepage_limits(res, node.hugepage_sizes),
        unified=FrozenMap(unified) if unified else _EMPTY,
        memory_swap_limit_in_bytes=swap,
    )


_QOS_DIR = {GUARANTEED: "", BURSTABLE: "burstable", BEST_EFFORT: "besteffort"}


def pod_cgroup_parent(pod: models.Pod, uid: str | None = None) -> str:
    """The kubelet's pod cgroup, cgroupfs driver (``cgroupsPerQOS``, root ``/``):
    ``/kubepods[/burstable|/besteffort]/pod<uid>`` (``uid`` defaults to the pod's)."""
    if uid is None:
        uid = (pod.metadata.uid if pod.metadata is not None else None) or ""
    qos_dir = _QOS_DIR.get(pod_qos_class(pod), "burstable")
    return f"{KUBEPODS}/{qos_dir}/pod{uid}" if qos_dir else f"{KUBEPODS}/pod{uid}"
