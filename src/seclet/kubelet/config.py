"""The kubelet's configuration: one frozen value, passed in by the server command.

Role: upstream's ``KubeletConfiguration`` reduced to what seclet's kubelet uses.
Directories are parameters (never read from a global), durations are seconds.
Callers: seclet.cli.server (builds it), seclet.kubelet.* , tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from seclet.api.featuregates import DEFAULT_GATES, FeatureGates

KUBELET_VERSION = "v1.35.0+seclet"
"""``status.nodeInfo.kubeletVersion``: the Kubernetes minor seclet follows, with
seclet as build metadata (k3s spells its own ``v1.35.0+k3s1`` the same way)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KubeletConfig:
    node_name: str
    root_dir: str
    """``--root-dir`` (``/var/lib/seclet/kubelet``): ``pods/<uid>/volumes/...`` live here."""
    pod_logs_dir: str
    """``--pod-logs-dir`` (``/var/log/pods``): ``<ns>_<name>_<uid>/<container>/<n>.log``."""
    seccomp_default: bool = False
    feature_gates: FeatureGates = DEFAULT_GATES
    """``--feature-gates``, as the API server reads them (the SELinux mount gates)."""
    """``--seccomp-default``: RuntimeDefault for pods that set no seccomp profile."""
    sync_period: float = 1.0
    """How often a pod worker re-reads the runtime (upstream's PLEG relist period)."""
    resync_interval: float = 10.0
    """How often a pod worker re-syncs an idle pod."""
    backoff_initial: float = 10.0
    backoff_max: float = 300.0
    """CrashLoopBackOff: 10 s doubling to 5 min (reset after 2 x max without exits)."""
    image_backoff_initial: float = 10.0
    image_backoff_max: float = 300.0
    node_status_update_frequency: float = 10.0
    max_pods: int = 110
    allowed_unsafe_sysctls: tuple[str, ...] = ()
    userns_first_id: int = 65536
    userns_length: int = 65536 * 1024
    """Host ids handed to ``hostUsers: false`` pods, 65536 per pod, from this range."""
    kubelet_port: int = 10250
    node_ip: str = "127.0.0.1"
    node_labels: tuple[tuple[str, str], ...] = field(default=())
    kubelet_version: str = KUBELET_VERSION
    volume_resync_period: float = 10.0
    """How often configMap, secret, downwardAPI and projected volumes are set up again
    so pods see object changes (upstream: the pod sync period, 1 min, plus the
    configMap/secret manager's delay; seclet reads the store directly and re-syncs
    every 10 s)."""
    ownership_first_report: float = 30.0
    ownership_report_every: float = 60.0
    """``VolumePermissionChangeInProgress`` events: the first after 30 s of an
    ownership walk, then every 60 s (upstream's firstEventReportDuration and
    progressReportDuration; fields only so tests can shorten them)."""
    container_log_max_size: int = 10 * 1024 * 1024
    """``containerLogMaxSize`` (``--container-log-max-size``, ``10Mi``) in bytes: a
    container's current log is rotated once it is this big; negative: no rotation."""
    container_log_max_files: int = 5
    """``containerLogMaxFiles`` (``--container-log-max-files``): files kept per log."""
    container_log_monitor_interval: float = 10.0
    """``containerLogMonitorInterval`` (10 s): how often log sizes are checked."""
    container_log_max_workers: int = 1
    """``containerLogMaxWorkers`` (``--container-log-max-workers``): containers whose
    logs are checked and rotated at the same time."""
    pod_pids_limit: int = -1
    """``podPidsLimit`` (``--pod-max-pids``): ``pids.max`` of each pod cgroup; -1:
    unlimited."""
