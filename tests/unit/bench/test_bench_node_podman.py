"""bench.node's pure helpers for the podman rows: the round order, podman's
configuration (everything under the run's directory, no network, loopback registry),
its rlimits, the tmpfs cover for the shared blob-info cache, and what the clean-up
looks for (bridge interfaces, cgroup directories it made).
Callers: pytest."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from bench import node


def test_rotation_puts_every_engine_once_in_every_position() -> None:
    engines = ("seclet", "runc", "podman")
    orders = [node.rotation(engines, k) for k in range(3)]
    assert orders == [
        ("seclet", "runc", "podman"),
        ("runc", "podman", "seclet"),
        ("podman", "seclet", "runc"),
    ]
    for position in range(3):
        assert sorted(order[position] for order in orders) == sorted(engines)
    assert node.rotation(engines, 4) == orders[1]


def test_rotation_of_two_alternates_seclet_first_on_even_rounds() -> None:
    assert node.rotation(("seclet", "runc"), 0) == ("seclet", "runc")
    assert node.rotation(("seclet", "runc"), 1) == ("runc", "seclet")


def test_ulimits_stay_within_the_hard_limits_and_pid_max() -> None:
    assert node.podman_ulimits((20000, 20000), (96364, 96364), 32768) == [
        "nofile=20000:20000",
        "nproc=32768:32768",
    ]


def test_ulimits_unlimited_keep_podmans_default() -> None:
    unlimited = (-1, -1)
    assert node.podman_ulimits(unlimited, unlimited, 4194304) == [
        "nofile=1048576:1048576",
        "nproc=1048576:1048576",
    ]


def _paths(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("/") else []
    if isinstance(value, dict):
        return [p for v in value.values() for p in _paths(v)]
    if isinstance(value, list):
        return [p for v in value for p in _paths(v)]
    return []


def test_configs_keep_everything_under_the_directory_and_no_network() -> None:
    directory = Path('/tmp/run "1"/podman')
    files = node.podman_configs(directory, "127.0.0.1:5000", ["nofile=10:10", "nproc=20:20"])
    assert sorted(files) == ["containers.conf", "registries.conf", "storage.conf"]
    storage = tomllib.loads(files["storage.conf"])["storage"]
    assert storage == {
        "driver": "overlay",
        "graphroot": f"{directory}/root",
        "runroot": f"{directory}/run",
    }
    containers = tomllib.loads(files["containers.conf"])
    assert containers["containers"]["netns"] == "none"
    assert containers["containers"]["default_ulimits"] == ["nofile=10:10", "nproc=20:20"]
    engine = containers["engine"]
    assert engine["cgroup_manager"] == "cgroupfs"
    assert engine["lock_type"] == "file"
    assert engine["events_logger"] == "file"
    assert containers["network"]["network_config_dir"] == f"{directory}/networks"
    paths = _paths(containers) + _paths(storage)
    assert len(paths) == 8
    assert all(p.startswith(f"{directory}/") for p in paths)


def test_registries_send_docker_hub_to_the_local_registry() -> None:
    files = node.podman_configs(Path("/tmp/x"), "127.0.0.1:5000", [])
    registries = tomllib.loads(files["registries.conf"])
    assert registries["unqualified-search-registries"] == ["docker.io"]
    assert registries["registry"] == [
        {"prefix": "docker.io", "location": "127.0.0.1:5000", "insecure": True},
        {"location": "127.0.0.1:5000", "insecure": True},
    ]


@pytest.mark.parametrize(
    ("existing", "covered"),
    [
        ({"/var/lib/containers/cache", "/var/lib/containers", "/var/lib"}, "/var/lib/containers/cache"),
        ({"/var/lib/containers", "/var/lib"}, "/var/lib/containers"),
        ({"/var/lib"}, "/var/lib"),
    ],
)
def test_shadow_point_is_the_deepest_existing_directory(existing: set[str], covered: str) -> None:
    got = node.shadow_point(Path("/var/lib/containers/cache"), lambda p: str(p) in existing)
    assert got == Path(covered)


def test_shadow_point_never_covers_var_or_root() -> None:
    with pytest.raises(node.BenchError, match="no directory to cover"):
        node.shadow_point(Path("/var/lib/containers/cache"), lambda p: str(p) in {"/var", "/"})


IP_LINK = """\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
4: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc pfifo_fast state UP mode DEFAULT
7: podman0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN mode DEFAULT
8: veth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master podman0 state UP
9: cni-podman0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT
"""


def test_interface_names_and_the_forbidden_bridges() -> None:
    names = node.interface_names(IP_LINK)
    assert names == {"lo", "eth0", "podman0", "veth0", "cni-podman0"}
    assert node.forbidden_links(names) == ["cni-podman0", "podman0"]
    assert node.forbidden_links({"lo", "eth0"}) == []


def test_new_dirs_deepest_first() -> None:
    base = Path("/sys/fs/cgroup/systemd/libpod_parent")
    before = {Path("/sys/fs/cgroup/memory/libpod_parent")}
    after = before | {base, base / "pod1", base / "pod1" / "ctr", base / "pod2"}
    assert node.new_dirs(before, after) == [
        base / "pod1" / "ctr",
        base / "pod1",
        base / "pod2",
        base,
    ]
