"""The runtime's view of one pod, read through the CRI and grouped for decisions.

Role: upstream's ``kubecontainer.PodStatus``: the pod's newest sandbox and, per
container name, its CRI statuses newest first (``[0]`` is the current attempt,
``[1]`` the previous one, whose state becomes ``lastState``). ``read_pod_state`` is
the I/O (ListPodSandbox + ListContainers by the pod-uid label, ContainerStatus each);
the rest is pure.
Callers: seclet.kubelet.worker, .actions, .status, .server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

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
from seclet.kubelet.logs import parse_log, render, select_records

POD_UID_LABEL = "io.kubernetes.pod.uid"
POD_NAME_LABEL = "io.kubernetes.pod.name"
POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
CONTAINER_NAME_LABEL = "io.kubernetes.container.name"
RESTART_COUNT_ANNOTATION = "io.kubernetes.container.restartCount"
TERMINATION_MESSAGE_PATH_ANNOTATION = "io.kubernetes.container.terminationMessagePath"
TERMINATION_MESSAGE_POLICY_ANNOTATION = "io.kubernetes.container.terminationMessagePolicy"
TERMINATION_LOG_ANNOTATION = "seclet.io/termination-log"
"""Host path of the file bound at terminationMessagePath (upstream finds it in the
CRI status's mounts; seclet's CRI status has none, so the kubelet notes it here)."""
MAX_TERMINATION_MESSAGE = 4096
MAX_TERMINATION_LOG_BYTES = 2048
MAX_TERMINATION_LOG_LINES = 80


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
            status = await runtime.container_status(c.id)
        except CRIError:
            continue
        if status.state == ContainerState.CONTAINER_EXITED:
            status = await asyncio.to_thread(with_termination_message, status)
        statuses.append(status)
    return group_statuses(sandbox, statuses)


def _read_at_most(path: str, limit: int) -> str | None:
    try:
        with Path(path).open("rb") as f:
            return f.read(limit).decode(errors="replace")
    except FileNotFoundError:
        return None
    except OSError as e:
        return f"Error on reading termination log {path}: {e}"


def _last_log_lines(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return f"Error on reading termination message from logs: {e}"
    records = select_records(parse_log(data), tail_lines=MAX_TERMINATION_LOG_LINES)
    text = render(records, timestamps=False)
    return text[-MAX_TERMINATION_LOG_BYTES:].decode(errors="replace")


def with_termination_message(status: ContainerStatus) -> ContainerStatus:
    """upstream ``convertToKubeContainerStatus``: an exited container's message gets the
    termination-log file's text (at most 4096 bytes), or with FallbackToLogsOnError and
    a failure, the last 80 lines / 2048 bytes of its log."""
    annotations = status.annotations
    fallback = (
        annotations.get(TERMINATION_MESSAGE_POLICY_ANNOTATION) == "FallbackToLogsOnError"
        and status.exit_code != 0
        and status.reason != "ContainerCannotRun"
    )
    host_file = annotations.get(TERMINATION_LOG_ANNOTATION, "")
    message: str | None = None
    check_logs = fallback
    if host_file:
        message = _read_at_most(host_file, MAX_TERMINATION_MESSAGE)
        if message is None:
            message = ""
        else:
            check_logs = fallback and not message
    if check_logs and status.log_path:
        message = _last_log_lines(status.log_path)
    if not message:
        return status
    joined = f"{status.message}: {message}" if status.message else message
    return replace(status, message=joined)


def dead_to_remove(state: PodRuntimeState, keep: int = 1) -> tuple[ContainerStatus, ...]:
    """Container GC (``MaxPerPodContainer`` 1): per container name, the exited
    containers beyond the newest ``keep`` ones (pure)."""
    out: list[ContainerStatus] = []
    for attempts in state.containers.values():
        dead = [s for s in attempts if s.state == ContainerState.CONTAINER_EXITED]
        out.extend(dead[keep:])
    return tuple(out)
