"""Pause-less sandboxes: which pods need a pause process, what gets pinned, how a
container's spec joins the pins, and the sysctls the sandbox sets either way.

Role: table tests of ``sandbox_spec.needs_infra`` / ``pinned_kinds`` /
``sandbox_sysctl_values`` and ``pinns.join_pinned`` / ``pin_paths`` (pure, no root).
Callers: pytest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seclet.runtime.runc.pinns import join_pinned, pin_paths
from seclet.runtime.runc.sandbox_spec import needs_infra, pinned_kinds, sandbox_sysctl_values
from seclet.securitycontext.namespaces import CONTAINER, NODE, POD, NamespaceOptions


@pytest.mark.parametrize(
    ("ns", "privileged", "pids", "reason"),
    [
        (NamespaceOptions(), False, -1, ""),
        (NamespaceOptions(pid=NODE), False, 0, ""),
        (NamespaceOptions(network=NODE, ipc=NODE), False, -1, ""),
        (NamespaceOptions(pid=POD), False, -1, "shared PID namespace"),
        (NamespaceOptions(userns=POD), False, -1, "user namespace"),
        (NamespaceOptions(), True, -1, "privileged container"),
        (NamespaceOptions(), False, 100, "pod pids limit"),
    ],
)
def test_needs_infra(ns: NamespaceOptions, privileged: bool, pids: int, reason: str) -> None:
    assert needs_infra(ns, privileged=privileged, pod_pids_limit=pids) == reason


@pytest.mark.parametrize(
    ("ns", "kinds"),
    [
        (NamespaceOptions(), ("network", "uts", "ipc")),
        (NamespaceOptions(pid=NODE), ("network", "uts", "ipc")),
        (NamespaceOptions(network=NODE), ("ipc",)),
        (NamespaceOptions(ipc=NODE), ("network", "uts")),
        (NamespaceOptions(network=NODE, ipc=NODE, pid=CONTAINER), ()),
    ],
)
def test_pinned_kinds(ns: NamespaceOptions, kinds: tuple[str, ...]) -> None:
    assert pinned_kinds(ns) == kinds


def test_pin_paths_are_named_as_in_proc() -> None:
    assert pin_paths(Path("/s/abc"), ("network", "uts", "ipc")) == {
        "network": "/s/abc/ns/net",
        "uts": "/s/abc/ns/uts",
        "ipc": "/s/abc/ns/ipc",
    }


def test_join_pinned_replaces_fresh_namespaces_and_drops_the_hostname() -> None:
    spec: dict[str, Any] = {
        "hostname": "pod",
        "linux": {
            "namespaces": [
                {"type": "pid"},
                {"type": "network"},
                {"type": "ipc"},
                {"type": "uts"},
                {"type": "mount"},
            ]
        },
    }
    join_pinned(spec, {"network": "/p/net", "uts": "/p/uts", "ipc": "/p/ipc"})
    assert spec == {
        "linux": {
            "namespaces": [
                {"type": "pid"},
                {"type": "network", "path": "/p/net"},
                {"type": "ipc", "path": "/p/ipc"},
                {"type": "uts", "path": "/p/uts"},
                {"type": "mount"},
            ]
        }
    }


def test_join_pinned_ipc_only_keeps_the_hostname_and_adds_a_missing_entry() -> None:
    spec: dict[str, Any] = {"hostname": "h", "linux": {"namespaces": [{"type": "mount"}]}}
    join_pinned(spec, {"ipc": "/p/ipc"})
    assert spec == {
        "hostname": "h",
        "linux": {"namespaces": [{"type": "mount"}, {"type": "ipc", "path": "/p/ipc"}]},
    }


@pytest.mark.parametrize(
    ("pod", "ns", "want"),
    [
        (
            {},
            NamespaceOptions(),
            {
                "net.ipv4.ip_unprivileged_port_start": "0",
                "net.ipv4.ping_group_range": "0 2147483647",
            },
        ),
        (
            {"net.ipv4.ip_unprivileged_port_start": "1024"},
            NamespaceOptions(),
            {
                "net.ipv4.ip_unprivileged_port_start": "1024",
                "net.ipv4.ping_group_range": "0 2147483647",
            },
        ),
        ({}, NamespaceOptions(userns=POD), {"net.ipv4.ip_unprivileged_port_start": "0"}),
        (
            {"kernel.shm_rmid_forced": "1"},
            NamespaceOptions(network=NODE),
            {"kernel.shm_rmid_forced": "1"},
        ),
    ],
)
def test_sandbox_sysctl_values(
    pod: dict[str, str], ns: NamespaceOptions, want: dict[str, str]
) -> None:
    assert sandbox_sysctl_values(pod, ns) == want
