"""Unit tests of ``seclet.runtime.image.unpack``: hostile layers never write outside.

Role: each test builds small tar layers in memory, unpacks the first to ``<tmp>/root``
and each next one to its own directory over the ones below (as the store does), and
asserts the exact result inside the layers, merged as overlayfs shows them, and that
``<tmp>/outside`` (and the rest of ``<tmp>``) is untouched. Ownership, setuid, device
nodes and whiteouts need root (skipped else).
Callers: pytest.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from seclet.runtime.image.rootfs import resolve_in_layers
from seclet.runtime.image.unpack import (
    OVERLAY_OPAQUE_XATTR,
    Layer,
    UnpackBudget,
    UnpackError,
    UnpackLimits,
    unpack_layer,
)

DEFAULT_LIMITS = UnpackLimits()
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


@dataclass
class Entry:
    name: str
    type: bytes = tarfile.REGTYPE
    data: bytes = b""
    linkname: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: int = 1_500_000_000
    devmajor: int = 0
    devminor: int = 0
    pax: dict[str, str] = field(default_factory=dict)


def _tar(entries: list[Entry], *, compress: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type = e.type
            info.mode = e.mode
            info.uid, info.gid = e.uid, e.gid
            info.mtime = e.mtime
            info.linkname = e.linkname
            info.devmajor, info.devminor = e.devmajor, e.devminor
            info.pax_headers = dict(e.pax)
            info.size = len(e.data) if e.type == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(e.data) if e.type == tarfile.REGTYPE else None)
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw


@dataclass
class Sandbox:
    tmp: Path
    root: Path
    outside: Path
    secret: Path
    n: int = 0
    layers: list[Path] = field(default_factory=list)
    """Unpacked layer directories, nearest first."""

    def apply(self, *layers: list[Entry], limits: UnpackLimits = DEFAULT_LIMITS) -> None:
        """Unpack ``layers`` in order, as one image (one budget)."""
        budget = UnpackBudget(limits)
        for entries in layers:
            self.n += 1
            p = self.tmp / "layers" / f"layer{self.n}.tar.gz"
            p.write_bytes(_tar(entries))
            target = self.root if not self.layers else self.tmp / "uppers" / str(self.n)
            target.mkdir(parents=True, exist_ok=True)
            unpack_layer(Layer(p, f"sha256:layer{self.n}"), target, budget, parents=self.layers)
            self.layers.insert(0, target)

    def merged(self, path: str) -> Path | None:
        """The host path of ``path`` in the merged layers (symlinks followed inside)."""
        return resolve_in_layers(self.layers, path)

    def outside_snapshot(self) -> list[tuple[str, int, int]]:
        """Every path of ``<tmp>`` except the root and the layer blobs."""
        out = []
        for dirpath, dirnames, filenames in os.walk(self.tmp):
            if Path(dirpath) == self.tmp:
                dirnames.remove("root")
                dirnames.remove("layers")
                if "uppers" in dirnames:
                    dirnames.remove("uppers")
            for name in dirnames + filenames:
                st = os.lstat(Path(dirpath) / name)
                out.append((str(Path(dirpath) / name), st.st_mode, st.st_size))
        return sorted(out)

    def tree(self) -> list[str]:
        """Every path in the root, relative, directories with a trailing slash."""
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel = Path(dirpath).relative_to(self.root)
            out += [f"{rel / d}/".removeprefix("./") for d in dirnames]
            out += [str(rel / f).removeprefix("./") for f in filenames]
        return sorted(out)


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "layers").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret"
    secret.write_text("host secret\n")
    return Sandbox(tmp_path, root, outside, secret)


def test_plain_layer_files_dirs_symlinks_and_mtimes(box: Sandbox) -> None:
    box.apply(
        [
            Entry("bin/", tarfile.DIRTYPE, mode=0o755, mtime=1_400_000_000),
            Entry("bin/busybox", data=b"BB", mode=0o755, mtime=1_300_000_000),
            Entry("bin/sh", tarfile.SYMTYPE, linkname="busybox"),
            Entry("bin/ls", tarfile.LNKTYPE, linkname="bin/busybox"),
        ]
    )
    assert box.tree() == ["bin/", "bin/busybox", "bin/ls", "bin/sh"]
    assert (box.root / "bin/busybox").read_bytes() == b"BB"
    assert (box.root / "bin/sh").readlink() == Path("busybox")
    assert (box.root / "bin/ls").stat().st_ino == (box.root / "bin/busybox").stat().st_ino
    assert (box.root / "bin/busybox").stat().st_mtime == 1_300_000_000
    assert stat.S_IMODE((box.root / "bin").stat().st_mode) == 0o755
    assert (box.root / "bin").stat().st_mtime == 1_400_000_000


def test_dotdot_and_absolute_names_land_inside_the_root(box: Sandbox) -> None:
    before = box.outside_snapshot()
    box.apply(
        [
            Entry("../../outside/dotdot", data=b"a"),
            Entry("/outside/abs", data=b"b"),
            Entry("a/../../../up", data=b"c"),
            Entry("..", tarfile.DIRTYPE),
        ]
    )
    assert box.tree() == ["outside/", "outside/abs", "outside/dotdot", "up"]
    assert box.outside_snapshot() == before


def test_symlinked_parent_is_resolved_inside_the_root(box: Sandbox) -> None:
    before = box.outside_snapshot()
    box.apply(
        [
            Entry("abs", tarfile.SYMTYPE, linkname=str(box.outside)),
            Entry("rel", tarfile.SYMTYPE, linkname="../../../../outside"),
        ],
        [
            Entry("abs/pwned", data=b"x"),
            Entry("rel/pwned2", data=b"y"),
        ],
    )
    # the second layer sees only its own directory, as containerd's overlay applier:
    # its "abs" and "rel" are new directories that hide the first layer's symlinks
    upper = box.layers[0]
    assert (upper / "abs" / "pwned").read_bytes() == b"x"
    assert (upper / "rel" / "pwned2").read_bytes() == b"y"
    assert box.merged("abs/pwned") == upper / "abs" / "pwned"
    assert box.merged("rel/pwned2") == upper / "rel" / "pwned2"
    assert box.outside_snapshot() == before
    assert sorted(p.name for p in box.outside.iterdir()) == ["secret"]


def test_regular_file_replaces_a_final_symlink_instead_of_writing_through(
    box: Sandbox,
) -> None:
    before = box.outside_snapshot()
    box.apply(
        [Entry("etc/passwd", tarfile.SYMTYPE, linkname=str(box.secret))],
        [Entry("etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n")],
    )
    passwd = box.merged("etc/passwd")
    assert passwd == box.layers[0] / "etc/passwd"
    assert not passwd.is_symlink()
    assert passwd.read_text() == "root:x:0:0::/root:/bin/sh\n"
    assert box.secret.read_text() == "host secret\n"
    assert box.outside_snapshot() == before


def test_hardlink_escaping_the_root_is_refused(box: Sandbox) -> None:
    before = box.outside_snapshot()
    with pytest.raises(UnpackError) as err:
        box.apply([Entry("h", tarfile.LNKTYPE, linkname="../outside/secret")])
    assert str(err.value) == (
        "failed to extract layer sha256:layer1: h: hardlink target '../outside/secret' "
        "escapes the root"
    )
    assert box.secret.stat().st_nlink == 1
    assert box.outside_snapshot() == before


def test_hardlink_through_a_symlinked_parent_stays_inside(box: Sandbox) -> None:
    before = box.outside_snapshot()
    with pytest.raises(UnpackError) as err:
        box.apply(
            [
                Entry("l", tarfile.SYMTYPE, linkname=str(box.outside)),
                Entry("h", tarfile.LNKTYPE, linkname="l/secret"),
            ]
        )
    assert str(err.value) == (
        "failed to extract layer sha256:layer1: h: hardlink target 'l/secret' does not exist"
    )
    assert box.secret.stat().st_nlink == 1
    assert box.outside_snapshot() == before


def test_hardlink_to_a_symlink_links_the_symlink_itself(box: Sandbox) -> None:
    box.apply(
        [
            Entry("s", tarfile.SYMTYPE, linkname=str(box.secret)),
            Entry("h", tarfile.LNKTYPE, linkname="/s"),
        ]
    )
    assert (box.root / "h").readlink() == box.secret
    assert box.secret.stat().st_nlink == 1


@as_root
def test_whiteouts_become_overlay_whiteouts_that_hide_lower_entries(box: Sandbox) -> None:
    box.apply(
        [
            Entry("a/b", data=b"1"),
            Entry("a/c", data=b"2"),
            Entry("d/e", data=b"3"),
            Entry("f", data=b"4"),
        ],
        [
            Entry("a/.wh.b", uid=7, gid=8),
            Entry(".wh.d"),
            Entry(".wh.nonexistent"),
        ],
    )
    upper = box.layers[0]
    for name in ("a/b", "d", "nonexistent"):
        st = (upper / name).lstat()
        assert stat.S_ISCHR(st.st_mode)
        assert st.st_rdev == 0
    assert ((upper / "a/b").lstat().st_uid, (upper / "a/b").lstat().st_gid) == (7, 8)
    assert box.tree() == ["a/", "a/b", "a/c", "d/", "d/e", "f"]  # the lower layer is intact
    assert box.merged("a/b") is None
    assert box.merged("d/e") is None
    assert box.merged("a/c") == box.root / "a/c"
    assert box.merged("f") == box.root / "f"


@as_root
def test_implied_directories_copy_the_lower_layers_attributes(box: Sandbox) -> None:
    box.apply(
        [Entry("tmp/", tarfile.DIRTYPE, mode=0o1777, uid=5, gid=6, mtime=1_200_000_000)],
        [Entry("tmp/x", data=b"1"), Entry("new/y", data=b"2")],
    )
    tmp = (box.layers[0] / "tmp").stat()
    assert (stat.S_IMODE(tmp.st_mode), tmp.st_uid, tmp.st_gid) == (0o1777, 5, 6)
    assert tmp.st_atime == 1_200_000_000  # writing tmp/x moved its mtime, as in containerd
    new = (box.layers[0] / "new").stat()
    assert (stat.S_IMODE(new.st_mode), new.st_uid, new.st_gid) == (0o755, 0, 0)


@as_root
def test_opaque_directory_hides_the_lower_layers_entries(box: Sandbox) -> None:
    box.apply(
        [
            Entry("x/old", data=b"1"),
            Entry("x/sub/old2", data=b"2"),
            Entry("y/kept", data=b"3"),
        ],
        [
            Entry("x/", tarfile.DIRTYPE, mode=0o755),
            Entry("x/new", data=b"4"),
            Entry("x/.wh..wh..opq"),
        ],
    )
    upper = box.layers[0]
    assert os.getxattr(upper / "x", OVERLAY_OPAQUE_XATTR) == b"y"
    assert box.merged("x/old") is None
    assert box.merged("x/sub/old2") is None
    assert box.merged("x/new") == upper / "x/new"
    assert box.merged("y/kept") == box.root / "y/kept"


def test_whiteout_of_dotdot_is_refused(box: Sandbox) -> None:
    with pytest.raises(UnpackError) as err:
        box.apply([Entry("a/.wh..."), Entry("a/x")])
    assert (
        str(err.value) == "failed to extract layer sha256:layer1: invalid whiteout entry '.wh...'"
    )
    assert box.tmp.exists()
    assert box.secret.exists()


@as_root
def test_setuid_setgid_and_ownership_are_kept(box: Sandbox) -> None:
    box.apply(
        [
            Entry("bin/su", data=b"su", mode=0o4755, uid=0, gid=0),
            Entry("bin/sg", data=b"sg", mode=0o2755, uid=1000, gid=3000),
            Entry("tmp/", tarfile.DIRTYPE, mode=0o1777),
            Entry("home/user/", tarfile.DIRTYPE, mode=0o700, uid=1000, gid=2000),
            Entry("home/user/link", tarfile.SYMTYPE, linkname="/x", uid=1000, gid=2000),
        ]
    )
    su = (box.root / "bin/su").stat()
    assert (stat.S_IMODE(su.st_mode), su.st_uid, su.st_gid) == (0o4755, 0, 0)
    sg = (box.root / "bin/sg").stat()
    assert (stat.S_IMODE(sg.st_mode), sg.st_uid, sg.st_gid) == (0o2755, 1000, 3000)
    assert stat.S_IMODE((box.root / "tmp").stat().st_mode) == 0o1777
    home = (box.root / "home/user").stat()
    assert (stat.S_IMODE(home.st_mode), home.st_uid, home.st_gid) == (0o700, 1000, 2000)
    link = (box.root / "home/user/link").lstat()
    assert (link.st_uid, link.st_gid) == (1000, 2000)


@as_root
def test_device_nodes_are_made_as_root(box: Sandbox) -> None:
    box.apply(
        [
            Entry("dev/null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3),
            Entry("dev/fifo", tarfile.FIFOTYPE, mode=0o600),
        ]
    )
    null = (box.root / "dev/null").lstat()
    assert stat.S_ISCHR(null.st_mode)
    assert (os.major(null.st_rdev), os.minor(null.st_rdev)) == (1, 3)
    assert stat.S_IMODE(null.st_mode) == 0o666
    assert stat.S_ISFIFO((box.root / "dev/fifo").lstat().st_mode)


def test_decompression_bomb_stops_at_the_byte_limit(box: Sandbox) -> None:
    before = box.outside_snapshot()
    with pytest.raises(UnpackError) as err:
        box.apply(
            [Entry("zeros", data=bytes(8 * 1024 * 1024))],
            limits=UnpackLimits(max_bytes=1024 * 1024),
        )
    assert str(err.value) == (
        "failed to extract layer sha256:layer1: image exceeds the unpack limit of "
        "1048576 uncompressed bytes"
    )
    assert (box.tmp / "layers/layer1.tar.gz").stat().st_size < 64 * 1024
    assert box.outside_snapshot() == before


def test_entry_limit_counts_all_layers(box: Sandbox) -> None:
    with pytest.raises(UnpackError) as err:
        box.apply(
            [Entry(f"f{i}") for i in range(6)],
            [Entry(f"g{i}") for i in range(6)],
            limits=UnpackLimits(max_entries=10),
        )
    assert str(err.value) == (
        "failed to extract layer sha256:layer2: image exceeds the unpack limit of 10 entries"
    )


def test_uncompressed_layer_and_truncated_gzip(box: Sandbox) -> None:
    p = box.tmp / "layers" / "plain.tar"
    p.write_bytes(_tar([Entry("plain", data=b"ok")], compress=False))
    unpack_layer(Layer(p, "sha256:plain"), box.root, UnpackBudget(DEFAULT_LIMITS))
    assert (box.root / "plain").read_bytes() == b"ok"
    bad = box.tmp / "layers" / "bad.tar.gz"
    bad.write_bytes(_tar([Entry("big", data=os.urandom(4096))])[:200])
    with pytest.raises(UnpackError) as err:
        unpack_layer(Layer(bad, "sha256:bad"), box.root, UnpackBudget(DEFAULT_LIMITS))
    assert str(err.value).startswith("failed to extract layer sha256:bad: ")


def test_diff_ids_are_the_uncompressed_digests(box: Sandbox) -> None:
    import hashlib

    raw = _tar([Entry("a", data=b"1")], compress=False)
    p = box.tmp / "layers" / "one.tar.gz"
    p.write_bytes(gzip.compress(raw))
    plain = box.tmp / "layers" / "two.tar"
    plain.write_bytes(raw + bytes(4096))
    budget = UnpackBudget(DEFAULT_LIMITS)
    upper = box.tmp / "uppers" / "2"
    upper.mkdir(parents=True)
    assert (
        unpack_layer(Layer(p, "sha256:one"), box.root, budget),
        unpack_layer(Layer(plain, "sha256:two"), upper, budget, parents=[box.root]),
    ) == (
        f"sha256:{hashlib.sha256(raw).hexdigest()}",
        f"sha256:{hashlib.sha256(raw + bytes(4096)).hexdigest()}",
    )


def test_sparse_entry_cannot_write_past_the_limit(box: Sandbox) -> None:
    sparse = Entry(
        "sparse",
        data=b"x",
        pax={
            "GNU.sparse.size": str(8 * 1024 * 1024),
            "GNU.sparse.map": "0,1",
            "GNU.sparse.numblocks": "1",
            "GNU.sparse.name": "sparse",
        },
    )
    with pytest.raises(UnpackError) as err:
        box.apply([sparse], limits=UnpackLimits(max_bytes=1024 * 1024))
    assert str(err.value) == (
        "failed to extract layer sha256:layer1: image exceeds the unpack limit of "
        "1048576 uncompressed bytes"
    )
    assert box.n == 1
    assert (box.tmp / "layers/layer1.tar.gz").stat().st_size < 4096


def test_zstd_layer_is_refused(box: Sandbox) -> None:
    p = box.tmp / "layers" / "z"
    p.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(64))
    with pytest.raises(UnpackError) as err:
        unpack_layer(Layer(p, "sha256:z"), box.root, UnpackBudget(DEFAULT_LIMITS))
    assert str(err.value) == (
        "failed to extract layer sha256:z: zstd-compressed layers are not supported"
    )
