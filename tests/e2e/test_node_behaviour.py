"""Everyday pod work on a real seclet node: an interactive shell, logs, describe,
failures, and the official Python client.

Role: what issue #3 lists beyond the page's numbers — ``kubectl exec -it`` through a
real terminal, ``kubectl logs`` of a finished pod, ``ErrImagePull`` then
``ImagePullBackOff`` for an unknown image, ``CreateContainerError`` carrying runc's
own message, the ``kubernetes`` Python client reading ``user.linux`` and streaming an
exec. Outputs are upstream's texts.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

import pytest
from kubernetes import client, config
from kubernetes.stream import stream

from e2e.node import KUBECTL, Node

pytestmark = pytest.mark.e2e

BUSYBOX_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  restartPolicy: {restart}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: {image}
    command: {command}
"""


def _pod(name: str, command: str, *, image: str = "busybox:1.28", restart: str = "Never") -> str:
    return BUSYBOX_POD.format(name=name, image=image, command=command, restart=restart)


def _wait_for(node: Node, name: str, jsonpath: str, want: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    got = ""
    while time.monotonic() < deadline:
        got = node.kubectl("get", "pod", name, "-o", f"jsonpath={jsonpath}", check=False).stdout
        if got == want:
            return got
        time.sleep(0.1)
    raise AssertionError(f"{jsonpath} of {name} is {got!r}, not {want!r}")


def _run_in_terminal(args: list[str], script: bytes, timeout: float = 30) -> tuple[int, bytes]:
    """Run ``args`` on a new pseudo-terminal, type ``script`` and collect the output."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: kubectl on a 40x100 terminal (stdin/stdout/stderr)
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        os.execv(args[0], args)
    output = b""
    typed = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
                if not typed and (b"# " in output or b"$ " in output):
                    os.write(fd, script)
                    typed = True
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


def test_exec_it_is_an_interactive_shell(node: Node) -> None:
    """``kubectl exec -it security-context-demo -- sh`` as the page types it."""
    name = node.apply_page("security-context.yaml")
    try:
        node.wait_running(name)
        code, out = _run_in_terminal(
            [str(KUBECTL), "--kubeconfig", str(node.kubeconfig), "exec", "-it", name, "--", "sh"],
            b"id\nstty size\nexit 7\n",
        )
        text = out.decode(errors="replace").replace("\r\n", "\n")
        assert "uid=1000 gid=3000 groups=2000,3000,4000\n" in text
        assert "\n40 100\n" in text, text  # kubectl passed the terminal's size on
        assert code == 7
    finally:
        node.delete(name)


def test_logs_of_a_completed_pod_and_describe(node: Node) -> None:
    node.kubectl(
        "apply", "-f", "-", stdin=_pod("logs-demo", '["sh", "-c", "echo one; echo two >&2"]')
    )
    try:
        _wait_for(node, "logs-demo", "{.status.phase}", "Succeeded")
        assert node.kubectl("logs", "logs-demo").stdout == "one\ntwo\n"
        stamped = node.kubectl("logs", "logs-demo", "--timestamps").stdout.splitlines()
        assert all(
            # Go RFC3339Nano, as the kubelet prints it: trailing zeros of the fraction dropped
            re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z (one|two)", line)
            for line in stamped
        ), stamped
        table = node.kubectl("get", "pod", "logs-demo").stdout.splitlines()
        assert table[1].split()[1:4] == ["0/1", "Completed", "0"]
        described = node.kubectl("describe", "pod", "logs-demo").stdout
        assert re.search(
            r"State:\s+Terminated\n\s+Reason:\s+Completed\n\s+Exit Code:\s+0", described
        )
        assert "Started container main" in described
    finally:
        node.delete("logs-demo")


def test_failing_container_reports_its_exit_code(node: Node) -> None:
    node.kubectl("apply", "-f", "-", stdin=_pod("fail-demo", '["sh", "-c", "exit 3"]'))
    try:
        _wait_for(node, "fail-demo", "{.status.phase}", "Failed")
        state = node.kubectl(
            "get",
            "pod",
            "fail-demo",
            "-o",
            "jsonpath={.status.containerStatuses[0].state.terminated.reason}/{.status.containerStatuses[0].state.terminated.exitCode}",
        ).stdout
        assert state == "Error/3"
        assert node.kubectl("get", "pod", "fail-demo").stdout.splitlines()[1].split()[2] == "Error"
    finally:
        node.delete("fail-demo")


def test_unknown_image_is_err_image_pull_then_back_off(node: Node) -> None:
    node.kubectl(
        "apply", "-f", "-", stdin=_pod("pull-demo", '["true"]', image="busybox:no-such-tag")
    )
    try:
        _wait_for(
            node, "pull-demo", "{.status.containerStatuses[0].state.waiting.reason}", "ErrImagePull"
        )
        message = node.kubectl(
            "get",
            "pod",
            "pull-demo",
            "-o",
            "jsonpath={.status.containerStatuses[0].state.waiting.message}",
        ).stdout
        assert message == (
            "rpc error: code = NotFound desc = failed to pull and unpack image "
            '"docker.io/library/busybox:no-such-tag": failed to resolve reference '
            '"docker.io/library/busybox:no-such-tag": docker.io/library/busybox:no-such-tag: not found'
        )
        _wait_for(
            node,
            "pull-demo",
            "{.status.containerStatuses[0].state.waiting.reason}",
            "ImagePullBackOff",
        )
        assert node.pod("pull-demo")["metadata"]  # the pod is kept
    finally:
        node.delete("pull-demo")


def test_runc_failure_is_run_container_error_with_runcs_message(node: Node) -> None:
    """As containerd: CreateContainer only records the container, runc creates the
    task at StartContainer, so runc's refusal is RunContainerError with a StartError
    (exit code 128) terminated state carrying runc's text, then CrashLoopBackOff."""
    node.kubectl(
        "apply", "-f", "-", stdin=_pod("runc-demo", '["/no/such/binary"]', restart="Always")
    )
    runc_text = (
        "failed to create containerd task: failed to create shim task: OCI runtime create "
        'failed: runc create failed: unable to start container process: exec: "/no/such/binary":'
        " stat /no/such/binary: no such file or directory: unknown"
    )
    try:
        _wait_for(
            node,
            "runc-demo",
            "{.status.containerStatuses[0].lastState.terminated.reason}",
            "StartError",
        )
        status = node.pod("runc-demo")["status"]
        assert isinstance(status, dict)
        last = status["containerStatuses"][0]["lastState"]["terminated"]
        assert (last["exitCode"], last["message"]) == (128, runc_text)
        described = node.kubectl("describe", "pod", "runc-demo").stdout
        assert f"Error: {runc_text}" in described
    finally:
        node.delete("runc-demo")


def test_python_client_reads_user_linux_and_streams_exec(node: Node) -> None:
    api = client.CoreV1Api(config.new_client_from_config(str(node.kubeconfig)))  # type: ignore[no-untyped-call]
    name = node.apply_page("security-context-6.yaml")
    try:
        node.wait_running(name)
        pod = api.read_namespaced_pod(name, "default")
        assert pod.status is not None and pod.status.container_statuses
        status = pod.status.container_statuses[0]
        assert status.user is not None and status.user.linux is not None
        user = status.user.linux
        assert (user.uid, user.gid, user.supplemental_groups) == (1000, 3000, [3000, 4000])
        out = stream(
            api.connect_get_namespaced_pod_exec,
            name,
            "default",
            command=["id", "-G"],
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
        )
        assert out.strip() == "3000 4000"
        node_obj = api.list_node().items[0]
        assert node_obj.status is not None and node_obj.status.features is not None
        assert node_obj.status.features.supplemental_groups_policy is True
    finally:
        node.delete(name)


def test_no_token_is_401(node: Node) -> None:
    out = subprocess.run(
        [
            str(KUBECTL),
            "--kubeconfig",
            "/dev/null",
            "--server",
            node.url,
            "--insecure-skip-tls-verify",
            "--token",
            "not-the-token",
            "get",
            "pods",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    assert out.stderr.strip().endswith(
        "error: You must be logged in to the server (Unauthorized)"
    ), out.stderr
