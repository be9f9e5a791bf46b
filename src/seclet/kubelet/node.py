"""The Node object of this machine: pure construction, plus registration and heartbeat.

Role: upstream's ``kubelet_node_status.go`` + ``nodestatus/setters.go`` for one node:
labels (``kubernetes.io/hostname``, ``/os``, ``/arch`` and their ``beta.`` twins),
``status.nodeInfo``, addresses (InternalIP, Hostname), capacity and allocatable
(allocatable memory = capacity - 100Mi and ephemeral-storage = 90 % of capacity, the
default hard eviction thresholds), the four conditions with upstream's reasons and
messages, ``features.supplementalGroupsPolicy``, ``runtimeHandlers`` and
``daemonEndpoints``. ``NodeStatusAgent`` registers (create, or adopt an existing
object) and then updates ``lastHeartbeatTime`` every ``node_status_update_frequency``:
a fresh read, only the status replaced, retried on a conflict, so the labels,
annotations and spec users write (``kubectl cordon``, ``label``, ``taint``) stay. Each
update also runs ``recordNodeSchedulableEvent``: when ``spec.unschedulable`` differs
from the last one seen (false at start), the Normal event ``NodeNotSchedulable`` /
``NodeSchedulable`` (``Node <name> status is now: <reason>``) on the node's reference
(kind Node, uid = the node name).
Callers: seclet.kubelet.kubelet, tests.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from seclet.api.managedfields import record_update
from seclet.cri.types import VersionResponse
from seclet.host.facts import NodeFacts
from seclet.kubelet.clock import Clock, rfc3339
from seclet.kubelet.config import KubeletConfig
from seclet.kubelet.events import EventRecorder
from seclet.kubelet.hostinfo import HostInfo
from seclet.store.api import ConflictError, JSONObject, NotFoundError, Store

GOARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "i686": "386",
    "s390x": "s390x",
    "ppc64le": "ppc64le",
    "riscv64": "riscv64",
}

EVICTION_MEMORY = 100 * 1024 * 1024

CONDITIONS = (
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


def go_arch(machine: str) -> str:
    return GOARCH.get(machine, machine)


def _ki(n: int) -> str:
    return f"{n // 1024}Ki"


def node_labels(config: KubeletConfig, facts: NodeFacts) -> dict[str, str]:
    arch = go_arch(facts.arch)
    labels = {
        "beta.kubernetes.io/arch": arch,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        "kubernetes.io/hostname": config.node_name,
        "kubernetes.io/os": "linux",
    }
    labels.update(dict(config.node_labels))
    return labels


def node_status(
    config: KubeletConfig,
    facts: NodeFacts,
    host: HostInfo,
    runtime: VersionResponse,
    now: float,
    previous: JSONObject | None = None,
) -> JSONObject:
    """``status`` of the node at ``now``; transition times kept from ``previous``."""
    stamp = rfc3339(now)
    old = {c.get("type"): c for c in (previous or {}).get("conditions") or ()}
    conditions = []
    for type_, status, reason, message in CONDITIONS:
        prior = old.get(type_)
        since = prior.get("lastTransitionTime") if prior and prior.get("status") == status else None
        conditions.append(
            {
                "type": type_,
                "status": status,
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": since or stamp,
                "reason": reason,
                "message": message,
            }
        )
    capacity = {
        "cpu": str(host.cpus),
        "ephemeral-storage": _ki(host.ephemeral_storage_bytes),
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": _ki(host.memory_bytes),
        "pods": str(config.max_pods),
    }
    allocatable = dict(capacity)
    allocatable["memory"] = _ki(max(host.memory_bytes - EVICTION_MEMORY, 0))
    allocatable["ephemeral-storage"] = str(host.ephemeral_storage_bytes * 9 // 10)
    node_info = {
        "architecture": go_arch(facts.arch),
        "bootID": host.boot_id,
        "containerRuntimeVersion": f"{runtime.runtime_name}://{runtime.runtime_version}",
        "kernelVersion": facts.kernel_release,
        "kubeProxyVersion": "",
        "kubeletVersion": config.kubelet_version,
        "machineID": host.machine_id,
        "operatingSystem": "linux",
        "osImage": host.os_image,
        "systemUUID": host.system_uuid,
    }
    handler_features = {
        "recursiveReadOnlyMounts": True,
        "userNamespaces": facts.user_namespaces,
    }
    return {
        "addresses": [
            {"type": "InternalIP", "address": config.node_ip},
            {"type": "Hostname", "address": config.node_name},
        ],
        "allocatable": allocatable,
        "capacity": capacity,
        "conditions": conditions,
        "daemonEndpoints": {"kubeletEndpoint": {"Port": config.kubelet_port}},
        "features": {"supplementalGroupsPolicy": True},
        "nodeInfo": node_info,
        "runtimeHandlers": [
            {"name": "", "features": handler_features},
            {"name": "runc", "features": handler_features},
        ],
    }


def new_node(
    config: KubeletConfig,
    facts: NodeFacts,
    host: HostInfo,
    runtime: VersionResponse,
    now: float,
) -> JSONObject:
    """A Node as the kubelet registers it (pure except the uid)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": config.node_name,
            "uid": str(uuid.uuid4()),
            "creationTimestamp": rfc3339(now),
            "labels": node_labels(config, facts),
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {},
        "status": node_status(config, facts, host, runtime, now),
    }


class NodeStatusAgent:
    """Registers this node and keeps its status fresh."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: KubeletConfig,
        facts: NodeFacts,
        host: HostInfo,
        runtime: VersionResponse,
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.facts = facts
        self.host = host
        self.runtime = runtime
        self.recorder = EventRecorder(store, clock, "kubelet", config.node_name)
        self._last_unschedulable = False

    def register(self) -> JSONObject:
        """Create the node, or refresh the existing one's labels and status."""
        name = self.config.node_name
        try:
            current = self.store.get("nodes", "", name)
        except NotFoundError:
            obj = new_node(self.config, self.facts, self.host, self.runtime, self.clock.now())
            record_update(None, obj, manager="kubelet", now=self.clock.now())
            return self.store.create("nodes", "", name, obj)
        return self._refresh(current, labels=True)

    def heartbeat(self) -> JSONObject | None:
        name = self.config.node_name
        for _ in range(5):
            try:
                current = self.store.get("nodes", "", name)
            except NotFoundError:
                return self.register()
            try:
                return self._refresh(current, labels=False)
            except ConflictError:
                continue
        return None

    def _refresh(self, current: JSONObject, *, labels: bool) -> JSONObject:
        meta: dict[str, Any] = current.setdefault("metadata", {})
        if labels:
            before = copy.deepcopy(current)
            merged = dict(meta.get("labels") or {})
            merged.update(node_labels(self.config, self.facts))
            meta["labels"] = merged
            record_update(before, current, manager="kubelet", now=self.clock.now())
        before_status = copy.deepcopy(current)
        current["status"] = node_status(
            self.config,
            self.facts,
            self.host,
            self.runtime,
            self.clock.now(),
            current.get("status"),
        )
        # The kubelet's PATCH of nodes/status: its status entry in managedFields.
        record_update(
            before_status, current, manager="kubelet", now=self.clock.now(), subresource="status"
        )
        stored = self.store.update(
            "nodes",
            "",
            self.config.node_name,
            current,
            expected_resource_version=meta.get("resourceVersion"),
        )
        self._schedulable_event(stored)
        return stored

    def _schedulable_event(self, node: JSONObject) -> None:
        """``recordNodeSchedulableEvent`` (module doc)."""
        unschedulable = bool((node.get("spec") or {}).get("unschedulable"))
        if unschedulable == self._last_unschedulable:
            return
        self._last_unschedulable = unschedulable
        reason = "NodeNotSchedulable" if unschedulable else "NodeSchedulable"
        name = self.config.node_name
        ref = {"kind": "Node", "name": name, "uid": name}
        self.recorder.event(ref, "Normal", reason, f"Node {name} status is now: {reason}")
