"""``seclet server``'s registry mirrors: ``--registry-mirror`` flags, then
``--registries-conf`` (containers-registries.conf), and the refusals it prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from seclet.cli.main import main
from seclet.cli.server import UsageError, registries_conf_path, registry_hosts
from seclet.runtime.image.hosts import RegistryHosts
from seclet.runtime.image.reference import parse_docker_ref

CONF = """
[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "127.0.0.1:5000"
insecure = true

[[registry]]
location = "gcr.io"
"""


def urls(hosts: RegistryHosts, ref: str) -> list[str]:
    return [e.url for e in hosts.endpoints(parse_docker_ref(ref))]


def test_flags_first_then_the_file(tmp_path: Path) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(CONF)
    hosts = registry_hosts(
        ["docker.io=http://127.0.0.1:6000", "docker.io=http://127.0.0.1:5000", "*=https://m.io"],
        conf,
    )
    assert hosts == RegistryHosts.of(
        {
            "*": ["https://m.io"],
            "docker.io": [
                "http://127.0.0.1:6000",
                "http://127.0.0.1:5000",
                "https://registry-1.docker.io",
            ],
            "gcr.io": ["https://gcr.io"],
        }
    )
    assert urls(hosts, "busybox:1.28") == [
        "http://127.0.0.1:6000",
        "http://127.0.0.1:5000",
        "https://registry-1.docker.io",
    ]
    assert urls(hosts, "quay.io/a:1") == ["https://m.io"]


def test_no_file(tmp_path: Path) -> None:
    assert registry_hosts(["gcr.io=http://127.0.0.1:1"], None) == RegistryHosts.of(
        {"gcr.io": ["http://127.0.0.1:1"]}
    )
    assert registries_conf_path("") is None
    with pytest.raises(UsageError) as info:
        registries_conf_path(str(tmp_path / "missing.conf"))
    assert str(info.value) == f"--registries-conf {tmp_path / 'missing.conf'}: not a readable file"


def test_a_directory_is_not_a_registries_conf(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        registries_conf_path(str(tmp_path))
    assert str(info.value) == f"--registries-conf {tmp_path}: not a readable file"


def test_malformed_file_stops_the_server_before_it_serves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text('[[registry]]\nlocation = "a.io"\ninsecure = "no"\n')
    code = main(
        ["server", "--data-dir", str(tmp_path / "d"), "--registries-conf", str(conf),
         "--kubeconfig", str(tmp_path / "kc.yaml")]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        f"seclet server: error: --registries-conf: {conf}: registry[0].insecure: "
        "expected a boolean\n"
    )
    assert not (tmp_path / "d").exists()
