"""Test helper: fixed image configs and /etc files for the doc examples' images.

Role: the image-side inputs of the spec builder for busybox:1.28, hello-app:2.0,
node-hello:1.0 and agnhost:2.45, modelled on those images (busybox's stock
passwd/group, with ``wheel:x:10:root``; agnhost's ``user-defined-in-image`` uid 1000
in ``group-defined-in-image`` 50000 as the docs page shows).
Callers: tests/unit/oci/test_oci_golden.py and friends.
"""

from __future__ import annotations

from dataclasses import dataclass

from seclet.runtime.oci.inputs import ImageConfig

BUSYBOX_PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
BUSYBOX_GROUP = """root:x:0:
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
AGNHOST_PASSWD = """root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh
"""
AGNHOST_GROUP = """root:x:0:
nogroup:x:65534:
user-defined-in-image:x:1000:
group-defined-in-image:x:50000:user-defined-in-image
"""
DISTROLESS_PASSWD = """root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
"""
DISTROLESS_GROUP = """root:x:0:
nobody:x:65534:
nonroot:x:65532:
"""


@dataclass(frozen=True)
class ImageFixture:
    """An image's config and user database text."""

    config: ImageConfig
    passwd: str | None
    group: str | None


IMAGES: dict[str, ImageFixture] = {
    "busybox:1.28": ImageFixture(ImageConfig(cmd=("sh",)), BUSYBOX_PASSWD, BUSYBOX_GROUP),
    "gcr.io/google-samples/hello-app:2.0": ImageFixture(
        ImageConfig(cmd=("/hello-app",)), DISTROLESS_PASSWD, DISTROLESS_GROUP
    ),
    "gcr.io/google-samples/node-hello:1.0": ImageFixture(
        ImageConfig(
            cmd=("/bin/sh", "-c", "node server.js"),
            env=(
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "NODE_VERSION=4.4.2",
            ),
        ),
        BUSYBOX_PASSWD,
        BUSYBOX_GROUP,
    ),
    "registry.k8s.io/e2e-test-images/agnhost:2.45": ImageFixture(
        ImageConfig(entrypoint=("/agnhost",), cmd=()), AGNHOST_PASSWD, AGNHOST_GROUP
    ),
}
