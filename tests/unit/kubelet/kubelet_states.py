"""Builders of pods and CRI statuses for the pure kubelet tests. Callers: tests."""

from __future__ import annotations

from typing import Any

from seclet.api import models
from seclet.api.decode import decode
from seclet.cri.types import (
    ContainerMetadata,
    ContainerState,
    ContainerStatus,
    ImageSpec,
    LinuxContainerUser,
    PodSandboxMetadata,
    PodSandboxState,
    PodSandboxStatus,
)
from seclet.kubelet.runtimestate import PodRuntimeState, group_statuses

S = 1_000_000_000
T0 = 1_795_000_000  # 2026-11-18T...


def pod(
    containers: tuple[str, ...] = ("app",),
    init: tuple[str, ...] = (),
    restart: str = "Always",
    **spec: Any,
) -> models.Pod:
    return decode(
        {
            "metadata": {"name": "p", "namespace": "ns", "uid": "u1", "generation": 1},
            "spec": {
                "restartPolicy": restart,
                "containers": [{"name": c, "image": "busybox:1.28"} for c in containers],
                "initContainers": [{"name": c, "image": "busybox:1.28"} for c in init],
                **spec,
            },
        },
        models.Pod,
    )


def sandbox(ready: bool = True) -> PodSandboxStatus:
    return PodSandboxStatus(
        id="sb",
        metadata=PodSandboxMetadata(name="p", uid="u1", namespace="ns"),
        state=PodSandboxState.SANDBOX_READY if ready else PodSandboxState.SANDBOX_NOTREADY,
        created_at=T0 * S,
    )


def cs(
    name: str,
    state: str,
    *,
    exit_code: int = 0,
    attempt: int = 0,
    started: int = 10,
    finished: int = 20,
    user: bool = True,
) -> ContainerStatus:
    st = {
        "running": ContainerState.CONTAINER_RUNNING,
        "exited": ContainerState.CONTAINER_EXITED,
        "created": ContainerState.CONTAINER_CREATED,
    }[state]
    return ContainerStatus(
        id=f"{name}-{attempt}",
        metadata=ContainerMetadata(name=name, attempt=attempt),
        state=st,
        created_at=(T0 + started - 1) * S,
        started_at=(T0 + started) * S if state != "created" else 0,
        finished_at=(T0 + finished) * S if state == "exited" else 0,
        exit_code=exit_code,
        image=ImageSpec(image="docker.io/library/busybox:1.28"),
        image_ref="docker.io/library/busybox@sha256:abc",
        image_id="sha256:" + "e9" * 32,
        reason=("Completed" if exit_code == 0 else "Error") if state == "exited" else "",
        user=LinuxContainerUser(uid=0, gid=0, supplemental_groups=(0,)) if user else None,
    )


def state(*statuses: ContainerStatus, ready: bool | None = True) -> PodRuntimeState:
    sb = None if ready is None else sandbox(ready)
    return group_statuses(sb, list(statuses))
