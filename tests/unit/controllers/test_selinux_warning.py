"""The selinux-warning-controller over a MemoryStore: events on both pods and the metric.

Upstream: k/k pkg/controller/volume/selinuxwarning (selinux_warning_controller.go,
cache/volumecache.go, cache/conflict.go, metrics.go).
"""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from seclet.api.featuregates import DEFAULT_GATES
from seclet.controllers.selinux_warning import SELinuxWarningController
from seclet.securitycontext.selinux_mount import PodKey
from seclet.store.api import JSONObject
from seclet.store.memory import MemoryStore

DRIVER = "ebs.csi.example"


class FixedClock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def now(self) -> float:
        self.t += 0.001
        return self.t

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def make_pod(
    name: str,
    namespace: str = "default",
    *,
    level: str | None = None,
    policy: str | None = None,
    claim: str = "data",
    containers: list[dict[str, Any]] | None = None,
) -> JSONObject:
    sc: dict[str, Any] = {}
    if level is not None:
        sc["seLinuxOptions"] = {"level": level}
    if policy is not None:
        sc["seLinuxChangePolicy"] = policy
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"},
        "spec": {
            "securityContext": sc,
            "containers": containers
            or [
                {
                    "name": "c",
                    "image": "busybox",
                    "volumeMounts": [{"name": "v", "mountPath": "/v"}],
                }
            ],
            "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": claim}}],
        },
        "status": {"phase": "Pending"},
    }


def add_claim(
    store: MemoryStore, namespace: str, claim: str, pv: str, handle: str = "vol-1"
) -> None:
    store.create(
        "persistentvolumeclaims",
        namespace,
        claim,
        {"metadata": {"name": claim, "namespace": namespace}, "spec": {"volumeName": pv}},
    )
    store.create(
        "persistentvolumes",
        "",
        pv,
        {
            "metadata": {"name": pv},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "csi": {"driver": DRIVER, "volumeHandle": handle},
                "claimRef": {"namespace": namespace, "name": claim, "uid": f"uid-{claim}"},
            },
        },
    )


def add_driver(store: MemoryStore, selinux_mount: bool) -> None:
    store.create(
        "csidrivers",
        "",
        DRIVER,
        {"metadata": {"name": DRIVER}, "spec": {"seLinuxMount": selinux_mount}},
    )


def events(store: MemoryStore) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            e["involvedObject"]["namespace"],
            e["involvedObject"]["name"],
            e["type"],
            e["reason"],
            e["message"],
        )
        for e in store.list("events").items
    ]


def controller(
    store: MemoryStore, registry: CollectorRegistry | None = None
) -> SELinuxWarningController:
    return SELinuxWarningController(store, DEFAULT_GATES, registry, FixedClock())


def metric_lines(registry: CollectorRegistry) -> list[str]:
    text = generate_latest(registry).decode()
    return [line for line in text.splitlines() if "selinux_volume_conflict" in line]


LABEL_MSG_A = (
    'SELinuxLabel ":::s0:c1,c2" conflicts with pod b that uses the same volume as this pod with '
    'SELinuxLabel ":::s0:c98,c99". If both pods land on the same node, only one of them may '
    "access the volume."
)
LABEL_MSG_B = (
    'SELinuxLabel ":::s0:c98,c99" conflicts with pod a that uses the same volume as this pod with '
    'SELinuxLabel ":::s0:c1,c2". If both pods land on the same node, only one of them may '
    "access the volume."
)


def test_two_labels_on_one_volume_warn_both_pods_and_set_the_metric() -> None:
    store = MemoryStore()
    add_driver(store, True)
    add_claim(store, "default", "data", "pv-1")
    store.create("pods", "default", "a", make_pod("a", level="s0:c1,c2"))
    store.create("pods", "default", "b", make_pod("b", level="s0:c98,c99"))
    registry = CollectorRegistry()
    ctl = controller(store, registry)
    ctl.sync(PodKey("default", "a"))
    assert events(store) == []
    ctl.sync(PodKey("default", "b"))
    assert sorted(events(store)) == [
        ("default", "a", "Normal", "SELinuxLabelConflict", LABEL_MSG_A),
        ("default", "b", "Normal", "SELinuxLabelConflict", LABEL_MSG_B),
    ]
    event = next(e for e in store.list("events").items if e["involvedObject"]["name"] == "b")
    assert event["source"] == {"component": "selinux_warning"}
    assert event["reportingComponent"] == "selinux_warning"
    assert event["involvedObject"]["kind"] == "Pod"
    assert event["involvedObject"]["uid"] == "uid-b"
    assert metric_lines(registry) == [
        "# HELP selinux_warning_controller_selinux_volume_conflict [ALPHA] Conflict between "
        "two Pods using the same volume",
        "# TYPE selinux_warning_controller_selinux_volume_conflict gauge",
        'selinux_warning_controller_selinux_volume_conflict{pod1_name="a",pod1_namespace="default",'
        'pod1_value=":::s0:c1,c2",pod2_name="b",pod2_namespace="default",'
        'pod2_value=":::s0:c98,c99",property="SELinuxLabel"} 1.0',
        'selinux_warning_controller_selinux_volume_conflict{pod1_name="b",pod1_namespace="default",'
        'pod1_value=":::s0:c98,c99",pod2_name="a",pod2_namespace="default",'
        'pod2_value=":::s0:c1,c2",property="SELinuxLabel"} 1.0',
    ]
    # A resync of an unchanged pod reports nothing new.
    ctl.sync(PodKey("default", "b"))
    assert len(store.list("events").items) == 2
    # The pod finishing removes its conflicts from the metric.
    finished = store.get("pods", "default", "b")
    finished["status"]["phase"] = "Succeeded"
    store.update("pods", "default", "b", finished)
    ctl.sync(PodKey("default", "b"))
    assert metric_lines(registry)[2:] == []


def test_a_different_policy_in_another_namespace_hides_the_other_pod() -> None:
    store = MemoryStore()
    add_driver(store, True)
    add_claim(store, "default", "data", "pv-1")
    add_claim(store, "other", "data", "pv-2")  # the same CSI volume handle: one volume
    store.create("pods", "default", "a", make_pod("a", level="s0:c1,c2"))
    store.create("pods", "other", "c", make_pod("c", "other", level="s0:c1,c2", policy="Recursive"))
    ctl = controller(store)
    ctl.sync(PodKey("default", "a"))
    ctl.sync(PodKey("other", "c"))
    assert sorted(events(store)) == [
        (
            "default",
            "a",
            "Normal",
            "SELinuxChangePolicyConflict",
            'SELinuxChangePolicy"MountOption" conflicts with another pod that uses the same '
            "volume as this pod with a different SELinuxChangePolicy. If both pods land on the "
            "same node, only one of them may access the volume.",
        ),
        (
            "other",
            "c",
            "Normal",
            "SELinuxChangePolicyConflict",
            'SELinuxChangePolicy"Recursive" conflicts with another pod that uses the same volume '
            "as this pod with a different SELinuxChangePolicy. If both pods land on the same "
            "node, only one of them may access the volume.",
        ),
    ]


def test_no_conflict_when_the_driver_cannot_mount_with_a_context() -> None:
    store = MemoryStore()
    add_driver(store, False)
    add_claim(store, "default", "data", "pv-1")
    store.create("pods", "default", "a", make_pod("a", level="s0:c1,c2"))
    store.create("pods", "default", "b", make_pod("b", level="s0:c98,c99", policy="Recursive"))
    ctl = controller(store)
    ctl.sync(PodKey("default", "a"))
    ctl.sync(PodKey("default", "b"))
    assert events(store) == []


def test_multiple_labels_inside_one_pod() -> None:
    store = MemoryStore()
    add_driver(store, True)
    add_claim(store, "default", "data", "pv-1")
    ctrs = [
        {
            "name": n,
            "image": "busybox",
            "securityContext": {"seLinuxOptions": {"level": level}},
            "volumeMounts": [{"name": "v", "mountPath": "/v"}],
        }
        for n, level in (("x", "s0:c1,c2"), ("y", "s0:c3,c4"))
    ]
    store.create("pods", "default", "a", make_pod("a", containers=ctrs))
    controller(store).sync(PodKey("default", "a"))
    assert events(store) == [
        (
            "default",
            "a",
            "Warning",
            "MultipleSELinuxLabels",
            'Volume "v" is mounted twice with different SELinux labels inside this pod',
        )
    ]


def test_unbound_claims_are_skipped_until_bound() -> None:
    store = MemoryStore()
    add_driver(store, True)
    store.create("pods", "default", "a", make_pod("a", level="s0:c1,c2"))
    ctl = controller(store)
    ctl.sync(PodKey("default", "a"))
    assert ctl.cache.conflicts() == [] and ctl.cache.pods_for_csi_driver(DRIVER) == []


async def _wait_for(predicate: Any) -> None:
    async with asyncio.timeout(10):
        for _ in iter(lambda: bool(predicate()), True):
            await asyncio.sleep(0.01)


def test_run_follows_the_store() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        add_driver(store, False)
        store.create("pods", "default", "a", make_pod("a", level="s0:c1,c2"))
        registry = CollectorRegistry()
        ctl = controller(store, registry)
        task = asyncio.create_task(ctl.run())
        try:
            # The claim is bound after the pods exist: its PV's binding queues them.
            store.create("pods", "default", "b", make_pod("b", level="s0:c98,c99"))
            add_claim(store, "default", "data", "pv-1")
            await _wait_for(lambda: len(ctl.cache.pods_for_csi_driver(DRIVER)) == 2)
            assert events(store) == []
            # The CSIDriver now announces seLinuxMount: both pods are re-evaluated.
            driver = store.get("csidrivers", "", DRIVER)
            driver["spec"]["seLinuxMount"] = True
            store.update("csidrivers", "", DRIVER, driver)
            label_events = [
                ("default", "a", "Normal", "SELinuxLabelConflict", LABEL_MSG_A),
                ("default", "b", "Normal", "SELinuxLabelConflict", LABEL_MSG_B),
            ]
            await _wait_for(lambda: all(e in events(store) for e in label_events))
            # As upstream, the pod re-evaluated first briefly disagrees on the policy with
            # the one not yet re-evaluated (MountOption vs the forced Recursive).
            assert {e[3] for e in events(store)} <= {
                "SELinuxLabelConflict",
                "SELinuxChangePolicyConflict",
            }
            store.delete("pods", "default", "b")
            await _wait_for(lambda: len(metric_lines(registry)) == 2)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())


def test_runs_under_the_controller_manager() -> None:
    from seclet.controllers.manager import ControllerManager

    async def scenario() -> None:
        store = MemoryStore()
        add_driver(store, True)
        add_claim(store, "default", "data", "pv-1")
        store.create("pods", "default", "a", make_pod("a", level="s0:c1,c2"))
        ctl = controller(store)
        manager = ControllerManager(store, FixedClock(), [ctl], resync_period=3600)
        await manager.start()
        try:
            store.create("pods", "default", "b", make_pod("b", level="s0:c98,c99"))
            await _wait_for(lambda: len(events(store)) == 2)
            assert sorted(events(store)) == [
                ("default", "a", "Normal", "SELinuxLabelConflict", LABEL_MSG_A),
                ("default", "b", "Normal", "SELinuxLabelConflict", LABEL_MSG_B),
            ]
        finally:
            await manager.stop()

    asyncio.run(scenario())
