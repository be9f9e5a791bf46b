"""Test helper: fixed image configs and /etc files for the doc examples' images.

Role: the image-side inputs of the spec builder for busybox:1.28, hello-app:2.0,
node-hello:1.0 and agnhost:2.45, modelled on those images (busybox's stock
passwd/group, with ``wheel:x:10:root``; agnhost's ``user-defined-in-image`` uid 1000
in ``group-defined-in-image`` 50000 as the docs page shows).
Callers: tests/unit/oci/test_oci_golden.py and friends.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry import build_tool
from seclet.runtime.oci.inputs import ImageConfig

BUSYBOX_PASSWD: str = build_tool().BUSYBOX_USERS
BUSYBOX_GROUP: str = build_tool().BUSYBOX_GROUPS
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
