"""Users, groups, capabilities, runAsNonRoot and the effective context: tables."""

from __future__ import annotations

import pytest

from seclet.api import models
from seclet.securitycontext.capabilities import (
    DEFAULT_CAPABILITIES,
    CapabilitySets,
    apply_cri_capabilities,
    format_cap_hex,
    mask_to_names,
    names_to_mask,
)
from seclet.securitycontext.effective import determine_effective_security_context
from seclet.securitycontext.nonroot import RunAsNonRootError, verify_run_as_non_root
from seclet.securitycontext.users import (
    ImageUser,
    UserResolutionError,
    image_user_from_config,
    kubelet_image_user,
    parse_group,
    parse_passwd,
    resolve_process_user,
)

# containerd TestProcessUser fixtures.
PASSWD = "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:alice:/home/alice:/bin/sh\n"
GROUP = (
    "root:x:0:\nadditional-group-for-alice:x:11111:alice\nadditional-group-for-root:x:22222:root\n"
)


def resolve(**kw: object) -> tuple[int, int, tuple[int, ...]]:
    args: dict[str, object] = {
        "run_as_user": None,
        "run_as_username": "",
        "run_as_group": None,
        "supplemental_groups": (),
        "policy": "Merge",
        "image_user": "",
        "passwd_text": PASSWD,
        "group_text": GROUP,
    }
    args.update(kw)
    u = resolve_process_user(**args)  # type: ignore[arg-type]
    return u.uid, u.gid, u.additional_gids


@pytest.mark.parametrize(
    ("kw", "want"),
    [
        (
            {"run_as_user": 1000, "run_as_group": 2000, "supplemental_groups": (3333,)},
            (1000, 2000, (2000, 3333, 11111)),
        ),
        ({"image_user": "1000"}, (1000, 1000, (1000, 11111))),
        ({}, (0, 0, (0, 22222))),
        (
            {
                "run_as_user": 1000,
                "run_as_group": 2000,
                "supplemental_groups": (3333,),
                "policy": "Strict",
            },
            (1000, 2000, (2000, 3333)),
        ),
        ({"image_user": "1000", "policy": "Strict"}, (1000, 1000, (1000,))),
        ({"run_as_user": 1234}, (1234, 0, (0,))),
        ({"run_as_username": "alice"}, (1000, 1000, (1000, 11111))),
        ({"run_as_user": 1000, "passwd_text": None, "group_text": None}, (1000, 0, (0,))),
        ({"image_user": "alice:root"}, (1000, 0, (0, 11111))),
        ({"image_user": "1000:5"}, (1000, 5, (5, 11111))),
        ({"run_as_user": 0, "supplemental_groups": (5, 5, 1)}, (0, 0, (0, 1, 5, 22222))),
    ],
)
def test_containerd_process_user(
    kw: dict[str, object], want: tuple[int, int, tuple[int, ...]]
) -> None:
    assert resolve(**kw) == want


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"run_as_username": "bob"}, "no users found"),
        (
            {"run_as_username": "bob", "passwd_text": None},
            "open etc/passwd: no such file or directory",
        ),
        ({"image_user": "alice:nogroup"}, "no groups found"),
        ({"run_as_user": 2**31}, 'invalid USER value "2147483648": uid out of range'),
        ({"run_as_user": -1}, 'invalid USER value "-1": uid out of range'),
        ({"run_as_group": 5}, 'user group "5" is specified without user'),
        ({"image_user": "a:b:c"}, "invalid USER value a:b:c"),
    ],
)
def test_containerd_user_errors(kw: dict[str, object], msg: str) -> None:
    with pytest.raises(UserResolutionError) as e:
        resolve(**kw)
    assert str(e.value) == msg


def test_group_named_like_user_is_skipped() -> None:
    group = "alice:x:1000:alice\nstaff:x:50:alice\n"
    assert resolve(run_as_user=1000, group_text=group) == (1000, 1000, (50, 1000))


def test_parse_files_like_moby() -> None:
    assert parse_passwd("  root:x:0:0::/root:/bin/sh  \n\nbad:x:zz:\n")[1].uid == 0
    g = parse_group("g:x:7:a,b\r\nempty:x:8:\n")
    assert g[0].members == ("a", "b") and g[1].members == ()


@pytest.mark.parametrize(
    ("user", "want"),
    [
        ("", ImageUser(0, "")),
        ("1000", ImageUser(1000, "")),
        ("1000:50", ImageUser(1000, "")),
        ("app", ImageUser(None, "app")),
        ("app:grp", ImageUser(None, "app")),
    ],
)
def test_image_user(user: str, want: ImageUser) -> None:
    assert kubelet_image_user(image_user_from_config(user)) == want


def test_cap_hex_and_names() -> None:
    assert format_cap_hex(names_to_mask(DEFAULT_CAPABILITIES)) == "00000000a80425fb"
    assert (
        format_cap_hex(names_to_mask((*DEFAULT_CAPABILITIES, "CAP_NET_ADMIN", "CAP_SYS_TIME")))
        == "00000000aa0435fb"
    )
    assert "CAP_SYS_RESOURCE" not in mask_to_names(0x000001FFFEFFFFFF)
    assert len(mask_to_names(0x000001FFFEFFFFFF)) == 40


BASE = CapabilitySets(DEFAULT_CAPABILITIES, DEFAULT_CAPABILITIES, DEFAULT_CAPABILITIES)
ALL = mask_to_names(0x000001FFFEFFFFFF)


@pytest.mark.parametrize(
    ("add", "drop", "want"),
    [
        (("ALL",), ("CHOWN",), tuple(c for c in ALL if c != "CAP_CHOWN")),
        (("NET_BIND_SERVICE",), ("ALL",), ("CAP_NET_BIND_SERVICE",)),
        (("net_bind_service",), ("all",), ("CAP_NET_BIND_SERVICE",)),
        ((), ("ALL",), ()),
        (("CAP_NET_ADMIN",), (), (*DEFAULT_CAPABILITIES, "CAP_CAP_NET_ADMIN")),
        (("CHOWN",), ("CHOWN",), DEFAULT_CAPABILITIES[1:]),
    ],
)
def test_cri_capabilities(
    add: tuple[str, ...], drop: tuple[str, ...], want: tuple[str, ...]
) -> None:
    got = apply_cri_capabilities(BASE, add, drop, ALL)
    assert got.bounding == want and got.effective == want and got.permitted == want


def _pod(
    psc: models.PodSecurityContext | None, csc: models.SecurityContext | None
) -> tuple[models.Pod, models.Container]:
    c = models.Container(name="app", securityContext=csc)
    pod = models.Pod(
        metadata=models.ObjectMeta(name="p", namespace="ns", uid="u1"),
        spec=models.PodSpec(securityContext=psc, containers=(c,)),
    )
    return pod, c


def test_effective_merge() -> None:
    pod, c = _pod(
        models.PodSecurityContext(
            runAsUser=1, runAsGroup=2, seLinuxOptions=models.SELinuxOptions(level="s0:c1")
        ),
        models.SecurityContext(runAsUser=5, seLinuxOptions=models.SELinuxOptions(user="u")),
    )
    eff = determine_effective_security_context(pod, c)
    assert (eff.runAsUser, eff.runAsGroup) == (5, 2)
    assert eff.seLinuxOptions == models.SELinuxOptions(user="u")
    assert determine_effective_security_context(*_pod(None, None)) == models.SecurityContext()


@pytest.mark.parametrize(
    ("psc", "csc", "image", "msg"),
    [
        (
            models.PodSecurityContext(runAsNonRoot=True, runAsUser=0),
            None,
            ImageUser(5, ""),
            'container\'s runAsUser breaks non-root policy (pod: "p_ns(u1)", container: app)',
        ),
        (
            models.PodSecurityContext(runAsNonRoot=True),
            None,
            ImageUser(0, ""),
            'container has runAsNonRoot and image will run as root (pod: "p_ns(u1)", container: app)',
        ),
        (
            None,
            models.SecurityContext(runAsNonRoot=True),
            ImageUser(None, "app"),
            "container has runAsNonRoot and image has non-numeric user (app), cannot verify user is "
            'non-root (pod: "p_ns(u1)", container: app)',
        ),
        (
            None,
            models.SecurityContext(runAsNonRoot=True),
            ImageUser(2**31, ""),
            "container has runAsNonRoot and image has an invalid user id (2147483648). (Must be "
            "1-(2147483647)): must be between 0 and 2147483647, inclusive "
            '(pod: "p_ns(u1)", container: app)',
        ),
    ],
)
def test_run_as_non_root_messages(
    psc: models.PodSecurityContext | None,
    csc: models.SecurityContext | None,
    image: ImageUser,
    msg: str,
) -> None:
    pod, c = _pod(psc, csc)
    with pytest.raises(RunAsNonRootError) as e:
        verify_run_as_non_root(pod, c, image)
    assert str(e.value) == msg


@pytest.mark.parametrize(
    ("psc", "csc", "image"),
    [
        (models.PodSecurityContext(runAsNonRoot=True, runAsUser=1000), None, ImageUser(0, "")),
        (
            models.PodSecurityContext(runAsNonRoot=True),
            models.SecurityContext(runAsNonRoot=False),
            ImageUser(0, ""),
        ),
        (models.PodSecurityContext(runAsNonRoot=True), None, ImageUser(65532, "")),
    ],
)
def test_run_as_non_root_ok(
    psc: models.PodSecurityContext | None, csc: models.SecurityContext | None, image: ImageUser
) -> None:
    verify_run_as_non_root(*_pod(psc, csc), image)
