"""An in-memory container runtime for kubelet tests: both CRI services, scriptable.

Role: implements ``RuntimeService`` and ``ImageService`` with dicts. Tests script it:
which images a registry has (``add_registry_image``) or the node already holds
(``add_image``, with the image config's ``User``), pull failures, create/start
failures, what a container does once started (``Behaviour``: run forever, or exit
with a code after some seconds, writing CRI log lines), exec and attach results. Every call
is recorded in ``calls``. Container state advances lazily from the injected time
source, so a scaled clock makes a ten-second container take milliseconds.
Callers: tests of seclet.kubelet (unit and integration).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from seclet.cri.errors import (
    CRIError,
    FailedPreconditionError,
    ImagePullError,
    ImagePullNotFoundError,
    NotFoundError,
)
from seclet.cri.streaming import ExecSession
from seclet.cri.types import (
    AttachRequest,
    AuthConfig,
    Container,
    ContainerConfig,
    ContainerFilter,
    ContainerState,
    ContainerStatus,
    ExecRequest,
    ExecSyncResponse,
    Image,
    ImageSpec,
    LinuxContainerUser,
    PodSandboxConfig,
    PodSandboxFilter,
    PodSandboxState,
    PodSandboxStatus,
    VersionResponse,
)

TimeSource = Callable[[], int]


def normalize_reference(ref: str) -> str:
    """``busybox`` -> ``docker.io/library/busybox:latest`` (docker's normalisation)."""
    if "@" in ref:
        name, digest = ref.split("@", 1)
        return _normalize_name(name) + "@" + digest
    name, tag = ref, "latest"
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
    return f"{_normalize_name(name)}:{tag}"


def _normalize_name(name: str) -> str:
    first = name.split("/", 1)[0]
    if "/" not in name:
        return f"docker.io/library/{name}"
    if "." in first or ":" in first or first == "localhost":
        return name
    return f"docker.io/{name}"


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Behaviour:
    """What a started container does: ``exit_code`` None runs until stopped; else it
    exits with that code ``run_seconds`` after starting. ``logs`` are (stream, line)
    pairs written to the CRI log at start."""

    exit_code: int | None = None
    run_seconds: float = 0.0
    logs: tuple[tuple[str, str], ...] = ()
    termination_message: str = ""
    """Written at start to the mount at the container's terminationMessagePath."""


@dataclass(slots=True)
class _Sandbox:
    id: str
    config: PodSandboxConfig
    state: PodSandboxState
    created_at: int


@dataclass(slots=True)
class _Container:
    id: str
    sandbox_id: str
    config: ContainerConfig
    image: Image
    state: ContainerState
    created_at: int
    behaviour: Behaviour
    log_path: str
    started_at: int = 0
    finished_at: int = 0
    exit_code: int = 0
    reason: str = ""


@dataclass
class FakeExecSession:
    """An exec that already ran: fixed output and exit code."""

    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0
    tty: bool = False
    stdin: bytearray = field(default_factory=bytearray)
    _out_done: bool = False
    _err_done: bool = False

    async def write_stdin(self, data: bytes) -> None:
        self.stdin += data

    async def close_stdin(self) -> None:
        return None

    async def read_stdout(self) -> bytes:
        if self._out_done:
            return b""
        self._out_done = True
        return self.stdout

    async def read_stderr(self) -> bytes:
        if self._err_done or self.tty:
            return b""
        self._err_done = True
        return self.stderr

    def resize(self, width: int, height: int) -> None:
        return None

    async def wait(self) -> int:
        await asyncio.sleep(0)
        return self.exit_code

    async def kill(self) -> None:
        return None


class FakeRuntime:
    """``RuntimeService`` + ``ImageService`` in memory."""

    def __init__(
        self,
        time_ns: TimeSource | None = None,
        runtime_name: str = "containerd",
        runtime_version: str = "v2.1.0-fake",
    ) -> None:
        self.time_ns: TimeSource = time_ns or _real_time_ns
        self.runtime_name = runtime_name
        self.runtime_version = runtime_version
        self.calls: list[tuple[str, Any]] = []
        self.sandboxes: dict[str, _Sandbox] = {}
        self.containers: dict[str, _Container] = {}
        self.images: dict[str, Image] = {}
        """Images on the node by id."""
        self.registry: dict[str, Image] = {}
        """Images a pull can fetch, by normalised reference."""
        self.pull_errors: dict[str, str] = {}
        self.sandbox_errors: dict[str, CRIError] = {}
        """By pod name: RunPodSandbox fails."""
        self.create_errors: dict[str, CRIError] = {}
        """By container name."""
        self.start_errors: dict[str, CRIError] = {}
        self.behaviours: dict[str, Behaviour] = {}
        """By container name (first) or image reference as the pod names it."""
        self.exec_results: dict[tuple[str, ...], FakeExecSession] = {}
        self.attach_results: dict[str, FakeExecSession] = {}
        """By container name: what an attach to it streams."""
        self.pull_delay = 0.0
        self.required_auth: dict[str, AuthConfig] = {}
        """Normalised reference -> the credentials its registry demands."""
        self._next = 0

    # -- scripting ------------------------------------------------------------------

    def _image(self, ref: str, user: str, size: int) -> Image:
        name = normalize_reference(ref)
        repo = name.rsplit(":", 1)[0] if "@" not in name else name.split("@", 1)[0]
        uid: int | None = None
        username = ""
        part = user.split(":", 1)[0]
        if part:
            try:
                uid = int(part)
            except ValueError:
                username = part
        return Image(
            id=_digest("config:" + name + user),
            repo_tags=(name,) if "@" not in name else (),
            repo_digests=(f"{repo}@{_digest('manifest:' + name)}",),
            size=size,
            uid=uid,
            username=username,
            user=user,
            cmd=("sh",),
        )

    def add_image(self, ref: str, user: str = "", size: int = 2_166_802) -> Image:
        """Put an image on the node (as if pulled before)."""
        image = self._image(ref, user, size)
        self.images[image.id] = image
        return image

    def add_registry_image(self, ref: str, user: str = "", size: int = 2_166_802) -> Image:
        """Make ``ref`` pullable."""
        image = self._image(ref, user, size)
        self.registry[normalize_reference(ref)] = image
        return image

    def behave(self, key: str, behaviour: Behaviour) -> None:
        self.behaviours[key] = behaviour

    def _id(self) -> str:
        self._next += 1
        return hashlib.sha256(f"fake-{self._next}".encode()).hexdigest()

    def _record(self, verb: str, arg: Any = None) -> None:
        self.calls.append((verb, arg))

    def verbs(self) -> list[str]:
        return [verb for verb, _ in self.calls]

    # -- RuntimeService -------------------------------------------------------------

    async def version(self) -> VersionResponse:
        return VersionResponse(
            version="0.1.0",
            runtime_name=self.runtime_name,
            runtime_version=self.runtime_version,
            runtime_api_version="v1",
        )

    async def run_pod_sandbox(self, config: PodSandboxConfig) -> str:
        self._record("RunPodSandbox", config.metadata.name)
        if config.metadata.name in self.sandbox_errors:
            raise self.sandbox_errors[config.metadata.name]
        sid = self._id()
        self.sandboxes[sid] = _Sandbox(sid, config, PodSandboxState.SANDBOX_READY, self.time_ns())
        if config.log_directory:
            _mkdir(config.log_directory)
        return sid

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        self._record("StopPodSandbox", pod_sandbox_id)
        sandbox = self.sandboxes.get(pod_sandbox_id)
        if sandbox is None:
            return
        for c in self.containers.values():
            if c.sandbox_id == pod_sandbox_id:
                self._advance(c)
                if c.state == ContainerState.CONTAINER_RUNNING:
                    self._exit(c, 137, "Error")
        sandbox.state = PodSandboxState.SANDBOX_NOTREADY

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        self._record("RemovePodSandbox", pod_sandbox_id)
        self.sandboxes.pop(pod_sandbox_id, None)
        for cid in [k for k, c in self.containers.items() if c.sandbox_id == pod_sandbox_id]:
            del self.containers[cid]

    def _sandbox_status(self, s: _Sandbox) -> PodSandboxStatus:
        return PodSandboxStatus(
            id=s.id,
            metadata=s.config.metadata,
            state=s.state,
            created_at=s.created_at,
            ip="",
            labels=s.config.labels,
            annotations=s.config.annotations,
        )

    async def pod_sandbox_status(self, pod_sandbox_id: str) -> PodSandboxStatus:
        s = self.sandboxes.get(pod_sandbox_id)
        if s is None:
            raise NotFoundError(
                f"an error occurred when try to find sandbox: not found {pod_sandbox_id}"
            )
        return self._sandbox_status(s)

    async def list_pod_sandbox(
        self, filter: PodSandboxFilter | None = None
    ) -> tuple[PodSandboxStatus, ...]:
        out = []
        for s in self.sandboxes.values():
            if filter is not None:
                if filter.id and s.id != filter.id:
                    continue
                if filter.state is not None and s.state != filter.state:
                    continue
                if any(s.config.labels.get(k) != v for k, v in filter.label_selector.items()):
                    continue
            out.append(self._sandbox_status(s))
        return tuple(out)

    def _find_image(self, ref: str) -> Image | None:
        if ref in self.images:
            return self.images[ref]
        name = normalize_reference(ref)
        for image in self.images.values():
            if name in image.repo_tags or name in image.repo_digests:
                return image
        return None

    async def create_container(
        self, pod_sandbox_id: str, config: ContainerConfig, sandbox_config: PodSandboxConfig
    ) -> str:
        name = config.metadata.name
        self._record("CreateContainer", name)
        if pod_sandbox_id not in self.sandboxes:
            raise NotFoundError(f"failed to get sandbox {pod_sandbox_id}: not found")
        if name in self.create_errors:
            raise self.create_errors[name]
        image = self._find_image(config.image.image)
        if image is None:
            raise NotFoundError(f"failed to get image {config.image.image!r}: not found")
        spec_image = config.container.image or ""
        behaviour = self.behaviours.get(name) or self.behaviours.get(spec_image) or Behaviour()
        cid = self._id()
        log_path = ""
        if sandbox_config.log_directory and config.log_path:
            log_path = str(Path(sandbox_config.log_directory) / config.log_path)
        self.containers[cid] = _Container(
            id=cid,
            sandbox_id=pod_sandbox_id,
            config=config,
            image=image,
            state=ContainerState.CONTAINER_CREATED,
            created_at=self.time_ns(),
            behaviour=behaviour,
            log_path=log_path,
        )
        return cid

    def _container(self, container_id: str) -> _Container:
        c = self.containers.get(container_id)
        if c is None:
            raise NotFoundError(
                f"an error occurred when try to find container {container_id!r}: not found"
            )
        return c

    async def start_container(self, container_id: str) -> None:
        self._record("StartContainer", container_id)
        c = self._container(container_id)
        if c.state != ContainerState.CONTAINER_CREATED:
            raise FailedPreconditionError(f"container {container_id} is not in created state")
        name = c.config.metadata.name
        if name in self.start_errors:
            err = self.start_errors[name]
            c.state = ContainerState.CONTAINER_EXITED
            c.exit_code = 128
            c.reason = "StartError"
            c.finished_at = self.time_ns()
            raise err
        c.state = ContainerState.CONTAINER_RUNNING
        c.started_at = self.time_ns()
        if c.log_path:
            self._write_logs(c)
        if c.behaviour.termination_message:
            self._write_termination_message(c)

    def _write_logs(self, c: _Container) -> None:
        path = Path(c.log_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        ts = datetime.datetime.fromtimestamp(c.started_at / 1e9, datetime.UTC)
        stamp = ts.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
        with path.open("a", encoding="utf-8") as f:
            for stream, line in c.behaviour.logs:
                f.write(f"{stamp} {stream} F {line}\n")

    def _write_termination_message(self, c: _Container) -> None:
        target = c.config.container.terminationMessagePath
        for mount in c.config.mounts:
            if mount.container_path == target:
                Path(mount.host_path).write_text(c.behaviour.termination_message)

    def _exit(self, c: _Container, code: int, reason: str) -> None:
        c.state = ContainerState.CONTAINER_EXITED
        c.exit_code = code
        c.reason = reason
        c.finished_at = self.time_ns()

    def _advance(self, c: _Container) -> None:
        """A running container whose behaviour says it has exited by now exits."""
        b = c.behaviour
        if c.state != ContainerState.CONTAINER_RUNNING or b.exit_code is None:
            return
        end = c.started_at + int(b.run_seconds * 1e9)
        if self.time_ns() >= end:
            self._exit(c, b.exit_code, "Completed" if b.exit_code == 0 else "Error")
            c.finished_at = end

    async def stop_container(self, container_id: str, grace_seconds: int) -> None:
        self._record("StopContainer", (container_id, grace_seconds))
        c = self._container(container_id)
        self._advance(c)
        if c.state == ContainerState.CONTAINER_RUNNING:
            self._exit(c, 137 if grace_seconds == 0 else 143, "Error")
        elif c.state == ContainerState.CONTAINER_CREATED:
            self._exit(c, 0, "")

    async def remove_container(self, container_id: str) -> None:
        self._record("RemoveContainer", container_id)
        self.containers.pop(container_id, None)

    async def list_containers(self, filter: ContainerFilter | None = None) -> tuple[Container, ...]:
        out = []
        for c in self.containers.values():
            self._advance(c)
            if filter is not None:
                if filter.id and c.id != filter.id:
                    continue
                if filter.pod_sandbox_id and c.sandbox_id != filter.pod_sandbox_id:
                    continue
                if filter.state is not None and c.state != filter.state:
                    continue
                if any(c.config.labels.get(k) != v for k, v in filter.label_selector.items()):
                    continue
            out.append(
                Container(
                    id=c.id,
                    pod_sandbox_id=c.sandbox_id,
                    metadata=c.config.metadata,
                    image=ImageSpec(
                        image=c.image.repo_tags[0] if c.image.repo_tags else c.image.id
                    ),
                    image_ref=c.image.id,
                    state=c.state,
                    created_at=c.created_at,
                    labels=c.config.labels,
                    annotations=c.config.annotations,
                )
            )
        return tuple(out)

    def _user(self, c: _Container) -> LinuxContainerUser:
        pod_sc = c.config.pod.spec.securityContext if c.config.pod.spec else None
        sc = c.config.container.securityContext
        uid = sc.runAsUser if sc else None
        if uid is None and pod_sc is not None:
            uid = pod_sc.runAsUser
        if uid is None:
            uid = c.image.uid or 0
        gid = sc.runAsGroup if sc else None
        if gid is None and pod_sc is not None:
            gid = pod_sc.runAsGroup
        gid = gid or 0
        groups = {gid}
        if pod_sc is not None:
            groups.update(pod_sc.supplementalGroups)
            if pod_sc.fsGroup is not None:
                groups.add(pod_sc.fsGroup)
        groups.update(c.config.supplemental_groups)
        return LinuxContainerUser(uid=uid, gid=gid, supplemental_groups=tuple(sorted(groups)))

    async def container_status(self, container_id: str) -> ContainerStatus:
        c = self._container(container_id)
        self._advance(c)
        started = c.state in (ContainerState.CONTAINER_RUNNING, ContainerState.CONTAINER_EXITED)
        return ContainerStatus(
            id=c.id,
            metadata=c.config.metadata,
            state=c.state,
            created_at=c.created_at,
            started_at=c.started_at,
            finished_at=c.finished_at,
            exit_code=c.exit_code,
            image=ImageSpec(image=c.image.repo_tags[0] if c.image.repo_tags else c.image.id),
            image_ref=c.image.repo_digests[0] if c.image.repo_digests else c.image.id,
            image_id=c.image.id,
            reason=c.reason,
            labels=c.config.labels,
            annotations=c.config.annotations,
            log_path=c.log_path,
            user=self._user(c) if started and c.reason != "StartError" else None,
        )

    async def exec_sync(
        self, container_id: str, cmd: tuple[str, ...], timeout_seconds: int = 0
    ) -> ExecSyncResponse:
        self._record("ExecSync", (container_id, cmd))
        session = self.exec_results.get(cmd, FakeExecSession())
        return ExecSyncResponse(
            stdout=session.stdout, stderr=session.stderr, exit_code=session.exit_code
        )

    async def exec(self, request: ExecRequest) -> ExecSession:
        self._record("Exec", (request.container_id, request.cmd))
        c = self._container(request.container_id)
        self._advance(c)
        if c.state != ContainerState.CONTAINER_RUNNING:
            raise FailedPreconditionError(f"container {request.container_id} is not running")
        template = self.exec_results.get(request.cmd, FakeExecSession())
        return replace(template, tty=request.tty, stdin=bytearray())

    async def attach(self, request: AttachRequest) -> ExecSession:
        """As containerd: only a running container; its scripted output, exit 0."""
        self._record("Attach", request.container_id)
        c = self._container(request.container_id)
        self._advance(c)
        if c.state != ContainerState.CONTAINER_RUNNING:
            raise FailedPreconditionError(f"container is in {c.state.name} state")
        template = self.attach_results.get(c.config.metadata.name, FakeExecSession())
        return replace(template, tty=request.tty, stdin=bytearray(), exit_code=0)

    async def reopen_container_log(self, container_id: str) -> None:
        """As conmon: a running container's log file is (re)created at its path."""
        self._record("ReopenContainerLog", container_id)
        c = self._container(container_id)
        self._advance(c)
        if c.state != ContainerState.CONTAINER_RUNNING:
            raise FailedPreconditionError("container is not running")
        if c.log_path:
            await asyncio.to_thread(Path(c.log_path).touch)

    # -- ImageService ---------------------------------------------------------------

    async def list_images(self) -> tuple[Image, ...]:
        return tuple(self.images.values())

    async def image_status(self, image: ImageSpec) -> Image | None:
        return self._find_image(image.image)

    async def pull_image(self, image: ImageSpec, auth: AuthConfig | None = None) -> str:
        self._record("PullImage", image.image)
        if self.pull_delay:
            await asyncio.sleep(self.pull_delay)
        name = normalize_reference(image.image)
        if image.image in self.pull_errors:
            raise ImagePullError(self.pull_errors[image.image])
        needed = self.required_auth.get(name)
        if needed is not None and auth != needed:
            raise ImagePullError(
                f'failed to pull and unpack image "{name}": failed to resolve reference '
                f'"{name}": pull access denied, repository does not exist or may require '
                "authorization: server message: insufficient_scope: authorization failed"
            )
        found = self.registry.get(name)
        if found is None:
            raise ImagePullNotFoundError(
                f'failed to pull and unpack image "{name}": failed to resolve reference '
                f'"{name}": {name}: not found'
            )
        self.images[found.id] = found
        return found.id

    async def remove_image(self, image: ImageSpec) -> None:
        self._record("RemoveImage", image.image)
        found = self._find_image(image.image)
        if found is not None:
            del self.images[found.id]


def _real_time_ns() -> int:
    return time.time_ns()


def _mkdir(path: str) -> None:
    """Directories on a test's tmp dir: instant, so done inline."""
    Path(path).mkdir(parents=True, exist_ok=True)
