"""Event aggregation, the binder, the node object and host probing, volume plans.

Callers: pytest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seclet.api import models
from seclet.api.decode import decode
from seclet.cri.types import VersionResponse
from seclet.host.facts import NodeFacts
from seclet.kubelet.binder import Binder, needs_binding
from seclet.kubelet.clock import ScaledClock
from seclet.kubelet.config import KubeletConfig
from seclet.kubelet.events import EventRecorder, pod_reference
from seclet.kubelet.hostinfo import HostInfo, probe_host_info
from seclet.kubelet.node import new_node, node_status
from seclet.kubelet.volumes import SubPathError, VolumeError, container_mounts, plan_volumes
from seclet.store.memory import MemoryStore

POD: dict[str, Any] = {
    "metadata": {"name": "p", "namespace": "ns", "uid": "u1", "resourceVersion": "1"},
    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    "status": {"phase": "Pending"},
}


def test_event_repeats_are_aggregated() -> None:
    store = MemoryStore()
    rec = EventRecorder(store, ScaledClock(), "kubelet", "node1")
    ref = pod_reference(POD, "spec.containers{c}")
    rec.event(ref, "Warning", "BackOff", "Back-off restarting failed container c")
    rec.event(ref, "Warning", "BackOff", "Back-off restarting failed container c")
    rec.event(ref, "Normal", "Pulled", "other")
    items = store.list("events", "ns").items
    assert len(items) == 2
    backoff = next(e for e in items if e["reason"] == "BackOff")
    assert backoff["count"] == 2
    assert backoff["involvedObject"] == {
        "kind": "Pod",
        "namespace": "ns",
        "name": "p",
        "uid": "u1",
        "apiVersion": "v1",
        "resourceVersion": "1",
        "fieldPath": "spec.containers{c}",
    }
    assert backoff["source"] == {"component": "kubelet", "host": "node1"}
    assert backoff["metadata"]["name"].startswith("p.")


def test_binder_binds_once() -> None:
    store = MemoryStore()
    stored = store.create("pods", "ns", "p", dict(POD))
    assert needs_binding(stored)
    binder = Binder(store, ScaledClock(), "node1")
    bound = binder.bind(stored)
    assert bound is not None
    assert bound["spec"]["nodeName"] == "node1"
    assert bound["status"]["conditions"][0]["type"] == "PodScheduled"
    assert not needs_binding(bound)
    assert binder.bind(bound) is None
    (event,) = store.list("events", "ns").items
    assert event["message"] == "Successfully assigned ns/p to node1"
    assert event["source"] == {"component": "default-scheduler"}
    assert event["reason"] == "Scheduled"
    gated = dict(POD, spec={**POD["spec"], "schedulingGates": [{"name": "g"}]})
    assert not needs_binding(gated)


def test_node_object_shape(tmp_path: Path) -> None:
    config = KubeletConfig(node_name="n1", root_dir=str(tmp_path), pod_logs_dir=str(tmp_path))
    host = HostInfo(memory_bytes=1024**3, cpus=2, ephemeral_storage_bytes=10 * 1024**3)
    version = VersionResponse(
        version="0.1.0", runtime_name="seclet", runtime_version="0.1.0", runtime_api_version="v1"
    )
    node = new_node(config, NodeFacts.reference(), host, version, 1000.0)
    assert node["metadata"]["labels"]["kubernetes.io/os"] == "linux"
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"] == "seclet://0.1.0"
    assert node["status"]["allocatable"]["ephemeral-storage"] == str(10 * 1024**3 * 9 // 10)
    later = node_status(config, NodeFacts.reference(), host, version, 2000.0, node["status"])
    ready = later["conditions"][-1]
    assert ready["lastTransitionTime"] == "1970-01-01T00:16:40Z"
    assert ready["lastHeartbeatTime"] == "1970-01-01T00:33:20Z"


def test_probe_host_info(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text(
        'NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
    )
    (tmp_path / "etc/machine-id").write_text("abc\n")
    (tmp_path / "proc/sys/kernel/random").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/random/boot_id").write_text("boot\n")
    (tmp_path / "proc/meminfo").write_text("MemTotal:       16384 kB\nMemFree: 1 kB\n")
    info = probe_host_info(str(tmp_path), str(tmp_path))
    assert info.os_image == "Debian GNU/Linux 12 (bookworm)"
    assert info.machine_id == "abc"
    assert info.boot_id == "boot"
    assert info.memory_bytes == 16384 * 1024
    assert info.system_uuid == ""


def _pod(volumes: list[dict[str, object]]) -> models.Pod:
    return decode(
        {
            "metadata": {"name": "p", "namespace": "ns", "uid": "u1"},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "busybox",
                        "volumeMounts": [
                            {"name": "data", "mountPath": "/data", "subPath": "sub"},
                            {"name": "host", "mountPath": "/host", "readOnly": True},
                            {
                                "name": "kube-api-access-abcde",
                                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                            },
                        ],
                    }
                ],
                "volumes": volumes,
            },
        },
        models.Pod,
    )


def test_volume_plans_and_mounts() -> None:
    pod = _pod(
        [
            {"name": "data", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            {"name": "host", "hostPath": {"path": "/srv", "type": "Directory"}},
            {"name": "kube-api-access-abcde", "projected": {"sources": []}},
        ]
    )
    plans = plan_volumes(pod, "/root")
    assert [(p.name, p.kind) for p in plans] == [
        ("data", "emptyDir"),
        ("host", "hostPath"),
        ("kube-api-access-abcde", "skip"),
    ]
    assert plans[0].host_path == "/root/pods/u1/volumes/kubernetes.io~empty-dir/data"
    assert plans[0].size_limit == "64Mi"
    container = (pod.spec or models.PodSpec()).containers[0]
    # the subPath is never joined naively: without its prepared bind target the
    # mount is refused (makeMounts' error), with it the target is mounted
    with pytest.raises(SubPathError, match='failed to prepare subPath for volumeMount "data"'):
        container_mounts(container, plans)
    mounts = container_mounts(container, plans, {0: "/root/pods/u1/volume-subpaths/data/c/0"})
    assert [(m.container_path, m.host_path, m.readonly) for m in mounts] == [
        ("/data", "/root/pods/u1/volume-subpaths/data/c/0", False),
        ("/host", "/srv", True),
    ]


def test_unsupported_volumes_refused() -> None:
    with pytest.raises(VolumeError, match='volume "data" : gitRepo volumes are not supported'):
        plan_volumes(_pod([{"name": "data", "gitRepo": {"repository": "x"}}]), "/root")
    with pytest.raises(VolumeError, match='unknown storage medium "HugePages"'):
        plan_volumes(_pod([{"name": "data", "emptyDir": {"medium": "HugePages"}}]), "/root")
    # a volume no container mounts is ignored, as upstream's populator does
    assert plan_volumes(_pod([{"name": "unused", "gitRepo": {"repository": "x"}}]), "/root") == ()


def test_userns_ranges_survive_a_restart(tmp_path: Path) -> None:
    from seclet.kubelet.userns import UsernsAllocator, recorded_mappings, write_mapping

    first = UsernsAllocator(65536, 65536 * 4)
    a = first.allocate("a")
    b = first.allocate("b")
    assert (a, b) == (65536, 131072)
    assert first.allocate("a") == a
    write_mapping(tmp_path / "a", a)
    write_mapping(tmp_path / "b", b)
    again = UsernsAllocator(65536, 65536 * 4)
    for uid, host_id in recorded_mappings(tmp_path).items():
        again.record(uid, host_id)
    assert again.allocate("c") == 196608
    again.release("a")
    assert again.allocate("d") == 65536
    again.allocate("e")
    with pytest.raises(Exception, match="limit on count of pods with user namespaces exceeded"):
        again.allocate("f")


def test_restart_count_from_logs(tmp_path: Path) -> None:
    from seclet.kubelet.worker import restart_count_from_logs

    assert restart_count_from_logs(tmp_path / "missing") == 0
    (tmp_path / "0.log").touch()
    (tmp_path / "3.log").touch()
    (tmp_path / "x.log").touch()
    assert restart_count_from_logs(tmp_path) == 4
