"""The page's walkthroughs, typed as the page types them, against a real seclet node.

Each test applies one of the page's manifests with the real kubectl, waits for the
pod to run under runc, runs the page's commands with ``kubectl exec`` and asserts the
outputs the page shows (``uid=1000 gid=3000 groups=2000,3000,4000``, ``drwxrwsrwx 2
root 2000 ... demo``, ``CapEff: 00000000a80425fb``, the ``user.linux`` block). The
kernel produces them: nothing in seclet prints them.
Reference: ../shared/reference/security-context.md.
"""

from __future__ import annotations

import json
import re

import pytest

from e2e.node import Node

pytestmark = pytest.mark.e2e


def _fields(line: str) -> list[str]:
    return line.split()


def test_pod_level_ids_fsgroup_and_volume(node: Node) -> None:
    """security-context.yaml: runAsUser 1000, runAsGroup 3000, fsGroup 2000,
    supplementalGroups [4000] on an emptyDir at /data/demo."""
    name = node.apply_page("security-context.yaml")
    try:
        node.wait_running(name)
        assert node.kubectl("get", "pod", name).stdout.splitlines()[1].split()[1:3] == [
            "1/1",
            "Running",
        ]
        # The stand-in image's busybox (Debian's 1.35) prints no TIME column.
        ps = node.exec(name, "ps").splitlines()
        header = _fields(ps[0])
        assert header[:2] == ["PID", "USER"]
        assert _fields(ps[1])[:2] == ["1", "1000"]
        assert _fields(ps[1])[-2:] == ["sleep", "1h"]
        assert {_fields(line)[1] for line in ps[1:]} == {"1000"}
        listing = node.exec(name, "sh", "-c", "cd /data && ls -l").splitlines()
        demo = [line for line in listing if line.endswith(" demo")]
        assert len(demo) == 1
        assert _fields(demo[0])[:4] == ["drwxrwsrwx", "2", "root", "2000"]
        created = node.exec(
            name, "sh", "-c", "cd /data/demo && echo hello > testfile && ls -l"
        ).splitlines()
        testfile = [line for line in created if line.endswith(" testfile")]
        assert _fields(testfile[0])[:5] == ["-rw-r--r--", "1", "1000", "2000", "6"]
        assert node.exec(name, "id").strip() == "uid=1000 gid=3000 groups=2000,3000,4000"
    finally:
        node.delete(name)


def test_supplemental_groups_merge_with_image_groups(node: Node) -> None:
    """security-context-5.yaml: the image's /etc/group adds group 50000 (Merge)."""
    name = node.apply_page("security-context-5.yaml")
    try:
        node.wait_running(name)
        # The page prints ids only; the image's /etc/passwd and /etc/group name
        # uid 1000 and group 50000, and busybox's id shows those names.
        assert node.exec(name, "id").strip() == (
            "uid=1000(user-defined-in-image) gid=3000 groups=3000,4000,50000(group-defined-in-image)"
        )
        assert node.exec(name, "id", "-G").strip() == "3000 4000 50000"
    finally:
        node.delete(name)


def test_supplemental_groups_policy_strict_and_status_user(node: Node) -> None:
    """security-context-6.yaml: Strict ignores the image's groups; status shows the
    first process's identity in ``status.containerStatuses[].user.linux``."""
    name = node.apply_page("security-context-6.yaml")
    try:
        node.wait_running(name)
        assert node.exec(name, "id").strip() == (
            "uid=1000(user-defined-in-image) gid=3000 groups=3000,4000"
        )
        assert node.exec(name, "id", "-G").strip() == "3000 4000"
        pod = json.loads(node.kubectl("get", "pod", name, "-o", "json").stdout)
        status = pod["status"]["containerStatuses"][0]
        assert status["name"] == "sec-ctx-demo"
        assert status["user"] == {
            "linux": {"uid": 1000, "gid": 3000, "supplementalGroups": [3000, 4000]}
        }
        yaml_out = node.kubectl("get", "pod", name, "-o", "yaml").stdout
        assert re.search(
            r"    user:\n      linux:\n        gid: 3000\n        supplementalGroups:\n"
            r"        - 3000\n        - 4000\n        uid: 1000\n",
            yaml_out,
        ), yaml_out
    finally:
        node.delete(name)


def test_node_reports_supplemental_groups_policy_feature(node: Node) -> None:
    out = node.kubectl(
        "get", "nodes", "-o", "jsonpath={.items[0].status.features.supplementalGroupsPolicy}"
    ).stdout
    assert out == "true"


def test_container_overrides_pod_run_as_user(node: Node) -> None:
    """security-context-2.yaml: the container's runAsUser 2000 wins over the pod's 1000."""
    name = node.apply_page("security-context-2.yaml")
    try:
        node.wait_running(name)
        ps = node.exec(name, "ps", "aux").splitlines()
        users = {_fields(line)[1] for line in ps[1:] if line.strip()}
        assert users == {"2000"}
    finally:
        node.delete(name)


@pytest.mark.parametrize(
    ("manifest", "capeff"),
    [
        ("security-context-3.yaml", "00000000a80425fb"),
        ("security-context-4.yaml", "00000000aa0435fb"),
    ],
)
def test_capabilities_bitmaps(node: Node, manifest: str, capeff: str) -> None:
    """security-context-3/-4: default capabilities, then NET_ADMIN and SYS_TIME added."""
    name = node.apply_page(manifest)
    try:
        node.wait_running(name)
        status = node.exec(name, "cat", "/proc/1/status")
        assert f"CapPrm:\t{capeff}" in status
        assert f"CapEff:\t{capeff}" in status
    finally:
        node.delete(name)


def test_delete_pod_waits_for_the_kubelet(node: Node) -> None:
    name = node.apply_page("security-context.yaml")
    node.wait_running(name)
    out = node.kubectl("delete", "pod", name, "--grace-period=1")
    assert out.stdout == f'pod "{name}" deleted from default namespace\n'
    gone = node.kubectl("get", "pod", name, check=False)
    assert gone.returncode == 1
    assert gone.stderr.strip() == f'Error from server (NotFound): pods "{name}" not found'
