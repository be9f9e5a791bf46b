"""Pod sysctls: which go to the sandbox, and in which kernel namespace each lives.

Role: in containerd the pod's ``securityContext.sysctls`` are written into the
*sandbox* (pause) spec only (``WithSysctls`` in ``sandboxContainerSpec``); application
containers join the sandbox's net/ipc/uts namespaces and see the values, and get no
``linux.sysctl`` of their own. Also the kubelet's namespace classification
(``pkg/kubelet/sysctl`` ``GetNamespace``): kernel.shm*/msg*/sem, fs.mqueue.* -> ipc,
net.* -> net, kernel.hostname/domainname -> uts; a namespaced sysctl for a namespace
the pod shares with the host is refused.
Callers: the sandbox spec builder, seclet.runtime.oci.builder (for ``explain``).
"""

from __future__ import annotations

from seclet.api import models

IPC_SYSCTLS = frozenset(
    {
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.shm_rmid_forced",
    }
)
UTS_SYSCTLS = frozenset({"kernel.hostname", "kernel.domainname"})


class SysctlError(ValueError):
    """A sysctl cannot be set for this pod."""


def sysctl_namespace(name: str) -> str:
    """``ipc``, ``net``, ``uts`` or ``""`` (not namespaced) for a dotted or slashed name."""
    key = name.replace("/", ".")
    if key in IPC_SYSCTLS or key.startswith("fs.mqueue."):
        return "ipc"
    if key.startswith("net."):
        return "net"
    if key in UTS_SYSCTLS:
        return "uts"
    return ""


def sandbox_sysctls(pod: models.Pod) -> dict[str, str]:
    """The ``linux.sysctl`` map of the pod's sandbox (insertion = manifest order)."""
    spec = pod.spec or models.PodSpec()
    psc = spec.securityContext
    out: dict[str, str] = {}
    if psc is None:
        return out
    for s in psc.sysctls:
        name = s.name or ""
        ns = sysctl_namespace(name)
        if ns == "net" and spec.hostNetwork:
            raise SysctlError(f'sysctl "{name}" not allowed with host net enabled')
        if ns == "ipc" and spec.hostIPC:
            raise SysctlError(f'sysctl "{name}" not allowed with host ipc enabled')
        out[name] = s.value or ""
    return out
