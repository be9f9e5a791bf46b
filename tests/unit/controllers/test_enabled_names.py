"""``--controllers`` names: upstream's canonical names and aliases
(cmd/kube-controller-manager/names/controller_names.go, the descriptors' aliases,
GenericControllerManagerConfigurationOptions.ApplyTo/Validate)."""

from __future__ import annotations

import pytest

from seclet.controllers.enabled import (
    DISABLED_BY_DEFAULT,
    KNOWN_CONTROLLERS,
    UnknownControllerError,
    canonical,
    controller_enabled,
    parse_controllers,
    validate_controllers,
)


def test_known_names_are_upstreams() -> None:
    assert sorted(KNOWN_CONTROLLERS) == [
        "ephemeral-volume-controller",
        "garbage-collector-controller",
        "node-lifecycle-controller",
        "persistentvolume-binder-controller",
        "persistentvolume-protection-controller",
        "persistentvolumeclaim-protection-controller",
        "root-ca-certificate-publisher-controller",
        "selinux-warning-controller",
        "taint-eviction-controller",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "ephemeral-volume-controller",
        "garbage-collector-controller",
        "node-lifecycle-controller",
        "root-ca-certificate-publisher-controller",
        "taint-eviction-controller",
    ],
)
def test_new_controllers_are_on_by_default(name: str) -> None:
    assert controller_enabled(name, ("*",), DISABLED_BY_DEFAULT)


def test_aliases_become_canonical_names() -> None:
    items = parse_controllers("*,-ephemeral-volume,root-ca-cert-publisher,-garbagecollector")
    validate_controllers(items, KNOWN_CONTROLLERS)
    assert canonical(items) == (
        "*",
        "-ephemeral-volume-controller",
        "root-ca-certificate-publisher-controller",
        "-garbage-collector-controller",
    )
    names = canonical(parse_controllers("*,-pvc-protection,-pv-protection"))
    assert not controller_enabled(
        "persistentvolumeclaim-protection-controller", names, DISABLED_BY_DEFAULT
    )
    assert not controller_enabled("persistentvolume-protection-controller", names, DISABLED_BY_DEFAULT)


def test_unknown_alias_is_refused_as_written() -> None:
    with pytest.raises(UnknownControllerError) as err:
        validate_controllers(parse_controllers("-pvc-protection-controller"), KNOWN_CONTROLLERS)
    assert str(err.value) == '"pvc-protection-controller" is not in the list of known controllers'
