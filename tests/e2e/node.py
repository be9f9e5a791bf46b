"""A real seclet node for end-to-end tests: ``seclet server`` as a process, kubectl.

Role: start ``seclet server`` (API server + kubelet + runc/conmon runtime + image
store) in a temporary data directory on a free loopback port, with registry mirrors
pointing at the tests' local docker-registry; wait for its kubeconfig; run the real
kubectl against it; stop it with SIGTERM and check that it exits cleanly.
Callers: tests/e2e/conftest.py, tests/e2e/test_*.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seclet.runtime.runc.service import default_run_root

REPO = Path(__file__).resolve().parents[2]
KUBECTL = Path(sys.prefix) / "bin" / "kubectl"
SECLET = Path(sys.prefix) / "bin" / "seclet"
EXAMPLES = REPO / "examples"
_SERVING = re.compile(r"serving (https://\S+?);")


def _mountpoints_under(directory: Path) -> list[str]:
    """Mount points at or below ``directory``, deepest first."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
        if point == str(directory) or point.startswith(f"{directory}/"):
            found.append(point)
    return sorted(found, key=len, reverse=True)


def discard_leftovers(data_dir: Path) -> None:
    """After a node has stopped for good: kill the containers a test left running
    (runc's state under the node's runtime root, their conmons), detach every
    mount under its data directory and remove its run root (exec files on /run), so
    a test machine does not collect them."""
    runc_root = data_dir / "runtime" / "runc"
    if runc_root.is_dir():
        listed = subprocess.run(
            ["runc", "--root", str(runc_root), "list", "-q"],
            capture_output=True,
            text=True,
            check=False,
        )
        for cid in listed.stdout.split():
            subprocess.run(
                ["runc", "--root", str(runc_root), "delete", "--force", cid],
                capture_output=True,
                check=False,
            )
    subprocess.run(["pkill", "-KILL", "-f", f"conmon .*{data_dir}/"], check=False)
    for point in _mountpoints_under(data_dir):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    run_root = default_run_root((data_dir / "runtime").absolute())
    if run_root is not None:
        shutil.rmtree(run_root, ignore_errors=True)


class NodeError(RuntimeError):
    """The node did not start, or a command did not do what a test needs."""


def _make_traversable(directory: Path) -> None:
    """Let other users pass through ``directory`` and its parents (``--x`` for group
    and others, nothing listable), as a real data directory's parents (/var/lib) are:
    pytest makes its temporary directories 0700, and a ``hostUsers: false`` pod's
    mapped root must reach its rootfs under the data directory."""
    for path in (directory, *directory.parents):
        mode = path.stat().st_mode
        if mode & 0o011 != 0o011:
            path.chmod(stat.S_IMODE(mode) | 0o011)


STARTED: list[Node] = []
"""Every node a test started (the session's end discards what they left)."""


@dataclass
class Node:
    data_dir: Path
    kubeconfig: Path
    mirrors: Sequence[str]
    """``--registry-mirror`` values (``docker.io=http://127.0.0.1:5000``)."""
    extra_args: Sequence[str] = ()
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=Path)
    url: str = ""

    def start(self, timeout: float = 20.0) -> None:
        STARTED.append(self)
        self.log_path = self.data_dir.parent / "seclet-server.log"
        _make_traversable(self.data_dir.parent)
        args = [
            str(SECLET),
            "server",
            "--data-dir",
            str(self.data_dir),
            "--port",
            "0",
            "--kubeconfig",
            str(self.kubeconfig),
        ]
        args += ["--pod-logs-dir", str(self.data_dir / "pod-logs")]
        for mirror in self.mirrors:
            args += ["--registry-mirror", mirror]
        args += list(self.extra_args)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = _SERVING.search(self.log_path.read_text(errors="replace"))
            if m is not None and self.kubeconfig.exists():
                self.url = m.group(1)
                break
            if self.process.poll() is not None:
                raise NodeError(f"seclet server exited:\n{self.log()}")
            time.sleep(0.05)
        else:
            raise NodeError(f"seclet server did not start in {timeout}s:\n{self.log()}")
        self._wait_node_ready(timeout)

    def _wait_node_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.kubectl(
                "get",
                "nodes",
                "-o",
                'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}',
                check=False,
            )
            if out.returncode == 0 and out.stdout.strip() == "True":
                return
            time.sleep(0.1)
        raise NodeError(f"the node did not become Ready in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20000:]
        except OSError:
            return ""

    def stop(self) -> int:
        """SIGTERM and wait; the exit code (0 for a clean shutdown)."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            check=False,
            text=True,
            input=stdin,
            timeout=timeout,
            env={**os.environ, "KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "true"},
        )
        if check and out.returncode != 0:
            raise NodeError(
                f"kubectl {' '.join(args)} -> {out.returncode}\n{out.stdout}\n{out.stderr}"
            )
        return out

    def apply_page(self, manifest: str) -> str:
        """``kubectl apply -f examples/<manifest>``; the pod's name."""
        out = self.kubectl("apply", "-f", str(EXAMPLES / manifest))
        m = re.match(r"pod/(\S+) (created|configured|unchanged)", out.stdout)
        if m is None:
            raise NodeError(f"unexpected apply output: {out.stdout!r} {out.stderr!r}")
        return m.group(1)

    def pod(self, name: str, namespace: str = "default") -> dict[str, object]:
        out = self.kubectl("get", "pod", name, "-n", namespace, "-o", "json")
        doc: dict[str, object] = json.loads(out.stdout)
        return doc

    def wait_running(self, name: str, namespace: str = "default", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        phase = ""
        while time.monotonic() < deadline:
            out = self.kubectl(
                "get", "pod", name, "-n", namespace, "-o", "jsonpath={.status.phase}", check=False
            )
            phase = out.stdout.strip()
            if phase == "Running":
                return
            if phase in ("Failed", "Succeeded"):
                break
            time.sleep(0.1)
        described = self.kubectl("describe", "pod", name, "-n", namespace, check=False).stdout
        raise NodeError(f"pod {name} is {phase!r}, not Running:\n{described}\n{self.log()}")

    def exec(self, name: str, *command: str, namespace: str = "default") -> str:
        return self.kubectl("exec", name, "-n", namespace, "--", *command).stdout

    def delete(self, name: str, namespace: str = "default") -> None:
        self.kubectl(
            "delete", "pod", name, "-n", namespace, "--grace-period=1", "--wait=true", check=False
        )
