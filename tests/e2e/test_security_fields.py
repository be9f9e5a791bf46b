"""Upstream's e2e security-context tests, ported to a real seclet node (issue #5).

Role: every Pod and container ``securityContext`` field proven with the pod specs,
commands and expected outputs of upstream's e2e suites (kubernetes/kubernetes
``test/e2e/common/node/security_context.go``, ``test/e2e/node/security_context.go``,
``test/e2e/common/node/sysctl.go``, ``test/e2e/common/storage/empty_dir.go``,
``test/e2e_node/proc_mount_test.go``, ``test/e2e_node/security_context_test.go``,
``test/e2e_node/apparmor_test.go``); each test's docstring names the upstream test.
Where upstream uses an image seclet's registry lacks, the module builds it the way
upstream does: ``e2e-test-images/nonroot`` (image ``USER 1234``) and
``e2e-test-images/nonewprivs`` (a setuid-root ``nnp`` printing ``Effective uid: N``,
compiled with gcc), plus an image whose ``USER`` is a name.

Speed: the pods are independent, so one module fixture creates them all at once
(one pod per case, names with a random suffix), waits until each has settled
(finished, running, or stuck with a container error) and the tests then read their
own pod; a whole module runs in seconds instead of one pod after the other.
Messages are upstream's texts; where seclet differs, the test is a strict xfail
saying what seclet does wrong.
Callers: pytest (tests/e2e), ``.ci/run``.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from e2e.node import Node
from registry import MIRRORED_HOSTS, LocalRegistry, build_tool

pytestmark = pytest.mark.e2e

BUSYBOX = "busybox:1.28"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.45"
NONROOT = "registry.k8s.io/e2e-test-images/nonroot:1.4"
NONEWPRIVS = "registry.k8s.io/e2e-test-images/nonewprivs:1.3"
NAMED_USER = "docker.io/seclet-tests/named-user:1.0"
RUN = "r"  # the suffix shared by this module's pods (set per session)
DEFAULT_CAPS = "00000000a80425fb"  # containerd's default capability set
APPARMOR_REJECTION = (
    "Pod was rejected: Cannot enforce AppArmor: AppArmor is not enabled on the host"
)
LOCALHOST_PROFILE = "seclet-e2e/deny-mkdir.json"
DENY_MKDIR = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
}
NNP_C = '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("Effective uid: %d\\n", geteuid()); return 0; }\n'


# ---------------------------------------------------------------- pod builders


def container(
    command: list[str] | None,
    *,
    image: str = BUSYBOX,
    sc: dict[str, Any] | None = None,
    name: str = "test-container",
    **extra: Any,
) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": image, **extra}
    if command is not None:
        c["command"] = command
    if sc is not None:
        c["securityContext"] = sc
    return c


def spec(
    *containers: dict[str, Any], pod_sc: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    s: dict[str, Any] = {
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 0,
        "containers": list(containers),
        **extra,
    }
    if pod_sc is not None:
        s["securityContext"] = pod_sc
    return s


SLEEP = ["sleep", "3600"]
NET_VIEW = "netstat -ln; echo ifaces $(awk -F: 'NR>2 {gsub(/ /, \"\", $1); print $1}' /proc/net/dev | sort); hostname"
SECCOMP_GREP = ["grep", "Seccomp:", "/proc/self/status"]
IP_LINK = ["sh", "-c", "ip link add dummy0 type dummy || true"]


@dataclass(frozen=True)
class Case:
    """One pod of the batch: its spec, and what "settled" means for it."""

    spec: dict[str, Any]
    until: str = "done"
    """``done`` (Succeeded/Failed), ``running`` (all containers ready), ``waiting``
    (a container waits with an error reason), ``rejected`` (phase Failed by admission)."""
    annotations: dict[str, str] = field(default_factory=dict)


def _volume_test(uid: int, medium: str, fs_group: int | None, script: str) -> dict[str, Any]:
    """empty_dir.go's ``testPodWithVolume``: volume ``test-volume`` at ``/test-volume``,
    ``runAsUser`` only for a non-root uid, fsGroup when given."""
    pod_sc: dict[str, Any] = {}
    if uid:
        pod_sc["runAsUser"] = uid
    if fs_group is not None:
        pod_sc["fsGroup"] = fs_group
    empty: dict[str, Any] = {"medium": medium} if medium else {}
    return spec(
        container(
            ["sh", "-c", script],
            volumeMounts=[{"name": "test-volume", "mountPath": "/test-volume"}],
        ),
        pod_sc=pod_sc,
        volumes=[{"name": "test-volume", "emptyDir": empty}],
    )


NEW_FILE_0660 = (
    "umask 0117; echo 'mount-tester new file' > /test-volume/test-file; "
    "stat -c 'perms %A owner %u:%g' /test-volume/test-file; cat /test-volume/test-file; "
    "stat -f -c 'fs %T' /test-volume"
)
NEW_FILE_0644 = NEW_FILE_0660.replace("umask 0117", "umask 0133")
VOLUME_MODE = "stat -c 'perms %A owner %u:%g' /test-volume; stat -f -c 'fs %T' /test-volume"


_LIBC = ctypes.CDLL(None, use_errno=True)
_IPC_PRIVATE, _IPC_CREAT, _IPC_RMID = 0, 0o1000, 0


def _host_ipc_shm() -> int:
    """A System V shared memory segment in the host's IPC namespace (``ipcmk -M``)."""
    shm_id = int(_LIBC.shmget(_IPC_PRIVATE, 4096, _IPC_CREAT | 0o600))
    if shm_id < 0:
        raise OSError(ctypes.get_errno(), "shmget")
    return shm_id


def _remove_shm(shm_id: int) -> None:
    _LIBC.shmctl(shm_id, _IPC_RMID, None)


@dataclass
class Host:
    """Things the host-namespace cases look for: a host process, a System V shared
    memory segment and a listening TCP port, all made by this test process."""

    pid: int
    shm_id: int
    port: int
    hostname: str


def build_cases(host: Host, with_nnp: bool, run: str) -> dict[str, Case]:
    c: dict[str, Case] = {
        # common/node/security_context.go: runAsUser
        "uid-65534": Case(
            spec(container(["sh", "-c", "test $(id -u) -eq 65534"], sc={"runAsUser": 65534}))
        ),
        "uid-0": Case(spec(container(["sh", "-c", "test $(id -u) -eq 0"], sc={"runAsUser": 0}))),
        # runAsNonRoot
        "explicit-nonroot-uid": Case(
            spec(container(["id", "-u"], sc={"runAsNonRoot": True, "runAsUser": 1000}))
        ),
        "explicit-root-uid": Case(
            spec(container(["id", "-u"], image=NONROOT, sc={"runAsNonRoot": True, "runAsUser": 0})),
            until="waiting",
        ),
        "implicit-nonroot-uid": Case(
            spec(container(["id", "-u"], image=NONROOT, sc={"runAsNonRoot": True}))
        ),
        "implicit-root-uid": Case(
            spec(container(["id", "-u"], sc={"runAsNonRoot": True})), until="waiting"
        ),
        "named-user": Case(
            spec(container(["id", "-u"], image=NAMED_USER, sc={"runAsNonRoot": True})),
            until="waiting",
        ),
        "named-user-runs": Case(spec(container(["id"], image=NAMED_USER))),
        # readOnlyRootFilesystem
        "rootfs-ro": Case(
            spec(container(["sh", "-c", "touch checkfile"], sc={"readOnlyRootFilesystem": True}))
        ),
        "rootfs-rw": Case(
            spec(container(["sh", "-c", "touch checkfile"], sc={"readOnlyRootFilesystem": False}))
        ),
        "rootfs-ro-emptydir": Case(
            spec(
                container(
                    ["sh", "-c", "exec 2>&1; touch /scratch/f && echo volume-writable; touch /f"],
                    sc={"readOnlyRootFilesystem": True},
                    volumeMounts=[{"name": "scratch", "mountPath": "/scratch"}],
                ),
                volumes=[{"name": "scratch", "emptyDir": {}}],
            )
        ),
        # privileged
        "privileged-false": Case(spec(container(IP_LINK, sc={"privileged": False}))),
        "privileged-true": Case(spec(container(IP_LINK, sc={"privileged": True}))),
        "privileged-view": Case(
            spec(
                container(
                    [
                        "sh",
                        "-c",
                        "grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status; "
                        "mount | grep -E ' on /sys type sysfs '; "
                        "test -e /dev/kmsg && echo host-devices; "
                        "mount | grep -c -E ' on /proc/(timer_list|keys|acpi|bus|sys) ' || true",
                    ],
                    sc={"privileged": True},
                )
            )
        ),
        "unprivileged-view": Case(
            spec(
                container(
                    [
                        "sh",
                        "-c",
                        "grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status; "
                        "mount | grep -E ' on /sys type sysfs '; "
                        "test -e /dev/kmsg && echo host-devices || echo no-host-devices",
                    ]
                )
            )
        ),
        # allowPrivilegeEscalation (no_new_privs as /proc shows it)
        "nnp-status-false": Case(
            spec(
                container(
                    ["grep", "NoNewPrivs:", "/proc/self/status"],
                    sc={"allowPrivilegeEscalation": False, "runAsUser": 1000},
                )
            )
        ),
        "nnp-status-unset": Case(
            spec(container(["grep", "NoNewPrivs:", "/proc/self/status"], sc={"runAsUser": 1000}))
        ),
        # SupplementalGroupsPolicy (agnhost: uid 1000 is in image group 50000)
        **{
            f"sgp-{label}": Case(
                spec(
                    container(["sh", "-c", "id -G; while :; do sleep 1; done"], image=AGNHOST),
                    pod_sc={
                        "runAsUser": 1000,
                        "supplementalGroups": [60000],
                        **({"supplementalGroupsPolicy": policy} if policy else {}),
                    },
                ),
                until="running",
            )
            for label, policy in (("nil", ""), ("merge", "Merge"), ("strict", "Strict"))
        },
        # node/security_context.go
        "supplemental-groups": Case(
            spec(container(["id", "-G"]), pod_sc={"supplementalGroups": [1234, 5678]})
        ),
        "image-groups": Case(
            spec(
                container(["id", "-G"], image=AGNHOST),
                pod_sc={"runAsUser": 1000, "supplementalGroups": [60000]},
            )
        ),
        "pod-runasuser": Case(spec(container(["sh", "-c", "id"]), pod_sc={"runAsUser": 1001})),
        "pod-runasuser-group": Case(
            spec(container(["sh", "-c", "id"]), pod_sc={"runAsUser": 1001, "runAsGroup": 2002})
        ),
        "container-runasuser": Case(
            spec(container(["sh", "-c", "id"], sc={"runAsUser": 1002}), pod_sc={"runAsUser": 1001})
        ),
        "container-runasuser-group": Case(
            spec(
                container(["sh", "-c", "id"], sc={"runAsUser": 1002, "runAsGroup": 2002}),
                pod_sc={"runAsUser": 1001, "runAsGroup": 2001},
            )
        ),
        # seccomp
        "seccomp-container-unconfined": Case(
            spec(
                container(SECCOMP_GREP, sc={"seccompProfile": {"type": "Unconfined"}}),
                pod_sc={"seccompProfile": {"type": "RuntimeDefault"}},
            )
        ),
        "seccomp-pod-unconfined": Case(
            spec(container(SECCOMP_GREP), pod_sc={"seccompProfile": {"type": "Unconfined"}})
        ),
        "seccomp-runtime-default": Case(
            spec(container(SECCOMP_GREP, sc={"seccompProfile": {"type": "RuntimeDefault"}}))
        ),
        "seccomp-pod-runtime-default": Case(
            spec(container(SECCOMP_GREP), pod_sc={"seccompProfile": {"type": "RuntimeDefault"}})
        ),
        "seccomp-unset": Case(spec(container(SECCOMP_GREP))),
        "seccomp-localhost": Case(
            spec(
                container(
                    [
                        "sh",
                        "-c",
                        "exec 2>&1; grep Seccomp: /proc/self/status; mkdir /tmp/d; echo mkdir=$?",
                    ],
                    sc={
                        "seccompProfile": {
                            "type": "Localhost",
                            "localhostProfile": LOCALHOST_PROFILE,
                        }
                    },
                )
            )
        ),
        "seccomp-localhost-missing": Case(
            spec(
                container(
                    SECCOMP_GREP,
                    sc={
                        "seccompProfile": {"type": "Localhost", "localhostProfile": "no-such.json"}
                    },
                )
            ),
            until="waiting",
        ),
        # AppArmor on a node without AppArmor
        "apparmor-runtime-default": Case(
            spec(container(["true"], sc={"appArmorProfile": {"type": "RuntimeDefault"}})),
            until="rejected",
        ),
        "apparmor-localhost": Case(
            spec(
                container(["true"]),
                pod_sc={
                    "appArmorProfile": {
                        "type": "Localhost",
                        "localhostProfile": "e2e-node-apparmor-test-deny-write",
                    }
                },
            ),
            until="rejected",
        ),
        "apparmor-annotation": Case(
            spec(container(["true"])),
            until="rejected",
            annotations={
                "container.apparmor.security.beta.kubernetes.io/test-container": "runtime/default"
            },
        ),
        "windows-options-ignored": Case(
            spec(container(["id", "-u"], sc={"windowsOptions": {"runAsUserName": "ContainerUser"}}))
        ),
        "apparmor-unconfined": Case(
            spec(container(["true"], sc={"appArmorProfile": {"type": "Unconfined"}}))
        ),
        "apparmor-unset": Case(spec(container(["true"]))),
        # sysctl.go
        "sysctl-safe": Case(
            spec(
                container(["/bin/sysctl", "kernel.shm_rmid_forced"]),
                pod_sc={"sysctls": [{"name": "kernel.shm_rmid_forced", "value": "1"}]},
            )
        ),
        "sysctl-slashes": Case(
            spec(
                container(["/bin/sysctl", "kernel/shm_rmid_forced"]),
                pod_sc={"sysctls": [{"name": "kernel/shm_rmid_forced", "value": "1"}]},
            )
        ),
        "sandbox-sysctl-defaults": Case(
            spec(
                container(
                    [
                        "cat",
                        "/proc/sys/net/ipv4/ip_unprivileged_port_start",
                        "/proc/sys/net/ipv4/ping_group_range",
                    ]
                )
            )
        ),
        "sysctl-unsafe": Case(
            spec(
                container(["/bin/sysctl", "kernel.msgmax"]),
                pod_sc={"sysctls": [{"name": "kernel.msgmax", "value": "10000000000"}]},
            ),
            until="rejected",
        ),
        # empty_dir.go, "when FSGroup is specified"
        "fsgroup-root-tmpfs": Case(_volume_test(0, "Memory", 123, NEW_FILE_0660)),
        "fsgroup-nonroot-tmpfs": Case(_volume_test(1001, "Memory", 123, NEW_FILE_0660)),
        "fsgroup-root-0644-tmpfs": Case(_volume_test(0, "Memory", 123, NEW_FILE_0644)),
        "fsgroup-default-medium-mode": Case(_volume_test(0, "", 1001, VOLUME_MODE)),
        "fsgroup-tmpfs-mode": Case(_volume_test(0, "Memory", 1001, VOLUME_MODE)),
        "nofsgroup-default-medium-mode": Case(_volume_test(0, "", None, VOLUME_MODE)),
        "fsgroup-on-root-mismatch": Case(
            {
                **_volume_test(
                    1001,
                    "",
                    2000,
                    "stat -c 'perms %A owner %u:%g' /test-volume"
                    + "; touch /test-volume/f; stat -c 'new %g' /test-volume/f",
                ),
                "securityContext": {
                    "runAsUser": 1001,
                    "fsGroup": 2000,
                    "fsGroupChangePolicy": "OnRootMismatch",
                },
            }
        ),
        # proc_mount_test.go
        "procmount-default": Case(
            spec(container(["/bin/sleep", "10000"], sc={"procMount": "Default"})), until="running"
        ),
        "procmount-unmasked-userns": Case(
            spec(container(["/bin/sleep", "10000"], sc={"procMount": "Unmasked"}), hostUsers=False),
            until="running",
        ),
        # HostUsers
        "userns-a": Case(
            spec(container(["cat", "/proc/self/uid_map"], name="userns-test"), hostUsers=False)
        ),
        "userns-b": Case(
            spec(container(["cat", "/proc/self/uid_map"], name="userns-test"), hostUsers=False)
        ),
        "userns-host": Case(
            spec(container(["cat", "/proc/self/uid_map"], name="userns-test"), hostUsers=True)
        ),
        "userns-volume-fsgroup": Case(
            spec(
                container(
                    ["sh", "-c", "touch /vol/f && stat -c='%g' $(find /vol/ -type f)"],
                    name="userns-file-permissions",
                    volumeMounts=[{"name": "vol", "mountPath": "/vol/"}],
                ),
                pod_sc={"fsGroup": 200},
                hostUsers=False,
                volumes=[{"name": "vol", "emptyDir": {}}],
            )
        ),
        # e2e_node/security_context_test.go: host namespaces
        **{
            f"hostpid-{b}": Case(
                spec(
                    container(
                        ["sh", "-c", f"test -d /proc/{host.pid} && echo found-{host.pid} || true"]
                    ),
                    hostPID=b == "true",
                )
            )
            for b in ("true", "false")
        },
        **{
            f"hostipc-{b}": Case(
                spec(
                    container(["sh", "-c", "awk 'NR>1 {print $2}' /proc/sysvipc/shm"]),
                    hostIPC=b == "true",
                )
            )
            for b in ("true", "false")
        },
        **{
            f"hostnetwork-{b}": Case(
                spec(container(["sh", "-c", NET_VIEW]), hostNetwork=b == "true")
            )
            for b in ("true", "false")
        },
        "share-process-namespace": Case(
            spec(
                container(SLEEP, name="sleeper"),
                container(SLEEP, name="looker"),
                shareProcessNamespace=True,
            ),
            until="running",
        ),
        "separate-process-namespaces": Case(
            spec(container(SLEEP, name="sleeper"), container(SLEEP, name="looker")),
            until="running",
        ),
    }
    if with_nnp:
        for label, ape in (("unset", None), ("false", False), ("true", True)):
            sc: dict[str, Any] = {"runAsUser": 1000}
            if ape is not None:
                sc["allowPrivilegeEscalation"] = ape
            c[f"ape-{label}"] = Case(spec(container(None, image=NONEWPRIVS, sc=sc)))
    return c


# ---------------------------------------------------------------- images


def _push_extra_images(registry: LocalRegistry, work: Path) -> bool:
    """Push nonroot (USER 1234), named-user (USER nobody) and, when gcc can build the
    static setuid ``nnp``, nonewprivs; True when nonewprivs was pushed."""
    tool = build_tool()
    image_cls = cast(Callable[..., Any], tool.StandInImage)
    entry = cast(Callable[..., Any], tool.FileEntry)
    base = cast(Callable[[], tuple[Any, ...]], tool.busybox_layer)()
    policy = cast(Callable[[Path], Path], tool.write_policy)(work / "policy.json")
    images = [
        image_cls(
            NONROOT,
            "e2e-test-images/nonroot",
            "1.4",
            (base,),
            json.dumps({"User": "1234", "Cmd": ["sh"]}),
        ),
        image_cls(
            NAMED_USER,
            "seclet-tests/named-user",
            "1.0",
            (base,),
            json.dumps({"User": "nobody", "Cmd": ["sh"]}),
        ),
    ]
    gcc = shutil.which("gcc")
    nnp_built = False
    if gcc is not None:
        (work / "nnp.c").write_text(NNP_C)
        built = subprocess.run(
            [gcc, "-static", "-O2", "-o", str(work / "nnp"), str(work / "nnp.c")],
            capture_output=True,
            check=False,
        )
        if built.returncode == 0:
            nnp_built = True
            layer = (
                entry("usr/local", "dir", mode=0o755),
                entry("usr/local/bin", "dir", mode=0o755),
                entry("usr/local/bin/nnp", data=(work / "nnp").read_bytes(), mode=0o4755),
            )
            config = json.dumps({"Entrypoint": ["/usr/local/bin/nnp"], "User": "0"})
            images.append(
                image_cls(NONEWPRIVS, "e2e-test-images/nonewprivs", "1.3", (base, layer), config)
            )
    for image in images:
        layout = work / image.repository.replace("/", "_")
        cast(Callable[[Any, Path], str], tool.write_oci_layout)(image, layout)
        cast(Callable[[Any, Path, str, Path], None], tool.push)(
            image, layout, registry.netloc, policy
        )
    return nnp_built


# ---------------------------------------------------------------- the batch


@dataclass
class Batch:
    node: Node
    names: dict[str, str]
    pods: dict[str, dict[str, Any]]
    logs: dict[str, str]
    host: Host
    nnp: bool

    def pod(self, case: str) -> dict[str, Any]:
        return self.pods[case]

    def log(self, case: str, container_name: str = "test-container") -> str:
        key = f"{case}/{container_name}"
        if key not in self.logs:
            out = self.node.kubectl("logs", self.names[case], "-c", container_name, check=False)
            self.logs[key] = out.stdout if out.returncode == 0 else f"<no logs: {out.stderr}>"
        return self.logs[key]

    def exec(self, case: str, *command: str, container_name: str = "test-container") -> str:
        out = self.node.kubectl(
            "exec", self.names[case], "-c", container_name, "--", *command, check=False
        )
        return out.stdout + out.stderr

    def phase(self, case: str) -> str:
        return str(self.pods[case].get("status", {}).get("phase", ""))

    def waiting(self, case: str) -> tuple[str, str]:
        for s in self.pods[case].get("status", {}).get("containerStatuses", []):
            w = s.get("state", {}).get("waiting")
            if w:
                return str(w.get("reason", "")), str(w.get("message", ""))
        return "", ""

    def describe_all(self) -> str:
        return json.dumps({k: v.get("status") for k, v in self.pods.items()}, indent=1)[:20000]


def _prefetch_logs(
    node: Node, names: dict[str, str], pods: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """``kubectl logs`` of every started container, eight at a time."""
    wanted = [
        (case, s["name"])
        for case, pod in pods.items()
        for s in pod.get("status", {}).get("containerStatuses", [])
        if "terminated" in s.get("state", {}) or "running" in s.get("state", {})
    ]

    def fetch(item: tuple[str, str]) -> tuple[str, str | None]:
        out = node.kubectl("logs", names[item[0]], "-c", item[1], check=False)
        return f"{item[0]}/{item[1]}", out.stdout if out.returncode == 0 else None

    with ThreadPoolExecutor(8) as pool:
        return {key: log for key, log in pool.map(fetch, wanted) if log is not None}


def _settled(case: Case, pod: dict[str, Any]) -> bool:
    status = pod.get("status", {})
    phase = status.get("phase", "")
    if phase in ("Succeeded", "Failed"):
        return True
    statuses = status.get("containerStatuses", [])
    if case.until == "running":
        return phase == "Running" and bool(statuses) and all(s.get("ready") for s in statuses)
    for s in statuses:
        reason = s.get("state", {}).get("waiting", {}).get("reason", "")
        if reason not in ("", "ContainerCreating", "PodInitializing"):
            return True
    return False


@pytest.fixture(scope="module")
def host_things() -> Iterator[Host]:
    sleeper = subprocess.Popen(["sleep", "3600"])
    shm = _host_ipc_shm()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("0.0.0.0", 0))
    listener.listen(1)
    try:
        yield Host(sleeper.pid, shm, int(listener.getsockname()[1]), socket.gethostname())
    finally:
        listener.close()
        sleeper.kill()
        sleeper.wait()
        _remove_shm(shm)


@pytest.fixture(scope="module")
def batch(
    node: Node,
    registry: LocalRegistry,
    host_things: Host,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Batch]:
    nnp = _push_extra_images(registry, tmp_path_factory.mktemp("images"))
    profile = node.data_dir / "kubelet" / "seccomp" / LOCALHOST_PROFILE
    profile.parent.mkdir(parents=True, exist_ok=True)
    profile.write_text(json.dumps(DENY_MKDIR))
    run = uuid.uuid4().hex[:6]
    cases = build_cases(host_things, nnp, run)
    names = {case: f"{case}-{run}" for case in cases}
    docs = [
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": names[case],
                    "labels": {"seclet-e2e": f"fields-{run}"},
                    **({"annotations": c.annotations} if c.annotations else {}),
                },
                "spec": c.spec,
            }
        )
        for case, c in cases.items()
    ]
    node.kubectl("create", "-f", "-", stdin="\n---\n".join(docs), timeout=120)
    by_name = {v: k for k, v in names.items()}
    pods: dict[str, dict[str, Any]] = {}
    stuck: set[str] = set()
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            out = node.kubectl("get", "pods", "-l", f"seclet-e2e=fields-{run}", "-o", "json")
            pods = {by_name[p["metadata"]["name"]]: p for p in json.loads(out.stdout)["items"]}
            pending = {k for k, p in pods.items() if not _settled(cases[k], p)} - stuck
            if len(pods) == len(cases) and not pending:
                break
            if pending:  # a pod whose sandbox cannot be created never gets further
                events = node.kubectl("get", "events", "-o", "json").stdout
                for e in json.loads(events)["items"]:
                    name = e.get("involvedObject", {}).get("name", "")
                    if e.get("reason") == "FailedCreatePodSandBox" and by_name.get(name) in pending:
                        stuck.add(by_name[name])
            time.sleep(0.25)
        yield Batch(node, names, pods, _prefetch_logs(node, names, pods), host_things, nnp)
    finally:
        node.kubectl(
            "delete",
            "pods",
            "-l",
            f"seclet-e2e=fields-{run}",
            "--grace-period=0",
            "--wait=false",
            check=False,
        )
        profile.unlink(missing_ok=True)


def _pod_ref(b: Batch, case: str) -> str:
    """``format.Pod``: ``<name>_<namespace>(<uid>)``."""
    meta = b.pod(case)["metadata"]
    return f"{meta['name']}_{meta['namespace']}({meta['uid']})"


def _events(b: Batch, case: str) -> list[tuple[str, str]]:
    out = b.node.kubectl(
        "get", "events", "--field-selector", f"involvedObject.name={b.names[case]}", "-o", "json"
    )
    return [(e.get("reason", ""), e.get("message", "")) for e in json.loads(out.stdout)["items"]]


# ================================================================ runAsUser / runAsNonRoot


@pytest.mark.parametrize("uid", [65534, 0])
def test_run_as_user(batch: Batch, uid: int) -> None:
    """common/node/security_context.go "When creating a container with runAsUser
    should run the container with uid 65534 [LinuxOnly] [NodeConformance]
    [Conformance]" and "... with uid 0": ``sh -c "test $(id -u) -eq <uid>"``
    Succeeds."""
    assert batch.phase(f"uid-{uid}") == "Succeeded", batch.describe_all()


def test_run_as_non_root_with_explicit_non_root_uid(batch: Batch) -> None:
    """common/node/security_context.go "When creating a container with runAsNonRoot
    should run with an explicit non-root user ID [LinuxOnly]": log ``1000``."""
    assert batch.phase("explicit-nonroot-uid") == "Succeeded"
    assert batch.log("explicit-nonroot-uid") == "1000\n"


def test_run_as_non_root_refuses_explicit_root_uid(batch: Batch) -> None:
    """common/node/security_context.go "... should not run with an explicit root user
    ID [LinuxOnly]": nonroot image, runAsUser 0 -> a ``Failed`` event; the kubelet's
    text (verifyRunAsNonRoot) as CreateContainerConfigError."""
    message = (
        f'container\'s runAsUser breaks non-root policy (pod: "{_pod_ref(batch, "explicit-root-uid")}", '
        f"container: test-container)"
    )
    assert batch.waiting("explicit-root-uid") == ("CreateContainerConfigError", message)
    assert ("Failed", f"Error: {message}") in _events(batch, "explicit-root-uid")


def test_run_as_non_root_with_image_user(batch: Batch) -> None:
    """common/node/security_context.go "... should run with an image specified user
    ID": the nonroot image's USER 1234."""
    assert batch.phase("implicit-nonroot-uid") == "Succeeded", batch.describe_all()
    assert batch.log("implicit-nonroot-uid") == "1234\n"


def test_run_as_non_root_refuses_image_root(batch: Batch) -> None:
    """common/node/security_context.go "... should not run without a specified user
    ID": busybox runs as root -> ``Failed`` event, CreateContainerConfigError with
    ``container has runAsNonRoot and image will run as root (pod: "...", container: ...)``."""
    message = (
        "container has runAsNonRoot and image will run as root "
        f'(pod: "{_pod_ref(batch, "implicit-root-uid")}", container: test-container)'
    )
    assert batch.waiting("implicit-root-uid") == ("CreateContainerConfigError", message)
    assert ("Failed", f"Error: {message}") in _events(batch, "implicit-root-uid")
    assert batch.phase("implicit-root-uid") == "Pending"


def test_run_as_non_root_refuses_non_numeric_image_user(batch: Batch) -> None:
    """kubelet verifyRunAsNonRoot (security_context_others.go), no upstream e2e: an
    image ``USER nobody`` cannot be verified; without runAsNonRoot it runs as nobody."""
    message = (
        "container has runAsNonRoot and image has non-numeric user (nobody), cannot verify "
        f'user is non-root (pod: "{_pod_ref(batch, "named-user")}", container: test-container)'
    )
    assert batch.waiting("named-user") == ("CreateContainerConfigError", message)
    assert (
        batch.log("named-user-runs")
        == "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n"
    )


# ================================================================ readOnlyRootFilesystem


def test_read_only_root_filesystem_true(batch: Batch) -> None:
    """common/node/security_context.go "When creating a pod with readOnlyRootFilesystem
    should run the container with readonly rootfs when readOnlyRootFilesystem=true
    [LinuxOnly] [NodeConformance]": the pod Fails (``touch`` gets EROFS)."""
    assert batch.phase("rootfs-ro") == "Failed"
    assert batch.log("rootfs-ro") == "touch: checkfile: Read-only file system\n"


def test_read_only_root_filesystem_false(batch: Batch) -> None:
    """common/node/security_context.go "... should run the container with writable
    rootfs when readOnlyRootFilesystem=false [NodeConformance] [Conformance]"."""
    assert batch.phase("rootfs-rw") == "Succeeded"


def test_read_only_root_filesystem_keeps_volumes_writable(batch: Batch) -> None:
    """The page: "readOnlyRootFilesystem ... the container's root filesystem" only; an
    emptyDir mounted in it stays writable."""
    assert batch.log("rootfs-ro-emptydir") == (
        "volume-writable\ntouch: /f: Read-only file system\n"
    )


# ================================================================ privileged


def test_unprivileged_cannot_add_a_link(batch: Batch) -> None:
    """common/node/security_context.go "When creating a pod with privileged should run
    the container as unprivileged when false [LinuxOnly] [NodeConformance]
    [Conformance]": Succeeded, log contains ``Operation not permitted``."""
    assert batch.phase("privileged-false") == "Succeeded"
    assert batch.log("privileged-false") == "ip: RTNETLINK answers: Operation not permitted\n"


def test_privileged_adds_a_link(batch: Batch) -> None:
    """common/node/security_context.go "... should run the container as privileged when
    true [LinuxOnly] [Feature:HostAccess]": no ``Operation not permitted``."""
    assert batch.phase("privileged-true") == "Succeeded"
    assert "Operation not permitted" not in batch.log("privileged-true")


def _host_bounding_set() -> str:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return line.split()[1]
    raise AssertionError("no CapBnd")


def test_privileged_gets_every_grantable_capability_host_devices_and_rw_sysfs(batch: Batch) -> None:
    """containerd WithPrivileged: all capabilities the host's bounding set allows
    (``000001fffeffffff`` here, no CAP_SYS_RESOURCE), no seccomp, host devices,
    sysfs read-write, no masked or read-only /proc paths."""
    lines = batch.log("privileged-view").splitlines()
    assert lines[:3] == [f"CapEff:\t{_host_bounding_set()}", "NoNewPrivs:\t0", "Seccomp:\t0"]
    has_kmsg = Path("/dev/kmsg").exists()
    assert lines[4:] == (["host-devices"] if has_kmsg else []) + ["0"], lines


def test_privileged_sysfs_is_writable(batch: Batch) -> None:
    """containerd ``oci.WithPrivileged`` includes ``WithWriteableSysfs``, and containerd 2
    mounts the privileged pod's pause sysfs read-write (PR 11271): the sysfs
    mount of a privileged container is ``rw``."""
    lines = batch.log("privileged-view").splitlines()
    assert re.fullmatch(r"sysfs on /sys type sysfs \(rw,.*\)", lines[3]), lines


def test_unprivileged_defaults(batch: Batch) -> None:
    """containerd's defaults for an unprivileged container: the default capability set,
    sysfs read-only, no host devices."""
    lines = batch.log("unprivileged-view").splitlines()
    assert lines[:3] == [f"CapEff:\t{DEFAULT_CAPS}", "NoNewPrivs:\t0", "Seccomp:\t0"]
    assert re.fullmatch(r"sysfs on /sys type sysfs \(ro,.*\)", lines[3]), lines
    assert lines[4] == "no-host-devices"


# ================================================================ allowPrivilegeEscalation


@pytest.mark.parametrize(
    ("label", "want"),
    [("unset", "Effective uid: 0"), ("false", "Effective uid: 1000"), ("true", "Effective uid: 0")],
)
def test_allow_privilege_escalation(batch: Batch, label: str, want: str) -> None:
    """common/node/security_context.go "When creating a pod with
    AllowPrivilegeEscalation": "should allow privilege escalation when not explicitly
    set and uid != 0 [LinuxOnly] [NodeConformance]", "should not allow privilege
    escalation when false [LinuxOnly] [NodeConformance] [Conformance]", "should allow
    privilege escalation when true [LinuxOnly] [NodeConformance]" — the nonewprivs
    image's setuid-root ``nnp`` run as uid 1000."""
    if not batch.nnp:
        message = "gcc -static could not build the nonewprivs image's nnp"
        if os.environ.get("CI"):  # the test command installs gcc and libc6-dev
            pytest.fail(message)
        pytest.skip(message)
    assert batch.phase(f"ape-{label}") == "Succeeded", batch.describe_all()
    assert batch.log(f"ape-{label}") == f"{want}\n"


def test_no_new_privs_flag(batch: Batch) -> None:
    """CRI no_new_privs is true only for an explicit ``allowPrivilegeEscalation: false``."""
    assert batch.log("nnp-status-false") == "NoNewPrivs:\t1\n"
    assert batch.log("nnp-status-unset") == "NoNewPrivs:\t0\n"


# ================================================================ groups


@pytest.mark.parametrize(
    ("label", "groups"),
    [("nil", "1000 50000 60000"), ("merge", "1000 50000 60000"), ("strict", "1000 60000")],
)
def test_supplemental_groups_policy(batch: Batch, label: str, groups: str) -> None:
    """common/node/security_context.go "SupplementalGroupsPolicy [LinuxOnly]": "when
    SupplementalGroupsPolicy nil in SecurityContext ... scheduled node supports
    SupplementalGroupsPolicy it should add SupplementalGroups to them", "... was set to
    Merge ...", "... was set to Strict in PodSpec ... it should NOT add
    SupplementalGroups to them": log, ``kubectl exec id -G`` and
    ``status.containerStatuses[0].user``."""
    case = f"sgp-{label}"
    assert batch.phase(case) == "Running", batch.describe_all()
    assert batch.log(case).startswith(f"{groups}\n")
    assert batch.exec(case, "id", "-G") == f"{groups}\n"
    user = batch.pod(case)["status"]["containerStatuses"][0]["user"]
    assert user == {
        "linux": {"uid": 1000, "gid": 1000, "supplementalGroups": [int(g) for g in groups.split()]}
    }


def test_node_supports_supplemental_groups_policy(node: Node) -> None:
    """The Strict rejection case ("scheduled node does not support
    SupplementalGroupsPolicy it should reject the pod") needs a node without the
    feature; this node reports it, so the pods above are admitted."""
    features = node.kubectl("get", "nodes", "-o", "jsonpath={.items[0].status.features}").stdout
    assert json.loads(features) == {"supplementalGroupsPolicy": True}


def test_supplemental_groups(batch: Batch) -> None:
    """node/security_context.go "should support pod.Spec.SecurityContext.SupplementalGroups
    [LinuxOnly]": ``id -G`` contains 1234 and 5678."""
    assert batch.log("supplemental-groups") == "0 10 1234 5678\n"


def test_supplemental_groups_added_to_image_groups(batch: Batch) -> None:
    """node/security_context.go "if the container's primary UID belongs to some groups in
    the image [LinuxOnly] should add pod.Spec.SecurityContext.SupplementalGroups to
    them [LinuxOnly] in resultant supplementary groups for the container processes"."""
    assert batch.log("image-groups") == "1000 50000 60000\n"


@pytest.mark.parametrize(
    ("case", "want"),
    [
        ("pod-runasuser", "uid=1001 gid=0(root) groups=0(root)"),
        ("pod-runasuser-group", "uid=1001 gid=2002 groups=2002"),
        ("container-runasuser", "uid=1002 gid=0(root) groups=0(root)"),
        ("container-runasuser-group", "uid=1002 gid=2002 groups=2002"),
    ],
)
def test_run_as_user_and_group(batch: Batch, case: str, want: str) -> None:
    """node/security_context.go "should support pod.Spec.SecurityContext.RunAsUser
    [LinuxOnly]" (uid=1001, gid=0), "should support pod.Spec.SecurityContext.RunAsUser
    And pod.Spec.SecurityContext.RunAsGroup [LinuxOnly] [Conformance]" (1001/2002),
    "should support container.SecurityContext.RunAsUser [LinuxOnly]" (container 1002
    beats pod 1001, gid=0) and "should support container.SecurityContext.RunAsUser And
    container.SecurityContext.RunAsGroup [LinuxOnly] [Conformance]" (1002/2002)."""
    assert batch.log(case) == f"{want}\n"


# ================================================================ seccomp


@pytest.mark.parametrize(
    ("case", "mode"),
    [
        ("seccomp-container-unconfined", "0"),
        ("seccomp-pod-unconfined", "0"),
        ("seccomp-runtime-default", "2"),
        ("seccomp-pod-runtime-default", "2"),
        ("seccomp-unset", "0"),
    ],
)
def test_seccomp(batch: Batch, case: str, mode: str) -> None:
    """node/security_context.go "should support seccomp unconfined on the container
    [LinuxOnly]" (pod RuntimeDefault, container Unconfined: 0), "should support
    seccomp unconfined on the pod [LinuxOnly]" (0), "should support seccomp
    runtime/default [LinuxOnly]" (2); the pod's profile applies to a container that
    sets none; unset is Unconfined without --seccomp-default."""
    assert batch.log(case) == f"Seccomp:\t{mode}\n"


def test_seccomp_localhost_profile_is_enforced(batch: Batch) -> None:
    """A Localhost profile read from ``<root-dir>/seccomp/<localhostProfile>`` that
    makes mkdir fail with EPERM (SCMP_ACT_ERRNO's default errno)."""
    assert batch.log("seccomp-localhost") == (
        "Seccomp:\t2\nmkdir: can't create directory '/tmp/d': Operation not permitted\nmkdir=1\n"
    )


def test_seccomp_localhost_profile_missing(batch: Batch) -> None:
    """A missing Localhost profile: containerd's CreateContainer fails while generating
    the spec (internal/cri/server/container_create.go + contrib/seccomp WithProfile),
    and the kubelet shows the gRPC message as CreateContainerError."""
    path = batch.node.data_dir / "kubelet" / "seccomp" / "no-such.json"
    reason, message = batch.waiting("seccomp-localhost-missing")
    assert reason == "CreateContainerError"
    assert re.fullmatch(
        r'failed to generate container "[0-9a-f]{64}" spec: failed to generate spec: '
        + re.escape(
            f'cannot load seccomp profile "{path}": open {path}: no such file or directory'
        ),
        message,
    ), message


# ================================================================ AppArmor


@pytest.mark.parametrize(
    "case", ["apparmor-runtime-default", "apparmor-localhost", "apparmor-annotation"]
)
def test_apparmor_requested_on_a_node_without_apparmor_is_rejected(batch: Batch, case: str) -> None:
    """kubelet appArmorAdmitHandler on a host without AppArmor (this one): phase
    Failed, reason ``AppArmor``, upstream's message, a Warning event. The upstream
    e2e_node apparmor tests load profiles and need AppArmor; they are skipped below."""
    status = batch.pod(case)["status"]
    assert (status["phase"], status.get("reason"), status.get("message")) == (
        "Failed",
        "AppArmor",
        APPARMOR_REJECTION,
    )
    assert ("AppArmor", APPARMOR_REJECTION.removeprefix("Pod was rejected: ")) in _events(
        batch, case
    )


@pytest.mark.parametrize("case", ["apparmor-unconfined", "apparmor-unset"])
def test_apparmor_unconfined_or_unset_runs(batch: Batch, case: str) -> None:
    """isRequired is false for Unconfined or no profile: admitted and run."""
    assert batch.phase(case) == "Succeeded"


def test_windows_options_on_linux(batch: Batch, node: Node) -> None:
    """windowsOptions on Linux: ignored by a Linux node when the pod names no OS
    (runs as the image's root); refused by validation for ``os.name: linux``
    (validateLinux)."""
    assert batch.log("windows-options-ignored") == "0\n"
    name = f"windows-options-{uuid.uuid4().hex[:6]}"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            **spec(container(["true"], sc={"windowsOptions": {"runAsUserName": "ContainerUser"}})),
            "os": {"name": "linux"},
        },
    }
    out = node.kubectl("create", "-f", "-", stdin=json.dumps(pod), check=False)
    assert out.returncode == 1
    assert out.stderr.rstrip("\n").endswith(
        f'The Pod "{name}" is invalid: spec.containers[0].securityContext.windowsOptions: '
        "Forbidden: windows options cannot be set for a linux pod"
    ), out.stderr


def test_apparmor_profiles_enforced() -> None:
    """e2e_node/apparmor_test.go (deny-write / audit-write profiles)."""
    pytest.skip("no AppArmor on this host: profiles cannot be loaded or enforced")


# ================================================================ sysctls


def test_sysctls(batch: Batch) -> None:
    """sysctl.go "should support sysctls [MinimumKubeletVersion:1.21]
    [Environment:NotInUserNS] [Conformance]" and "should support sysctls with slashes
    as separator [MinimumKubeletVersion:1.23]"."""
    assert batch.log("sysctl-safe") == "kernel.shm_rmid_forced = 1\n"
    assert batch.log("sysctl-slashes") == "kernel.shm_rmid_forced = 1\n"


def test_unsafe_sysctl_not_allowlisted(batch: Batch) -> None:
    """sysctl.go "should not launch unsafe, but not explicitly enabled sysctls on the
    node [MinimumKubeletVersion:1.21]": Failed with reason SysctlForbidden."""
    status = batch.pod("sysctl-unsafe")["status"]
    assert (status["phase"], status.get("reason"), status.get("message")) == (
        "Failed",
        "SysctlForbidden",
        'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted',
    )


@pytest.mark.parametrize(
    ("host", "sysctl", "value"),
    [
        ("hostIPC", "kernel.shm_rmid_forced", "1"),
        ("hostNetwork", "net.ipv4.ip_local_port_range", "1024 65000"),
    ],
)
def test_namespaced_sysctl_with_host_namespace_is_refused(
    node: Node, host: str, sysctl: str, value: str
) -> None:
    """validateSysctls (ValidateHostSysctl): a sysctl of the IPC or network namespace
    cannot be set on a pod that shares that namespace with the host."""
    name = f"sysctl-host-{uuid.uuid4().hex[:6]}"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": spec(
            container(["true"]),
            pod_sc={"sysctls": [{"name": sysctl, "value": value}]},
            **{host: True},
        ),
    }
    out = node.kubectl("create", "-f", "-", stdin=json.dumps(pod), check=False)
    assert out.returncode == 1
    assert out.stderr.rstrip("\n").endswith(
        f'The Pod "{name}" is invalid: spec.securityContext.sysctls[0].name: Invalid value: '
        f"\"{sysctl}\": may not be specified when '{host}' is true"
    ), out.stderr


def test_sandbox_opens_low_ports_and_icmp_by_default(batch: Batch) -> None:
    """containerd 2.x ``sandboxContainerSpec`` (podsandbox/sandbox_run_linux.go): a
    pod not on the host network gets ``net.ipv4.ip_unprivileged_port_start=0`` and
    ``net.ipv4.ping_group_range=0 2147483647`` unless it sets them itself."""
    assert batch.log("sandbox-sysctl-defaults") == "0\n0\t2147483647\n"


def test_invalid_sysctls_are_refused(node: Node) -> None:
    """sysctl.go "should reject invalid sysctls [MinimumKubeletVersion:1.21]
    [Conformance]": the create fails naming ``foo-`` and ``bar..`` only."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"sysctl-invalid-{uuid.uuid4().hex[:6]}"},
        "spec": spec(
            container(["true"]),
            pod_sc={
                "sysctls": [
                    {"name": "foo-", "value": "bar"},
                    {"name": "kernel.shmmax", "value": "100000000"},
                    {"name": "safe-and-unsafe", "value": "100000000"},
                    {"name": "bar..", "value": "42"},
                ]
            },
        ),
    }
    out = node.kubectl("create", "-f", "-", stdin=json.dumps(pod), check=False)
    assert out.returncode == 1
    assert 'Invalid value: "foo-"' in out.stderr and 'Invalid value: "bar.."' in out.stderr, (
        out.stderr
    )
    assert "safe-and-unsafe" not in out.stderr and "kernel.shmmax" not in out.stderr


TUNED_PODS: dict[str, dict[str, Any]] = {
    "sysctl-allowed": spec(
        container(["/bin/sysctl", "kernel.msgmax"]),
        pod_sc={"sysctls": [{"name": "kernel.msgmax", "value": "65536"}]},
    ),
    "sysctl-still-forbidden": spec(
        container(["true"]),
        pod_sc={"sysctls": [{"name": "kernel.sem", "value": "250 32000 32 128"}]},
    ),
    "seccomp-default-unset": spec(container(SECCOMP_GREP)),
    "seccomp-default-unconfined": spec(
        container(SECCOMP_GREP, sc={"seccompProfile": {"type": "Unconfined"}})
    ),
    "seccomp-default-privileged": spec(container(SECCOMP_GREP, sc={"privileged": True})),
}


@pytest.fixture(scope="module")
def tuned(
    registry: LocalRegistry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Node, dict[str, dict[str, Any]]]]:
    """A second node started with ``--allowed-unsafe-sysctls kernel.msg*
    --seccomp-default`` running TUNED_PODS; (node, settled pods by name)."""
    base = tmp_path_factory.mktemp("tuned")
    other = Node(
        data_dir=base / "data",
        kubeconfig=base / "kubeconfig.yaml",
        mirrors=[f"{h}={registry.url}" for h in MIRRORED_HOSTS],
        extra_args=["--allowed-unsafe-sysctls", "kernel.msg*", "--seccomp-default"],
    )
    other.start()
    try:
        docs = [
            json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n}, "spec": s})
            for n, s in TUNED_PODS.items()
        ]
        other.kubectl("create", "-f", "-", stdin="\n---\n".join(docs))
        deadline = time.monotonic() + 60
        pods: dict[str, dict[str, Any]] = {}
        while time.monotonic() < deadline:
            items = json.loads(other.kubectl("get", "pods", "-o", "json").stdout)["items"]
            pods = {p["metadata"]["name"]: p for p in items}
            if len(pods) == len(TUNED_PODS) and all(
                p["status"].get("phase") in ("Succeeded", "Failed") for p in pods.values()
            ):
                break
            time.sleep(0.2)
        yield other, pods
    finally:
        # as the session's node: delete every pod (and its rootfs mount) before stopping
        other.kubectl("delete", "pods", "--all", "--grace-period=0", "--wait=true", check=False)
        assert other.stop() == 0, other.log()


def test_allowed_unsafe_sysctl(tuned: tuple[Node, dict[str, dict[str, Any]]]) -> None:
    """sysctl.go's allowlisted case on a node started with
    ``--allowed-unsafe-sysctls kernel.msg*``: the unsafe sysctl is applied; one the
    patterns do not match is still SysctlForbidden."""
    other, pods = tuned
    assert pods["sysctl-allowed"]["status"]["phase"] == "Succeeded", pods["sysctl-allowed"]
    assert other.kubectl("logs", "sysctl-allowed").stdout == "kernel.msgmax = 65536\n"
    status = pods["sysctl-still-forbidden"]["status"]
    assert (status["phase"], status.get("reason"), status.get("message")) == (
        "Failed",
        "SysctlForbidden",
        'Pod was rejected: forbidden sysctl: "kernel.sem" not allowlisted',
    )


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("seccomp-default-unset", "2"),
        ("seccomp-default-unconfined", "0"),
        ("seccomp-default-privileged", "0"),
    ],
)
def test_seccomp_default_node(
    tuned: tuple[Node, dict[str, dict[str, Any]]], name: str, mode: str
) -> None:
    """kubelet ``--seccomp-default``: a container that sets no profile gets
    RuntimeDefault; an explicit Unconfined and a privileged container get none."""
    other, _ = tuned
    assert other.kubectl("logs", name).stdout == f"Seccomp:\t{mode}\n"


# ================================================================ emptyDir and fsGroup


@pytest.mark.parametrize(
    ("case", "perms", "owner"),
    [
        ("fsgroup-root-tmpfs", "-rw-rw----", "0:123"),
        ("fsgroup-nonroot-tmpfs", "-rw-rw----", "1001:123"),
        ("fsgroup-root-0644-tmpfs", "-rw-r--r--", "0:123"),
    ],
)
def test_empty_dir_new_files_get_fs_group(batch: Batch, case: str, perms: str, owner: str) -> None:
    """empty_dir.go "when FSGroup is specified [LinuxOnly] [NodeFeature:FSGroup] new
    files should be created with FSGroup ownership when container is root", "... when
    container is non-root" and "files with FSGroup ownership should support
    (root,0644,tmpfs)": the new file's mode, its group 123 (the setgid volume
    directory) and content; the volume is tmpfs."""
    assert batch.log(case) == (f"perms {perms} owner {owner}\nmount-tester new file\nfs tmpfs\n"), (
        batch.describe_all()
    )


@pytest.mark.parametrize(
    ("case", "want"),
    [
        ("fsgroup-default-medium-mode", "perms drwxrwsrwx owner 0:1001\nfs "),
        ("fsgroup-tmpfs-mode", "perms drwxrwsrwx owner 0:1001\nfs tmpfs\n"),
        ("nofsgroup-default-medium-mode", "perms drwxrwxrwx owner 0:0\nfs "),
    ],
)
def test_empty_dir_volume_mode(batch: Batch, case: str, want: str) -> None:
    """empty_dir.go "volume on default medium should have the correct mode using
    FSGroup", "volume on tmpfs should have the correct mode using FSGroup" and the
    Conformance "volume on default medium should have the correct mode": 0777 (upstream
    prints Go's ``Perm()``, ``-rwxrwxrwx``; ``stat`` also shows fsGroup's setgid bit and
    group)."""
    log = batch.log(case)
    assert log.startswith(want), log
    if want.endswith("fs "):
        assert log != want + "tmpfs\n"


def test_fs_group_change_policy_on_root_mismatch_on_a_fresh_volume(batch: Batch) -> None:
    """fsgroupchangepolicy.go's first step on a fresh volume: with OnRootMismatch the
    root directory does not match yet, so it gets fsGroup and setgid, and new files
    inherit the group."""
    assert batch.log("fsgroup-on-root-mismatch") == ("perms drwxrwsrwx owner 0:2000\nnew 2000\n")


# fsgroupchangepolicy.go's table: (policy, initial fsGroup, chgrp of the root-dir file,
# chgrp of the sub-dir file, second fsGroup, expected root-dir file gid, sub-dir file
# gid, access mode)
FSGROUP_POLICY_CASES = {
    "(Always)[LinuxOnly], pod created with an initial fsgroup, new pod fsgroup applied to "
    "volume contents": ("Always", 1000, 0, 0, 2000, 2000, 2000, "ReadWriteOnce"),
    "(Always)[LinuxOnly], rwop pod created with an initial fsgroup, new pod fsgroup applied "
    "to volume contents": ("Always", 1000, 0, 0, 2000, 2000, 2000, "ReadWriteOncePod"),
    "(Always)[LinuxOnly], pod created with an initial fsgroup, volume contents ownership "
    "changed via chgrp in first pod, new pod with same fsgroup applied to the volume "
    "contents": ("Always", 1000, 2000, 3000, 1000, 1000, 1000, "ReadWriteOnce"),
    "(Always)[LinuxOnly], pod created with an initial fsgroup, volume contents ownership "
    "changed via chgrp in first pod, new pod with different fsgroup applied to the volume "
    "contents": ("Always", 1000, 2000, 3000, 4000, 4000, 4000, "ReadWriteOnce"),
    "(OnRootMismatch)[LinuxOnly], pod created with an initial fsgroup, new pod fsgroup "
    "applied to volume contents": ("OnRootMismatch", 1000, 0, 0, 2000, 2000, 2000, "ReadWriteOnce"),
    "(OnRootMismatch)[LinuxOnly], pod created with an initial fsgroup, volume contents "
    "ownership changed via chgrp in first pod, new pod with same fsgroup skips ownership "
    "changes to the volume contents": (
        "OnRootMismatch",
        1000,
        2000,
        3000,
        1000,
        2000,
        3000,
        "ReadWriteOnce",
    ),
    "(OnRootMismatch)[LinuxOnly], pod created with an initial fsgroup, volume contents "
    "ownership changed via chgrp in first pod, new pod with different fsgroup applied to "
    "the volume contents": ("OnRootMismatch", 1000, 2000, 3000, 4000, 4000, 4000, "ReadWriteOnce"),
}
ROOT_DIR_FILE = "/mnt/volume1/file1.txt"
SUB_DIR = "/mnt/volume1/subdir"
SUB_DIR_FILE = "/mnt/volume1/subdir/file2.txt"


def _sec_pod(name: str, claim: str, fs_group: int, policy: str) -> str:
    """``e2epod.MakeSecPod``'s shape: the claim at /mnt/volume1, fsGroup and policy."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": spec(
                container(
                    ["sh", "-c", "trap exit TERM; while true; do sleep 1; done"],
                    name="write-pod",
                    volumeMounts=[{"name": "volume1", "mountPath": "/mnt/volume1"}],
                ),
                pod_sc={"fsGroup": fs_group, "fsGroupChangePolicy": policy},
                volumes=[{"name": "volume1", "persistentVolumeClaim": {"claimName": claim}}],
            ),
        }
    )


def _gid(node: Node, pod: str, path: str) -> str:
    """``VerifyFilePathGidInPod``: the group column of ``ls -l``."""
    return node.exec(pod, "sh", "-c", f"ls -ln {path}").split()[3]


@pytest.mark.parametrize("case", list(FSGROUP_POLICY_CASES))
def test_fs_group_change_policy_across_pods(node: Node, case: str) -> None:
    """storage/testsuites/fsgroupchangepolicy.go on a Dynamic PV of the default class
    (``local-path``): the first pod creates files (their group is its fsGroup), chgrp-s
    them, is deleted; the second pod's fsGroup and policy decide what it sees."""
    policy, first, root_gid, sub_gid, second, want_root, want_sub, mode = FSGROUP_POLICY_CASES[case]
    tag = uuid.uuid4().hex[:6]
    claim, pod1, pod2 = f"fsgcp-{tag}", f"fsgcp-a-{tag}", f"fsgcp-b-{tag}"
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": claim},
        "spec": {"accessModes": [mode], "resources": {"requests": {"storage": "16Mi"}}},
    }
    node.kubectl("create", "-f", "-", stdin=json.dumps(pvc))
    try:
        node.kubectl("create", "-f", "-", stdin=_sec_pod(pod1, claim, first, policy))
        node.wait_running(pod1, timeout=120)
        node.exec(pod1, "sh", "-c", f"touch {ROOT_DIR_FILE}")
        assert _gid(node, pod1, ROOT_DIR_FILE) == str(first)
        node.exec(pod1, "sh", "-c", f"mkdir {SUB_DIR} && touch {SUB_DIR_FILE}")
        assert _gid(node, pod1, SUB_DIR_FILE) == str(first)
        if root_gid:
            node.exec(pod1, "sh", "-c", f"chgrp {root_gid} {ROOT_DIR_FILE}")
        if sub_gid:
            node.exec(pod1, "sh", "-c", f"chgrp {sub_gid} {SUB_DIR_FILE}")
        node.delete(pod1)
        node.kubectl("create", "-f", "-", stdin=_sec_pod(pod2, claim, second, policy))
        node.wait_running(pod2, timeout=120)
        assert _gid(node, pod2, ROOT_DIR_FILE) == str(want_root)
        assert _gid(node, pod2, SUB_DIR_FILE) == str(want_sub)
    finally:
        node.delete(pod1)
        node.delete(pod2)
        node.kubectl("delete", "pvc", claim, "--wait=false", check=False)


# ================================================================ procMount and user namespaces


def test_default_proc_mount_masks_proc(batch: Batch) -> None:
    """proc_mount_test.go "DefaultProcMount [LinuxOnly] will mask proc mounts by
    default": ``mount | grep /proc`` has more than one line, one of them ``(ro``;
    the masked files are /dev/null (char 1,3) and read nothing."""
    assert batch.phase("procmount-default") == "Running", batch.describe_all()
    lines = batch.exec("procmount-default", "/bin/sh", "-ec", "mount | grep /proc").splitlines()
    assert len(lines) > 1 and any("(ro" in line for line in lines), lines
    masked = batch.exec(
        "procmount-default",
        "sh",
        "-c",
        "stat -c '%F %t,%T' /proc/timer_list; wc -c < /proc/timer_list",
    )
    assert masked == "character special file 1,3\n0\n"


def test_unmasked_proc_mount_with_user_namespace(batch: Batch) -> None:
    """proc_mount_test.go "ProcMount [LinuxOnly] will unmask proc mounts if requested":
    ``procMount: Unmasked`` with ``hostUsers: false`` -> one /proc line, no ``(ro``."""
    assert batch.phase("procmount-unmasked-userns") == "Running", batch.describe_all()
    lines = batch.exec(
        "procmount-unmasked-userns", "/bin/sh", "-ec", "mount | grep /proc"
    ).splitlines()
    assert len(lines) == 1 and "(ro" not in lines[0], lines
    assert (
        batch.exec("procmount-unmasked-userns", "stat", "-c", "%F", "/proc/timer_list")
        == "regular empty file\n"
    )


def test_unmasked_proc_mount_needs_user_namespace(node: Node) -> None:
    """proc_mount_test.go "ProcMount will fail to unmask proc mounts if not in user
    namespace": the create is refused by validation."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"proc-mount-pod-{uuid.uuid4().hex[:6]}"},
        "spec": spec(container(["/bin/sleep", "10000"], sc={"procMount": "Unmasked"})),
    }
    out = node.kubectl("create", "-f", "-", stdin=json.dumps(pod), check=False)
    assert out.returncode == 1
    assert (
        'spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`'
        in out.stderr
    ), out.stderr


def _uid_map(log: str) -> list[str]:
    return log.split()


def test_host_users_false_creates_a_user_namespace(batch: Batch) -> None:
    """common/node/security_context.go "when creating a pod with HostUsers must create
    the user namespace if set to false [LinuxOnly] [Feature:UserNamespacesSupport]":
    both logs contain 65536 and differ (``0 <hostid> 65536``, host ids apart)."""
    a, b = batch.log("userns-a", "userns-test"), batch.log("userns-b", "userns-test")
    assert "65536" in a and "65536" in b and a != b, (a, b)
    for log in (a, b):
        inside, hostid, length = _uid_map(log)
        assert (inside, length) == ("0", "65536") and int(hostid) % 65536 == 0


def test_host_users_false_fs_group(batch: Batch) -> None:
    """common/node/security_context.go "should set FSGroup to user inside the container
    with hostUsers=false [LinuxOnly]" with an emptyDir for the configMap (seclet's API
    serves no ConfigMaps): the file's group is fsGroup 200 inside the namespace."""
    log = batch.log("userns-volume-fsgroup", "userns-file-permissions")
    assert log == "=200\n", log


def test_host_users_false_configmap_secret_volumes(node: Node) -> None:
    """common/node/security_context.go "should mount all volumes with proper
    permissions with hostUsers=false [LinuxOnly]": configMap (3 keys), secret (3 keys),
    downwardAPI (name) and projected (downwardAPI + the secret) volumes; every file's
    group is 0 (root inside the pod's user namespace): one ``=0`` line per file."""
    name = f"userns-volumes-test-{uuid.uuid4().hex[:8]}"
    data = ["--from-literal=data-1=value-1", "--from-literal=data-2=value-2"]
    data.append("--from-literal=data-3=value-3")
    node.kubectl("create", "configmap", name, *data)
    node.kubectl("create", "secret", "generic", name, *data)
    downward = {
        "items": [{"path": "name", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}]
    }
    pod = f"pod-userns-volumes-{uuid.uuid4().hex[:8]}"
    mounts = [
        {"name": n, "mountPath": f"/vol/{n}/"} for n in ("cfg", "secret", "downward", "projected")
    ]
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": pod},
        "spec": spec(
            container(
                ["sh", "-c", "stat -c='%g' $(find /vol/ -type f)"],
                name="userns-file-permissions",
                volumeMounts=mounts,
            ),
            hostUsers=False,
            volumes=[
                {"name": "cfg", "configMap": {"name": name}},
                {"name": "secret", "secret": {"secretName": name}},
                {"name": "downward", "downwardAPI": downward},
                {
                    "name": "projected",
                    "projected": {
                        "sources": [{"downwardAPI": downward}, {"secret": {"name": name}}]
                    },
                },
            ],
        ),
    }
    node.kubectl("create", "-f", "-", stdin=json.dumps(body))
    try:
        deadline = time.monotonic() + 90
        phase = ""
        while time.monotonic() < deadline and phase not in ("Succeeded", "Failed"):
            phase = node.kubectl(
                "get", "pod", pod, "-o", "jsonpath={.status.phase}", check=False
            ).stdout
            time.sleep(0.5)
        assert phase == "Succeeded", node.kubectl("describe", "pod", pod, check=False).stdout
        log = node.kubectl("logs", pod).stdout
        assert log == "=0\n" * (3 + 3 + 1 + 3 + 1), log
    finally:
        node.delete(pod)
        node.kubectl("delete", "configmap", name, check=False)
        node.kubectl("delete", "secret", name, check=False)


def test_user_namespace_pod_is_admitted_by_restricted(node: Node) -> None:
    """common/node/security_context.go "User Namespaces for Pod Security Standards
    [LinuxOnly] with UserNamespacesSupport and UserNamespacesPodSecurityStandards
    enabled should allow pod": in a ``restricted`` namespace, a ``hostUsers: false``
    pod without runAsNonRoot is admitted (policy v1.35 skips the non-root checks for
    user namespaces). The admission half; the user namespace itself is proven by
    ``test_host_users_false_creates_a_user_namespace``."""
    ns = f"userns-pss-{uuid.uuid4().hex[:6]}"
    node.kubectl("create", "namespace", ns)
    node.kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted")
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "userns-pss", "namespace": ns},
        "spec": spec(
            container(
                ["whoami"],
                sc={
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
            ),
            pod_sc={},
            hostUsers=False,
        ),
    }
    try:
        out = node.kubectl("create", "-f", "-", stdin=json.dumps(pod), check=False)
        assert (out.returncode, out.stdout, out.stderr) == (0, "pod/userns-pss created\n", "")
        root = json.loads(json.dumps(pod))
        root["metadata"]["name"] = "rooted"
        root["spec"]["hostUsers"] = True
        refused = node.kubectl("create", "-f", "-", stdin=json.dumps(root), check=False)
        assert refused.returncode == 1
        assert 'violates PodSecurity "restricted:latest": runAsNonRoot != true' in refused.stderr, (
            refused.stderr
        )
    finally:
        node.kubectl(
            "delete", "pods", "--all", "-n", ns, "--grace-period=0", "--wait=true", check=False
        )
        node.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def test_host_users_true_keeps_the_host_user_namespace(batch: Batch) -> None:
    """common/node/security_context.go "must not create the user namespace if set to
    true [LinuxOnly]": ``0 0 4294967295``."""
    assert _uid_map(batch.log("userns-host", "userns-test")) == ["0", "0", "4294967295"]


# ================================================================ host namespaces


def test_host_pid(batch: Batch) -> None:
    """e2e_node/security_context_test.go "when creating a pod in the host PID namespace
    should show its pid in the host PID namespace [NodeFeature:HostAccess]" and "should
    not show its pid in the non-hostpid containers" (a host process instead of nginx)."""
    pid = batch.host.pid
    assert batch.log("hostpid-true") == f"found-{pid}\n"
    assert batch.log("hostpid-false") == ""


def test_host_ipc(batch: Batch) -> None:
    """e2e_node/security_context_test.go "when creating a pod in the host IPC namespace
    should show the shared memory ID in the host IPC containers" and "should not show
    the shared memory ID in the non-hostIPC containers" (a segment made on the host as ``ipcmk -M`` does)."""
    assert str(batch.host.shm_id) in batch.log("hostipc-true").split()
    assert batch.log("hostipc-false") == ""


def test_host_network(batch: Batch) -> None:
    """e2e_node/security_context_test.go "when creating a pod in the host network
    namespace should listen on same port in the host network containers" and
    "shouldn't show the same port in the non-hostnetwork containers"; the host's
    hostname and network interfaces only with hostNetwork (else only ``lo``)."""
    port = f":{batch.host.port} "
    on_host, isolated = batch.log("hostnetwork-true"), batch.log("hostnetwork-false")
    assert port in on_host, on_host
    assert port not in isolated, isolated
    assert on_host.splitlines()[-1] == batch.host.hostname
    assert isolated.splitlines()[-1] == batch.names["hostnetwork-false"]
    assert on_host.splitlines()[-2] == "ifaces " + " ".join(_host_interfaces())
    assert isolated.splitlines()[-2] == "ifaces lo"


def _host_interfaces() -> list[str]:
    lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    return sorted(line.split(":")[0].strip() for line in lines)


def test_share_process_namespace(batch: Batch) -> None:
    """shareProcessNamespace: a container sees its sibling's processes (and the pause
    process as pid 1); without it, only its own."""
    shared = batch.exec("share-process-namespace", "ps", "-o", "pid,args", container_name="looker")
    own = batch.exec("separate-process-namespaces", "ps", "-o", "pid,args", container_name="looker")
    assert shared.count("sleep 3600") == 2, shared
    assert own.count("sleep 3600") == 1, own
    assert re.search(r"^\s*1 sleep 3600$", own, re.M), own
    assert not re.search(r"^\s*1 sleep 3600$", shared, re.M), shared
