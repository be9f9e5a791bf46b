"""``seclet server --controllers``: kube-controller-manager's flag, and what it starts."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from seclet.api.featuregates import DEFAULT_GATES, FeatureGates
from seclet.apiserver.server import ServerConfig
from seclet.cli.server import UsageError, _start_controllers, controllers_flag
from seclet.store.memory import MemoryStore


def test_unknown_controller_names_are_a_usage_error() -> None:
    assert controllers_flag("*,selinux-warning-controller") == ("*", "selinux-warning-controller")
    with pytest.raises(UsageError) as err:
        controllers_flag("*,-nope")
    assert str(err.value) == '--controllers: "nope" is not in the list of known controllers'


@pytest.mark.parametrize(
    ("flag", "gates", "started"),
    [
        ("*", DEFAULT_GATES, []),
        ("*,selinux-warning-controller", DEFAULT_GATES, ["selinux-warning-controller"]),
        ("selinux-warning-controller", FeatureGates(SELinuxChangePolicy=False), []),
    ],
)
def test_the_selinux_warning_controller_is_off_by_default(
    flag: str, gates: FeatureGates, started: list[str]
) -> None:
    async def scenario() -> list[str]:
        config = ServerConfig(data_dir=Path("unused"), gates=gates)
        args = argparse.Namespace(controllers=flag)
        tasks = _start_controllers(MemoryStore(), config, args)
        names = [t.get_name() for t in tasks]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return names

    assert asyncio.run(scenario()) == started
