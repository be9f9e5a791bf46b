"""Unit tests of ``seclet.runtime.image.store``'s pure helpers: image_user, skopeo_error.

Role: the uid/username split the CRI ``Image`` carries for the kubelet's
runAsNonRoot check, from the image config's ``User`` (CRI's getUserFromImage); the
message of a failed skopeo copy.
Callers: pytest.
"""

from __future__ import annotations

import pytest

from seclet.runtime.image.store import image_user, skopeo_error


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("", (None, "")),
        ("0", (0, "")),
        ("1000", (1000, "")),
        ("1000:3000", (1000, "")),
        ("app", (None, "app")),
        ("app:grp", (None, "app")),
        ("+5", (5, "")),
        ("-1", (-1, "")),
        (":1000", (None, "")),
        ("1_000", (None, "1_000")),
        (" 1000", (None, " 1000")),
        ("99999999999999999999", (None, "99999999999999999999")),
    ],
)
def test_image_user(user: str, expected: tuple[int | None, str]) -> None:
    assert image_user(user) == expected


def test_skopeo_error_is_the_fatal_message() -> None:
    stderr = (
        b'time="2026-11-28T05:01:31Z" level=warning msg="x"\n'
        b'time="2026-11-28T05:01:31Z" level=fatal msg="initializing source docker://h/x: '
        b'Get \\"https://h/v2/\\": http: server gave HTTP response to HTTPS client"\n'
    )
    assert skopeo_error(stderr, 1) == (
        'initializing source docker://h/x: Get "https://h/v2/": '
        "http: server gave HTTP response to HTTPS client"
    )
    assert skopeo_error(b"plain failure\n", 1) == "plain failure"
    assert skopeo_error(b"", 2) == "skopeo exited with status 2"
