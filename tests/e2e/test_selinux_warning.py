"""The selinux-warning-controller on a real ``seclet server``, through kubectl.

Role: upstream keeps the controller off by default; ``--controllers=*,selinux-warning-controller``
turns it on. Two pods using one iSCSI claim (in-tree iSCSI supports ``-o context``) with
different SELinux levels get upstream's ``SELinuxLabelConflict`` event each, and the
conflict shows on ``/metrics``; the session's node (default flags) records none. The
pods name another node, so this node's kubelet leaves them alone (the controller
never looks at nodes), and are force-deleted at the end.
Callers: pytest (tests/e2e; root, runc, conmon, the local registry).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from e2e.node import Node, NodeError
from registry import MIRRORED_HOSTS, LocalRegistry

pytestmark = pytest.mark.e2e

OBJECTS = """\
apiVersion: v1
kind: PersistentVolume
metadata:
  name: {ns}-disk
spec:
  capacity: {{storage: 1Gi}}
  accessModes: [ReadWriteMany]
  storageClassName: ""
  iscsi: {{targetPortal: "127.0.0.1:3260", iqn: "iqn.2001-04.com.example:disk", lun: 0}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: disk
  namespace: {ns}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: ""
  resources: {{requests: {{storage: 1Gi}}}}
  volumeName: {ns}-disk
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {ns}
spec:
  nodeName: elsewhere
  securityContext:
    seLinuxOptions: {{level: "{level}"}}
  containers:
  - name: c
    image: busybox
    volumeMounts: [{{name: v, mountPath: /v}}]
  volumes:
  - {{name: v, persistentVolumeClaim: {{claimName: disk}}}}
"""

TAIL = ". If both pods land on the same node, only one of them may access the volume."


@pytest.fixture(scope="module")
def warned(registry: LocalRegistry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A second node started with ``--controllers=*,selinux-warning-controller``."""
    base = tmp_path_factory.mktemp("selinux-warning")
    other = Node(
        data_dir=base / "data",
        kubeconfig=base / "kubeconfig.yaml",
        mirrors=[f"{h}={registry.url}" for h in MIRRORED_HOSTS],
        extra_args=["--controllers=*,selinux-warning-controller"],
    )
    other.start()
    try:
        yield other
    finally:
        assert other.stop() == 0, other.log()


def _create(node: Node, ns: str) -> None:
    node.kubectl("create", "namespace", ns)
    node.kubectl("create", "-f", "-", stdin=OBJECTS.format(ns=ns))
    pods = [
        POD.format(name="a", ns=ns, level="s0:c1,c2"),
        POD.format(name="b", ns=ns, level="s0:c98,c99"),
    ]
    node.kubectl("create", "-f", "-", stdin="---\n".join(pods))


def _cleanup(node: Node, ns: str) -> None:
    node.kubectl("delete", "pods", "--all", "-n", ns, "--grace-period=0", "--force", check=False)
    node.kubectl("delete", "namespace", ns, "--wait=false", check=False)
    node.kubectl("delete", "pv", f"{ns}-disk", "--wait=false", check=False)


def _selinux_events(node: Node, ns: str) -> list[tuple[str, str, str, str, str]]:
    items = json.loads(node.kubectl("get", "events", "-n", ns, "-o", "json").stdout)["items"]
    return sorted(
        (
            e["involvedObject"]["name"],
            e["type"],
            e["reason"],
            e["message"],
            e["source"]["component"],
        )
        for e in items
        if e["reason"].startswith(("SELinux", "MultipleSELinux"))
    )


def _wait_bound(node: Node, ns: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = node.kubectl("get", "pvc", "disk", "-n", ns, "-o", "jsonpath={.status.phase}")
        if out.stdout == "Bound":
            return
        time.sleep(0.1)
    raise NodeError(f"claim not bound: {node.kubectl('describe', 'pvc', '-n', ns).stdout}")


def test_conflicting_levels_warn_both_pods(warned: Node) -> None:
    ns = "selinux-on"
    _create(warned, ns)
    try:
        expected = [
            (
                "a",
                "Normal",
                "SELinuxLabelConflict",
                'SELinuxLabel ":::s0:c1,c2" conflicts with pod b that uses the same volume as '
                f'this pod with SELinuxLabel ":::s0:c98,c99"{TAIL}',
                "selinux_warning",
            ),
            (
                "b",
                "Normal",
                "SELinuxLabelConflict",
                'SELinuxLabel ":::s0:c98,c99" conflicts with pod a that uses the same volume as '
                f'this pod with SELinuxLabel ":::s0:c1,c2"{TAIL}',
                "selinux_warning",
            ),
        ]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _selinux_events(warned, ns) != expected:
            time.sleep(0.2)
        assert _selinux_events(warned, ns) == expected
        metrics = warned.kubectl("get", "--raw", "/metrics").stdout
        series = sorted(
            line
            for line in metrics.splitlines()
            if line.startswith("selinux_warning_controller_selinux_volume_conflict{")
        )
        assert series == [
            "selinux_warning_controller_selinux_volume_conflict{"
            f'pod1_name="a",pod1_namespace="{ns}",pod1_value=":::s0:c1,c2",pod2_name="b",'
            f'pod2_namespace="{ns}",pod2_value=":::s0:c98,c99",property="SELinuxLabel"}} 1.0',
            "selinux_warning_controller_selinux_volume_conflict{"
            f'pod1_name="b",pod1_namespace="{ns}",pod1_value=":::s0:c98,c99",pod2_name="a",'
            f'pod2_namespace="{ns}",pod2_value=":::s0:c1,c2",property="SELinuxLabel"}} 1.0',
        ]
    finally:
        _cleanup(warned, ns)


def test_off_by_default(node: Node) -> None:
    ns = "selinux-off"
    _create(node, ns)
    try:
        _wait_bound(node, ns)
        time.sleep(2)  # what the enabled controller needs (well under a second) and more
        assert _selinux_events(node, ns) == []
        metrics = node.kubectl("get", "--raw", "/metrics").stdout
        assert "selinux_warning_controller_selinux_volume_conflict" not in metrics
    finally:
        _cleanup(node, ns)
