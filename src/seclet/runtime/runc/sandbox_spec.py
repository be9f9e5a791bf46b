"""The pause container's OCI spec: containerd's ``sandboxContainerSpec`` with catatonit.

Role: a pure function from the sandbox's decisions (``SandboxSpecInputs``) to the
config.json of the process that holds the pod's namespaces. Steps, in containerd's
order:
1. the default spec (``base.default_unix_spec``) without the ``/run`` mount;
2. process: ``/catatonit -P`` (pause mode), PATH, cwd ``/``; the pod's runAsUser /
   runAsGroup with the primary gid in additionalGids; NoNewPrivileges stays true;
3. hostname (only with a UTS namespace of its own);
4. namespaces: hostNetwork drops network and uts, hostPID drops pid, hostIPC drops
   ipc; ``hostUsers: false`` adds a user namespace mapping 65536 ids at
   ``userns_host_id``; runc brings up ``lo`` in the new network namespace;
5. mounts: sysfs read-write when a container of the pod is privileged (containerd 2);
   catatonit bound read-only at ``/catatonit``; ``/dev/shm`` is the pod's shm
   (read-only for pause, as containerd binds it);
6. the SELinux labels (``customopts.WithSelinuxLabels``; the level is ``mcs``'s), the
   pod's namespaced sysctls (``linux.sysctl``), plus containerd 2's unprivileged
   ports and ICMP defaults in a network namespace of the pod's own; CPU shares 2
   (``WithDefaultSandboxShares``); read-only rootfs; cgroups path; oom_score_adj
   -998 (``WithPodOOMScoreAdj``) raised to the node's floor as
   ``restrict_oom_score_adj`` does (this host lacks CAP_SYS_RESOURCE: 0); CRI
   annotations;
7. seccomp: RuntimeDefault when the pod-level profile asks for it (or
   ``--seccomp-default`` with none set).
Not done: Localhost seccomp for the pause process.
Callers: seclet.runtime.runc.run_pod_sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seclet.api import models
from seclet.host.facts import NodeFacts
from seclet.runtime.oci.base import default_unix_spec
from seclet.runtime.oci.steps import cgroups_path
from seclet.runtime.runc.config import CONTAINERD_NAMESPACE
from seclet.securitycontext.capabilities import DEFAULT_CAPABILITIES
from seclet.securitycontext.namespaces import NODE, POD, USERNS_LENGTH, NamespaceOptions
from seclet.securitycontext.seccomp import runtime_default_profile

PAUSE_PATH = "/catatonit"
SANDBOX_OOM_SCORE_ADJ = -998
"""containerd ``defaultSandboxOOMAdj``."""
PING_GROUP_RANGE = "net.ipv4.ping_group_range"
UNPRIVILEGED_NET_SYSCTLS = (
    ("net.ipv4.ip_unprivileged_port_start", "0"),
    (PING_GROUP_RANGE, "0 2147483647"),
)
"""containerd 2's ``enable_unprivileged_ports`` and ``enable_unprivileged_icmp``
(both on by default): a pod with its own network namespace may bind any port and
send ICMP echo without a capability, unless the pod sets these sysctls itself."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxSpecInputs:
    sandbox_id: str
    name: str
    namespace: str
    uid: str
    hostname: str
    namespaces: NamespaceOptions
    catatonit: str
    shm_source: str
    log_directory: str = ""
    cgroup_parent: str = ""
    userns_host_id: int = 65536
    run_as_user: int | None = None
    run_as_group: int | None = None
    sysctls: dict[str, str] = field(default_factory=dict)
    runtime_default_seccomp: bool = False
    privileged: bool = False
    """A container of the pod is privileged (the kubelet's ``HasPrivilegedContainer``
    sets ``LinuxSandboxSecurityContext.privileged``)."""
    node: NodeFacts = field(default_factory=NodeFacts.reference)
    selinux_process_label: str = ""
    selinux_mount_label: str = ""
    """The sandbox's SELinux labels, level included (``mcs``); "" without SELinux."""


def has_privileged_container(pod: models.Pod) -> bool:
    """kubelet ``HasPrivilegedContainer``: any init, regular or ephemeral container
    with ``securityContext.privileged: true``."""
    spec = pod.spec
    if spec is None:
        return False
    contexts = [c.securityContext for c in (*spec.initContainers, *spec.containers)]
    contexts.extend(c.securityContext for c in spec.ephemeralContainers)
    return any(sc is not None and sc.privileged is True for sc in contexts)


def sandbox_sysctl_values(pod_sysctls: dict[str, str], ns: NamespaceOptions) -> dict[str, str]:
    """The sysctls the sandbox sets: the pod's, plus containerd 2's unprivileged port
    and ICMP defaults in a network namespace of the pod's own (unless the pod sets
    them; no ICMP range under a pod user namespace, whose 65536 gids cannot hold it)."""
    sysctls = dict(pod_sysctls)
    if ns.network != NODE:
        sysctls.update(
            (key, value)
            for key, value in UNPRIVILEGED_NET_SYSCTLS
            if key not in sysctls and not (key == PING_GROUP_RANGE and ns.userns == POD)
        )
    return sysctls


def needs_infra(ns: NamespaceOptions, *, privileged: bool, pod_pids_limit: int) -> str:
    """Why this pod needs a pause process ("" when its namespaces can be pinned
    instead, CRI-O's ``drop_infra_ctr``). CRI-O keeps the infra container for a
    shared PID namespace; here also for a user namespace (the pod's namespaces must
    be owned by it, made from inside it), a privileged container (the pause process
    mounts the network namespace's sysfs read-write first, containerd 2's order) and
    a pod pids limit (written to the pod cgroup the pause container creates)."""
    if ns.pid == POD:
        return "shared PID namespace"
    if ns.userns == POD:
        return "user namespace"
    if privileged:
        return "privileged container"
    if pod_pids_limit > 0:
        return "pod pids limit"
    return ""


def pinned_kinds(ns: NamespaceOptions) -> tuple[str, ...]:
    """The OCI namespace types a pause-less pod owns: network and UTS unless
    hostNetwork (the kubelet shares the host's UTS with its network), IPC unless
    hostIPC."""
    kinds: list[str] = []
    if ns.network != NODE:
        kinds += ["network", "uts"]
    if ns.ipc != NODE:
        kinds.append("ipc")
    return tuple(kinds)


def _without(spec: dict[str, Any], ns_type: str) -> None:
    spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] != ns_type]


def build_sandbox_spec(inputs: SandboxSpecInputs) -> dict[str, Any]:
    """The pause container's config.json (OCI field names)."""
    # 1. default spec, no /run
    spec = default_unix_spec(CONTAINERD_NAMESPACE, inputs.sandbox_id)
    dropped = ("/run", "/dev/shm")  # noqa: S108
    spec["mounts"] = [m for m in spec["mounts"] if m["destination"] not in dropped]
    # 2. process
    process = spec["process"]
    process["args"] = [PAUSE_PATH, "-P"]
    process["env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    uid = inputs.run_as_user or 0
    gid = inputs.run_as_group or 0
    process["user"] = {"uid": uid, "gid": gid, "additionalGids": [gid]}
    # 3. + 4. hostname, namespaces
    ns = inputs.namespaces
    if ns.network == NODE:
        _without(spec, "network")
        _without(spec, "uts")
    else:
        spec["hostname"] = inputs.hostname
    if ns.pid == NODE:
        _without(spec, "pid")
    if ns.ipc == NODE:
        _without(spec, "ipc")
    if ns.userns == POD:
        spec["linux"]["namespaces"].append({"type": "user"})
        mapping = {"containerID": 0, "hostID": inputs.userns_host_id, "size": USERNS_LENGTH}
        spec["linux"]["uidMappings"] = [dict(mapping)]
        spec["linux"]["gidMappings"] = [dict(mapping)]
    # 5. mounts
    if inputs.privileged:
        # containerd 2 (PR 11271): sysfs is per network namespace and the pause
        # container mounts it first; read-only there, it would be read-only for the
        # privileged containers too.
        for m in spec["mounts"]:
            if m["type"] == "sysfs":
                m["options"] = ["rw" if o == "ro" else o for o in m["options"]]
    spec["mounts"].append(
        {
            "destination": PAUSE_PATH,
            "type": "bind",
            "source": inputs.catatonit,
            "options": ["rbind", "ro"],
        }
    )
    spec["mounts"].append(
        {
            "destination": "/dev/shm",  # noqa: S108
            "type": "bind",
            "source": inputs.shm_source,
            "options": ["rbind", "ro", "nosuid", "nodev", "noexec"],
        }
    )
    # 6. labels, sysctls, resources, root, cgroups, annotations
    linux = spec["linux"]
    if inputs.selinux_process_label:
        process["selinuxLabel"] = inputs.selinux_process_label
    if inputs.selinux_mount_label:
        linux["mountLabel"] = inputs.selinux_mount_label
    sysctls = sandbox_sysctl_values(inputs.sysctls, ns)
    if sysctls:
        linux["sysctl"] = sysctls
    linux["resources"]["cpu"] = {"shares": 2}
    spec["root"]["readonly"] = True
    if inputs.cgroup_parent:
        linux["cgroupsPath"] = cgroups_path(inputs.cgroup_parent, inputs.sandbox_id)
    floor = inputs.node.oom_score_adj_floor
    process["oomScoreAdj"] = (
        SANDBOX_OOM_SCORE_ADJ if floor is None else max(SANDBOX_OOM_SCORE_ADJ, floor)
    )
    spec["annotations"] = {
        "io.kubernetes.cri.container-type": "sandbox",
        "io.kubernetes.cri.sandbox-id": inputs.sandbox_id,
        "io.kubernetes.cri.sandbox-name": inputs.name,
        "io.kubernetes.cri.sandbox-namespace": inputs.namespace,
        "io.kubernetes.cri.sandbox-uid": inputs.uid,
        "io.kubernetes.cri.sandbox-log-directory": inputs.log_directory,
    }
    # 7. seccomp
    if inputs.runtime_default_seccomp and inputs.node.seccomp_available:
        linux["seccomp"] = runtime_default_profile(
            inputs.node.arch, inputs.node.kernel_version, tuple(DEFAULT_CAPABILITIES)
        )
    return spec
