"""The runtime's view of one pod, read through the CRI and grouped for decisions.

Role: upstream's ``kubecontainer.PodStatus``: the pod's newest sandbox and, per
container name, its CRI statuses newest first (``[0]`` is the current attempt,
``[1]`` the previous one, whose state becomes ``lastState``). ``read_pod_state`` is
the I/O (ListPodSandbox + ListContainers by the pod-uid label, ContainerStatus each);
the rest is pure.
Callers: seclet.kubelet.worker, .actions, .status, .server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from seclet.cri.errors import CRIError
from seclet.cri.services import RuntimeService
from seclet.cri.types import (
    ContainerFilter,
    ContainerState,
    ContainerStatus,
    PodSandboxFilter,
    PodSandboxState,
    PodSandboxStatus,
)

POD_UID_LABEL = "io.kubernetes.pod.uid"
POD_NAME_LABEL = "io.kubernetes.pod.name"
POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
CONTAINER_NAME_LABEL = "io.kubernetes.container.name"
RESTART_COUNT_ANNOTATION = "io.kubernetes.container.restartCount"


@dataclass(frozen=True, slots=True)
class PodRuntimeState:
    sandbox: PodSandboxStatus | None = None
    containers: Mapping[str, tuple[ContainerStatus, ...]] = field(default_factory=dict)

    def latest(self, name: str) -> ContainerStatus | None:
        attempts = self.containers.get(name)
        return attempts[0] if attempts else None

    def previous(self, name: str) -> ContainerStatus | None:
        attempts = self.containers.get(name)
        return attempts[1] if attempts and len(attempts) > 1 else None

    @property
    def sandbox_ready(self) -> bool:
        return self.sandbox is not None and self.sandbox.state == PodSandboxState.SANDBOX_READY

    def running(self) -> tuple[ContainerStatus, ...]:
        return tuple(
            s
            for attempts in self.containers.values()
            for s in attempts
            if s.state == ContainerState.CONTAINER_RUNNING
        )


def group_statuses(
    sandbox: PodSandboxStatus | None, statuses: list[ContainerStatus]
) -> PodRuntimeState:
    """Pure: statuses grouped by container name, newest (highest attempt, then latest
    creation) first."""
    by_name: dict[str, list[ContainerStatus]] = {}
    for s in statuses:
        by_name.setdefault(s.metadata.name, []).append(s)
    grouped = {
        name: tuple(sorted(items, key=lambda s: (s.metadata.attempt, s.created_at), reverse=True))
        for name, items in by_name.items()
    }
    return PodRuntimeState(sandbox, grouped)


async def read_pod_state(runtime: RuntimeService, pod_uid: str) -> PodRuntimeState:
    selector = {POD_UID_LABEL: pod_uid}
    sandboxes = await runtime.list_pod_sandbox(PodSandboxFilter(label_selector=selector))
    sandbox = max(sandboxes, key=lambda s: s.created_at) if sandboxes else None
    statuses = []
    for c in await runtime.list_containers(ContainerFilter(label_selector=selector)):
        try:
            statuses.append(await runtime.container_status(c.id))
        except CRIError:
            continue
    return group_statuses(sandbox, statuses)
