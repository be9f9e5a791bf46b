"""``seclet images ls``: crictl's table, byte for byte (pure formatting, no store)."""

from __future__ import annotations

import pytest

from seclet.cli.images import human_size, image_table, tabwrite
from seclet.cri.types import Image

BUSYBOX_ID = "sha256:e90ed1f1e1c84c85018a8e819a04d3e9fa2543e4242f1149d57830975456ce6e"
AGNHOST_ID = "sha256:4ade31ce9d7e4e1d2ca463b5fa58408b933332e850c0012ac37c75d5b3a3f5b8"
OTHER_ID = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def image(
    image_id: str, tags: tuple[str, ...] = (), digests: tuple[str, ...] = (), size: int = 0
) -> Image:
    return Image(id=image_id, repo_tags=tags, repo_digests=digests, size=size)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0B"),
        (999, "999B"),
        (1000, "1kB"),
        (1024, "1.02kB"),
        (772_000, "772kB"),
        (999_499, "999kB"),
        (999_500, "1e+03kB"),  # Go's %.3g, as crictl prints it
        (1_088_094, "1.09MB"),
        (2_130_755, "2.13MB"),
        (4_270_000, "4.27MB"),
        (123_456_789_012, "123GB"),
    ],
)
def test_human_size_is_go_units_with_precision_3(size: int, text: str) -> None:
    assert human_size(size) == text


def test_tabwrite_pads_all_but_the_last_cell() -> None:
    rows = [["IMAGE", "TAG", "IMAGE ID", "SIZE"], ["a" * 25, "1.28", "e90ed1f1e1c84", "2.13MB"]]
    assert tabwrite(rows) == (
        "IMAGE                       TAG                 IMAGE ID            SIZE\n"
        "aaaaaaaaaaaaaaaaaaaaaaaaa   1.28                e90ed1f1e1c84       2.13MB\n"
    )


def test_empty_store_prints_the_header() -> None:
    assert image_table(()) == "IMAGE               TAG                 IMAGE ID            SIZE\n"


def test_table_sorted_by_first_tag_one_row_per_tag() -> None:
    images = [
        image(AGNHOST_ID, ("registry.k8s.io/e2e-test-images/agnhost:2.45",), size=1_030_000),
        image(
            BUSYBOX_ID,
            ("docker.io/library/busybox:1.28", "docker.io/library/busybox:latest"),
            ("docker.io/library/busybox@sha256:" + "1" * 64,),
            2_130_755,
        ),
    ]
    assert image_table(images) == (
        "IMAGE                                     TAG                 IMAGE ID            SIZE\n"
        "docker.io/library/busybox                 1.28                e90ed1f1e1c84       2.13MB\n"
        "docker.io/library/busybox                 latest              e90ed1f1e1c84       2.13MB\n"
        "registry.k8s.io/e2e-test-images/agnhost   2.45                4ade31ce9d7e4       1.03MB\n"
    )


def test_untagged_images_show_the_repo_digest_name_or_none() -> None:
    images = [
        image(OTHER_ID, size=5),
        image(BUSYBOX_ID, (), ("docker.io/library/busybox@sha256:" + "2" * 64,), 1_000_000),
    ]
    assert image_table(images) == (
        "IMAGE                       TAG                 IMAGE ID            SIZE\n"
        "<none>                      <none>              0123456789abc       5B\n"
        "docker.io/library/busybox   <none>              e90ed1f1e1c84       1MB\n"
    )
