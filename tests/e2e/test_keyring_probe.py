"""The keyctl escape probe: the kernel keyring is out of reach under RuntimeDefault.

Role: issue #5's probe list names ``keyctl`` under RuntimeDefault seccomp; busybox has
no keyctl applet, so a tiny static C probe (built with gcc, as the nonewprivs image
is) calls ``add_key(2)`` and ``keyctl(KEYCTL_JOIN_SESSION_KEYRING)`` and prints what
the kernel answered. containerd's RuntimeDefault profile (like upstream's
seccomp-default.json) does not allow ``add_key``, ``keyctl`` or ``request_key``, so
both fail with EPERM; the same probe unconfined succeeds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from e2e.node import Node
from registry import LocalRegistry, build_tool

pytestmark = pytest.mark.e2e

IMAGE = "seclet-tests/keyring-probe:1.0"
PROBE_C = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    long key = syscall(SYS_add_key, "user", "seclet-probe", "v", 1, -2 /* process keyring */);
    printf("add_key: %s\n", key < 0 ? strerror(errno) : "ok");
    long ring = syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, 0);
    printf("keyctl: %s\n", ring < 0 ? strerror(errno) : "ok");
    return 0;
}
"""


def _build_and_push(registry: LocalRegistry, work: Path) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        message = "gcc is needed to build the keyring probe"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    (work / "probe.c").write_text(PROBE_C)
    subprocess.run(
        [gcc, "-static", "-O2", "-o", str(work / "probe"), str(work / "probe.c")], check=True
    )
    tool = build_tool()
    entry = cast(Callable[..., Any], tool.FileEntry)
    layer = (entry("probe", data=(work / "probe").read_bytes(), mode=0o755),)
    base = cast(Callable[[], tuple[Any, ...]], tool.busybox_layer)()
    image = cast(Callable[..., Any], tool.StandInImage)(
        f"docker.io/{IMAGE}",
        IMAGE.split(":", maxsplit=1)[0],
        IMAGE.split(":")[1],
        (base, layer),
        json.dumps({"Entrypoint": ["/probe"]}),
    )
    policy = cast(Callable[[Path], Path], tool.write_policy)(work / "policy.json")
    layout = work / "layout"
    cast(Callable[[Any, Path], str], tool.write_oci_layout)(image, layout)
    cast(Callable[[Any, Path, str, Path], None], tool.push)(image, layout, registry.netloc, policy)


def _run(node: Node, name: str, seccomp: str) -> str:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "probe",
                    "image": IMAGE,
                    "securityContext": {"seccompProfile": {"type": seccomp}},
                }
            ],
        },
    }
    node.kubectl("apply", "-f", "-", stdin=json.dumps(pod))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        phase = node.kubectl(
            "get", "pod", name, "-o", "jsonpath={.status.phase}", check=False
        ).stdout
        if phase in ("Succeeded", "Failed"):
            break
        time.sleep(0.2)
    try:
        return node.kubectl("logs", name).stdout
    finally:
        node.delete(name)


def test_keyctl_is_refused_under_runtime_default(
    node: Node, registry: LocalRegistry, tmp_path: Path
) -> None:
    _build_and_push(registry, tmp_path)
    run = uuid.uuid4().hex[:6]
    assert _run(node, f"keyring-default-{run}", "RuntimeDefault") == (
        "add_key: Operation not permitted\nkeyctl: Operation not permitted\n"
    )
    assert _run(node, f"keyring-unconfined-{run}", "Unconfined") == "add_key: ok\nkeyctl: ok\n"
