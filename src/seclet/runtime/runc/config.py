"""The runtime's configuration as one frozen value, and where things live on disk.

Role: ``RuntimeConfig`` holds the binaries (absolute paths), the state root and the
node-level knobs containerd reads from its config (seccomp root, ``--seccomp-default``,
``privileged_without_host_devices``). Its properties name every directory of the
on-disk layout, so one place decides it::

    <root>/sandboxes/<id>/     state.json, config.json, rootfs/, shm/, hostname, hosts,
                               resolv.conf, pidfile, log.json (the pause container's
                               bundle; it runs without conmon, see ``pause``), or
                               instead of a pause process ns/{net,ipc,uts} (``pinns``)
    <root>/containers/<id>/    state.json, config.json, rootfs/ (overlay), upper/, work/,
                               log.json (runc's log), oom (conmon)
    <root>/exits/<id>          conmon's exit files (containers)
    <root>/runc/               runc's state root (``runc --root``)
    <root>/sockets/            conmon's attach sockets
    <run root>/exec/           each exec's pid file (and a TTY exec's process spec),
                               on tmpfs as containerd keeps them under /run: an exec
                               needs no space on the data disk
    <run root>/starting/<id>   the seclet process starting a container (``exec_fifo``)

Callers: seclet.runtime.runc.service (builds it), every verb module (reads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seclet.securitycontext.linux_context import DEFAULT_SECCOMP_ROOT

RUNTIME_NAME = "runc"
"""``Version().runtime_name``: the OCI runtime that runs the containers."""
RUNTIME_API_VERSION = "v1"
CRI_VERSION = "0.1.0"
CONTAINERD_NAMESPACE = "k8s.io"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeConfig:
    root: Path
    """State root (absolute); created 0700 on start."""
    runc: str = "runc"
    conmon: str = "conmon"
    catatonit: str = "catatonit"
    seccomp_root: str = DEFAULT_SECCOMP_ROOT
    seccomp_default: bool = False
    """kubelet ``--seccomp-default``: unset seccomp profiles mean RuntimeDefault."""
    privileged_without_host_devices: bool = False
    host_ip: str = "127.0.0.1"
    """The pod IP reported for ``hostNetwork`` pods (the node's loopback address)."""
    poll_seconds: float = 0.01
    drop_infra: bool = True
    """CRI-O's ``drop_infra_ctr``: pods that need no pause process (``sandbox_spec.
    needs_infra``) get pinned namespaces instead (``pinns``)."""
    run_root: Path | None = None
    """Volatile state (tmpfs, e.g. ``/run/seclet/<id of root>``); None: under ``root``."""
    """How often wait loops look at an exit file when no pidfd can wake them."""

    @property
    def sandboxes_dir(self) -> Path:
        return self.root / "sandboxes"

    @property
    def containers_dir(self) -> Path:
        return self.root / "containers"

    @property
    def exits_dir(self) -> Path:
        return self.root / "exits"

    @property
    def runc_root(self) -> Path:
        return self.root / "runc"

    @property
    def sockets_dir(self) -> Path:
        return self.root / "sockets"

    @property
    def exec_dir(self) -> Path:
        return (self.run_root or self.root) / "exec"

    @property
    def starting_dir(self) -> Path:
        return (self.run_root or self.root) / "starting"

    def sandbox_dir(self, sandbox_id: str) -> Path:
        return self.sandboxes_dir / sandbox_id

    def container_dir(self, container_id: str) -> Path:
        return self.containers_dir / container_id

    def exit_file(self, object_id: str) -> Path:
        return self.exits_dir / object_id
