"""The selinux-warning-controller beside the real API server, through the real kubectl.

Role: objects created with kubectl (an iSCSI PersistentVolume — in-tree iSCSI supports
``-o context`` — bound to a claim, and pods with different SELinux levels or
seLinuxChangePolicies using it) make the controller record upstream's Normal events
on both pods (``kubectl get events``) and serve
``selinux_warning_controller_selinux_volume_conflict`` on the server's ``/metrics``.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from integration.apiserver.conftest import Kubectl, Running
from integration.apiserver.test_http import _request
from integration.controllers.conftest import wait_kubectl
from seclet.api.featuregates import DEFAULT_GATES
from seclet.controllers.selinux_warning import SELinuxWarningController

VOLUME = """apiVersion: v1
kind: PersistentVolume
metadata:
  name: disk
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteMany]
  iscsi: {targetPortal: "127.0.0.1:3260", iqn: "iqn.2001-04.com.example:disk", lun: 0}
  claimRef: {namespace: default, name: disk, uid: claim-uid}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: disk
spec:
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Gi}}
  volumeName: disk
"""


def pod(name: str, level: str, policy: str = "") -> str:
    extra = f"\n    seLinuxChangePolicy: {policy}" if policy else ""
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  securityContext:
    seLinuxOptions: {{level: "{level}"}}{extra}
  containers:
  - name: c
    image: busybox
    volumeMounts: [{{name: v, mountPath: /v}}]
  volumes:
  - {{name: v, persistentVolumeClaim: {{claimName: disk}}}}
"""


@pytest.fixture
def selinux_warning(apiserver: Running) -> Iterator[SELinuxWarningController]:
    store = apiserver.server.store
    assert store is not None
    ctl = SELinuxWarningController(store, DEFAULT_GATES, apiserver.server.metrics)
    task = asyncio.run_coroutine_threadsafe(ctl.run(), apiserver.loop)
    try:
        yield ctl
    finally:
        task.cancel()


def conflict_events(kubectl: Kubectl) -> list[tuple[str, str, str, str]]:
    out = kubectl("get", "events", "-o", "json").stdout
    return sorted(
        (e["involvedObject"]["name"], e["type"], e["reason"], e["message"])
        for e in json.loads(out)["items"]
        if e["reason"].startswith("SELinux")
    )


def test_two_levels_on_one_iscsi_volume(
    apiserver: Running, kubectl: Kubectl, selinux_warning: SELinuxWarningController
) -> None:
    assert kubectl("create", "-f", "-", stdin=VOLUME).returncode == 0
    assert kubectl("create", "-f", "-", stdin=pod("a", "s0:c1,c2")).returncode == 0
    assert kubectl("create", "-f", "-", stdin=pod("b", "s0:c98,c99")).returncode == 0
    wait_kubectl(kubectl, lambda out: out.count("SELinuxLabelConflict") == 2, "get", "events")
    tail = ". If both pods land on the same node, only one of them may access the volume."
    assert conflict_events(kubectl) == [
        (
            "a",
            "Normal",
            "SELinuxLabelConflict",
            'SELinuxLabel ":::s0:c1,c2" conflicts with pod b that uses the same volume as this '
            f'pod with SELinuxLabel ":::s0:c98,c99"{tail}',
        ),
        (
            "b",
            "Normal",
            "SELinuxLabelConflict",
            'SELinuxLabel ":::s0:c98,c99" conflicts with pod a that uses the same volume as this '
            f'pod with SELinuxLabel ":::s0:c1,c2"{tail}',
        ),
    ]
    code, _, body = _request(apiserver, "/metrics")
    assert code == 200
    series = sorted(
        line
        for line in body.decode().splitlines()
        if line.startswith("selinux_warning_controller_selinux_volume_conflict{")
    )
    assert series == [
        'selinux_warning_controller_selinux_volume_conflict{pod1_name="a",pod1_namespace="default",'
        'pod1_value=":::s0:c1,c2",pod2_name="b",pod2_namespace="default",'
        'pod2_value=":::s0:c98,c99",property="SELinuxLabel"} 1.0',
        'selinux_warning_controller_selinux_volume_conflict{pod1_name="b",pod1_namespace="default",'
        'pod1_value=":::s0:c98,c99",pod2_name="a",pod2_namespace="default",'
        'pod2_value=":::s0:c1,c2",property="SELinuxLabel"} 1.0',
    ]
    # A pod that opts out with Recursive conflicts by policy, not by label.
    assert kubectl("delete", "pod", "b").returncode == 0
    manifest = pod("c", "s0:c98,c99", "Recursive")
    assert kubectl("create", "-f", "-", stdin=manifest).returncode == 0
    wait_kubectl(
        kubectl, lambda out: out.count("SELinuxChangePolicyConflict") == 2, "get", "events"
    )
