"""The kubelet's pod lifecycle on a real seclet node: finished pods and restarts.

Role: a ``restartPolicy: Never`` pod that completed has its sandbox stopped (no
catatonit pause process left, nor the namespace pins of a sandbox without one, as
upstream's pod worker kills a terminal pod) while
``kubectl logs`` still answers; and issue #3 / #6 item 1: a ``seclet server`` killed
with SIGKILL and started again on the same data directory adopts the containers still
running (same container id, restartCount 0, exec works), reports the exit conmon
recorded while it was down (exit code 7, reason Error), starts nothing twice and
keeps every log line. The restart test runs its own node (not the session one). The
node's Lease is renewed every 10 s and ``kubectl describe node`` shows it.
Callers: pytest (tests/e2e).
"""

from __future__ import annotations

import datetime
import json
import re
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from e2e.node import Node
from registry import MIRRORED_HOSTS, LocalRegistry

pytestmark = pytest.mark.e2e

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  restartPolicy: {restart}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:1.28
    command: {command}
"""


def _apply(node: Node, name: str, command: str, restart: str = "Never") -> None:
    manifest = POD.format(name=name, command=command, restart=restart)
    node.kubectl("apply", "-f", "-", stdin=manifest)


def _wait_phase(node: Node, name: str, want: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    phase = ""
    while time.monotonic() < deadline:
        pod = node.pod(name)
        status: dict[str, Any] = pod.get("status") or {}  # type: ignore[assignment]
        phase = status.get("phase", "")
        if phase == want:
            return pod
        time.sleep(0.1)
    described = node.kubectl("describe", "pod", name, check=False).stdout
    raise AssertionError(f"pod {name} is {phase!r}, not {want!r}:\n{described}\n{node.log()}")


def _status(node: Node, name: str) -> dict[str, Any]:
    status: dict[str, Any] = node.pod(name)["status"]  # type: ignore[assignment]
    return status


def _main(node: Node, name: str) -> dict[str, Any]:
    statuses: list[dict[str, Any]] = _status(node, name)["containerStatuses"]
    return statuses[0]


def _uid(node: Node, name: str) -> str:
    metadata: dict[str, Any] = node.pod(name)["metadata"]  # type: ignore[assignment]
    return str(metadata["uid"])


def _records(data_dir: Path, kind: str) -> list[dict[str, Any]]:
    """The runtime's ``state.json`` records (``sandboxes`` or ``containers``)."""
    out = []
    for path in sorted((data_dir / "runtime" / kind).glob("*/state.json")):
        record: dict[str, Any] = json.loads(path.read_text())
        out.append(record)
    return out


def _pause_alive(data_dir: Path, pod_uid: str) -> list[int | str]:
    """What still holds the pod's sandbox namespaces: its pause processes (catatonit)
    still running, by pid, and for a sandbox without one its namespace pins still
    mounted, by path."""
    mounted = {line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()}
    alive: list[int | str] = []
    for record in _records(data_dir, "sandboxes"):
        if record["uid"] != pod_uid:
            continue
        alive.extend(p for p in record.get("pinned_namespaces", {}).values() if p in mounted)
        if not record["pid"]:
            continue
        try:
            cmdline = Path(f"/proc/{record['pid']}/cmdline").read_bytes()
        except OSError:
            continue
        if b"catatonit" in cmdline:
            alive.append(record["pid"])
    return alive


def _wait_pause_gone(node: Node, pod_uid: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    alive = _pause_alive(node.data_dir, pod_uid)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = _pause_alive(node.data_dir, pod_uid)
    assert alive == [], f"pause processes of {pod_uid} still running: {alive}\n{node.log()}"


def _remove_leftovers(data_dir: Path) -> None:
    """After a node that could not be started again: kill and delete what runc still
    runs under its root and unmount what its runtime mounted, so nothing outlives the
    test."""
    runc_root = data_dir / "runtime" / "runc"
    listed = subprocess.run(
        ["runc", "--root", str(runc_root), "list", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    for container_id in listed.stdout.split():
        subprocess.run(
            ["runc", "--root", str(runc_root), "delete", "--force", container_id], check=False
        )
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    targets = [line.split()[1] for line in mounts if str(data_dir) in line.split()[1]]
    for target in sorted(targets, reverse=True):
        subprocess.run(["umount", "-l", target], check=False)


def _events(node: Node, name: str, reason: str) -> list[str]:
    """Messages of the pod's events with ``reason``."""
    out = node.kubectl(
        "get",
        "events",
        "--field-selector",
        f"involvedObject.name={name},reason={reason}",
        "-o",
        "json",
    )
    items: list[dict[str, Any]] = json.loads(out.stdout)["items"]
    return [str(e["message"]) for e in items]


def test_completed_pod_stops_its_sandbox_and_keeps_its_logs(node: Node) -> None:
    _apply(node, "done-demo", '["echo", "done"]')
    try:
        pod = _wait_phase(node, "done-demo", "Succeeded")
        uid = _uid(node, "done-demo")
        sandboxes = [r for r in _records(node.data_dir, "sandboxes") if r["uid"] == uid]
        assert len(sandboxes) == 1
        # a pause process, or (no pause process needed) the pod's namespaces pinned
        assert sandboxes[0]["pid"] > 0 or sorted(sandboxes[0]["pinned_namespaces"]) == [
            "ipc",
            "network",
            "uts",
        ]
        _wait_pause_gone(node, uid)
        assert node.kubectl("logs", "done-demo").stdout == "done\n"
        conditions = {c["type"]: c for c in _status(node, "done-demo")["conditions"]}
        assert conditions["PodReadyToStartContainers"]["status"] == "False"
        assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == (
            "False",
            "PodCompleted",
        )
        terminated = _main(node, "done-demo")["state"]["terminated"]
        assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
        assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
    finally:
        node.delete("done-demo")


def test_node_lease_is_renewed_and_described(node: Node) -> None:
    name = node.kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout

    def renew_time() -> str:
        out = node.kubectl(
            "get", "lease", name, "-n", "kube-node-lease", "-o", "jsonpath={.spec.renewTime}"
        )
        return out.stdout

    first = renew_time()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", first), first
    deadline = time.monotonic() + 15
    second = first
    while second == first and time.monotonic() < deadline:
        time.sleep(0.5)
        second = renew_time()
    gap = _seconds(second) - _seconds(first)
    assert 9.5 <= gap <= 10.5, (first, second)
    described = node.kubectl("describe", "node", name).stdout
    assert f"\nLease:\n  HolderIdentity:  {name}\n  AcquireTime:     <unset>\n" in described


def _seconds(micro_time: str) -> float:
    return datetime.datetime.strptime(micro_time, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def test_killed_seclet_adopts_its_containers_after_a_restart(
    registry: LocalRegistry, tmp_path: Path
) -> None:
    mirrors = [f"{host}={registry.url}" for host in MIRRORED_HOSTS]
    own = Node(data_dir=tmp_path / "data", kubeconfig=tmp_path / "kubeconfig.yaml", mirrors=mirrors)
    own.start()
    try:
        before: dict[str, dict[str, Any]] = {}
        _apply(own, "early", '["echo", "early"]')
        _wait_phase(own, "early", "Succeeded")
        before["early"] = _main(own, "early")
        _apply(own, "sleeper", '["sh", "-c", "echo up; exec sleep 3600"]', restart="Always")
        own.wait_running("sleeper")
        before["sleeper"] = _main(own, "sleeper")
        _apply(own, "exiter", '["sh", "-c", "echo one; sleep 2; echo two; exit 7"]')
        own.wait_running("exiter")
        before["exiter"] = _main(own, "exiter")
        assert "running" in before["exiter"]["state"], before["exiter"]
        exiter_id = before["exiter"]["containerID"].removeprefix("runc://")

        assert own.process is not None
        own.process.kill()  # SIGKILL: no shutdown of any kind
        own.process.wait()
        first_log = own.log_path.read_text(errors="replace")
        time.sleep(3.5)  # the exiter exits while no seclet runs: only conmon sees it
        exit_file = own.data_dir / "runtime" / "exits" / exiter_id
        assert exit_file.read_text().strip() == "7", first_log

        own.start()
        failed = _wait_phase(own, "exiter", "Failed")
        exiter = failed["status"]["containerStatuses"][0]
        terminated = exiter["state"]["terminated"]
        assert (terminated["exitCode"], terminated["reason"]) == (7, "Error")
        assert exiter["containerID"] == before["exiter"]["containerID"]
        assert exiter["restartCount"] == 0
        assert terminated["startedAt"] == before["exiter"]["state"]["running"]["startedAt"]

        sleeper = _main(own, "sleeper")
        assert _status(own, "sleeper")["phase"] == "Running"
        assert sleeper["containerID"] == before["sleeper"]["containerID"]
        assert sleeper["restartCount"] == 0
        assert sleeper["state"] == before["sleeper"]["state"]
        assert own.exec("sleeper", "echo", "adopted") == "adopted\n"

        early = _main(own, "early")
        assert _status(own, "early")["phase"] == "Succeeded"
        assert early["containerID"] == before["early"]["containerID"]
        assert early["restartCount"] == 0

        # Nothing was started twice: one sandbox and one container per pod.
        uids = {name: _uid(own, name) for name in ("early", "sleeper", "exiter")}
        sandboxes = sorted(r["uid"] for r in _records(own.data_dir, "sandboxes"))
        assert sandboxes == sorted(uids.values())
        containers = _records(own.data_dir, "containers")
        assert sorted(r["id"] for r in containers) == sorted(
            s["containerID"].removeprefix("runc://") for s in before.values()
        )

        assert own.kubectl("logs", "sleeper").stdout == "up\n"
        assert own.kubectl("logs", "exiter").stdout == "one\ntwo\n"
        assert own.kubectl("logs", "early").stdout == "early\n"

        for name in ("early", "sleeper", "exiter"):
            assert _events(own, name, "Started") == ["Started container main"], name
            assert _events(own, name, "Created") == ["Created container: main"], name

        _wait_pause_gone(own, uids["exiter"])
        _wait_pause_gone(own, uids["early"])
        assert _pause_alive(own.data_dir, uids["sleeper"]) != []
    finally:
        running = own.process is not None and own.process.poll() is None
        if running:
            own.kubectl(
                "delete",
                "pods",
                "--all",
                "--grace-period=1",
                "--wait=true",
                check=False,
                timeout=120,
            )
        code = own.stop()
        if not running:
            _remove_leftovers(own.data_dir)
    assert running, own.log()
    assert code == 0, own.log()


def test_fifty_running_pods_survive_a_killed_seclet(
    registry: LocalRegistry, tmp_path: Path
) -> None:
    """Issue #6 item 1: with 50 pods running, ``kill -9`` seclet and start it again: all
    50 still Running with the same containers and no restart (one sandbox and one
    container each, nothing started twice), and the store passes SQLite's integrity
    check after the kill."""
    mirrors = [f"{host}={registry.url}" for host in MIRRORED_HOSTS]
    own = Node(data_dir=tmp_path / "data", kubeconfig=tmp_path / "kubeconfig.yaml", mirrors=mirrors)
    own.start()
    names = [f"many-{i:02d}" for i in range(50)]
    try:
        manifest = "---\n".join(
            f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n"
            "  terminationGracePeriodSeconds: 0\n  containers:\n  - name: main\n"
            '    image: busybox:1.28\n    command: ["sleep", "3600"]\n'
            for name in names
        )
        own.kubectl("apply", "-f", "-", stdin=manifest, timeout=120)
        for name in names:
            own.wait_running(name, timeout=120)
        before = {name: _main(own, name)["containerID"] for name in names}

        assert own.process is not None
        own.process.kill()
        own.process.wait()
        db = sqlite3.connect(own.data_dir / "store.db")
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            db.close()

        own.start()
        for name in names:
            own.wait_running(name, timeout=60)
            main = _main(own, name)
            assert (main["containerID"], main["restartCount"]) == (before[name], 0), name
        containers = _records(own.data_dir, "containers")
        assert sorted(r["id"] for r in containers) == sorted(
            cid.removeprefix("runc://") for cid in before.values()
        )
        assert len(_records(own.data_dir, "sandboxes")) == 50
    finally:
        running = own.process is not None and own.process.poll() is None
        if running:
            own.kubectl(
                "delete", "pods", "--all", "--grace-period=0", "--wait=true",
                check=False, timeout=180,
            )  # fmt: skip
        code = own.stop()
        if not running:
            _remove_leftovers(own.data_dir)
    assert running, own.log()
    assert code == 0, own.log()
