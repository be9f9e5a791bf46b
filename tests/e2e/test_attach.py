"""``kubectl attach`` and ``kubectl run -i`` on a real seclet node (issue #3).

Role: the container's own process through conmon's attach socket, driven by the real
kubectl: ``kubectl run -i --rm --restart=Never`` with stdin piped (the input echoed
back, kubectl's exit code the container's, the pod deleted); ``kubectl run -it --rm``
and ``kubectl attach -it`` on a pseudo-terminal (kubectl's "If you don't see a command
prompt" line, the terminal's size passed on, the shell's exit); ``kubectl attach`` to a
container without stdin (its output only, until it exits); the kubelet's refusal for a
container that is not running; and a container attached again after seclet was killed
and restarted (conmon kept the socket), its ``kubectl logs`` holding both sessions.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from e2e.node import KUBECTL, Node
from registry import MIRRORED_HOSTS, LocalRegistry

pytestmark = pytest.mark.e2e

PROMPT_HINT = b"If you don't see a command prompt, try pressing enter."

STDIN_POD = """\
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
    stdin: {stdin}
    stdinOnce: {stdin_once}
    tty: {tty}
"""


def _apply(
    node: Node,
    name: str,
    command: str,
    *,
    stdin: bool = False,
    stdin_once: bool = False,
    tty: bool = False,
    restart: str = "Never",
) -> None:
    manifest = STDIN_POD.format(
        name=name,
        command=command,
        stdin=str(stdin).lower(),
        stdin_once=str(stdin_once).lower(),
        tty=str(tty).lower(),
        restart=restart,
    )
    node.kubectl("apply", "-f", "-", stdin=manifest)


def _kubectl(node: Node, *args: str) -> list[str]:
    return [str(KUBECTL), "--kubeconfig", str(node.kubeconfig), *args]


def _env() -> dict[str, str]:
    return {**os.environ, "KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "true"}


def _wait_for(node: Node, name: str, jsonpath: str, want: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    got = ""
    while time.monotonic() < deadline:
        got = node.kubectl("get", "pod", name, "-o", f"jsonpath={jsonpath}", check=False).stdout
        if got == want:
            break
        time.sleep(0.2)
    return got


def _gone(node: Node, name: str) -> bool:
    out = node.kubectl("get", "pod", name, "--ignore-not-found", "-o", "name", check=False)
    return out.returncode == 0 and out.stdout == ""


def _terminal_session(
    args: list[str], steps: list[tuple[bytes, bytes]], timeout: float = 60
) -> tuple[int, bytes]:
    """Run ``args`` on a new 40x100 pseudo-terminal; for each (wait_for, type) step,
    type once ``wait_for`` has appeared in the output after the previous step."""
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        os.execve(args[0], args, _env())
    output = b""
    mark = 0
    pending = list(steps)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if pending and pending[0][0] in output[mark:]:
                mark = output.index(pending[0][0], mark) + len(pending[0][0])
                os.write(fd, pending.pop(0)[1])
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


def test_run_i_rm_echoes_piped_stdin_and_exits_with_the_containers_code(node: Node) -> None:
    out = node.kubectl(
        "run",
        "attach-echo",
        "--image=busybox:1.28",
        "-i",
        "--rm",
        "--restart=Never",
        "--",
        "sh",
        "-c",
        "read x; echo got $x; cat; exit 3",
        stdin="hello\nrest of it\n",
        check=False,
        timeout=120,
    )
    try:
        assert out.returncode == 3, out.stderr
        assert out.stdout == (
            'got hello\nrest of it\npod "attach-echo" deleted from default namespace\n'
        )
        assert out.stderr.endswith(
            PROMPT_HINT.decode() + "\npod default/attach-echo terminated (Error)\n"
        ), out.stderr
        assert _gone(node, "attach-echo")
    finally:
        node.delete("attach-echo")


def test_run_it_rm_is_an_interactive_shell_then_the_pod_is_deleted(node: Node) -> None:
    code, out = _terminal_session(
        _kubectl(
            node, "run", "attach-shell", "--image=busybox:1.28", "-it", "--rm",
            "--restart=Never", "--", "sh",
        ),
        [(PROMPT_HINT, b"\n"), (b"# ", b"stty size; echo $((6*7))\n"), (b"42", b"exit\n")],
    )  # fmt: skip
    try:
        text = out.decode(errors="replace").replace("\r\n", "\n")
        assert PROMPT_HINT.decode() in text, text
        assert "\n40 100\n" in text, text  # kubectl passed the terminal's size on
        assert "\n42\n" in text, text
        assert text.endswith('pod "attach-shell" deleted from default namespace\n'), text
        assert code == 0, text
        assert _gone(node, "attach-shell")
    finally:
        node.delete("attach-shell")


def test_attach_it_to_a_running_shell(node: Node) -> None:
    _apply(node, "attach-tty", '["sh"]', stdin=True, stdin_once=True, tty=True)
    try:
        node.wait_running("attach-tty")
        code, out = _terminal_session(
            _kubectl(node, "attach", "-it", "attach-tty"),
            [(PROMPT_HINT, b"\n"), (b"# ", b"stty size; exit 4\n")],
        )
        text = out.decode(errors="replace").replace("\r\n", "\n")
        assert PROMPT_HINT.decode() in text, text
        assert "\n40 100\n" in text, text
        assert code == 0, text  # attach's stream ended as a Success
        terminated = "{.status.phase}/{.status.containerStatuses[0].state.terminated.exitCode}"
        assert _wait_for(node, "attach-tty", terminated, "Failed/4") == "Failed/4"
    finally:
        node.delete("attach-tty")


def test_attach_to_a_container_without_stdin_shows_its_output(node: Node) -> None:
    _apply(
        node,
        "attach-out",
        '["sh", "-c", "sleep 1; i=0; while [ $i -lt 25 ]; do echo tick $i; i=$((i+1)); '
        'sleep 0.2; done; echo done >&2"]',
    )
    try:
        node.wait_running("attach-out")
        out = node.kubectl("attach", "attach-out", check=False, timeout=60)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines, out
        first = int(lines[0].split()[1])
        assert lines == [f"tick {i}" for i in range(first, 25)], out.stdout
        assert out.stderr.endswith("done\n"), out.stderr  # stderr is streamed apart
        logs = node.kubectl("logs", "attach-out").stdout  # conmon kept the log as ever
        assert logs == "".join(f"tick {i}\n" for i in range(25)) + "done\n"
    finally:
        node.delete("attach-out")


def test_attach_to_a_container_that_is_not_running(node: Node) -> None:
    _apply(node, "attach-crash", '["sh", "-c", "exit 1"]', restart="Always")
    try:
        waiting = "{.status.containerStatuses[0].state.waiting.reason}"
        assert _wait_for(node, "attach-crash", waiting, "CrashLoopBackOff") == "CrashLoopBackOff"
        out = node.kubectl("attach", "attach-crash", check=False)
        assert out.returncode == 1
        assert out.stderr.endswith(
            "error: unable to upgrade connection: container main not found in pod "
            "attach-crash_default\n"
        ), out.stderr
    finally:
        node.delete("attach-crash")


def _attach_and_type(node: Node, name: str, line: str, want: str) -> str:
    """``kubectl attach -i``: type ``line``, read until ``want``, then end stdin (a
    container without stdinOnce: kubectl detaches and the container keeps running)."""
    proc = subprocess.Popen(
        _kubectl(node, "attach", "-i", name),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    seen = b""
    try:
        time.sleep(1)  # kubectl connects before it reads its stdin
        try:
            proc.stdin.write(line.encode())
            proc.stdin.flush()
        except BrokenPipeError:
            proc.wait(30)
            err = proc.stderr.read() if proc.stderr is not None else b""
            raise AssertionError(f"kubectl attach exited {proc.returncode}: {err!r}") from None
        deadline = time.monotonic() + 30
        while want.encode() not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
        proc.stdin.close()
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else b""
    return seen.decode()


def test_attach_again_after_seclet_was_killed(registry: LocalRegistry, tmp_path: Path) -> None:
    mirrors = [f"{host}={registry.url}" for host in MIRRORED_HOSTS]
    own = Node(data_dir=tmp_path / "data", kubeconfig=tmp_path / "kubeconfig.yaml", mirrors=mirrors)
    own.start()
    try:
        _apply(
            own,
            "reader",
            '["sh", "-c", "while read l; do echo got $l; done"]',
            stdin=True,
            restart="Always",
        )
        own.wait_running("reader")
        assert "got one\n" in _attach_and_type(own, "reader", "one\n", "got one")
        assert own.process is not None
        own.process.kill()  # SIGKILL: conmon stays, with the container's stdin open
        own.process.wait()
        own.start()
        deadline = time.monotonic() + 60
        while own.kubectl("logs", "reader", check=False).returncode != 0:  # the kubelet is up
            assert time.monotonic() < deadline, own.log()
            time.sleep(0.2)
        own.wait_running("reader")
        assert "got two\n" in _attach_and_type(own, "reader", "two\n", "got two")
        assert own.kubectl("logs", "reader").stdout == "got one\ngot two\n"
        restarts = own.kubectl(
            "get", "pod", "reader", "-o", "jsonpath={.status.containerStatuses[0].restartCount}"
        ).stdout
        assert restarts == "0"
    finally:
        own.kubectl("delete", "pods", "--all", "--grace-period=1", check=False, timeout=120)
        code = own.stop()
    assert code == 0, own.log()
