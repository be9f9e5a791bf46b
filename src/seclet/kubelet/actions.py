"""What a pod needs next, decided from its spec and the runtime's state (pure).

Role: upstream's ``kuberuntime_manager.go computePodActions`` for seclet's pods
(no sidecars, no in-place resize, no probes-driven restarts yet):
1. no sandbox -> create one, and start the first init container (or every regular
   container, minus those that already succeeded under OnFailure);
   a sandbox that is stopped (the pod finished) is left alone;
2. init containers in order: the first without a status is started; a running one is
   waited for; one that exited non-zero is restarted, or under ``Never`` the pod is
   killed (it failed); only when all exited 0 do regular containers start. A sidecar
   (``restartPolicy: Always`` init container) is started in its turn and, once
   running, lets the next one start; it is restarted whenever it exits (alongside the
   regular containers once those started), and stopped with the pod when the regular
   containers are done;
3. regular containers: a running one whose spec changed (``container_hash``, kept in
   the ``io.kubernetes.container.hash`` annotation; resources excluded, as in-place
   resize does not restart) is killed (``Container <c> definition changed, will be
   restarted``) and started again whatever the restart policy;
   ``ShouldContainerBeRestarted`` (never-started, created or unknown -> start; exited
   -> per restartPolicy and exit code); when none runs and none will start, the pod
   is killed (its sandbox stopped, containers kept for logs).
Callers: seclet.kubelet.worker, tests.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from seclet.api import models
from seclet.cri.types import ContainerState
from seclet.kubelet.runtimestate import PodRuntimeState

CONTAINER_HASH_ANNOTATION = "io.kubernetes.container.hash"


@dataclass(frozen=True, slots=True)
class PodActions:
    kill_pod: bool = False
    create_sandbox: bool = False
    next_init_container: str | None = None
    containers_to_start: tuple[str, ...] = ()
    containers_to_kill: tuple[tuple[str, str, str], ...] = ()
    """(container id, name, Killing event message)."""


def container_hash(container: models.Container) -> str:
    """A stable hash of what the container runs (not its resources)."""
    text = repr(container._replace(resources=None, resizePolicy=()))
    return f"{zlib.crc32(text.encode()):08x}"


def restart_policy(pod: models.Pod) -> str:
    return (pod.spec or models.PodSpec()).restartPolicy or "Always"


def should_container_be_restarted(
    container: models.Container, pod: models.Pod, state: PodRuntimeState
) -> bool:
    """upstream ``kubecontainer.ShouldContainerBeRestarted``."""
    if (pod.metadata or models.ObjectMeta()).deletionTimestamp:
        return False
    status = state.latest(container.name or "")
    if status is None:
        return True
    if status.state == ContainerState.CONTAINER_RUNNING:
        return False
    if status.state in (ContainerState.CONTAINER_UNKNOWN, ContainerState.CONTAINER_CREATED):
        return True
    if is_sidecar(container):
        return True
    policy = restart_policy(pod)
    if policy == "Never":
        return False
    return not (policy == "OnFailure" and status.exit_code == 0)


def is_sidecar(container: models.Container) -> bool:
    """A restartable init container (``restartPolicy: Always``, SidecarContainers GA)."""
    return container.restartPolicy == "Always"


def any_regular_started(pod: models.Pod, state: PodRuntimeState) -> bool:
    """``HasAnyRegularContainerStarted``: some regular container ran or runs."""
    for c in (pod.spec or models.PodSpec()).containers:
        s = state.latest(c.name or "")
        if s is not None and s.state in (
            ContainerState.CONTAINER_RUNNING,
            ContainerState.CONTAINER_EXITED,
        ):
            return True
    return False


def _succeeded(name: str, state: PodRuntimeState) -> bool:
    s = state.latest(name)
    return s is not None and s.state == ContainerState.CONTAINER_EXITED and s.exit_code == 0


def compute_pod_actions(pod: models.Pod, state: PodRuntimeState) -> PodActions:
    """The steps above."""
    spec = pod.spec or models.PodSpec()
    policy = restart_policy(pod)
    if state.sandbox is None:
        fresh = tuple(
            c.name or ""
            for c in spec.containers
            if not (policy == "OnFailure" and _succeeded(c.name or "", state))
        )
        if not fresh:
            return PodActions()
        if spec.initContainers:
            return PodActions(
                create_sandbox=True, next_init_container=spec.initContainers[0].name or ""
            )
        return PodActions(create_sandbox=True, containers_to_start=fresh)
    if not state.sandbox_ready:
        return PodActions()
    regular_started = any_regular_started(pod, state)
    sidecars: list[str] = []
    for init in spec.initContainers:
        name = init.name or ""
        status = state.latest(name)
        if is_sidecar(init):
            if status is not None and status.state == ContainerState.CONTAINER_RUNNING:
                continue
            if status is None or not regular_started:
                return PodActions(next_init_container=name)
            sidecars.append(name)
            continue
        if status is None or status.state in (
            ContainerState.CONTAINER_CREATED,
            ContainerState.CONTAINER_UNKNOWN,
        ):
            return PodActions(next_init_container=name)
        if status.state == ContainerState.CONTAINER_RUNNING:
            return PodActions()
        if status.exit_code != 0:
            if policy == "Never":
                return PodActions(kill_pod=True)
            return PodActions(next_init_container=name)
    to_start: list[str] = []
    to_kill: list[tuple[str, str, str]] = []
    running = False
    for c in spec.containers:
        name = c.name or ""
        status = state.latest(name)
        if status is not None and status.state == ContainerState.CONTAINER_RUNNING:
            recorded = status.annotations.get(CONTAINER_HASH_ANNOTATION)
            if recorded and recorded != container_hash(c):
                message = f"Container {name} definition changed, will be restarted"
                to_kill.append((status.id, name, message))
                to_start.append(name)
            else:
                running = True
        elif should_container_be_restarted(c, pod, state):
            to_start.append(name)
    if not running and not to_start:
        return PodActions(kill_pod=True)
    return PodActions(
        containers_to_start=tuple(sidecars + to_start), containers_to_kill=tuple(to_kill)
    )
