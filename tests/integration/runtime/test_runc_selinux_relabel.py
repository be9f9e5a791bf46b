"""SELinux relabelling and MCS pairs on the real filesystem and through ``RuncRuntime``.

Role: this node has no SELinux, but ext4 and tmpfs store ``security.selinux`` for
root without the LSM, so the relabel shell (``selinux_relabel.relabel``) runs for
real on a temporary tree: every file and directory gets the label, symlinks are
labelled themselves and never followed, a protected path is refused before any
write. Then a runtime with ``NodeFacts.selinux_enabled`` forced on (a frozen value
passed in; runc never runs: pods are pinned, containers only created) gives each pod
its own MCS pair, shares it with the pod's containers, relabels a
``selinux_relabel`` mount and the sandbox files with the container's mount label,
refuses ``/etc`` with containerd's exact error, fails on a ramfs (ENOTSUP: containerd's
``err != ENOTSUP`` never matches go-selinux's wrapped error), runs a privileged
container unlabelled with its pair kept, keeps the pairs of adopted pods, and the
same runtime with SELinux off writes no xattr at all.
Callers: pytest (root; skipped with the reason otherwise).
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.runtime.conftest import Env
from integration.runtime.podkit import container_config, run, sandbox_config, simple_pod
from seclet.cri.errors import CRIError
from seclet.cri.types import Mount
from seclet.runtime.runc import mcs, records
from seclet.runtime.runc.selinux_relabel import XATTR_NAME, RelabelError, relabel
from seclet.runtime.runc.service import RuncRuntime

LABEL = "system_u:object_r:container_file_t:s0:c4,c9"
LEVEL_RE = re.compile(r"^s0:c(\d+),c(\d+)$")


def _xattr(path: Path | str) -> bytes | None:
    try:
        return os.getxattr(path, XATTR_NAME, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.ENODATA:
            return None
        raise


def _require_xattrs(directory: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: security.* xattrs need CAP_SYS_ADMIN")
    probe = directory / ".probe"
    probe.touch()
    try:
        os.setxattr(probe, XATTR_NAME, b"system_u:object_r:tmp_t:s0", follow_symlinks=False)
    except OSError as exc:
        pytest.skip(f"this filesystem does not store {XATTR_NAME}: {exc}")
    finally:
        probe.unlink()


def _tree(root: Path, outside: Path) -> list[Path]:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "file").write_text("x")
    (root / "top").write_text("y")
    (root / "empty").mkdir()
    (root / "a" / "link-out").symlink_to(outside)
    (root / "rel-link").symlink_to("top")
    return [
        root / "a",
        root / "a" / "b",
        root / "a" / "b" / "file",
        root / "top",
        root / "empty",
        root / "a" / "link-out",
        root / "rel-link",
        root,
    ]


def test_relabel_writes_every_entry_and_follows_no_symlink(tmp_path: Path) -> None:
    _require_xattrs(tmp_path)
    outside = tmp_path / "outside"
    outside.write_text("not mine")
    outside_dir = tmp_path / "outside-dir"
    outside_dir.mkdir()
    (outside_dir / "secret").write_text("not mine either")
    root = tmp_path / "vol"
    root.mkdir()
    entries = _tree(root, outside)
    (root / "dir-link").symlink_to(outside_dir)
    relabel(str(root), LABEL)
    for entry in (*entries, root / "dir-link"):
        assert _xattr(entry) == LABEL.encode(), entry
    assert _xattr(outside) is None
    assert _xattr(outside_dir) is None
    assert _xattr(outside_dir / "secret") is None
    # fast mode: the root carries the label, entries carrying it are left alone; a new
    # entry without it is labelled
    (root / "new").write_text("z")
    relabel(str(root), LABEL)
    assert _xattr(root / "new") == LABEL.encode()
    # shared: level s0
    relabel(str(root), LABEL, shared=True)
    assert _xattr(root / "a" / "b" / "file") == b"system_u:object_r:container_file_t:s0"


def test_relabel_refuses_before_writing_and_reports_a_missing_root(tmp_path: Path) -> None:
    _require_xattrs(tmp_path)
    with pytest.raises(RelabelError) as info:
        relabel("/etc/", LABEL)
    assert str(info.value) == "SELinux relabeling of /etc is not allowed"
    assert _xattr("/etc") != LABEL.encode()
    missing = tmp_path / "missing"
    with pytest.raises(RelabelError) as info:
        relabel(str(missing), LABEL)
    assert str(info.value) == f"lstat {missing}: no such file or directory"
    # an empty label is no relabel at all
    (tmp_path / "f").write_text("")
    relabel(str(tmp_path / "f"), "")
    assert _xattr(tmp_path / "f") is None


def _selinux_runtime(env: Env) -> RuncRuntime:
    node = dataclasses.replace(env.runtime.node, selinux_enabled=True)
    return RuncRuntime(env.root, env.images, node, drop_infra=True)


def test_runtime_relabels_with_the_pods_pair(env: Env, tmp_path: Path) -> None:
    _require_xattrs(tmp_path)
    runtime = _selinux_runtime(env)
    volume = tmp_path / "volume"
    volume.mkdir()
    entries = _tree(volume, tmp_path / "elsewhere")
    (tmp_path / "elsewhere").write_text("")
    untouched = tmp_path / "untouched"
    untouched.mkdir()

    async def body() -> None:
        pod = simple_pod("se-a", "uid-se-a", {"command": ["sleep", "1"]})
        other = simple_pod("se-b", "uid-se-b", {"command": ["sleep", "1"]})
        cfg = sandbox_config(pod, env.logs)
        sandbox_id = await runtime.run_pod_sandbox(cfg)
        other_id = await runtime.run_pod_sandbox(sandbox_config(other, env.logs))
        try:
            sandbox = records.load_sandbox(runtime.config, sandbox_id)
            level = mcs.level_of(sandbox.selinux_label)
            m = LEVEL_RE.match(level)
            assert m is not None and int(m.group(1)) < int(m.group(2)) < 1024, level
            assert sandbox.selinux_label == f"system_u:system_r:container_t:{level}"
            other_level = mcs.level_of(records.load_sandbox(runtime.config, other_id).selinux_label)
            assert LEVEL_RE.match(other_level) and other_level != level
            # a container with no options of its own shares the pod's pair
            req = dataclasses.replace(
                container_config(pod),
                mounts=(
                    Mount(container_path="/data", host_path=str(volume), selinux_relabel=True),
                    Mount(container_path="/keep", host_path=str(untouched)),
                ),
            )
            cid = await runtime.create_container(sandbox_id, req, cfg)
            mount_label = f"system_u:object_r:container_file_t:{level}"
            spec = json.loads((runtime.config.container_dir(cid) / "config.json").read_text())
            assert spec["process"]["selinuxLabel"] == f"system_u:system_r:container_t:{level}"
            assert spec["linux"]["mountLabel"] == mount_label
            record = records.load_container(runtime.config, cid)
            assert record.selinux_label == f"system_u:system_r:container_t:{level}"
            for entry in entries:
                assert _xattr(entry) == mount_label.encode(), entry
            assert _xattr(tmp_path / "elsewhere") is None
            assert _xattr(untouched) is None
            sandbox_dir = runtime.config.sandbox_dir(sandbox_id)
            for name in ("hostname", "hosts", "resolv.conf", "shm"):
                assert _xattr(sandbox_dir / name) == mount_label.encode(), name
            # a system path is refused with containerd's text, and nothing is left
            before = set(runtime.config.containers_dir.iterdir())
            bad = dataclasses.replace(
                container_config(pod),
                mounts=(Mount(container_path="/host-etc", host_path="/etc", selinux_relabel=True),),
            )
            with pytest.raises(CRIError) as info:
                await runtime.create_container(sandbox_id, bad, cfg)
            assert re.fullmatch(
                r'failed to generate container "[0-9a-f]{64}" spec: failed to generate spec: '
                + re.escape(
                    f'relabel "/etc" with "{mount_label}" failed: '
                    "SELinux relabeling of /etc is not allowed"
                ),
                str(info.value),
            ), str(info.value)
            assert set(runtime.config.containers_dir.iterdir()) == before
            assert runtime.mcs.pending == set()
            # adopted after a restart: the pairs stay reserved
            adopted = _selinux_runtime(env)
            in_use = mcs.levels_in_use(mcs.recorded_labels(adopted.config))
            assert {level, other_level} <= in_use
        finally:
            await runtime.remove_pod_sandbox(sandbox_id)
            await runtime.remove_pod_sandbox(other_id)
        # removed: released
        assert level not in mcs.levels_in_use(mcs.recorded_labels(runtime.config))

    run(body())


def test_options_without_level_get_a_pair_of_their_own(env: Env) -> None:
    runtime = _selinux_runtime(env)

    async def body() -> None:
        pod = simple_pod(
            "se-opts",
            "uid-se-opts",
            {"command": ["sleep", "1"]},
            securityContext={"seLinuxOptions": {"type": "spc_t"}},
        )
        cfg = sandbox_config(pod, env.logs)
        sandbox_id = await runtime.run_pod_sandbox(cfg)
        try:
            sandbox_label = records.load_sandbox(runtime.config, sandbox_id).selinux_label
            assert re.fullmatch(r"system_u:system_r:spc_t:s0:c\d+,c\d+", sandbox_label)
            cid = await runtime.create_container(sandbox_id, container_config(pod), cfg)
            label = records.load_container(runtime.config, cid).selinux_label
            assert re.fullmatch(r"system_u:system_r:spc_t:s0:c\d+,c\d+", label)
            assert mcs.level_of(label) != mcs.level_of(sandbox_label)
        finally:
            await runtime.remove_pod_sandbox(sandbox_id)

    run(body())


def test_no_selinux_no_xattr(env: Env, tmp_path: Path) -> None:
    _require_xattrs(tmp_path)
    assert env.runtime.node.selinux_enabled is False
    volume = tmp_path / "plain"
    volume.mkdir()
    (volume / "f").write_text("")

    async def body() -> None:
        pod = simple_pod("se-off", "uid-se-off", {"command": ["sleep", "1"]})
        cfg = sandbox_config(pod, env.logs)
        runtime = RuncRuntime(env.root, env.images, env.runtime.node, drop_infra=True)
        sandbox_id = await runtime.run_pod_sandbox(cfg)
        try:
            req = dataclasses.replace(
                container_config(pod),
                mounts=(
                    Mount(container_path="/data", host_path=str(volume), selinux_relabel=True),
                ),
            )
            cid = await runtime.create_container(sandbox_id, req, cfg)
            spec = json.loads((runtime.config.container_dir(cid) / "config.json").read_text())
            assert "selinuxLabel" not in spec["process"]
            assert "mountLabel" not in spec["linux"]
            assert records.load_sandbox(runtime.config, sandbox_id).selinux_label == ""
            assert _xattr(volume) is None
            assert _xattr(volume / "f") is None
            assert _xattr(runtime.config.sandbox_dir(sandbox_id) / "hosts") is None
        finally:
            await runtime.remove_pod_sandbox(sandbox_id)

    run(body())


def test_privileged_runs_unlabelled_but_keeps_its_pair(env: Env) -> None:
    runtime = _selinux_runtime(env)

    async def body() -> None:
        # the sandbox of a plain pod (pinned, no pause process to run under a label
        # this node cannot apply); the privileged container's own request
        pod = simple_pod("se-priv", "uid-se-priv", {"command": ["sleep", "1"]})
        privileged = simple_pod(
            "se-priv",
            "uid-se-priv",
            {"command": ["sleep", "1"], "securityContext": {"privileged": True}},
        )
        cfg = sandbox_config(pod, env.logs)
        sandbox_id = await runtime.run_pod_sandbox(cfg)
        try:
            level = mcs.level_of(records.load_sandbox(runtime.config, sandbox_id).selinux_label)
            cid = await runtime.create_container(sandbox_id, container_config(privileged), cfg)
            spec = json.loads((runtime.config.container_dir(cid) / "config.json").read_text())
            assert "selinuxLabel" not in spec["process"]
            assert spec["linux"]["mountLabel"] == f"system_u:object_r:container_file_t:{level}"
            record = records.load_container(runtime.config, cid)
            assert record.selinux_label == f"system_u:system_r:container_t:{level}"
        finally:
            await runtime.remove_pod_sandbox(sandbox_id)

    run(body())


@pytest.fixture
def ramfs(tmp_path: Path) -> Iterator[Path]:
    """A ramfs (no xattr support at all: lsetxattr fails with ENOTSUP)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a ramfs")
    target = tmp_path / "ramfs"
    target.mkdir()
    subprocess.run(["mount", "-t", "ramfs", "ramfs", str(target)], check=True)
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def test_enotsup_is_not_tolerated_as_containerd_compares_the_wrapped_error(
    env: Env, ramfs: Path
) -> None:
    (ramfs / "f").write_text("")
    with pytest.raises(RelabelError) as info:
        relabel(str(ramfs), LABEL)
    assert str(info.value) == f"lsetxattr(label={LABEL}) {ramfs}/f: operation not supported"
    runtime = _selinux_runtime(env)

    async def body() -> None:
        pod = simple_pod("se-ramfs", "uid-se-ramfs", {"command": ["sleep", "1"]})
        cfg = sandbox_config(pod, env.logs)
        sandbox_id = await runtime.run_pod_sandbox(cfg)
        try:
            level = mcs.level_of(records.load_sandbox(runtime.config, sandbox_id).selinux_label)
            mount_label = f"system_u:object_r:container_file_t:{level}"
            req = dataclasses.replace(
                container_config(pod),
                mounts=(Mount(container_path="/data", host_path=str(ramfs), selinux_relabel=True),),
            )
            with pytest.raises(CRIError) as info:
                await runtime.create_container(sandbox_id, req, cfg)
            assert str(info.value).endswith(
                f'failed to generate spec: relabel "{ramfs}" with "{mount_label}" failed: '
                f"lsetxattr(label={mount_label}) {ramfs}/f: operation not supported"
            ), str(info.value)
        finally:
            await runtime.remove_pod_sandbox(sandbox_id)

    run(body())
