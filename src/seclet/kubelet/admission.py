"""Kubelet pod admission (pure): the handlers a pod passes before it may run.

Role: upstream's admit handlers in their order:
1. ``pkg/kubelet/sysctl/allowlist.go``: a pod's sysctls must be safe (the kubelet's
   built-in list) or match ``--allowed-unsafe-sysctls`` (``*`` suffix patterns), and
   a namespaced sysctl may not target a namespace shared with the host
   (``SysctlForbidden``);
2. ``lifecycle/predicate.go``: ``spec.os.name`` and the ``kubernetes.io/os`` node
   selector must say linux (``PodOSNotSupported``,
   ``PodOSSelectorNodeLabelDoesNotMatch``);
3. the AppArmor handler: a pod asking for an AppArmor profile on a node without
   AppArmor (``AppArmor``, ``Cannot enforce AppArmor: ...``).
A refusal rejects the pod: phase Failed, ``status.reason`` the reason,
``status.message`` ``Pod was rejected: <message>``, and a Warning event.
Callers: seclet.kubelet.worker, tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from seclet.api import models
from seclet.host.facts import NodeFacts
from seclet.securitycontext.apparmor import admission_error as apparmor_admission_error
from seclet.securitycontext.sysctls import SysctlError, sandbox_sysctls

SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
    }
)
SYSCTL_FORBIDDEN = "SysctlForbidden"


def _allowed(name: str, patterns: tuple[str, ...]) -> bool:
    key = name.replace("/", ".")
    if key in SAFE_SYSCTLS:
        return True
    for p in patterns:
        if p.endswith("*") and key.startswith(p[:-1].replace("/", ".")):
            return True
        if key == p.replace("/", "."):
            return True
    return False


def admit_sysctls(pod: models.Pod, allowed_unsafe: tuple[str, ...]) -> str | None:
    """None when admitted, else the rejection message."""
    sc = (pod.spec or models.PodSpec()).securityContext
    if sc is None or not sc.sysctls:
        return None
    try:
        sandbox_sysctls(pod)
    except SysctlError as e:
        return str(e)
    for s in sc.sysctls:
        if not _allowed(s.name or "", allowed_unsafe):
            return f'forbidden sysctl: "{s.name}" not allowlisted'
    return None


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    message: str


def admit(pod: models.Pod, facts: NodeFacts, allowed_unsafe: tuple[str, ...]) -> Rejection | None:
    """The handlers above in order; the first refusal wins."""
    refusal = admit_sysctls(pod, allowed_unsafe)
    if refusal is not None:
        return Rejection(SYSCTL_FORBIDDEN, refusal)
    spec = pod.spec or models.PodSpec()
    if spec.os is not None and spec.os.name and spec.os.name != "linux":
        return Rejection(
            "PodOSNotSupported", "Failed to admit pod as the OS field doesn't match node OS"
        )
    selected = spec.nodeSelector.get("kubernetes.io/os")
    if selected is not None and selected != "linux":
        return Rejection(
            "PodOSSelectorNodeLabelDoesNotMatch",
            "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label",
        )
    apparmor = apparmor_admission_error(pod, facts)
    if apparmor is not None:
        return Rejection("AppArmor", apparmor)
    return None
