"""Escape probes on a real seclet node: for each privilege a container is denied, a
probe inside it tries to use it and must fail with the kernel's errno (issue #5).

Role: the issue's probe suite. Every probe is one busybox pod whose command tries
one thing and prints what the tool says plus its exit status; the expected text is
busybox's message for the errno the kernel returns (``Operation not permitted`` =
EPERM, ``Permission denied`` = EACCES, ``Read-only file system`` = EROFS, ``No such
process`` = ESRCH). Where it is safe, a control pod that holds the privilege runs the
same command and must succeed, so a probe cannot pass because the command is broken.
Never controlled: setting the clock, loading a module, writing host sysfs (they
would change the host).

containerd 2.x opens ``net.ipv4.ip_unprivileged_port_start`` (0) and
``net.ipv4.ping_group_range`` (``0 2147483647``) in every pod by default
(``enable_unprivileged_ports`` / ``enable_unprivileged_icmp``), so low ports and ICMP
need no capability there; the NET_BIND_SERVICE and NET_RAW probes set the kernel
defaults back with the pod's safe sysctls so that the capability is what decides.
``keyctl`` is not probed: busybox has no keyctl applet.

``test_probe_table`` prints the table (probe, privilege taken away, expected, got)
and fails on any unexpected success. One fixture creates every pod at once.
Callers: pytest (tests/e2e), ``.ci/run``.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from e2e.node import Node

pytestmark = pytest.mark.e2e

BUSYBOX = "busybox:1.28"
LOW_PORTS_CLOSED = {"name": "net.ipv4.ip_unprivileged_port_start", "value": "1024"}
ICMP_CLOSED = {"name": "net.ipv4.ping_group_range", "value": "1 0"}
SETUID_SU = "cp /bin/busybox /w/su && chmod 4755 /w/su"
INSMOD_UNCONFINED = (
    "insmod: can't insert '/bin/busybox': Operation not permitted\nrc=1"
    if Path("/proc/modules").exists()
    # a kernel without module support answers ENOSYS before any capability check
    else "insmod: can't insert '/bin/busybox': kernel does not support requested operation\nrc=38"
)


@dataclass(frozen=True)
class Probe:
    """One attempt: the privilege taken away, the pod, the expected output."""

    taken_away: str
    script: str
    expected: str
    sc: dict[str, Any] = field(default_factory=dict)
    pod: dict[str, Any] = field(default_factory=dict)
    setuid_copy: bool = False
    control: dict[str, Any] | None = None
    """The container securityContext of a control pod that holds the privilege."""
    control_pod: dict[str, Any] | None = None
    control_expected: str = ""


def _drop(*caps: str, **more: Any) -> dict[str, Any]:
    return {"capabilities": {"drop": list(caps)}, **more}


PROBES: dict[str, Probe] = {
    "set-clock": Probe(
        "CAP_SYS_TIME (not in the default set)",
        "date -s 2020-01-01 2>&1 >/dev/null",
        "date: can't set date: Operation not permitted\nrc=0",
    ),
    "chown": Probe(
        "CAP_CHOWN (dropped)",
        "touch /tmp/f && chown 1000 /tmp/f",
        "chown: /tmp/f: Operation not permitted\nrc=1",
        sc=_drop("CHOWN"),
        control={},
        control_expected="rc=0",
    ),
    "read-other-users-file": Probe(
        "CAP_DAC_OVERRIDE (dropped)",
        "touch /tmp/f && chmod 000 /tmp/f && cat /tmp/f",
        "cat: can't open '/tmp/f': Permission denied\nrc=1",
        sc=_drop("DAC_OVERRIDE"),
        control={},
        control_expected="rc=0",
    ),
    "bind-low-port-as-root": Probe(
        "CAP_NET_BIND_SERVICE (dropped)",
        "nc -l -p 80",
        "nc: bind: Permission denied\nrc=1",
        sc=_drop("NET_BIND_SERVICE"),
        pod={"sysctls": [LOW_PORTS_CLOSED]},
        control={},
        control_pod={"sysctls": [LOW_PORTS_CLOSED]},
        control_expected="rc=143",  # listening until timeout kills it (SIGTERM)
    ),
    "bind-low-port-as-non-root": Probe(
        "capabilities of a non-root user (none effective)",
        "nc -l -p 80",
        "nc: bind: Permission denied\nrc=1",
        sc={"runAsUser": 1000},
        pod={"sysctls": [LOW_PORTS_CLOSED]},
    ),
    "raw-socket": Probe(
        "CAP_NET_RAW (dropped)",
        "ping -c1 127.0.0.1",
        "PING 127.0.0.1 (127.0.0.1): 56 data bytes\nping: permission denied (are you root?)\nrc=1",
        sc=_drop("NET_RAW"),
        pod={"sysctls": [ICMP_CLOSED]},
        control={},
        control_pod={"sysctls": [ICMP_CLOSED]},
        control_expected="rc=0",
    ),
    "mknod": Probe(
        "CAP_MKNOD (dropped)",
        "mknod /tmp/null c 1 3",
        "mknod: /tmp/null: Operation not permitted\nrc=1",
        sc=_drop("MKNOD"),
        control={},
        control_expected="rc=0",
    ),
    "open-host-memory-device": Probe(
        "device cgroup (only the default devices)",
        "mknod /tmp/mem c 1 1 && head -c1 /tmp/mem",
        "head: /tmp/mem: Operation not permitted\nrc=1",
    ),
    "chroot": Probe(
        "CAP_SYS_CHROOT (dropped)",
        "chroot / true",
        "chroot: can't change root directory to '/': Operation not permitted\nrc=1",
        sc=_drop("SYS_CHROOT"),
        control={},
        control_expected="rc=0",
    ),
    "setuid-syscalls": Probe(
        "CAP_SETUID, CAP_SETGID (dropped)",
        "su -s /bin/sh -c true nobody",
        "su: can't set groups: Operation not permitted\nrc=1",
        sc=_drop("SETUID", "SETGID"),
        control={},
        control_expected="rc=0",
    ),
    "mount": Probe(
        "CAP_SYS_ADMIN (not in the default set)",
        "mount -t tmpfs none /tmp",
        "mount: permission denied (are you root?)\nrc=1",
        control={"privileged": True},
        control_expected="rc=0",
    ),
    "sethostname": Probe(
        "CAP_SYS_ADMIN (not in the default set)",
        "hostname probe",
        "hostname: sethostname: Operation not permitted\nrc=1",
        control={"capabilities": {"add": ["SYS_ADMIN"]}},
        control_expected="rc=0",
    ),
    "load-kernel-module": Probe(
        "CAP_SYS_MODULE (not in the default set)",
        "insmod /bin/busybox",
        INSMOD_UNCONFINED,
    ),
    "load-kernel-module-under-runtime-default": Probe(
        "init_module(2) under RuntimeDefault seccomp",
        "insmod /bin/busybox",
        "insmod: can't insert '/bin/busybox': Operation not permitted\nrc=1",
        sc={"seccompProfile": {"type": "RuntimeDefault"}},
    ),
    "unshare-under-runtime-default": Probe(
        "unshare(2) under RuntimeDefault seccomp",
        "unshare -U true",
        "unshare: unshare(0x10000000): Operation not permitted\nrc=1",
        sc={"seccompProfile": {"type": "RuntimeDefault"}},
        control={"seccompProfile": {"type": "Unconfined"}},
        control_expected="rc=0",
    ),
    "mount-under-runtime-default": Probe(
        "mount(2) under RuntimeDefault seccomp (no CAP_SYS_ADMIN)",
        "mount -t tmpfs none /tmp",
        "mount: permission denied (are you root?)\nrc=1",
        sc={"seccompProfile": {"type": "RuntimeDefault"}},
    ),
    "write-read-only-rootfs": Probe(
        "a writable root filesystem (readOnlyRootFilesystem)",
        "touch /probe",
        "touch: /probe: Read-only file system\nrc=1",
        sc={"readOnlyRootFilesystem": True},
        control={},
        control_expected="rc=0",
    ),
    "write-proc-sys": Probe(
        "writable /proc/sys (default procMount: read-only path)",
        "echo 1 > /proc/sys/kernel/shm_rmid_forced",
        "sh: can't create /proc/sys/kernel/shm_rmid_forced: Read-only file system\nrc=1",
        control={"privileged": True},  # kernel.shm_rmid_forced is per IPC namespace
        control_expected="rc=0",
    ),
    "write-sysfs": Probe(
        "writable /sys (sysfs mounted read-only)",
        "echo 1 > /sys/kernel/mm/ksm/run",
        "sh: can't create /sys/kernel/mm/ksm/run: Read-only file system\nrc=1",
    ),
    "read-masked-proc": Probe(
        "/proc/timer_list and /proc/keys (default procMount: masked paths)",
        "stat -c '%F %t,%T' /proc/timer_list /proc/keys && cat /proc/timer_list /proc/keys | wc -c",
        "character special file 1,3\ncharacter special file 1,3\n0\nrc=0",
        control={"privileged": True},
        control_expected="regular empty file 0,0\nregular empty file 0,0\n",
    ),
    "setuid-binary-under-no-new-privs": Probe(
        "gaining root through a setuid binary (allowPrivilegeEscalation: false)",
        "/w/su -c id root </dev/null",
        "su: must be suid to work properly\nrc=1",
        sc={"runAsUser": 1000, "allowPrivilegeEscalation": False},
        setuid_copy=True,
        control={"runAsUser": 1000},
        control_expected="Password: \nsu: incorrect password\nrc=1",  # su ran as euid 0
    ),
    "kill-host-process": Probe(
        "the host's processes (own PID namespace)",
        "kill -9 {host_pid}",
        "sh: can't kill pid {host_pid}: No such process\nrc=1",
    ),
}


@dataclass
class Results:
    node: Node
    names: dict[str, str]
    logs: dict[str, str]
    host_pid: int
    run: str

    def expected(self, text: str) -> str:
        return text.replace("{host_pid}", str(self.host_pid))


def _pod(
    name: str, label: str, probe: Probe, sc: dict[str, Any], pod_sc: dict[str, Any], host_pid: int
) -> dict[str, Any]:
    script = probe.script.replace("{host_pid}", str(host_pid))
    if (
        "nc -l" in script
        and sc.get("runAsUser") is None
        and "drop" not in sc.get("capabilities", {})
    ):
        script = f"timeout 1 {script}"  # the control listens: stop it
    main: dict[str, Any] = {
        "name": "probe",
        "image": BUSYBOX,
        "command": ["sh", "-c", f"exec 2>&1; ( {script} ); echo rc=$?"],
        "securityContext": sc,
    }
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 0,
        "containers": [main],
        "securityContext": pod_sc,
    }
    if probe.setuid_copy:
        mount = [{"name": "w", "mountPath": "/w"}]
        main["volumeMounts"] = mount
        spec["volumes"] = [{"name": "w", "emptyDir": {}}]
        spec["initContainers"] = [
            {
                "name": "setup",
                "image": BUSYBOX,
                "command": ["sh", "-c", SETUID_SU],
                "volumeMounts": mount,
            }
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"seclet-e2e": label}},
        "spec": spec,
    }


@pytest.fixture(scope="module")
def results(node: Node) -> Iterator[Results]:
    host = subprocess.Popen(["sleep", "3600"])
    run = uuid.uuid4().hex[:6]
    label = f"probes-{run}"
    names: dict[str, str] = {}
    docs = []
    for key, probe in PROBES.items():
        names[key] = f"probe-{key}-{run}"
        docs.append(_pod(names[key], label, probe, probe.sc, probe.pod, host.pid))
        if probe.control is not None:
            names[f"{key}/control"] = f"control-{key}-{run}"
            docs.append(
                _pod(
                    names[f"{key}/control"],
                    label,
                    probe,
                    probe.control,
                    probe.control_pod or {},
                    host.pid,
                )
            )
    for role in ("target", "prober"):
        names[role] = f"{role}-{run}"
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": names[role], "labels": {"seclet-e2e": label}},
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [
                        {
                            "name": "probe",
                            "image": BUSYBOX,
                            "command": ["sh", "-c", f"sleep 3600; echo {role}-{run}"],
                        }
                    ],
                },
            }
        )
    node.kubectl(
        "create", "-f", "-", stdin="\n---\n".join(json.dumps(d) for d in docs), timeout=120
    )
    by_name = {v: k for k, v in names.items()}
    logs: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            out = node.kubectl("get", "pods", "-l", f"seclet-e2e={label}", "-o", "json")
            phases = {
                by_name[p["metadata"]["name"]]: p["status"].get("phase", "")
                for p in json.loads(out.stdout)["items"]
            }
            done = [k for k, ph in phases.items() if ph in ("Succeeded", "Failed")]
            running = [k for k in ("target", "prober") if phases.get(k) == "Running"]
            if len(done) == len(names) - 2 and len(running) == 2:
                break
            time.sleep(0.25)
        for key, name in names.items():
            if key not in ("target", "prober"):
                logs[key] = node.kubectl("logs", name, "-c", "probe", check=False).stdout.rstrip(
                    "\n"
                )
        yield Results(node, names, logs, host.pid, run)
    finally:
        node.kubectl(
            "delete",
            "pods",
            "-l",
            f"seclet-e2e={label}",
            "--grace-period=0",
            "--wait=false",
            check=False,
        )
        host.kill()
        host.wait()


@pytest.mark.parametrize("key", list(PROBES))
def test_probe_fails_with_the_expected_errno(results: Results, key: str) -> None:
    """The probe, without the privilege, fails exactly as the kernel makes it fail."""
    assert results.logs[key] == results.expected(PROBES[key].expected)


@pytest.mark.parametrize("key", [k for k, p in PROBES.items() if p.control is not None])
def test_control_with_the_privilege_succeeds(results: Results, key: str) -> None:
    """The same command with the privilege held does what the probe could not."""
    got = results.logs[f"{key}/control"]
    want = PROBES[key].control_expected
    assert (
        got == want or got.endswith("\n" + want) or (want.endswith("\n") and got.startswith(want))
    ), got


def _host_pids_running(needle: str) -> list[int]:
    """Host pids whose command line contains ``needle`` (as ``pgrep -f``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if needle in cmdline:
                pids.append(int(entry.name))
    return sorted(pids)


def test_another_pods_processes_are_out_of_reach(results: Results) -> None:
    """Reach another pod's processes: the target pod's shell has a host pid that the
    prober pod's PID namespace does not contain (ESRCH), and ``ps`` in the prober
    shows none of the target's processes."""
    pids = _host_pids_running(f"echo target-{results.run}")
    assert pids, "the target pod's process is not visible on the host"
    pid = pids[0]
    out = results.node.kubectl(
        "exec",
        results.names["prober"],
        "--",
        "sh",
        "-c",
        f"kill -9 {pid} 2>&1; echo rc=$?; ps -o args",
        check=False,
    ).stdout
    lines = out.splitlines()
    assert lines[:2] == [f"sh: can't kill pid {pid}: No such process", "rc=1"], out
    assert f"target-{results.run}" not in out and f"prober-{results.run}" in out, out


def test_probe_table(results: Results) -> None:
    """The table the issue asks for; zero unexpected successes."""
    rows = []
    bad = []
    for key, probe in PROBES.items():
        got = results.logs[key]
        ok = got == results.expected(probe.expected)
        rows.append(
            (
                key,
                probe.taken_away,
                results.expected(probe.expected).replace("\n", " | "),
                got.replace("\n", " | "),
                "ok" if ok else "UNEXPECTED",
            )
        )
        if not ok:
            bad.append(key)
    width = [max(len(r[i]) for r in rows) for i in range(5)]
    table = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, width, strict=True)) for r in rows)
    print("\n" + table)
    assert not bad, table
