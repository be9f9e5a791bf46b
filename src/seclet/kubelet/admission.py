"""Kubelet pod admission seclet enforces: the sysctl allowlist (pure).

Role: k/k ``pkg/kubelet/sysctl/allowlist.go``: a pod's sysctls must be safe (the
kubelet's built-in list) or match ``--allowed-unsafe-sysctls`` (``*`` suffix
patterns), and a namespaced sysctl may not target a namespace shared with the host.
A refusal rejects the pod (phase Failed, reason ``SysctlForbidden``).
Callers: seclet.kubelet.worker, tests.
"""

from __future__ import annotations

from seclet.api import models
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
