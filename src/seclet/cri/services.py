"""The two CRI services as async Protocols: what the kubelet may ask of a runtime.

Role: upstream's ``RuntimeService`` and ``ImageService`` (cri-api v1), verb for verb,
with seclet's in-process additions: ``exec`` returns an ``ExecSession`` instead of a
streaming URL, and ``attach`` likewise. Every call raises ``seclet.cri.errors``
errors; messages are what a user sees in ``kubectl describe``.
Callers: seclet.kubelet (consumes), seclet.runtime.runc and seclet.cri.fake
(implement), tests.
"""

from __future__ import annotations

from typing import Protocol

from seclet.cri.streaming import ExecSession
from seclet.cri.types import (
    AttachRequest,
    AuthConfig,
    Container,
    ContainerConfig,
    ContainerFilter,
    ContainerStatus,
    ExecRequest,
    ExecSyncResponse,
    Image,
    ImageSpec,
    PodSandboxConfig,
    PodSandboxFilter,
    PodSandboxStatus,
    VersionResponse,
)


class RuntimeService(Protocol):
    async def version(self) -> VersionResponse: ...

    async def run_pod_sandbox(self, config: PodSandboxConfig) -> str:
        """Create and start the pod's sandbox (the pause process holding the pod's
        shared namespaces); return its id."""
        ...

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        """Stop the sandbox and every container in it (force). Idempotent."""
        ...

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        """Remove a stopped sandbox and its containers. Idempotent."""
        ...

    async def pod_sandbox_status(self, pod_sandbox_id: str) -> PodSandboxStatus: ...

    async def list_pod_sandbox(
        self, filter: PodSandboxFilter | None = None
    ) -> tuple[PodSandboxStatus, ...]: ...

    async def create_container(
        self, pod_sandbox_id: str, config: ContainerConfig, sandbox_config: PodSandboxConfig
    ) -> str:
        """Build the OCI bundle and create (not start) the container; return its id.
        Errors carry the message ``kubectl describe`` shows after ``Error: ``."""
        ...

    async def start_container(self, container_id: str) -> None: ...

    async def stop_container(self, container_id: str, grace_seconds: int) -> None:
        """SIGTERM (or the image's StopSignal), then SIGKILL after ``grace_seconds``
        seconds; returns once the container has exited. Idempotent."""
        ...

    async def remove_container(self, container_id: str) -> None: ...

    async def list_containers(
        self, filter: ContainerFilter | None = None
    ) -> tuple[Container, ...]: ...

    async def container_status(self, container_id: str) -> ContainerStatus: ...

    async def exec_sync(
        self, container_id: str, cmd: tuple[str, ...], timeout_seconds: int = 0
    ) -> ExecSyncResponse: ...

    async def exec(self, request: ExecRequest) -> ExecSession: ...

    async def attach(self, request: AttachRequest) -> ExecSession:
        """The running container's own process (stdio of its init): output from now
        on, stdin when the container has one; ``wait`` answers 0 when the stream
        ends, ``kill`` detaches. A container not running is refused."""
        ...

    async def reopen_container_log(self, container_id: str) -> None: ...


class ImageService(Protocol):
    async def list_images(self) -> tuple[Image, ...]: ...

    async def image_status(self, image: ImageSpec) -> Image | None:
        """The image if present (by reference, normalised, or by id), else None."""
        ...

    async def pull_image(self, image: ImageSpec, auth: AuthConfig | None = None) -> str:
        """Pull (through the configured mirrors) and unpack; return the image id."""
        ...

    async def remove_image(self, image: ImageSpec) -> None: ...
