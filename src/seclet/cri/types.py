"""CRI messages as frozen values, with CRI's field names (snake_case, as in api.proto).

Role: the requests and answers of ``RuntimeService`` and ``ImageService``.
One deliberate difference from upstream's api.proto: the security context crosses
the seam as the Kubernetes objects (``PodSandboxConfig.pod``,
``ContainerConfig.pod`` / ``.container``) because seclet translates
securityContext -> OCI in one pure function (``seclet.runtime.oci``) that already
derives the CRI ``LinuxContainerSecurityContext`` the kubelet would send
(``securitycontext.linux_context``). Everything else the kubelet decides (mounts it
prepared, environment, log path, resolved command) travels as in CRI.
Timestamps are nanoseconds since the epoch (``int``), as CRI's ``int64`` fields.
Callers: seclet.cri.services, seclet.kubelet, seclet.runtime.runc, seclet.cri.fake.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from seclet.api import models
from seclet.api.schema import FrozenMap

_NO_LABELS: Mapping[str, str] = FrozenMap()


class PodSandboxState(enum.Enum):
    SANDBOX_READY = 0
    SANDBOX_NOTREADY = 1


class ContainerState(enum.Enum):
    CONTAINER_CREATED = 0
    CONTAINER_RUNNING = 1
    CONTAINER_EXITED = 2
    CONTAINER_UNKNOWN = 3


class MountPropagation(enum.Enum):
    PROPAGATION_PRIVATE = 0
    PROPAGATION_HOST_TO_CONTAINER = 1
    PROPAGATION_BIDIRECTIONAL = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class PodSandboxMetadata:
    name: str
    uid: str
    namespace: str
    attempt: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PodSandboxConfig:
    """What RunPodSandbox needs. Namespace modes (hostNetwork, hostPID, hostIPC,
    hostUsers), hostname, sysctls and the pod-level security context are read from
    ``pod.spec`` by the runtime, as containerd reads them from the CRI message."""

    metadata: PodSandboxMetadata
    pod: models.Pod
    hostname: str = ""
    log_directory: str = ""
    """``/var/log/pods/<namespace>_<name>_<uid>`` under the kubelet's log root."""
    cgroup_parent: str = ""
    labels: Mapping[str, str] = field(default=_NO_LABELS)
    annotations: Mapping[str, str] = field(default=_NO_LABELS)
    userns_host_id: int | None = None
    """hostUsers: false: first host id of the pod's 65536-wide mapping (kubelet-allocated)."""
    pod_pids_limit: int = -1
    """The kubelet's ``podPidsLimit``: ``pids.max`` of the pod cgroup (-1: unlimited).
    Upstream's kubelet writes it itself when its pod container manager makes the pod
    cgroup; seclet's runtime makes that cgroup on the kubelet's behalf (no cgroup
    parent sent), so the value travels with the sandbox request."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PodSandboxStatus:
    id: str
    metadata: PodSandboxMetadata
    state: PodSandboxState
    created_at: int
    ip: str = ""
    """Pod IP (``status.podIP``): 127.0.0.1-style loopback-only pods report ""."""
    pid: int = 0
    """The sandbox (pause) process id on the host, 0 when not running."""
    labels: Mapping[str, str] = field(default=_NO_LABELS)
    annotations: Mapping[str, str] = field(default=_NO_LABELS)


@dataclass(frozen=True, slots=True, kw_only=True)
class PodSandboxFilter:
    id: str = ""
    state: PodSandboxState | None = None
    label_selector: Mapping[str, str] = field(default=_NO_LABELS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Mount:
    """CRI ``Mount``: bind ``host_path`` (already prepared by the kubelet) at
    ``container_path``."""

    container_path: str
    host_path: str
    readonly: bool = False
    selinux_relabel: bool = False
    propagation: MountPropagation = MountPropagation.PROPAGATION_PRIVATE
    recursive_read_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyValue:
    key: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerMetadata:
    name: str
    attempt: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageSpec:
    image: str
    """The reference as the pod names it (``busybox:1.28``) or an image id."""
    annotations: Mapping[str, str] = field(default=_NO_LABELS)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerConfig:
    """What CreateContainer needs. ``command``/``args`` are the pod's after the
    kubelet's $(VAR) expansion (empty: the image's Entrypoint/Cmd apply); ``envs``
    are the kubelet-resolved environment (image Env is merged by the runtime)."""

    metadata: ContainerMetadata
    image: ImageSpec
    pod: models.Pod
    container: models.Container
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    working_dir: str = ""
    envs: tuple[KeyValue, ...] = ()
    mounts: tuple[Mount, ...] = ()
    log_path: str = ""
    """Relative to the sandbox's ``log_directory``: ``<container>/<attempt>.log``."""
    stdin: bool = False
    stdin_once: bool = False
    tty: bool = False
    labels: Mapping[str, str] = field(default=_NO_LABELS)
    annotations: Mapping[str, str] = field(default=_NO_LABELS)
    supplemental_groups: tuple[int, ...] = ()
    """Extra groups the kubelet adds (fsGroup is in the pod; volume GIDs here)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LinuxContainerUser:
    """``status.containerStatuses[].user.linux``: the identity of the first process."""

    uid: int
    gid: int
    supplemental_groups: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerStatus:
    id: str
    metadata: ContainerMetadata
    state: ContainerState
    created_at: int
    started_at: int = 0
    finished_at: int = 0
    exit_code: int = 0
    image: ImageSpec
    image_ref: str = ""
    """What the kubelet shows as ``status.containerStatuses[].imageID``: containerd
    gives the image's first repo digest (``docker.io/library/busybox@sha256:...``),
    else its id."""
    image_id: str = ""
    """The image id the container runs (``sha256:<config digest>``)."""
    reason: str = ""
    """Exited: ``Completed``, ``Error``, ``OOMKilled``, ``ContainerCannotRun``."""
    message: str = ""
    labels: Mapping[str, str] = field(default=_NO_LABELS)
    annotations: Mapping[str, str] = field(default=_NO_LABELS)
    log_path: str = ""
    """Absolute path of the CRI-format log file."""
    user: LinuxContainerUser | None = None
    pid: int = 0
    """Host pid of the container's first process while running, else 0."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerFilter:
    id: str = ""
    state: ContainerState | None = None
    pod_sandbox_id: str = ""
    label_selector: Mapping[str, str] = field(default=_NO_LABELS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    """``ListContainers`` entry."""

    id: str
    pod_sandbox_id: str
    metadata: ContainerMetadata
    image: ImageSpec
    image_ref: str
    state: ContainerState
    created_at: int
    labels: Mapping[str, str] = field(default=_NO_LABELS)
    annotations: Mapping[str, str] = field(default=_NO_LABELS)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecSyncResponse:
    stdout: bytes
    stderr: bytes
    exit_code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecRequest:
    container_id: str
    cmd: tuple[str, ...]
    tty: bool = False
    stdin: bool = False
    stdout: bool = True
    stderr: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachRequest:
    """CRI ``AttachRequest``: the streams wanted from the container's own process;
    ``tty`` is the container's (the kubelet takes it from the pod spec)."""

    container_id: str
    tty: bool = False
    stdin: bool = False
    stdout: bool = True
    stderr: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """An image in the store (``ListImages``/``ImageStatus``)."""

    id: str
    """``sha256:<config digest>``."""
    repo_tags: tuple[str, ...]
    """Normalised references (``docker.io/library/busybox:1.28``)."""
    repo_digests: tuple[str, ...]
    """``docker.io/library/busybox@sha256:<manifest digest>``."""
    size: int
    uid: int | None = None
    """The image config's ``User`` when it is numeric."""
    username: str = ""
    """The image config's ``User`` when it is a name."""
    user: str = ""
    """The image config's ``User`` verbatim (``1000``, ``app``, ``1000:3000``, ``""``)."""
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    working_dir: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthConfig:
    username: str = ""
    password: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionResponse:
    version: str
    runtime_name: str
    runtime_version: str
    runtime_api_version: str
