"""Frozen inputs of the OCI spec builder.

Role: ``ImageConfig`` (the OCI image config fields the runtime reads, StopSignal
included),
``CRIMount`` (a volume/host-file bind the kubelet asks for, host path already
resolved by the I/O shell), ``RuntimeContext`` (where the container lives on this
node: ids, rootfs, sandbox namespaces, seccomp root, cgroup parent, userns mapping,
Localhost seccomp profile texts) and ``ContainerSpecInputs`` bundling them with the
pod, the container, the image's /etc/passwd and /etc/group text and ``NodeFacts``.
Everything has a sensible default so tests build specs from a pod alone.
Callers: seclet.runtime.oci.builder, the runtime's I/O shell, tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from seclet.api import models
from seclet.api.record import hot_dataclass
from seclet.api.schema import FrozenMap
from seclet.host.facts import NodeFacts
from seclet.securitycontext.linux_context import DEFAULT_SECCOMP_ROOT

_EMPTY_PROFILES: Mapping[str, str] = FrozenMap()


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageConfig:
    """The parts of an OCI image config the runtime uses (``config.User`` etc.)."""

    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    user: str = ""
    working_dir: str = ""
    stop_signal: str = ""
    """``config.StopSignal`` as the image states it (``SIGQUIT``, ``3``, ``RTMIN+3``);
    "" when unset. StopContainer uses it when the container sets no
    ``lifecycle.stopSignal``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CRIMount:
    """CRI ``Mount``: a bind of ``host_path`` at ``container_path``."""

    container_path: str
    host_path: str
    readonly: bool = False
    propagation: str = "PROPAGATION_PRIVATE"
    """PROPAGATION_PRIVATE, PROPAGATION_HOST_TO_CONTAINER or PROPAGATION_BIDIRECTIONAL."""
    recursive_readonly: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeContext:
    """Where and how this container runs on the node (values the shell knows)."""

    container_id: str = ""
    """Defaults to ``<namespace>_<pod>_<container>``."""
    sandbox_id: str = ""
    sandbox_pid: int | None = None
    """PID of the pod's sandbox (pause) process. None: no sandbox - pod-level
    namespaces are created fresh and host-level ones are simply not unshared."""
    rootfs: str = "rootfs"
    """``root.path`` (relative to the bundle, as containerd writes it)."""
    cgroup_parent: str = ""
    """The sandbox's cgroup parent: the kubelet's pod cgroup (cgroupfs driver,
    ``/kubepods/<qos>/pod<uid>``; the runc runtime computes it with
    ``resources.pod_cgroup_parent`` when the kubelet sends none); "" -> containerd's
    ``/k8s.io/<id>``."""
    seccomp_root: str = DEFAULT_SECCOMP_ROOT
    seccomp_default: bool = False
    """kubelet ``--seccomp-default``: unset profiles mean RuntimeDefault."""
    localhost_seccomp_profiles: Mapping[str, str] = field(default=_EMPTY_PROFILES)
    """Absolute Localhost profile path -> file text (read by the shell)."""
    userns_host_id: int = 65536
    """First host id of the pod's 65536-wide user namespace mapping (hostUsers: false)."""
    mounts: tuple[CRIMount, ...] = ()
    extra_env: tuple[tuple[str, str], ...] = ()
    """Without ``cri_envs``: environment added before the container's own literal env."""
    cri_command: tuple[str, ...] | None = None
    """CRI ``ContainerConfig.command``: the kubelet's, already ``$(VAR)``-expanded and
    used verbatim (empty: the image's Entrypoint). None: no kubelet (``seclet explain``)
    - the pod's command is expanded here."""
    cri_args: tuple[str, ...] = ()
    """CRI ``ContainerConfig.args`` (with ``cri_command``)."""
    cri_envs: tuple[tuple[str, str], ...] | None = None
    """CRI ``ContainerConfig.envs``: the kubelet's complete environment (valueFrom,
    envFrom resolved), appended to the image's. None: computed from the pod."""
    extra_supplemental_groups: tuple[int, ...] = ()
    image_name: str = ""
    privileged_without_host_devices: bool = False


@hot_dataclass(frozen=True, slots=True, kw_only=True)
class ContainerSpecInputs:
    """Everything ``build_container_spec`` reads. Same inputs, same bytes."""

    pod: models.Pod
    container: models.Container
    image: ImageConfig = ImageConfig()
    passwd_text: str | None = None
    """The image's /etc/passwd (None: the file does not exist)."""
    group_text: str | None = None
    """The image's /etc/group (None: the file does not exist)."""
    node: NodeFacts = field(default_factory=NodeFacts.reference)
    runtime: RuntimeContext = RuntimeContext()
