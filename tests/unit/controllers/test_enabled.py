"""``--controllers`` as kube-controller-manager reads it (IsControllerEnabled, Validate)."""

from __future__ import annotations

import pytest

from seclet.controllers.enabled import (
    UnknownControllerError,
    controller_enabled,
    parse_controllers,
    validate_controllers,
)

SEL = "selinux-warning-controller"
OFF = {SEL}


@pytest.mark.parametrize(
    ("flag", "selinux", "binder"),
    [
        ("*", False, True),
        ("*,selinux-warning-controller", True, True),
        ("selinux-warning-controller", True, False),
        ("*,-persistentvolume-binder-controller", False, False),
        ("-selinux-warning-controller,selinux-warning-controller", False, False),
        ("", False, False),
    ],
)
def test_controller_enabled(flag: str, selinux: bool, binder: bool) -> None:
    items = parse_controllers(flag)
    assert controller_enabled(SEL, items, OFF) is selinux
    assert controller_enabled("persistentvolume-binder-controller", items, OFF) is binder


def test_unknown_names_are_refused_with_upstreams_text() -> None:
    known = {SEL, "persistentvolume-binder-controller"}
    validate_controllers(parse_controllers("*,-selinux-warning-controller"), known)
    with pytest.raises(UnknownControllerError) as err:
        validate_controllers(parse_controllers("*,-selinux-warnings"), known)
    assert str(err.value) == '"selinux-warnings" is not in the list of known controllers'
