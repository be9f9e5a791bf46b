"""fsGroup ownership: pure decisions and the walk on a temp dir. Callers: pytest."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from seclet.api import models
from seclet.kubelet.ownership import (
    change_ownership,
    new_mode,
    requires_permission_change,
    should_walk,
)
from seclet.kubelet.volumes import VolumePlan, set_up, shifted_ids

ROOT = os.geteuid() == 0


def test_new_mode_files_dirs_symlinks() -> None:
    assert new_mode(stat.S_IFREG | 0o644, read_only=False) == 0o664
    assert new_mode(stat.S_IFREG | 0o600, read_only=True) == 0o640
    assert new_mode(stat.S_IFDIR | 0o755, read_only=False) == 0o2775
    assert new_mode(stat.S_IFDIR | 0o700, read_only=True) == 0o2750
    assert new_mode(stat.S_IFLNK | 0o777, read_only=False) is None


def _stat(tmp: Path, mode: int) -> os.stat_result:
    tmp.chmod(mode)
    return tmp.stat()


def test_requires_permission_change(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    gid = d.stat().st_gid
    assert requires_permission_change(None, gid, False)
    assert requires_permission_change(_stat(d, 0o770), gid, False)  # no setgid
    assert not requires_permission_change(_stat(d, 0o2770), gid, False)
    assert requires_permission_change(_stat(d, 0o2750), gid, False)
    assert not requires_permission_change(_stat(d, 0o2550), gid, True)
    assert requires_permission_change(_stat(d, 0o2770), gid + 1, False)
    f = tmp_path / "f"
    f.touch()
    f.chmod(0o2770)
    assert requires_permission_change(f.stat(), gid, False)


def test_should_walk() -> None:
    assert not should_walk(None, None, False, None)
    assert should_walk(1000, None, False, None)
    assert should_walk(1000, "Always", False, None)
    assert should_walk(1000, "OnRootMismatch", False, None)


@pytest.mark.skipif(not ROOT, reason="chown to another group needs root")
def test_walk_post_order_no_symlink_follow(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    (vol / "sub").mkdir(parents=True)
    (vol / "sub" / "file").write_text("x")
    (vol / "sub" / "file").chmod(0o600)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("y")
    (outside / "secret").chmod(0o600)
    (vol / "link").symlink_to(outside)
    vol.chmod(0o755)
    changes = change_ownership(str(vol), 2000)
    paths = [Path(c.path).name for c in changes]
    assert paths[-1] == "vol"  # the root last
    assert paths.index("file") < paths.index("sub")
    assert "secret" not in paths
    assert (vol / "sub" / "file").stat().st_gid == 2000
    assert stat.S_IMODE((vol / "sub" / "file").stat().st_mode) == 0o660
    assert stat.S_IMODE((vol / "sub").stat().st_mode) == 0o2775
    assert stat.S_IMODE(vol.stat().st_mode) == 0o2775
    assert os.lstat(vol / "link").st_gid == 2000  # lchown on the link itself
    assert (outside / "secret").stat().st_gid != 2000
    assert stat.S_IMODE((outside / "secret").stat().st_mode) == 0o600
    assert stat.S_IMODE(outside.stat().st_mode) != 0o2775


@pytest.mark.skipif(not ROOT, reason="chown to another group needs root")
def test_on_root_mismatch_skips_when_root_is_right(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "f").write_text("x")
    (vol / "f").chmod(0o600)
    os.chown(vol, -1, 2000)
    vol.chmod(0o2770)
    assert change_ownership(str(vol), 2000, "OnRootMismatch") == []
    assert stat.S_IMODE((vol / "f").stat().st_mode) == 0o600
    vol.chmod(0o770)  # setgid missing: the walk runs
    assert change_ownership(str(vol), 2000, "OnRootMismatch")
    assert stat.S_IMODE((vol / "f").stat().st_mode) == 0o660


def test_user_namespaced_volumes_are_shifted_into_the_pods_range(tmp_path: Path) -> None:
    """hostUsers: false without idmapped mounts: the emptyDir belongs to the pod's root
    and the fsGroup walk uses fsGroup in host terms, so inside the pod they read as
    root and the fsGroup (host 65536+200 is the pod's 200)."""
    assert shifted_ids(200, None) == (None, 200)
    assert shifted_ids(200, 65536) == (65536, 65536 + 200)
    assert shifted_ids(None, 131072) == (131072, None)
    assert shifted_ids(70000, 65536) == (65536, 70000)  # not mappable: left unshifted
    plan = VolumePlan(name="v", kind="emptyDir", host_path=str(tmp_path / "v"))
    pod = models.Pod(spec=models.PodSpec(securityContext=models.PodSecurityContext(fsGroup=200)))
    asyncio.run(set_up((plan,), pod, 65536))
    st = (tmp_path / "v").stat()
    assert (st.st_uid, st.st_gid) == (65536, 65736)
    assert stat.S_IMODE(st.st_mode) == 0o2777
