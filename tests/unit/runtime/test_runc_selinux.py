"""The runtime's SELinux decisions: which mount sources are relabelled, refusals, labels
and MCS levels (pure parts of ``selinux_relabel`` and ``mcs``), and the pause spec.

Upstream facts checked: go-selinux v1.15.1 ``chcon``'s excluded paths and
``SELinux relabeling of %s is not allowed``; ``label.Relabel``'s shared ``s0``;
containerd's ``relabel %q with %q failed: %w`` and ``withMounts`` order; go-selinux
``uniqMcs`` (distinct, ordered, ``s0:c<a>,c<b>``, redrawn while reserved) and the
reserved ``s0:c1022,c1023``; ``DupSecOpt`` sharing of the sandbox's level.
Callers: pytest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from seclet.api import models
from seclet.cri.types import ContainerConfig, ContainerMetadata, ImageSpec, Mount
from seclet.runtime.oci.inputs import CRIMount
from seclet.runtime.runc import mcs
from seclet.runtime.runc.create_container import relabel_mounts
from seclet.runtime.runc.sandbox_spec import SandboxSpecInputs, build_sandbox_spec
from seclet.runtime.runc.selinux_relabel import (
    EXCLUDED_PATHS,
    RelabelMount,
    file_label,
    protected_paths,
    refusal,
    relabel_error,
    relabel_sources,
)
from seclet.securitycontext.namespaces import namespaces_for_pod

LABEL = "system_u:object_r:container_file_t:s0:c4,c9"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/etc", "SELinux relabeling of /etc is not allowed"),
        ("/etc/", "SELinux relabeling of /etc is not allowed"),
        ("/", "SELinux relabeling of / is not allowed"),
        ("/var/lib", "SELinux relabeling of /var/lib is not allowed"),
        ("/etc/shadow", "SELinux relabeling of /etc/shadow is not allowed"),
        ("/var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/data", None),
        ("/etc/pki/tls", None),
        # go-selinux cuts one trailing "/" and cleans nothing else
        ("/etc//", None),
        ("/var/run", None),
        ("/srv/data", None),
    ],
)
def test_refusal_is_go_selinux_chcon(path: str, expected: str | None) -> None:
    assert refusal(path) == expected


def test_excluded_paths_are_go_selinux_list() -> None:
    listed = "/ /bin /boot /dev /etc /etc/passwd /etc/pki /etc/shadow /home /lib /lib64 /media "
    listed += "/opt /proc /root /run /sbin /srv /sys /tmp /usr /var /var/lib /var/log"
    assert sorted(EXCLUDED_PATHS) == sorted(listed.split(" "))


def test_daemon_home_is_refused_too() -> None:
    protected = protected_paths(("/home/admin", ""))
    assert refusal("/home/admin", protected) == "SELinux relabeling of /home/admin is not allowed"
    assert refusal("/home/admin/data", protected) is None
    assert protected_paths(("",)) is EXCLUDED_PATHS


def test_shared_relabel_uses_s0() -> None:
    assert file_label(LABEL, shared=True) == "system_u:object_r:container_file_t:s0"
    assert file_label("system_u:object_r:container_file_t", shared=True) == (
        "system_u:object_r:container_file_t:s0"
    )
    assert file_label(LABEL, shared=False) == LABEL
    assert file_label("", shared=True) == ""


def test_relabel_error_is_containerd_wrapping() -> None:
    assert relabel_error("/etc", LABEL, "SELinux relabeling of /etc is not allowed") == (
        'relabel "/etc" with "system_u:object_r:container_file_t:s0:c4,c9" failed: '
        "SELinux relabeling of /etc is not allowed"
    )


def test_sources_follow_with_mounts_order_and_flags() -> None:
    mounts = (
        RelabelMount("/data/deep/er", "/h/deeper", True),
        RelabelMount("/data", "/h/data", True),
        RelabelMount("/skip", "/h/skip", False),
        RelabelMount("/etc/hosts", "/h/hosts", True),
        RelabelMount("/a", "/h/a", True),
    )
    assert relabel_sources(mounts, LABEL, selinux_enabled=True) == (
        "/h/data",
        "/h/a",
        "/h/hosts",
        "/h/deeper",
    )


def test_nothing_without_selinux_or_label() -> None:
    mounts = (RelabelMount("/data", "/h/data", True),)
    assert relabel_sources(mounts, LABEL, selinux_enabled=False) == ()
    assert relabel_sources(mounts, "", selinux_enabled=True) == ()


def _container_config(mounts: tuple[Mount, ...]) -> ContainerConfig:
    pod = models.Pod(spec=models.PodSpec(containers=(models.Container(name="c"),)))
    return ContainerConfig(
        metadata=ContainerMetadata(name="c"),
        image=ImageSpec(image="busybox"),
        pod=pod,
        container=models.Container(name="c"),
        mounts=mounts,
    )


def test_relabel_flags_of_kubelet_and_containerd_mounts() -> None:
    req = _container_config(
        (
            Mount(container_path="/data", host_path="/h/data", selinux_relabel=True),
            Mount(container_path="/cfg", host_path="/h/cfg", selinux_relabel=False),
        )
    )
    built = (
        CRIMount(container_path="/data", host_path="/h/data"),
        CRIMount(container_path="/cfg", host_path="/h/cfg"),
        CRIMount(container_path="/etc/hostname", host_path="/sb/hostname"),
        CRIMount(container_path="/etc/hosts", host_path="/sb/hosts"),
        CRIMount(container_path="/etc/resolv.conf", host_path="/sb/resolv.conf"),
        CRIMount(container_path="/dev/shm", host_path="/sb/shm"),
    )
    flags = [(m.host_path, m.selinux_relabel) for m in relabel_mounts(req, built)]
    assert flags == [
        ("/h/data", True),
        ("/h/cfg", False),
        ("/sb/hostname", True),
        ("/sb/hosts", True),
        ("/sb/resolv.conf", True),
        ("/sb/shm", True),
    ]
    host_ipc = (*built[:5], CRIMount(container_path="/dev/shm", host_path="/dev/shm"))
    assert relabel_mounts(req, host_ipc)[-1].selinux_relabel is False


def _draws(*values: int) -> Iterator[int]:
    yield from values


def test_draw_level_is_uniq_mcs() -> None:
    seq = _draws(7, 7, 9, 3, 5, 1, 1, 2)

    def draw(n: int) -> int:
        assert n == 1024
        return next(seq)

    # 7,7 equal: drawn again; 9,3 swapped -> s0:c3,c9 is reserved: drawn again;
    # 5,1 -> s0:c1,c5
    assert mcs.draw_level({"s0:c3,c9"}, draw) == "s0:c1,c5"


def test_levels_in_use() -> None:
    in_use = mcs.levels_in_use(
        [
            "system_u:system_r:container_t:s0:c1,c2",
            "system_u:system_r:container_t:s0",
            "system_u:system_r:container_t",
            "system_u:system_r:spc_t:s0:c5.c9",
        ]
    )
    assert in_use == {"s0:c1022,c1023", "s0:c1,c2", "s0:c5.c9"}


def test_container_level_shares_the_sandbox_pair_without_options() -> None:
    sandbox = "system_u:system_r:container_t:s0:c4,c9"
    assert mcs.container_level(None, sandbox) == "s0:c4,c9"
    assert mcs.container_level(models.SELinuxOptions(), sandbox) == "s0:c4,c9"
    # options of its own (the pod's, merged by the kubelet) without level: a fresh pair
    assert mcs.container_level(models.SELinuxOptions(type="spc_t"), sandbox) is None
    # a sandbox without a label (made before SELinux was on): a fresh pair
    assert mcs.container_level(None, "") is None


def test_apply_level_completes_both_labels() -> None:
    spec: dict[str, Any] = {
        "process": {"selinuxLabel": "system_u:system_r:container_t"},
        "linux": {"mountLabel": "system_u:object_r:container_file_t"},
    }
    mcs.apply_level(spec, "s0:c4,c9")
    assert spec["process"]["selinuxLabel"] == "system_u:system_r:container_t:s0:c4,c9"
    assert spec["linux"]["mountLabel"] == LABEL
    empty: dict[str, Any] = {"process": {}, "linux": {}}
    mcs.apply_level(empty, "s0:c4,c9")
    assert empty == {"process": {}, "linux": {}}


def test_with_level() -> None:
    assert mcs.with_level("u:r:t:s0", "s0:c1,c2") == "u:r:t:s0:c1,c2"
    assert mcs.with_level("u:r:t", "s0:c1,c2") == "u:r:t:s0:c1,c2"
    assert mcs.with_level("", "s0:c1,c2") == ""
    assert mcs.level_of("u:r:t:s0:c1,c2") == "s0:c1,c2"
    assert mcs.level_of("u:r:t") == ""


def test_pause_spec_carries_the_sandbox_labels() -> None:
    pod = models.Pod(spec=models.PodSpec(containers=(models.Container(name="c"),)))
    inputs = SandboxSpecInputs(
        sandbox_id="ab" * 32,
        name="p",
        namespace="default",
        uid="u",
        hostname="p",
        namespaces=namespaces_for_pod(pod),
        catatonit="/usr/bin/catatonit",
        shm_source="/sb/shm",
        selinux_process_label="system_u:system_r:container_t:s0:c4,c9",
        selinux_mount_label=LABEL,
    )
    spec = build_sandbox_spec(inputs)
    assert spec["process"]["selinuxLabel"] == "system_u:system_r:container_t:s0:c4,c9"
    assert spec["linux"]["mountLabel"] == LABEL
    plain = build_sandbox_spec(
        dataclasses.replace(inputs, selinux_process_label="", selinux_mount_label="")
    )
    assert "selinuxLabel" not in plain["process"]
    assert "mountLabel" not in plain["linux"]
