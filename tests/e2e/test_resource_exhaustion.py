"""Issue #6 item 8 and the rest of item 1 on a real seclet node: resource exhaustion
and a kill between CreateContainer and StartContainer.

Role:
- a container flooding its stdout: the kubelet rotates its log by size as upstream's
  container log manager (``--container-log-max-size 1Mi``, ``--container-log-max-files
  3``, ``--container-log-monitor-interval 3s``): the log directory stays bounded while
  far more is written, at most MaxFiles files (``0.log``, one uncompressed
  ``0.log.<YYYYMMDD-hhmmss>``, the rest ``.gz``), ``kubectl logs`` answers from the
  current file and ``kubectl logs -f`` follows across rotations without losing or
  repeating a line; the API answers and another pod's exec works meanwhile;
- a fork bomb in a pod on a node with ``--pod-max-pids 32``: the pod cgroup's
  ``pids.max`` is 32, forks fail with EAGAIN ("can't fork: Resource temporarily
  unavailable"), the API answers and another pod execs; deleting the pod leaves no
  process and no pod cgroup;
- pods created but not started when seclet is killed (SIGSTOP right after the
  container's record appears, then SIGKILL) are started after the restart, and
  nothing is started twice.
Each test uses its own node (the flags differ from the session node's).
Callers: pytest (tests/e2e).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import pty
import re
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.node import KUBECTL, Node
from registry import MIRRORED_HOSTS, LocalRegistry
from seclet.kubelet.logs import parse_log, render

pytestmark = pytest.mark.e2e

MAX_SIZE = 1024 * 1024
MAX_FILES = 3
MONITOR_SECONDS = 3.0
PIDS_LIMIT = 32
LINE_PAD = 900
LINES_PER_BATCH = 100
BATCH_SECONDS = 0.1
CRI_PREFIX = len("2026-11-28T07:00:00.000000000Z stdout F ")
FLOOD = (
    f"pad=$(head -c {LINE_PAD} /dev/zero | tr '\\0' x); i=0; "
    "while true; do j=0; "
    f'while [ $j -lt {LINES_PER_BATCH} ]; do i=$((i+1)); echo "$i $pad"; j=$((j+1)); done; '
    f"sleep {BATCH_SECONDS}; done"
)
MAX_RATE = LINES_PER_BATCH * (LINE_PAD + 8 + CRI_PREFIX) / BATCH_SECONDS
"""Bytes per second the flood can write at most (each batch is followed by a sleep)."""

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


def _apply(node: Node, name: str, command: list[str], restart: str = "Always") -> None:
    manifest = POD.format(name=name, command=json.dumps(command), restart=restart)
    node.kubectl("apply", "-f", "-", stdin=manifest)


def _own_node(registry: LocalRegistry, base: Path, *extra: str) -> Node:
    mirrors = [f"{host}={registry.url}" for host in MIRRORED_HOSTS]
    return Node(
        data_dir=base / "data",
        kubeconfig=base / "kubeconfig.yaml",
        mirrors=mirrors,
        extra_args=extra,
    )


@pytest.fixture
def limited(registry: LocalRegistry, tmp_path: Path) -> Iterator[Node]:
    """A node with small log rotation settings and a pod pids limit."""
    own = _own_node(
        registry,
        tmp_path,
        f"--container-log-max-size={MAX_SIZE // 1024}Ki",
        f"--container-log-max-files={MAX_FILES}",
        f"--container-log-monitor-interval={MONITOR_SECONDS:g}s",
        f"--pod-max-pids={PIDS_LIMIT}",
    )
    own.start()
    try:
        yield own
    finally:
        own.kubectl(
            "delete", "pods", "--all", "--grace-period=1", "--wait=true",
            check=False, timeout=120,
        )  # fmt: skip
        code = own.stop()
        assert code == 0, own.log()


def _uid(node: Node, name: str) -> str:
    metadata: dict[str, Any] = node.pod(name)["metadata"]  # type: ignore[assignment]
    return str(metadata["uid"])


def _log_dir(node: Node, name: str) -> Path:
    return node.data_dir / "pod-logs" / f"default_{name}_{_uid(node, name)}" / "main"


def _usage(directory: Path) -> int:
    total = 0
    for path in directory.iterdir():
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total


def _timed_get(node: Node) -> float:
    start = time.monotonic()
    node.kubectl("get", "pods", timeout=30)
    return time.monotonic() - start


class _Follower:
    """``kubectl logs -f`` in the background, its output collected."""

    def __init__(self, node: Node, name: str) -> None:
        self.process = subprocess.Popen(
            [str(KUBECTL), "--kubeconfig", str(node.kubeconfig), "logs", "-f", "--tail=1", name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.data = bytearray()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        fd = stdout.fileno()
        for chunk in iter(lambda: os.read(fd, 65536), b""):
            self.data += chunk

    def stop(self) -> bytes:
        self.process.terminate()
        self.process.wait(10)
        self.thread.join(10)
        return bytes(self.data)


def _counters(text: bytes) -> list[int]:
    """The flood's line numbers in ``text`` (complete lines only)."""
    out = []
    for line in text.split(b"\n")[:-1]:
        number, _, pad = line.partition(b" ")
        assert pad == b"x" * LINE_PAD, line[:80]
        out.append(int(number))
    return out


def test_a_flooding_container_keeps_its_logs_bounded(limited: Node) -> None:
    node = limited
    _apply(node, "quiet", ["sh", "-c", "echo quiet; exec sleep 3600"])
    _apply(node, "flood", ["sh", "-c", FLOOD])
    node.wait_running("quiet")
    node.wait_running("flood")
    directory = _log_dir(node, "flood")
    follower = _Follower(node, "flood")
    bound = MAX_FILES * MAX_SIZE + 2 * MAX_RATE * (MONITOR_SECONDS + 2)
    peak = 0
    slowest_get = 0.0
    rotated_names: set[str] = set()
    deadline = time.monotonic() + 24
    while time.monotonic() < deadline:
        peak = max(peak, _usage(directory))
        names = sorted(p.name for p in directory.iterdir())
        # <file>.tmp: a compression under way (and conmon's 0.log.tmp during a reopen)
        rotated_names.update(n for n in names if n != "0.log" and not n.endswith(".tmp"))
        assert len([n for n in names if not n.endswith(".tmp")]) <= MAX_FILES, names
        slowest_get = max(slowest_get, _timed_get(node))
        time.sleep(0.3)
    followed = follower.stop()
    assert node.exec("quiet", "echo", "still here") == "still here\n"

    # far more written than kept; never more on disk than the bound
    tail = node.kubectl("logs", "flood", "--tail=1").stdout.encode()
    written = _counters(tail)[-1] * (LINE_PAD + 8 + CRI_PREFIX)
    assert peak <= bound, (peak, bound)
    assert written > 2 * peak, (written, peak)
    assert slowest_get < 5.0, slowest_get

    # upstream's file names: 0.log.<20060102-150405>, all but the newest compressed
    stamped = re.compile(r"0\.log\.\d{8}-\d{6}(\.gz)?")
    assert rotated_names and all(stamped.fullmatch(n) for n in rotated_names), rotated_names
    assert len(rotated_names) >= 3, rotated_names
    names = sorted(p.name for p in directory.iterdir())
    assert names[0] == "0.log" and len(names) <= MAX_FILES, names
    assert len([n for n in names if n != "0.log" and not n.endswith(".gz")]) <= 1, names

    # kubectl logs reads the current file only: it starts after the rotated lines
    current = _counters(node.kubectl("logs", "flood").stdout.encode())
    assert current == list(range(current[0], current[0] + len(current)))
    assert current[0] > 1

    # follow went on across every rotation: one line after another, none lost or repeated
    seen = _counters(followed[: followed.rfind(b"\n") + 1])
    assert len(seen) > 10 * LINES_PER_BATCH
    assert seen == list(range(seen[0], seen[0] + len(seen)))
    assert len(seen) * (LINE_PAD + 8 + CRI_PREFIX) > 2 * MAX_SIZE  # past several rotations
    assert seen[-1] >= current[0] - 1
    print(
        f"flood: peak {peak} B on disk (bound {bound:.0f}), {written} B written, "
        f"{len(rotated_names)} rotated files seen, slowest kubectl get {slowest_get:.2f} s"
    )

    # the kept files, oldest first, hold one unbroken run of lines: rotation lost none
    kept = _kept_lines(directory)
    assert len(kept) > LINES_PER_BATCH
    assert kept == list(range(kept[0], kept[0] + len(kept)))

    assert node.kubectl("logs", "quiet").stdout == "quiet\n"


def _read_kept(directory: Path) -> tuple[list[str], bytes]:
    """The log files (``.gz`` ones decompressed) in upstream's ``GetAllLogs`` order:
    rotated ones oldest first, then ``0.log``."""
    names = sorted(
        p.name for p in directory.iterdir() if p.name != "0.log" and not p.name.endswith(".tmp")
    )
    names = [n for n in names if (n + ".gz") not in names] + ["0.log"]
    data = b""
    for name in names:
        raw = (directory / name).read_bytes()
        data += gzip.decompress(raw) if name.endswith(".gz") else raw
    return names, data


def _kept_lines(directory: Path) -> list[int]:
    for _ in range(10):
        try:
            names, data = _read_kept(directory)
        except (OSError, EOFError):
            continue  # a rotation moved a file while it was read
        if sorted(names) == sorted(
            p.name for p in directory.iterdir() if not p.name.endswith(".tmp")
        ):
            text = render(parse_log(data), timestamps=False)
            # the oldest kept file may begin with the end of a line split by conmon
            return _counters(text.split(b"\n", 1)[1])
    raise AssertionError("the log files kept changing while they were read")


def _pids_dir(uid: str) -> Path:
    return Path("/sys/fs/cgroup/pids/kubepods/besteffort") / f"pod{uid}"


def _host_sleeps(argument: str) -> list[int]:
    """Host pids of ``sleep <argument>`` processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline == f"sleep\0{argument}\0".encode():
            found.append(int(entry.name))
    return found


def test_a_fork_bomb_hits_the_pod_pids_limit(limited: Node) -> None:
    node = limited
    if not Path("/sys/fs/cgroup/pids").is_dir():
        pytest.skip("no cgroup v1 pids hierarchy on this host")
    _apply(node, "bystander", ["sh", "-c", "exec sleep 3600"])
    bomb = "echo start; (while true; do sleep 607 & done); echo refused; exec sleep 3600"
    _apply(node, "bomb", ["sh", "-c", bomb], restart="Never")
    node.wait_running("bystander")
    node.wait_running("bomb")
    uid = _uid(node, "bomb")
    pids = _pids_dir(uid)
    assert (pids / "pids.max").read_text() == f"{PIDS_LIMIT}\n"
    deadline = time.monotonic() + 30
    logs = ""
    while time.monotonic() < deadline:
        logs = node.kubectl("logs", "bomb").stdout
        if "refused" in logs:
            break
        time.sleep(0.2)
    # the subshell's fork fails with EAGAIN (busybox ash: "sh: can't fork: ..."), it
    # exits, the main shell goes on; stdout and stderr are two pipes, and ash writes
    # "sh: " and the rest apart, so the records may interleave
    assert logs.startswith("start\n"), logs
    assert "can't fork: Resource temporarily unavailable\n" in logs, logs
    assert "refused" in logs and "sh: " in logs, logs
    assert len(logs) == len("start\nrefused\nsh: can't fork: Resource temporarily unavailable\n")
    current = int((pids / "pids.current").read_text())
    assert PIDS_LIMIT - 3 <= current <= PIDS_LIMIT, current

    # the node answers and another pod is unaffected
    assert _timed_get(node) < 5.0
    assert node.exec("bystander", "echo", "fine") == "fine\n"
    assert _pids_dir(_uid(node, "bystander")).joinpath("pids.max").read_text() == "32\n"
    phase = node.kubectl("get", "pod", "bomb", "-o", "jsonpath={.status.phase}").stdout
    assert phase == "Running"

    node.delete("bomb")
    deadline = time.monotonic() + 30
    while (_host_sleeps("607") or pids.exists()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _host_sleeps("607") == []
    assert not pids.exists()
    assert node.exec("bystander", "echo", "after") == "after\n"


def test_a_classic_fork_bomb_churns_within_the_limit(limited: Node) -> None:
    """``b() { b | b & }; b``: processes fork and exit while forks succeed; the pod's
    cgroup never holds more than ``pids.max`` of them, and the node goes on."""
    node = limited
    if not Path("/sys/fs/cgroup/pids").is_dir():
        pytest.skip("no cgroup v1 pids hierarchy on this host")
    _apply(node, "calm", ["sh", "-c", "exec sleep 3600"])
    bomb = "echo start; (b() { b | b & }; b); exec sleep 3600"
    _apply(node, "classic", ["sh", "-c", bomb], restart="Never")
    node.wait_running("calm")
    node.wait_running("classic")
    pids = _pids_dir(_uid(node, "classic"))
    highest = 0
    slowest_get = 0.0
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        highest = max(highest, int((pids / "pids.current").read_text()))
        slowest_get = max(slowest_get, _timed_get(node))
        assert node.exec("calm", "echo", "calm") == "calm\n"
    logs = node.kubectl("logs", "classic", "--tail=50").stdout
    assert "can't fork: Resource temporarily unavailable" in logs, logs
    # "can't fork" says the limit was reached; the samples never saw more (the bomb's
    # processes fork and die so fast that it may also burn itself out)
    assert 0 < highest <= PIDS_LIMIT, highest
    assert slowest_get < 5.0, slowest_get
    print(f"fork bomb: at most {highest} pids in the pod, slowest kubectl get {slowest_get:.2f} s")
    node.delete("classic")
    deadline = time.monotonic() + 30
    while pids.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pids.exists()
    assert node.exec("calm", "echo", "after") == "after\n"


def _container_records(data_dir: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for path in (data_dir / "runtime" / "containers").glob("*/state.json"):
        try:
            record: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        out[record["id"]] = record
    return out


def _catch_created(node: Node, known: set[str], timeout: float = 60) -> str:
    """SIGSTOP seclet the moment a new container record appears; its id."""
    assert node.process is not None
    base = node.data_dir / "runtime" / "containers"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in base.iterdir():
            if entry.name not in known and (entry / "state.json").exists():
                node.process.send_signal(signal.SIGSTOP)
                return entry.name
    raise AssertionError(f"no container record appeared in {timeout}s")


def _started_events(node: Node, name: str) -> list[tuple[str, int]]:
    out = node.kubectl(
        "get", "events", "--field-selector", f"involvedObject.name={name},reason=Started",
        "-o", "json",
    )  # fmt: skip
    items: list[dict[str, Any]] = json.loads(out.stdout)["items"]
    return [(str(e["message"]), int(e.get("count") or 1)) for e in items]


def test_created_not_started_containers_start_once_after_a_kill(
    registry: LocalRegistry, tmp_path: Path
) -> None:
    own = _own_node(registry, tmp_path)
    own.start()
    caught: dict[str, str] = {}
    try:
        _apply(own, "warm", ["sh", "-c", "exec sleep 3600"])
        own.wait_running("warm")  # the image is pulled: create -> start is quick now
        warm_id = _main(own, "warm")["containerID"]
        names = [f"late-{i}" for i in range(2)]
        for i, name in enumerate(names):
            # stop seclet right after its container's record is written, then kill it
            known = set(_container_records(own.data_dir))
            _apply(own, name, ["sh", "-c", f"echo late {i}; exec sleep 3600"])
            cid = _catch_created(own, known)
            record = _container_records(own.data_dir)[cid]
            caught[name] = "started" if record.get("started_at") else "created"
            assert own.process is not None
            own.process.kill()
            own.process.wait()
            own.start()
            own.wait_running(name, timeout=60)
        assert "created" in caught.values(), caught
        for i, name in enumerate(names):
            own.wait_running(name, timeout=60)
            assert own.kubectl("logs", name).stdout == f"late {i}\n"
            assert _started_events(own, name) == [("Started container main", 1)], name
            uid = _uid(own, name)
            ran = [
                r
                for r in _container_records(own.data_dir).values()
                if r["labels"].get("io.kubernetes.pod.uid") == uid and r.get("started_at")
            ]
            assert len(ran) == 1, (name, ran)
            main = _main(own, name)
            assert main["containerID"] == "runc://" + ran[0]["id"]
            assert main["restartCount"] == ran[0]["attempt"]
        assert _main(own, "warm")["containerID"] == warm_id
        assert _main(own, "warm")["restartCount"] == 0
    finally:
        running = own.process is not None and own.process.poll() is None
        if running:
            own.kubectl(
                "delete", "pods", "--all", "--grace-period=1", "--wait=true",
                check=False, timeout=120,
            )  # fmt: skip
        code = own.stop()
    assert running, own.log()
    assert code == 0, own.log()


def _main(node: Node, name: str) -> dict[str, Any]:
    status: dict[str, Any] = node.pod(name)["status"]  # type: ignore[assignment]
    statuses: list[dict[str, Any]] = status["containerStatuses"]
    return statuses[0]


FULL_DISK_MESSAGE = "database or disk is full"


def _fill_disk(path: Path) -> None:
    """Write zeros to ``path`` until its filesystem has no block left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            chunk = b"\0" * size
            while True:
                try:
                    os.write(fd, chunk)
                except OSError:
                    break
    finally:
        os.close(fd)


def _create_configmaps(
    node: Node, payload: Path, count: int
) -> list[subprocess.CompletedProcess[str]]:
    """``kubectl create configmap`` until one fails (at most ``count``)."""
    out = []
    for i in range(count):
        done = node.kubectl(
            "create", "configmap", f"fill-{i}", f"--from-file=data={payload}", check=False
        )
        out.append(done)
        if done.returncode != 0:
            break
    return out


@pytest.fixture
def small_disk(registry: LocalRegistry, tmp_path: Path) -> Iterator[Node]:
    """A node whose data directory (store, images, containers, pod logs) is a 48 MiB
    tmpfs (the server's own log is beside it, not on it)."""
    disk = tmp_path / "data"
    disk.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m,mode=0711", "tmpfs", str(disk)], check=True
    )
    mirrors = [f"{host}={registry.url}" for host in MIRRORED_HOSTS]
    own = Node(data_dir=disk, kubeconfig=tmp_path / "kubeconfig.yaml", mirrors=mirrors)
    try:
        own.start()
        yield own
    finally:
        (disk / "filler").unlink(missing_ok=True)
        own.kubectl(
            "delete", "pods", "--all", "--grace-period=1", "--wait=true",
            check=False, timeout=120,
        )  # fmt: skip
        code = own.stop()
        subprocess.run(["umount", "-l", str(disk)], check=False)
        assert code == 0, own.log()


def test_a_full_disk_refuses_writes_loses_nothing_and_recovers(small_disk: Node) -> None:
    node = small_disk
    disk = node.data_dir
    writer = "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.05; done"
    _apply(node, "writer", ["sh", "-c", writer])
    node.wait_running("writer")
    node.kubectl("create", "configmap", "before", "--from-literal=k=v")
    payload = disk.parent / "payload"
    payload.write_bytes(b"y" * (512 * 1024))

    _fill_disk(disk / "filler")
    results = _create_configmaps(node, payload, 40)
    refused = results[-1]
    assert refused.returncode != 0, [r.stdout for r in results]
    print(f"full disk: {len(results) - 1} writes fit, then {refused.stderr.strip()!r}")

    # the node answers, nothing stored is lost, the writing pod runs on
    assert _timed_get(node) < 5.0
    assert node.kubectl("get", "configmap", "before", "-o", "jsonpath={.data.k}").stdout == "v"
    # an exec keeps its files on /run (tmpfs), as containerd does: it works on a full
    # data disk, with and without a TTY
    assert node.exec("writer", "echo", "alive") == "alive\n"
    pid, fd = pty.fork()
    if pid == 0:  # kubectl on a terminal: a TTY exec, whose process spec is a file
        argv = [str(KUBECTL), "--kubeconfig", str(node.kubeconfig), "exec", "-t", "writer"]
        os.execv(argv[0], [*argv, "--", "echo", "tty"])
    out = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(fd, 4096):
            out += chunk
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    assert (os.waitstatus_to_exitcode(status), out) == (0, b"tty\r\n")
    lines_full = node.kubectl("logs", "writer").stdout
    time.sleep(2)
    assert (
        node.kubectl("get", "pod", "writer", "-o", "jsonpath={.status.phase}").stdout == "Running"
    )
    assert "Traceback" not in refused.stderr

    # space returns: writes succeed again and the container's log grows again
    (disk / "filler").unlink()
    time.sleep(1)
    node.kubectl("create", "configmap", "after", "--from-literal=k=w")
    assert node.kubectl("get", "configmap", "after", "-o", "jsonpath={.data.k}").stdout == "w"
    deadline = time.monotonic() + 10
    grown = lines_full
    while grown.count("\n") <= lines_full.count("\n") + 5 and time.monotonic() < deadline:
        time.sleep(0.2)
        grown = node.kubectl("logs", "writer").stdout
    assert grown.count("\n") > lines_full.count("\n") + 5
    assert node.exec("writer", "echo", "alive") == "alive\n"
    assert node.process is not None and node.process.poll() is None
    db = sqlite3.connect(node.data_dir / "store.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()
    for result in results[:-1]:
        assert result.returncode == 0


def test_a_full_disk_write_is_a_500_internal_error_status(small_disk: Node) -> None:
    node = small_disk
    disk = node.data_dir
    payload = disk.parent / "payload"
    payload.write_bytes(b"y" * (512 * 1024))
    _fill_disk(disk / "filler")
    refused = _create_configmaps(node, payload, 40)[-1]
    assert refused.returncode == 1
    assert refused.stderr == (
        f"error: failed to create configmap: Internal error occurred: {FULL_DISK_MESSAGE}\n"
    )
