"""Build seclet's stand-in test images from /bin/busybox and push them to a registry.

Role: the images the Kubernetes page's Pods name, built reproducibly with pure
Python (tarfile, gzip, json, hashlib) as OCI image layouts, then pushed with
``skopeo copy oci:<layout>:<tag> docker://<registry>/<repository>:<tag>``
(``--dest-tls-verify=false``, ``--preserve-digests``), so their digests are the same
on every machine with the same busybox binary:

- ``docker.io/library/busybox:1.28`` — /bin/busybox with every applet as a symlink in
  /bin, /etc/passwd and /etc/group as the real image has them, ``Cmd ["sh"]``;
- ``registry.k8s.io/e2e-test-images/agnhost:2.45`` — the busybox layer plus
  /etc/passwd, /etc/group and the config from ``examples/images/agnhost-2.45`` and a
  shell stand-in ``/agnhost`` (``pause``, ``netexec``);
- ``gcr.io/google-samples/hello-app:2.0`` — the busybox layer plus ``/hello-app``,
  a script running busybox ``httpd -f -p 8080`` that answers ``Hello, world!``.

CLI: ``python tools/build_test_images.py --registry 127.0.0.1:PORT [--workdir DIR]``.
Importable: ``stand_in_images()``, ``write_oci_layout()``, ``push()``,
``build_and_push()``.
Callers: tests/registry.py (pytest sessions), developers by hand.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import platform
import struct
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BUSYBOX = Path("/bin/busybox")
MTIME = 1_700_000_000
CREATED = "2023-11-14T22:13:20Z"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

BUSYBOX_USERS = """\
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
"""busybox:1.28's /etc/passwd (buildroot's skeleton)."""

BUSYBOX_GROUPS = """\
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
"""
"""busybox:1.28's /etc/group (buildroot's skeleton)."""

AGNHOST = """\
#!/bin/sh
# seclet's stand-in for agnhost: the subcommands the documentation's Pods use.
case "$1" in
  pause)
    trap 'exit 0' TERM INT
    echo "Paused"
    while :; do sleep 3600 & wait $!; done ;;
  netexec)
    port=8080
    for arg in "$@"; do case "$arg" in --http-port=*) port="${arg#--http-port=}" ;; esac; done
    exec httpd -f -p "$port" -h /www ;;
  "")
    echo "Usage: agnhost [command]"; exit 0 ;;
  *)
    echo "agnhost stand-in: unsupported subcommand $1" >&2; exit 1 ;;
esac
"""

HELLO_APP = """\
#!/bin/sh
# seclet's stand-in for hello-app: an HTTP server on :8080 answering "Hello, world!".
echo "Server listening on port 8080"
exec httpd -f -p "${PORT:-8080}" -h /www
"""

HELLO_CGI = """\
#!/bin/sh
printf 'Content-Type: text/plain; charset=utf-8\\r\\n\\r\\n'
printf 'Hello, world!\\nVersion: 2.0.0\\nHostname: %s\\n' "$(hostname)"
"""


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One tar entry of a layer: a directory, a file or a symlink."""

    path: str
    kind: str = "file"
    """``dir``, ``file`` or ``symlink``."""
    data: bytes = b""
    target: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True, slots=True)
class StandInImage:
    """An image to build: where it is pushed, its layers (bottom first), its config."""

    reference: str
    """``docker.io/library/busybox:1.28``."""
    repository: str
    """The registry path: ``library/busybox``."""
    tag: str
    layers: tuple[tuple[FileEntry, ...], ...]
    config: str
    """The image config's ``config`` object as JSON text."""


def layer_tar(entries: Sequence[FileEntry]) -> bytes:
    """The uncompressed tar of ``entries`` (reproducible: fixed mtimes, owners)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            info = tarfile.TarInfo(e.path)
            info.mtime, info.uid, info.gid, info.mode = MTIME, e.uid, e.gid, e.mode
            info.uname = info.gname = ""
            if e.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif e.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, e.target
                tar.addfile(info)
            else:
                info.size = len(e.data)
                tar.addfile(info, io.BytesIO(e.data))
    return buf.getvalue()


def _dirs(*specs: tuple[str, int, int, int]) -> list[FileEntry]:
    return [FileEntry(p, "dir", mode=m, uid=u, gid=g) for p, m, u, g in specs]


def elf_interpreter(binary: bytes) -> str | None:
    """The ELF program interpreter (``PT_INTERP``, e.g. ``/lib64/ld-linux-x86-64.so.2``)
    of a dynamically linked binary; None for a static one."""
    if binary[:4] != b"\x7fELF":
        raise ValueError("not an ELF binary")
    wide = binary[4] == 2
    order = "<" if binary[5] == 1 else ">"
    if wide:
        phoff, phentsize, phnum = struct.unpack_from(order + "Q14xHH", binary, 0x20)
    else:
        phoff, phentsize, phnum = struct.unpack_from(order + "I10xHH", binary, 0x1C)
    for i in range(phnum):
        at = phoff + i * phentsize
        (p_type,) = struct.unpack_from(order + "I", binary, at)
        if p_type == 3:  # PT_INTERP
            if wide:
                offset, _, _, size = struct.unpack_from(order + "QQQQ", binary, at + 8)
            else:
                offset, _, _, size = struct.unpack_from(order + "IIII", binary, at + 4)
            return binary[offset : offset + size].rstrip(b"\0").decode(errors="replace")
    return None


def busybox_layer(busybox: Path = BUSYBOX) -> tuple[FileEntry, ...]:
    """busybox:1.28's filesystem: the binary, applet links, accounts, standard dirs.
    The binary goes into the image alone, so it must be static (Debian's
    ``busybox-static``; the dynamic ``busybox`` package's binary needs a libc the
    image does not have, and every container would fail to exec)."""
    data = busybox.read_bytes()
    interpreter = elf_interpreter(data)
    if interpreter is not None:
        raise SystemExit(
            f"{busybox} is dynamically linked (interpreter {interpreter}): the test images "
            "hold it without a libc; install Debian's busybox-static"
        )
    applets = subprocess.run(
        [str(busybox), "--list"], check=True, capture_output=True, text=True
    ).stdout.split()
    entries = _dirs(
        ("bin", 0o755, 0, 0),
        ("dev", 0o755, 0, 0),
        ("etc", 0o755, 0, 0),
        ("home", 0o755, 65534, 65534),
        ("root", 0o700, 0, 0),
        ("tmp", 0o1777, 0, 0),
        ("usr", 0o755, 0, 0),
        ("usr/sbin", 0o755, 0, 0),
        ("var", 0o755, 0, 0),
        ("var/spool", 0o755, 0, 0),
        ("var/spool/mail", 0o755, 8, 8),
        ("var/www", 0o755, 0, 0),
    )
    entries.append(FileEntry("bin/busybox", data=data, mode=0o755))
    entries += [
        FileEntry(f"bin/{a}", "symlink", target="busybox")
        for a in sorted(set(applets) - {"busybox"})
    ]
    entries += [
        FileEntry("etc/passwd", data=BUSYBOX_USERS.encode()),
        FileEntry("etc/group", data=BUSYBOX_GROUPS.encode()),
    ]
    return tuple(entries)


def stand_in_images(repo: Path = REPO, busybox: Path = BUSYBOX) -> tuple[StandInImage, ...]:
    """The three stand-in images (the busybox layer is shared, as a base image)."""
    base = busybox_layer(busybox)
    agnhost_dir = repo / "examples" / "images" / "agnhost-2.45"
    agnhost_config = json.loads((agnhost_dir / "config.json").read_text())["config"]
    hello_config = json.loads((repo / "examples" / "images" / "hello-app-2.0.json").read_text())
    agnhost = (
        FileEntry("etc/passwd", data=(agnhost_dir / "etc" / "passwd").read_bytes()),
        FileEntry("etc/group", data=(agnhost_dir / "etc" / "group").read_bytes()),
        FileEntry("agnhost", data=AGNHOST.encode(), mode=0o755),
        *_dirs(("www", 0o755, 0, 0)),
        FileEntry("www/index.html", data=b"NOW: agnhost stand-in\n"),
    )
    hello = (
        FileEntry("hello-app", data=HELLO_APP.encode(), mode=0o755),
        *_dirs(("www", 0o755, 0, 0), ("www/cgi-bin", 0o755, 0, 0)),
        FileEntry("www/cgi-bin/index.cgi", data=HELLO_CGI.encode(), mode=0o755),
    )
    return (
        StandInImage(
            "docker.io/library/busybox:1.28",
            "library/busybox",
            "1.28",
            (base,),
            json.dumps({"Env": [PATH_ENV], "Cmd": ["sh"]}),
        ),
        StandInImage(
            "registry.k8s.io/e2e-test-images/agnhost:2.45",
            "e2e-test-images/agnhost",
            "2.45",
            (base, agnhost),
            json.dumps(agnhost_config),
        ),
        StandInImage(
            "gcr.io/google-samples/hello-app:2.0",
            "google-samples/hello-app",
            "2.0",
            (base, hello),
            json.dumps(hello_config["config"]),
        ),
    )


def _blob(layout: Path, data: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    path = layout / "blobs" / "sha256" / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def write_oci_layout(image: StandInImage, layout: Path) -> str:
    """Write ``image`` as an OCI layout at ``layout`` (tag = ``image.tag``); return
    the manifest digest."""
    layout.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    layers, diff_ids = [], []
    for entries in image.layers:
        tar = layer_tar(entries)
        diff_ids.append(f"sha256:{hashlib.sha256(tar).hexdigest()}")
        layers.append({"mediaType": MEDIA_LAYER, **_blob(layout, gzip.compress(tar, mtime=0))})
    config = {
        "created": CREATED,
        "architecture": _arch(),
        "os": "linux",
        "config": json.loads(image.config),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": CREATED, "created_by": f"seclet tools/build_test_images.py layer {i}"}
            for i in range(len(layers))
        ],
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": {"mediaType": MEDIA_CONFIG, **_blob(layout, json.dumps(config).encode())},
        "layers": layers,
    }
    desc = {"mediaType": MEDIA_MANIFEST, **_blob(layout, json.dumps(manifest).encode())}
    index = {
        "schemaVersion": 2,
        "mediaType": MEDIA_INDEX,
        "manifests": [{**desc, "annotations": {"org.opencontainers.image.ref.name": image.tag}}],
    }
    (layout / "index.json").write_text(json.dumps(index))
    return str(desc["digest"])


def write_policy(path: Path) -> Path:
    """A containers-policy.json accepting any image (skopeo needs one)."""
    path.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    return path


def push(image: StandInImage, layout: Path, registry: str, policy: Path) -> None:
    """``skopeo copy`` the layout's image to ``registry`` (``127.0.0.1:PORT``)."""
    subprocess.run(
        [
            "skopeo",
            "--policy",
            str(policy),
            "copy",
            "--quiet",
            "--preserve-digests",
            "--dest-tls-verify=false",
            f"oci:{layout}:{image.tag}",
            f"docker://{registry}/{image.repository}:{image.tag}",
        ],
        check=True,
        capture_output=True,
    )


def build_and_push(registry: str, workdir: Path | None = None) -> dict[str, str]:
    """Build every test image and push it; return reference -> manifest digest."""
    with tempfile.TemporaryDirectory(prefix="seclet-images-") as tmp:
        work = workdir or Path(tmp)
        policy = write_policy(work / "policy.json")
        digests = {}
        for image in stand_in_images():
            layout = work / image.repository.replace("/", "_")
            digests[image.reference] = write_oci_layout(image, layout)
            push(image, layout, registry, policy)
        return digests


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--registry", required=True, help="host:port, e.g. 127.0.0.1:5000")
    parser.add_argument("--workdir", type=Path, help="keep the OCI layouts here")
    args = parser.parse_args(argv)
    try:
        digests = build_and_push(args.registry, args.workdir)
    except subprocess.CalledProcessError as exc:
        print(f"skopeo failed: {exc.stderr.decode(errors='replace').strip()}", file=sys.stderr)
        return 1
    for ref, digest in digests.items():
        print(f"{ref} {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
