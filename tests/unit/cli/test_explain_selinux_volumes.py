"""``seclet explain`` prints each mounted volume's SELinux plan in the container's block."""

from __future__ import annotations

from pathlib import Path

import pytest

from seclet.cli.main import main

POD = """apiVersion: v1
kind: Pod
metadata:
  name: labelled
spec:
  securityContext:
    seLinuxOptions:
      level: "s0:c1,c2"
  containers:
  - name: app
    image: busybox
    command: ["sleep", "1"]
    volumeMounts:
    - {name: cache, mountPath: /cache}
    - {name: data, mountPath: /data}
    - {name: host, mountPath: /host}
    - {name: disk, mountPath: /disk}
  - name: side
    image: busybox
    command: ["sleep", "1"]
    volumeMounts:
    - {name: cache, mountPath: /cache}
  volumes:
  - {name: cache, emptyDir: {}}
  - {name: data, persistentVolumeClaim: {claimName: data}}
  - {name: host, hostPath: {path: /srv}}
  - name: disk
    iscsi: {targetPortal: "127.0.0.1:3260", iqn: "iqn.2001-04.com.example:t", lun: 0}
  - {name: unused, emptyDir: {}}
"""

CLAIM = (
    '  volume data: depends on the PersistentVolume bound to claim "data" (MountOption only '
    "for fc, iscsi or CSI with seLinuxMount: true)"
)


def explain(capsys: pytest.CaptureFixture[str], tmp_path: Path, *flags: str) -> list[str]:
    f = tmp_path / "pod.yaml"
    f.write_text(POD)
    code = main(["explain", "--node", "reference", *flags, "-f", str(f)])
    out, _ = capsys.readouterr()
    assert code == 0
    return [line for line in out.splitlines() if line.startswith(("pod/", "  volume "))]


def test_without_selinux_nothing_is_relabelled(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert explain(capsys, tmp_path) == [
        "pod/labelled container app (namespace default)",
        "  volume cache: no relabel (SELinux is not enabled on this node)",
        CLAIM,
        "  volume host: no relabel (SELinux is not enabled on this node)",
        "  volume disk: no relabel (SELinux is not enabled on this node)",
        "pod/labelled container side (namespace default)",
        "  volume cache: no relabel (SELinux is not enabled on this node)",
    ]


def test_as_on_an_selinux_node(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert explain(capsys, tmp_path, "--assume-selinux") == [
        "pod/labelled container app (namespace default)",
        "  volume cache: Recursive relabel by the container runtime (the plugin "
        "kubernetes.io/empty-dir does not support the context mount)",
        CLAIM,
        "  volume host: no relabel (the plugin kubernetes.io/host-path neither supports the "
        "context mount nor is relabelled)",
        "  volume disk: Recursive relabel by the container runtime (not a PersistentVolume)",
        "pod/labelled container side (namespace default)",
        "  volume cache: Recursive relabel by the container runtime (the plugin "
        "kubernetes.io/empty-dir does not support the context mount)",
    ]
