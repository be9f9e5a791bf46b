"""Pod namespace modes: kubelet ``NamespacesForPod`` in CRI terms.

Role: hostNetwork/hostIPC -> NODE else POD; hostPID -> NODE, shareProcessNamespace ->
POD, else CONTAINER; ``hostUsers: false`` -> a POD user namespace with the kubelet's
single 65536-wide mapping (uid and gid maps identical). UTS always follows the
network mode (the sandbox drops its UTS namespace with hostNetwork).
Callers: seclet.securitycontext.linux_context, seclet.runtime.oci.steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from seclet.api import models

NODE = "NODE"
POD = "POD"
CONTAINER = "CONTAINER"
USERNS_LENGTH = 1 << 16


@dataclass(frozen=True, slots=True)
class NamespaceOptions:
    """CRI ``NamespaceOption``."""

    network: str = POD
    pid: str = CONTAINER
    ipc: str = POD
    userns: str = NODE


@lru_cache(maxsize=32)
def _options(network: str, pid: str, ipc: str, userns: str) -> NamespaceOptions:
    return NamespaceOptions(network, pid, ipc, userns)


def namespaces_for_pod(pod: models.Pod) -> NamespaceOptions:
    """kubelet ``runtimeutil.NamespacesForPod`` (one shared frozen value per mode mix)."""
    spec = pod.spec or models.PodSpec()
    if spec.hostPID:
        pid = NODE
    elif spec.shareProcessNamespace:
        pid = POD
    else:
        pid = CONTAINER
    return _options(
        NODE if spec.hostNetwork else POD,
        pid,
        NODE if spec.hostIPC else POD,
        POD if spec.hostUsers is False else NODE,
    )
