"""``RuncRuntime``: seclet's CRI RuntimeService over runc, conmon and catatonit.

Role: the object the kubelet talks to. It holds the frozen ``RuntimeConfig``, the
node's ``NodeFacts`` and the image store's ``ImageLookup``, and delegates each verb
to its module. All state lives on disk under ``RuntimeConfig.root`` (see
``config``), so a new ``RuncRuntime`` on the same root re-adopts the sandboxes and
containers a previous seclet left running (their SELinux MCS levels stay reserved:
``mcs`` derives the levels in use from those records).
``version()`` answers ``runtime_name`` "runc" and ``runtime_version`` from
``runc --version`` (the OCI runtime that actually runs the containers, as
``kubectl get node -o wide`` would want to show it).
Callers: seclet.cli.server (wiring), tests.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from seclet.cri.streaming import ExecSession
from seclet.cri.types import (
    AttachRequest,
    Container,
    ContainerConfig,
    ContainerFilter,
    ContainerStatus,
    ExecRequest,
    ExecSyncResponse,
    PodSandboxConfig,
    PodSandboxFilter,
    PodSandboxStatus,
    VersionResponse,
)
from seclet.host.facts import NodeFacts
from seclet.runtime.image.stored import ImageLookup
from seclet.runtime.runc import (
    attach,
    container_status,
    create_container,
    driver,
    exec,
    exec_sync,
    mcs,
    pod_sandbox_status,
    records,
    remove_container,
    remove_pod_sandbox,
    reopen_container_log,
    run_pod_sandbox,
    start_container,
    stop_container,
    stop_pod_sandbox,
)
from seclet.runtime.runc.config import (
    CRI_VERSION,
    RUNTIME_API_VERSION,
    RUNTIME_NAME,
    RuntimeConfig,
)
from seclet.securitycontext.linux_context import DEFAULT_SECCOMP_ROOT


def _absolute(binary: str) -> str:
    found = shutil.which(binary)
    if found is None:
        raise FileNotFoundError(f"{binary}: not found in PATH")
    return str(Path(found).resolve())


def default_run_root(root: Path) -> Path | None:
    """``/run/seclet/<16 hex of the state root's path>`` when ``/run`` is there (tmpfs
    on a systemd machine, as containerd's ``/run/containerd``), one per state root so
    several nodes on one machine never meet; else None (under the state root)."""
    run = Path("/run")
    if not run.is_dir():
        return None
    return run / "seclet" / hashlib.sha256(str(root).encode()).hexdigest()[:16]


class RuncRuntime:
    """``seclet.cri.services.RuntimeService`` with runc + conmon + catatonit."""

    def __init__(
        self,
        root: Path,
        images: ImageLookup,
        node: NodeFacts,
        *,
        runc: str = "runc",
        conmon: str = "conmon",
        catatonit: str = "catatonit",
        seccomp_root: Path = Path(DEFAULT_SECCOMP_ROOT),
        seccomp_default: bool = False,
        privileged_without_host_devices: bool = False,
        host_ip: str = "127.0.0.1",
        drop_infra: bool = True,
        run_root: Path | None = None,
    ) -> None:
        self.config = RuntimeConfig(
            root=root.absolute(),
            runc=_absolute(runc),
            conmon=_absolute(conmon),
            catatonit=_absolute(catatonit),
            seccomp_root=str(seccomp_root),
            seccomp_default=seccomp_default,
            privileged_without_host_devices=privileged_without_host_devices,
            host_ip=host_ip,
            drop_infra=drop_infra,
            run_root=run_root if run_root is not None else default_run_root(root.absolute()),
        )
        self.images = images
        self.node = node
        self.mcs = mcs.Reservations()
        """MCS pairs handed out whose record is not saved yet (SELinux nodes only)."""
        for directory in (
            self.config.root,
            self.config.sandboxes_dir,
            self.config.containers_dir,
            self.config.exits_dir,
            self.config.runc_root,
            self.config.sockets_dir,
        ):
            directory.mkdir(parents=True, exist_ok=True, mode=0o711)
        self.config.root.chmod(0o711)
        self.config.exec_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.config.starting_dir.mkdir(exist_ok=True, mode=0o700)

    async def version(self) -> VersionResponse:
        return VersionResponse(
            version=CRI_VERSION,
            runtime_name=RUNTIME_NAME,
            runtime_version=await driver.runc_version(self.config),
            runtime_api_version=RUNTIME_API_VERSION,
        )

    async def run_pod_sandbox(self, config: PodSandboxConfig) -> str:
        return await run_pod_sandbox.run_pod_sandbox(self.config, self.node, config, self.mcs)

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        if records.find_sandbox(self.config, pod_sandbox_id) is not None:
            await stop_pod_sandbox.stop_pod_sandbox(self.config, pod_sandbox_id)

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        await remove_pod_sandbox.remove_pod_sandbox(self.config, pod_sandbox_id)

    async def pod_sandbox_status(self, pod_sandbox_id: str) -> PodSandboxStatus:
        return await pod_sandbox_status.pod_sandbox_status(self.config, pod_sandbox_id)

    async def list_pod_sandbox(
        self, filter: PodSandboxFilter | None = None
    ) -> tuple[PodSandboxStatus, ...]:
        return await pod_sandbox_status.list_pod_sandbox(self.config, filter)

    async def create_container(
        self, pod_sandbox_id: str, config: ContainerConfig, sandbox_config: PodSandboxConfig
    ) -> str:
        return await create_container.create_container(
            self.config,
            self.node,
            self.images,
            pod_sandbox_id,
            config,
            sandbox_config,
            self.mcs,
        )

    async def start_container(self, container_id: str) -> None:
        await start_container.start_container(self.config, container_id)

    async def stop_container(self, container_id: str, grace_seconds: int) -> None:
        await stop_container.stop_container(self.config, container_id, grace_seconds)

    async def remove_container(self, container_id: str) -> None:
        await remove_container.remove_container(self.config, container_id)

    async def list_containers(self, filter: ContainerFilter | None = None) -> tuple[Container, ...]:
        return await container_status.list_containers(self.config, filter)

    async def container_status(self, container_id: str) -> ContainerStatus:
        return await container_status.container_status(self.config, self.images, container_id)

    async def exec_sync(
        self, container_id: str, cmd: tuple[str, ...], timeout_seconds: int = 0
    ) -> ExecSyncResponse:
        return await exec_sync.exec_sync(self.config, container_id, cmd, timeout_seconds)

    async def exec(self, request: ExecRequest) -> ExecSession:
        return await exec.exec(self.config, request)

    async def attach(self, request: AttachRequest) -> ExecSession:
        return await attach.attach(self.config, request)

    async def reopen_container_log(self, container_id: str) -> None:
        await reopen_container_log.reopen_container_log(self.config, container_id)
