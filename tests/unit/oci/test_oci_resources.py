"""Container resources: the kubelet's CRI numbers, containerd's spec fields, QoS.

Role: table tests with upstream's numbers for ``seclet.runtime.oci.resources``
(``MilliCPUToShares``, ``milliCPUToQuota``, memory limits, ``GetContainerOOMScoreAdjust``,
huge pages, swap, the kubelet's pod cgroup) and for the ``with_resources``,
``with_cgroups_path`` and ``with_oom_score_adj`` steps (containerd ``WithResources``,
``getCgroupsPath``, ``WithOOMScoreAdj`` with ``restrict_oom_score_adj``), plus the
one QoS definition shared with the apiserver.
Callers: pytest.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from seclet.api import models
from seclet.apiserver.qos import pod_qos as apiserver_pod_qos
from seclet.host.facts import NodeFacts
from seclet.runtime.oci.builder import build_container_spec
from seclet.runtime.oci.explain import resources_line
from seclet.runtime.oci.inputs import ContainerSpecInputs, RuntimeContext
from seclet.runtime.oci.qos import pod_qos, pod_qos_class
from seclet.runtime.oci.resources import (
    HugepageLimit,
    container_oom_score_adjust,
    linux_container_resources,
    milli_cpu_to_quota,
    milli_cpu_to_shares,
    pod_cgroup_parent,
)
from seclet.runtime.oci.steps import STEPS, cgroups_path

REF = NodeFacts.reference()
CAPACITY = 25_276_063_744  # MemTotal 24683656 kB x 1024


def _res(requests: dict[str, Any] | None = None, limits: dict[str, Any] | None = None) -> Any:
    return models.ResourceRequirements(requests=requests or {}, limits=limits or {})


def _pod(
    *containers: models.Container,
    init: tuple[models.Container, ...] = (),
    uid: str = "u",
    **spec: Any,
) -> models.Pod:
    return models.Pod(
        metadata=models.ObjectMeta(name="p", namespace="ns", uid=uid),
        spec=models.PodSpec(containers=containers, initContainers=init, **spec),
    )


def _ctr(name: str = "c", **resources: Any) -> models.Container:
    return models.Container(
        name=name,
        image="busybox",
        command=("sh",),
        resources=_res(**resources) if resources else None,
    )


def _spec(pod: models.Pod, node: NodeFacts = REF, **runtime: Any) -> dict[str, Any]:
    assert pod.spec is not None
    return build_container_spec(
        ContainerSpecInputs(
            pod=pod,
            container=pod.spec.containers[0],
            node=node,
            runtime=RuntimeContext(container_id="cid", **runtime),
        )
    )


@pytest.mark.parametrize(
    ("milli", "shares"),
    [(0, 2), (1, 2), (2, 2), (250, 256), (500, 512), (1000, 1024), (2000, 2048), (300000, 262144)],
)
def test_milli_cpu_to_shares(milli: int, shares: int) -> None:
    assert milli_cpu_to_shares(milli) == shares


@pytest.mark.parametrize(
    ("milli", "quota"),
    [(0, 0), (1, 1000), (5, 1000), (10, 1000), (250, 25000), (500, 50000), (2000, 200000)],
)
def test_milli_cpu_to_quota(milli: int, quota: int) -> None:
    assert milli_cpu_to_quota(milli) == quota


def test_burstable_250m_500m_64mi() -> None:
    c = _ctr(requests={"cpu": "250m", "memory": "64Mi"}, limits={"cpu": "500m", "memory": "64Mi"})
    pod = _pod(c)
    r = linux_container_resources(pod, c, REF)
    assert (r.cpu_shares, r.cpu_quota, r.cpu_period) == (256, 50000, 100000)
    assert r.memory_limit_in_bytes == 67108864
    assert r.memory_swap_limit_in_bytes == 67108864  # NoSwap on cgroup v1 with memsw
    assert r.oom_score_adj == 1000 - (1000 * 67108864) // CAPACITY == 998
    assert r.hugepage_limits == (HugepageLimit("1GB", 0), HugepageLimit("2MB", 0))
    assert r.unified == {}
    s = _spec(pod)
    assert s["linux"]["resources"]["cpu"] == {"shares": 256, "quota": 50000, "period": 100000}
    assert s["linux"]["resources"]["memory"] == {"limit": 67108864, "swap": 67108864}
    assert s["process"]["oomScoreAdj"] == 998
    assert "hugepageLimits" not in s["linux"]["resources"]  # disable_hugetlb_controller


def test_best_effort() -> None:
    pod = _pod(_ctr())
    r = linux_container_resources(pod, pod.spec.containers[0], REF)  # type: ignore[union-attr]
    assert (r.cpu_shares, r.cpu_quota, r.cpu_period, r.memory_limit_in_bytes) == (2, 0, 100000, 0)
    assert (r.oom_score_adj, r.memory_swap_limit_in_bytes) == (1000, 0)
    s = _spec(pod)
    assert s["linux"]["resources"]["cpu"] == {"shares": 2, "period": 100000}
    assert s["linux"]["resources"]["memory"] == {}
    assert s["process"]["oomScoreAdj"] == 1000
    assert s["linux"]["resources"]["devices"] == [{"allow": False, "access": "rwm"}]


def test_guaranteed_is_clamped_to_the_floor_on_this_host() -> None:
    c = _ctr(requests={"cpu": "1", "memory": "128Mi"}, limits={"cpu": "1", "memory": "128Mi"})
    pod = _pod(c)
    assert pod_qos_class(pod) == "Guaranteed"
    r = linux_container_resources(pod, c, REF)
    assert (r.cpu_shares, r.cpu_quota, r.memory_limit_in_bytes) == (1024, 100000, 134217728)
    assert r.oom_score_adj == -997
    assert _spec(pod)["process"]["oomScoreAdj"] == 0  # restrict_oom_score_adj: seclet's own 0
    assert _spec(pod, replace(REF, oom_score_adj_floor=None))["process"]["oomScoreAdj"] == -997
    assert _spec(pod, replace(REF, oom_score_adj_floor=-500))["process"]["oomScoreAdj"] == -500
    # a floor never raises what is already above it
    assert (
        _spec(_pod(_ctr()), replace(REF, oom_score_adj_floor=500))["process"]["oomScoreAdj"] == 1000
    )


def test_cpu_shares_from_limit_only_when_no_request_key() -> None:
    only_limit = _ctr(limits={"cpu": "2"})
    r = linux_container_resources(_pod(only_limit), only_limit, REF)
    assert (r.cpu_shares, r.cpu_quota) == (2048, 200000)
    zero_request = _ctr(requests={"cpu": "0"}, limits={"cpu": "2"})
    r = linux_container_resources(_pod(zero_request), zero_request, REF)
    assert (r.cpu_shares, r.cpu_quota) == (2, 200000)  # the request exists: MilliCPUToShares(0)


def test_quantities_round_up_as_go() -> None:
    c = _ctr(requests={"cpu": "0.1m"}, limits={"cpu": "100.5m", "memory": "1.5"})
    r = linux_container_resources(_pod(c), c, REF)
    # MilliValue rounds 0.1m up to 1m, 100.5m to 101m; Value rounds 1.5 bytes to 2
    assert (r.cpu_shares, r.cpu_quota, r.memory_limit_in_bytes) == (2, 10100, 2)


@pytest.mark.parametrize(
    ("request_bytes", "adj"),
    [
        (None, 999),  # Burstable without a memory request: 1000 -> 999
        (1, 999),
        (4_000_000_000, 500),
        (7_999_999_999, 3),  # 1000 - 999 = 1 -> at least 1000 - 997
        (8_000_000_000, 3),
        (16_000_000_000, 3),
        (800_000_000, 900),
    ],
)
def test_burstable_oom_score_adj_formula(request_bytes: int | None, adj: int) -> None:
    requests: dict[str, Any] = {"cpu": "100m"}
    if request_bytes is not None:
        requests["memory"] = str(request_bytes)
    c = _ctr(requests=requests)
    assert container_oom_score_adjust(_pod(c), c, 8_000_000_000) == adj


def test_node_critical_pod_gets_minus_997() -> None:
    c = _ctr()
    critical = _pod(c, priorityClassName="system-node-critical", priority=2000001000)
    assert container_oom_score_adjust(critical, c, CAPACITY) == -997
    not_critical = _pod(c, priorityClassName="system-node-critical", priority=1000)
    assert container_oom_score_adjust(not_critical, c, CAPACITY) == 1000


def test_sidecar_never_above_the_smallest_regular_container() -> None:
    regular = _ctr("app", requests={"memory": "4000000000"})
    sidecar = _ctr("side", requests={"memory": "100"})._replace(restartPolicy="Always")
    pod = _pod(regular, init=(sidecar,))
    assert container_oom_score_adjust(pod, regular, 8_000_000_000) == 500
    assert container_oom_score_adjust(pod, sidecar, 8_000_000_000) == 500
    plain_init = _ctr("init", requests={"memory": "100"})
    pod = _pod(regular, init=(plain_init,))
    assert container_oom_score_adjust(pod, plain_init, 8_000_000_000) == 999


def test_status_qos_class_wins() -> None:
    pod = _pod(_ctr())._replace(status=models.PodStatus(qosClass="Burstable"))
    assert pod_qos_class(pod) == "Burstable"
    assert container_oom_score_adjust(pod, _ctr(), 8_000_000_000) == 999


def test_pod_level_limits_apply_to_containers_without_their_own() -> None:
    c = _ctr()
    pod = _pod(
        c, resources=_res(requests={"memory": "128Mi"}, limits={"cpu": "1", "memory": "256Mi"})
    )
    assert pod_qos_class(pod) == "Burstable"
    r = linux_container_resources(pod, c, REF)
    assert (r.memory_limit_in_bytes, r.cpu_quota, r.cpu_shares) == (268435456, 100000, 1024)
    # the pod's 128Mi request shared out over its one container
    assert r.oom_score_adj == 1000 - (1000 * 134217728) // CAPACITY == 995


def test_hugepage_limits_per_node_page_size() -> None:
    c = _ctr(limits={"hugepages-2Mi": "4Mi", "memory": "64Mi", "cpu": "1"})
    r = linux_container_resources(_pod(c), c, REF)
    assert r.hugepage_limits == (HugepageLimit("1GB", 0), HugepageLimit("2MB", 4194304))
    none = replace(REF, hugepage_sizes=())
    assert linux_container_resources(_pod(c), c, none).hugepage_limits == ()


def test_cgroup_v2_unified_and_no_swap_field() -> None:
    c = _ctr(limits={"memory": "64Mi"})
    v2 = replace(REF, cgroup_mode="v2")
    r = linux_container_resources(_pod(c), c, v2)
    assert dict(r.unified) == {"memory.oom.group": "1", "memory.swap.max": "0"}
    assert r.memory_swap_limit_in_bytes == 0
    s = _spec(_pod(c), v2)
    assert s["linux"]["resources"]["unified"] == {"memory.oom.group": "1", "memory.swap.max": "0"}
    # containerd pins swap to the limit whenever the swap controller is there
    assert s["linux"]["resources"]["memory"] == {"limit": 67108864, "swap": 67108864}
    no_memsw = replace(REF, swap_controller=False)
    assert _spec(_pod(c), no_memsw)["linux"]["resources"]["memory"] == {"limit": 67108864}


def test_pod_cgroup_parent_per_qos() -> None:
    g = _ctr(requests={"cpu": "1", "memory": "1Gi"}, limits={"cpu": "1", "memory": "1Gi"})
    limits_only = _ctr(limits={"cpu": "1", "memory": "1Gi"})  # not defaulted: Burstable
    assert pod_cgroup_parent(_pod(limits_only, uid="1")) == "/kubepods/burstable/pod1"
    assert pod_cgroup_parent(_pod(g, uid="1234")) == "/kubepods/pod1234"
    assert (
        pod_cgroup_parent(_pod(_ctr(requests={"cpu": "1"}), uid="1234"))
        == "/kubepods/burstable/pod1234"
    )
    assert pod_cgroup_parent(_pod(_ctr(), uid="1234")) == "/kubepods/besteffort/pod1234"


def test_cgroups_path_as_containerd_builds_it() -> None:
    assert cgroups_path("/kubepods/besteffort/pod1234", "cid") == "/kubepods/besteffort/pod1234/cid"
    assert cgroups_path("/kubepods/pod1234/", "cid") == "/kubepods/pod1234/cid"
    assert cgroups_path("kubepods-besteffort-pod1234.slice", "cid") == (
        "kubepods-besteffort-pod1234.slice:cri-containerd:cid"
    )
    pod = _pod(_ctr())
    assert _spec(pod)["linux"]["cgroupsPath"] == "/k8s.io/cid"
    s = _spec(pod, cgroup_parent=pod_cgroup_parent(pod))
    assert s["linux"]["cgroupsPath"] == "/kubepods/besteffort/podu/cid"


def test_steps_in_containerd_order() -> None:
    names = [n for n, _ in STEPS]
    assert names.index("with_rootfs_readonly") + 1 == names.index("with_resources")
    assert names.index("with_resources") + 1 == names.index("with_cgroups_path")
    assert names.index("with_sys_bind_for_host_network_userns") + 1 == names.index(
        "with_oom_score_adj"
    )
    assert names.index("with_oom_score_adj") + 1 == names.index("with_pod_namespaces")


def test_privileged_keeps_resources() -> None:
    c = _ctr(limits={"cpu": "500m", "memory": "64Mi"})._replace(
        securityContext=models.SecurityContext(privileged=True)
    )
    s = _spec(_pod(c))
    assert s["linux"]["resources"]["cpu"] == {"shares": 512, "quota": 50000, "period": 100000}
    assert s["linux"]["resources"]["devices"] == [{"allow": True, "access": "rwm"}]


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"containers": [{"name": "c"}]}, "BestEffort"),
        ({"containers": [{"name": "c", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}}]}, "Guaranteed"),
        ({"containers": [{"name": "c", "resources": {"requests": {"cpu": "250m"}}}]}, "Burstable"),
        ({"containers": [{"name": "c", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}}], "initContainers": [{"name": "i"}]}, "Burstable"),
        ({"containers": [{"name": "c", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}}], "initContainers": [{"name": "i", "resources": {"requests": {"memory": "1Mi"}}}]}, "Burstable"),
        ({"containers": [{"name": "c"}], "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}}, "Guaranteed"),
        ({"containers": [{"name": "c", "resources": {"limits": {"ephemeral-storage": "1Gi"}}}]}, "BestEffort"),
    ],
)  # fmt: skip
def test_one_qos_definition(wire: dict[str, Any], expected: str) -> None:
    assert apiserver_pod_qos is pod_qos
    assert pod_qos({"spec": wire}) == expected

    def ctr(c: dict[str, Any]) -> models.Container:
        r = c.get("resources")
        return models.Container(name=c["name"], resources=_res(**r) if r else None)

    pod_res = wire.get("resources")
    pod = _pod(
        *(ctr(c) for c in wire["containers"]),
        init=tuple(ctr(c) for c in wire.get("initContainers", ())),
        **({"resources": _res(**pod_res)} if pod_res else {}),
    )
    assert pod_qos_class(pod) == expected


def test_explain_resources_line() -> None:
    c = _ctr(requests={"cpu": "250m", "memory": "64Mi"}, limits={"cpu": "500m", "memory": "64Mi"})
    assert resources_line(_spec(_pod(c))) == (
        "cpu shares 256, quota 50000/100000; memory 67108864 (swap 67108864); oom_score_adj 998"
    )
    assert resources_line(_spec(_pod(_ctr()))) == (
        "cpu shares 2, no quota; memory unlimited; oom_score_adj 1000"
    )


def test_memo_keeps_every_input_apart() -> None:
    c = _ctr(requests={"memory": "4000000000"})
    small = replace(REF, memory_capacity=8_000_000_000)
    assert linux_container_resources(_pod(c), c, small).oom_score_adj == 500
    assert (
        linux_container_resources(_pod(c), c, REF).oom_score_adj
        == 1000 - (1000 * 4_000_000_000) // CAPACITY
    )
    critical = _pod(c, priorityClassName="system-node-critical", priority=2000001000)
    assert linux_container_resources(critical, c, small).oom_score_adj == -997
    stated = _pod(c)._replace(status=models.PodStatus(qosClass="BestEffort"))
    assert linux_container_resources(stated, c, small).oom_score_adj == 1000
    v1_no_swap = replace(small, swap_controller=False)
    limited = _ctr(limits={"memory": "64Mi"})
    assert linux_container_resources(_pod(limited), limited, small).memory_swap_limit_in_bytes == (
        67108864
    )
    assert (
        linux_container_resources(_pod(limited), limited, v1_no_swap).memory_swap_limit_in_bytes
        == 0
    )
