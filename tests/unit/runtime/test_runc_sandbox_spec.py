"""The pause container's spec: namespaces per host mode, userns, sysctls, seccomp.

Role: table tests of ``sandbox_spec.build_sandbox_spec`` (pure, no root).
Callers: pytest.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from seclet.api import models
from seclet.host.facts import NodeFacts
from seclet.runtime.runc.sandbox_spec import (
    SandboxSpecInputs,
    build_sandbox_spec,
    has_privileged_container,
)
from seclet.securitycontext.namespaces import CONTAINER, NODE, POD, NamespaceOptions


def _spec(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sandbox_id": "abc",
        "name": "pod",
        "namespace": "default",
        "uid": "u1",
        "hostname": "pod",
        "namespaces": NamespaceOptions(),
        "catatonit": "/usr/bin/catatonit",
        "shm_source": "/var/lib/seclet/sandboxes/abc/shm",
    }
    base.update(kw)
    return build_sandbox_spec(SandboxSpecInputs(**base))


def _ns(spec: dict[str, Any]) -> list[str]:
    return [n["type"] for n in spec["linux"]["namespaces"]]


def test_default_sandbox() -> None:
    spec = _spec()
    assert spec["process"]["args"] == ["/catatonit", "-P"]
    assert spec["process"]["noNewPrivileges"] is True
    assert spec["process"]["user"] == {"uid": 0, "gid": 0, "additionalGids": [0]}
    assert spec["hostname"] == "pod"
    assert _ns(spec) == ["pid", "ipc", "uts", "mount", "network"]
    assert spec["root"] == {"path": "rootfs", "readonly": True}
    assert spec["linux"]["cgroupsPath"] == "/k8s.io/abc"
    assert spec["linux"]["resources"]["cpu"] == {"shares": 2}
    assert "seccomp" not in spec["linux"]
    # containerd 2: enable_unprivileged_ports and enable_unprivileged_icmp
    assert spec["linux"]["sysctl"] == {
        "net.ipv4.ip_unprivileged_port_start": "0",
        "net.ipv4.ping_group_range": "0 2147483647",
    }
    destinations = [m["destination"] for m in spec["mounts"]]
    assert "/run" not in destinations
    assert destinations.count("/dev/shm") == 1
    shm = next(m for m in spec["mounts"] if m["destination"] == "/dev/shm")
    assert shm["type"] == "bind"
    assert shm["options"] == ["rbind", "ro", "nosuid", "nodev", "noexec"]
    pause = next(m for m in spec["mounts"] if m["destination"] == "/catatonit")
    assert pause["source"] == "/usr/bin/catatonit"
    assert spec["annotations"]["io.kubernetes.cri.container-type"] == "sandbox"
    assert spec["process"]["oomScoreAdj"] == 0  # -998 raised to the reference node's floor


def test_sandbox_oom_score_adj_without_a_floor() -> None:
    """containerd's defaultSandboxOOMAdj where the daemon may lower it."""
    free = replace(NodeFacts.reference(), oom_score_adj_floor=None)
    assert _spec(node=free)["process"]["oomScoreAdj"] == -998
    raised = replace(NodeFacts.reference(), oom_score_adj_floor=-500)
    assert _spec(node=raised)["process"]["oomScoreAdj"] == -500


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (NamespaceOptions(network=NODE), ["pid", "ipc", "mount"]),
        (NamespaceOptions(pid=NODE), ["ipc", "uts", "mount", "network"]),
        (NamespaceOptions(ipc=NODE), ["pid", "uts", "mount", "network"]),
        (NamespaceOptions(pid=POD), ["pid", "ipc", "uts", "mount", "network"]),
        (
            NamespaceOptions(pid=CONTAINER, userns=POD),
            ["pid", "ipc", "uts", "mount", "network", "user"],
        ),
    ],
)
def test_namespaces(options: NamespaceOptions, expected: list[str]) -> None:
    spec = _spec(namespaces=options)
    assert _ns(spec) == expected
    assert ("hostname" in spec) == (options.network != NODE)


def test_host_network_sandbox_gets_no_unprivileged_net_sysctls() -> None:
    """The defaults apply only to a network namespace of the pod's own."""
    assert "sysctl" not in _spec(namespaces=NamespaceOptions(network=NODE))["linux"]
    userns = _spec(namespaces=NamespaceOptions(userns=POD))["linux"]["sysctl"]
    assert userns == {"net.ipv4.ip_unprivileged_port_start": "0"}


def test_user_namespace_mapping_and_user() -> None:
    spec = _spec(
        namespaces=NamespaceOptions(userns=POD),
        userns_host_id=65536 * 3,
        run_as_user=1000,
        run_as_group=3000,
    )
    mapping = [{"containerID": 0, "hostID": 196608, "size": 65536}]
    assert spec["linux"]["uidMappings"] == mapping
    assert spec["linux"]["gidMappings"] == mapping
    assert spec["process"]["user"] == {"uid": 1000, "gid": 3000, "additionalGids": [3000]}


def test_sysctls_cgroup_parent_and_seccomp() -> None:
    spec = _spec(
        sysctls={
            "net.ipv4.ip_local_port_range": "32768 60999",
            "kernel.shm_rmid_forced": "1",
            "net.ipv4.ping_group_range": "1 0",
        },
        cgroup_parent="/kubepods/besteffort/podu1",
        runtime_default_seccomp=True,
    )
    assert spec["linux"]["sysctl"] == {  # the pod's own values win
        "net.ipv4.ip_local_port_range": "32768 60999",
        "kernel.shm_rmid_forced": "1",
        "net.ipv4.ping_group_range": "1 0",
        "net.ipv4.ip_unprivileged_port_start": "0",
    }
    assert spec["linux"]["cgroupsPath"] == "/kubepods/besteffort/podu1/abc"
    assert spec["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"


def test_privileged_pod_gets_a_writable_sysfs_in_its_sandbox() -> None:
    """containerd 2 (PR 11271): sysfs belongs to the network namespace the pause
    container mounts it in first, so a privileged pod's pause mounts it read-write."""

    def sysfs(spec: dict[str, Any]) -> list[str]:
        return next(m["options"] for m in spec["mounts"] if m["type"] == "sysfs")

    assert sysfs(_spec()) == ["nosuid", "noexec", "nodev", "ro"]
    assert sysfs(_spec(privileged=True)) == ["nosuid", "noexec", "nodev", "rw"]


def test_has_privileged_container_looks_at_every_kind_of_container() -> None:
    priv = models.SecurityContext(privileged=True)
    plain = models.Container(name="a")
    unpriv = plain._replace(securityContext=models.SecurityContext(privileged=False))
    init = models.Container(name="i", securityContext=priv)
    ephemeral = models.EphemeralContainer(name="e", securityContext=priv)
    cases = [
        (models.PodSpec(containers=(plain,)), False),
        (models.PodSpec(containers=(unpriv,)), False),
        (models.PodSpec(containers=(plain._replace(securityContext=priv),)), True),
        (models.PodSpec(containers=(plain,), initContainers=(init,)), True),
        (models.PodSpec(containers=(plain,), ephemeralContainers=(ephemeral,)), True),
    ]
    for spec, want in cases:
        assert has_privileged_container(models.Pod(spec=spec)) is want, spec
