"""Kubelet admission: sysctls, OS, AppArmor. Callers: pytest."""

from __future__ import annotations

from typing import Any

from seclet.api import models
from seclet.api.decode import decode
from seclet.host.facts import NodeFacts
from seclet.kubelet.admission import Rejection, admit

FACTS = NodeFacts.reference()


def pod(**spec: Any) -> models.Pod:
    return decode(
        {
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec},
        },
        models.Pod,
    )


def test_admitted() -> None:
    assert admit(pod(), FACTS, ()) is None
    safe = pod(securityContext={"sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}]})
    assert admit(safe, FACTS, ()) is None
    unsafe = pod(securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]})
    assert admit(unsafe, FACTS, ("kernel.msg*",)) is None


def test_rejections() -> None:
    unsafe = pod(securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]})
    assert admit(unsafe, FACTS, ()) == Rejection(
        "SysctlForbidden", 'forbidden sysctl: "kernel.msgmax" not allowlisted'
    )
    host_net = pod(
        hostNetwork=True,
        securityContext={"sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}]},
    )
    assert admit(host_net, FACTS, ()) == Rejection(
        "SysctlForbidden", 'sysctl "net.ipv4.tcp_syncookies" not allowed with host net enabled'
    )
    assert admit(pod(os={"name": "windows"}), FACTS, ()) == Rejection(
        "PodOSNotSupported", "Failed to admit pod as the OS field doesn't match node OS"
    )
    assert admit(pod(nodeSelector={"kubernetes.io/os": "windows"}), FACTS, ()) == Rejection(
        "PodOSSelectorNodeLabelDoesNotMatch",
        "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label",
    )
    apparmor = pod(securityContext={"appArmorProfile": {"type": "RuntimeDefault"}})
    assert admit(apparmor, FACTS, ()) == Rejection(
        "AppArmor", "Cannot enforce AppArmor: AppArmor is not enabled on the host"
    )
    unconfined = pod(securityContext={"appArmorProfile": {"type": "Unconfined"}})
    assert admit(unconfined, FACTS, ()) is None
