"""Unit tests of ``seclet.runtime.image.store.image_user`` (CRI's getUserFromImage).

Role: the uid/username split the CRI ``Image`` carries for the kubelet's
runAsNonRoot check, from the image config's ``User``.
Callers: pytest.
"""

from __future__ import annotations

import pytest

from seclet.runtime.image.store import image_user


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
