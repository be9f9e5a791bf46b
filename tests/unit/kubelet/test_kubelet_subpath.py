"""subPath resolution: never through a symlink out of the volume, upstream's errors,
directories created with the volume's mode, bind mounts cleaned. Bind mounts need
root. Callers: pytest."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from seclet.kubelet.volume import subpath
from seclet.kubelet.volume.mounts import mounts_under, parse_mount_points
from seclet.kubelet.volume.subpath import (
    SubPathError,
    check_subpath,
    expand_subpath_expr,
    path_within_base,
    safe_make_dir,
)

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="bind mounts need root")


def test_subpath_expr_expansion_and_missing_values() -> None:
    env = {"POD": "p1", "NS": "ns", "EMPTY": ""}
    assert expand_subpath_expr("$(NS)/$(POD)", env) == "ns/p1"
    assert expand_subpath_expr("$$(POD)", env) == "$(POD)"
    with pytest.raises(SubPathError) as e:
        expand_subpath_expr("$(ZED)/$(EMPTY)/$(A)", env)
    assert str(e.value) == "missing value for A, EMPTY, ZED"


def test_subpath_checks_as_makemounts() -> None:
    with pytest.raises(SubPathError) as e:
        check_subpath("/etc")
    assert str(e.value) == "error SubPath `/etc` must not be an absolute path"
    with pytest.raises(SubPathError) as e:
        check_subpath("a/../../b")
    assert str(e.value) == "unable to provision SubPath `a/../../b`: must not contain '..'"
    check_subpath("a/..b/c")


def test_path_within_base() -> None:
    assert path_within_base("/v/a", "/v")
    assert path_within_base("/v", "/v")
    assert not path_within_base("/vx", "/v")
    assert not path_within_base("/v/../etc", "/v")


def test_parse_mount_points_unescapes() -> None:
    text = "36 35 98:0 /mnt1 /mnt\\040with\\040space rw - ext3 /dev/root rw\n"
    assert parse_mount_points(text) == ["/mnt with space"]


def test_safe_make_dir_keeps_mode_and_refuses_escape(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    safe_make_dir("a/b", str(vol), 0o2777)
    for d in (vol / "a", vol / "a/b"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o2777
    (vol / "link").symlink_to(outside)
    with pytest.raises(OSError, match="outside of allowed base"):
        safe_make_dir("link/new", str(vol), 0o755)
    assert not (outside / "new").exists()


@pytest.fixture
def pod_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "pod"
    d.mkdir()
    yield d
    subpath.clean_subpaths(str(d))


def _prepare(pod_dir: Path, vol: Path, sub: str, index: int = 0) -> str:
    return subpath.prepare(
        sub_path=sub,
        volume_path=str(vol),
        pod_dir=str(pod_dir),
        volume="v",
        container="c",
        index=index,
    )


@needs_root
def test_symlink_out_of_the_volume_is_refused(tmp_path: Path, pod_dir: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "escape").symlink_to("/etc")
    (vol / "rel").symlink_to("../../..")
    for sub in ("escape", "rel", "escape/passwd"):
        with pytest.raises(SubPathError) as e:
            _prepare(pod_dir, vol, sub)
        assert str(e.value) == 'failed to prepare subPath for volumeMount "v" of container "c"'
    assert mounts_under(str(pod_dir)) == []


@needs_root
def test_symlink_inside_the_volume_is_followed(tmp_path: Path, pod_dir: Path) -> None:
    vol = tmp_path / "vol"
    (vol / "real").mkdir(parents=True)
    (vol / "real/f").write_text("hi")
    (vol / "inside").symlink_to("real")
    target = _prepare(pod_dir, vol, "inside", 3)
    assert target == str(pod_dir / "volume-subpaths/v/c/3")
    assert mounts_under(str(pod_dir)) == [target]
    assert (Path(target) / "f").read_text() == "hi"
    # a second start of the container reuses the mount
    assert _prepare(pod_dir, vol, "inside", 3) == target
    assert mounts_under(str(pod_dir)) == [target]
    assert subpath.clean_subpaths(str(pod_dir)) == []
    assert not (pod_dir / "volume-subpaths").exists()
    assert (vol / "real/f").read_text() == "hi"


@needs_root
def test_missing_subpath_is_created_with_the_volume_mode(tmp_path: Path, pod_dir: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    vol.chmod(0o2777)
    target = _prepare(pod_dir, vol, "new/dir")
    assert stat.S_IMODE((vol / "new/dir").stat().st_mode) == 0o2777
    assert os.path.samestat(Path(target).stat(), (vol / "new/dir").stat())


@needs_root
def test_file_subpath_is_bound_on_a_file(tmp_path: Path, pod_dir: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "conf").write_text("x=1")
    target = _prepare(pod_dir, vol, "conf", 1)
    assert Path(target).read_text() == "x=1"


@needs_root
def test_dangling_symlink_cannot_be_created_through(tmp_path: Path, pod_dir: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "dangling").symlink_to(tmp_path / "outside-new")
    with pytest.raises(SubPathError) as e:
        _prepare(pod_dir, vol, "dangling")
    assert str(e.value) == 'failed to create subPath directory for volumeMount "v" of container "c"'
    assert not (tmp_path / "outside-new").exists()
