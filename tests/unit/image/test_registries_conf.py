"""containers-registries.conf(5) v2 -> the image store's mirrors, and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from seclet.runtime.image.hosts import RegistryHosts
from seclet.runtime.image.reference import parse_docker_ref
from seclet.runtime.image.registries_conf import (
    RegistriesConfError,
    RegistryEntry,
    load_registries_conf,
    mirror_table,
    parse_registries_conf,
)

F = "/etc/containers/registries.conf"

EXAMPLE = """
unqualified-search-registries = ["docker.io", "quay.io"]
short-name-mode = "enforcing"

[[registry]]
prefix = "docker.io"
location = "docker.io"

[[registry.mirror]]
location = "127.0.0.1:5000"
insecure = true

[[registry.mirror]]
location = "mirror.gcr.io/"

[[registry]]
location = "registry.k8s.io"
pull-from-mirror = "all"

[[registry.mirror]]
location = "localhost:5001"

[[registry]]
location = "quay.io"
blocked = true

[aliases]
"busybox" = "docker.io/library/busybox"
"""


def test_the_example() -> None:
    assert parse_registries_conf(EXAMPLE, F) == (
        RegistryEntry(
            "docker.io",
            ("http://127.0.0.1:5000", "https://mirror.gcr.io", "https://registry-1.docker.io"),
            F,
        ),
        RegistryEntry("registry.k8s.io", ("https://localhost:5001", "https://registry.k8s.io"), F),
        RegistryEntry("quay.io", (), F),
    )


def test_the_example_as_registry_hosts() -> None:
    hosts = RegistryHosts.of(mirror_table(parse_registries_conf(EXAMPLE, F)))
    urls = [e.url for e in hosts.endpoints(parse_docker_ref("busybox:1.28"))]
    assert urls == [
        "http://127.0.0.1:5000",
        "https://mirror.gcr.io",
        "https://registry-1.docker.io",
    ]
    assert hosts.endpoints(parse_docker_ref("quay.io/a/b:1")) == ()
    assert hosts.endpoints(parse_docker_ref("gcr.io/a/b:1")) == ()  # not named: not pulled


def test_files_without_registries() -> None:
    assert parse_registries_conf("", F) == ()
    assert parse_registries_conf('[aliases]\n"a" = "docker.io/library/a"\n', F) == ()
    assert parse_registries_conf('credential-helpers = ["x"]\n', F) == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[registry]\n",
            f"{F}: invalid TOML: Expected ']]' at the end of an array declaration "
            "(at line 1, column 11)",
        ),
        (
            '[registries.search]\nregistries = ["docker.io"]\n',
            f"{F}: registries: the V1 format ([registries.search], [registries.insecure], "
            "[registries.block]) is not supported; use [[registry]]",
        ),
        ('[registry]\nlocation = "a.io"\n', f"{F}: registry: expected [[registry]] tables"),
        ("[[registry]]\n", f"{F}: registry[0]: both location and prefix are unset"),
        (
            '[[registry]]\nprefix = "a.io"\n',
            f"{F}: registry[0].location: unset, and the prefix is not *.example.com",
        ),
        ("[[registry]]\nlocation = 5\n", f"{F}: registry[0].location: expected a string"),
        (
            '[[registry]]\nlocation = "a.io"\ninsecure = "yes"\n',
            f"{F}: registry[0].insecure: expected a boolean",
        ),
        (
            '[[registry]]\nlocation = "https://a.io"\n',
            f"{F}: registry[0].location: invalid location 'https://a.io': URI schemes are not "
            "supported",
        ),
        (
            '[[registry]]\nprefix = "a.io/team"\nlocation = "a.io"\n',
            f"{F}: registry[0].prefix: 'a.io/team': a namespace is not supported, only a whole "
            "registry (host[:port])",
        ),
        (
            '[[registry]]\nprefix = "*.a.io"\nlocation = "a.io"\n',
            f"{F}: registry[0].prefix: '*.a.io': wildcard prefixes are not supported (seclet "
            "mirrors whole registries)",
        ),
        (
            '[[registry]]\nlocation = "a.io:http"\n',
            f"{F}: registry[0].location: 'a.io:http': Port could not be cast to integer value "
            "as 'http'",
        ),
        (
            '[[registry]]\nlocation = "a.io"\ninsecure = true\n',
            f"{F}: registry[0].insecure: insecure = true for 'a.io': plain http is only allowed "
            "for loopback locations, and seclet never skips TLS verification",
        ),
        (
            '[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\nlocation = "m.io/a"\n',
            f"{F}: registry[0].mirror[0].location: 'm.io/a': a namespace is not supported, only "
            "a whole registry (host[:port])",
        ),
        (
            '[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\ninsecure = true\n',
            f"{F}: registry[0].mirror[0].location: unset",
        ),
        (
            '[[registry]]\nlocation = "a.io"\n[registry.mirror]\nlocation = "m.io"\n',
            f"{F}: registry[0].mirror: expected an array of tables",
        ),
        (
            '[[registry]]\nlocation = "a.io"\nmirror-by-digest-only = true\n',
            f"{F}: registry[0].mirror-by-digest-only: not supported (seclet resolves tags on its "
            "mirrors)",
        ),
        (
            '[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\nlocation = "m.io"\n'
            'pull-from-mirror = "digest-only"\n',
            f"{F}: registry[0].mirror[0].pull-from-mirror: 'digest-only': not supported (seclet "
            "resolves tags on its mirrors)",
        ),
        (
            '[[registry]]\nlocation = "a.io"\npull-from-mirror = "some"\n',
            f"{F}: registry[0].pull-from-mirror: 'some': expected one of all, digest-only, "
            "tag-only",
        ),
        (
            '[[registry]]\nlocation = "a.io"\n[[registry]]\nprefix = "a.io"\nlocation = "b.io"\n',
            f"{F}: registry[1].prefix: 'a.io' is already set by registry[0]",
        ),
    ],
)
def test_refusals_name_the_file_and_key(text: str, message: str) -> None:
    with pytest.raises(RegistriesConfError) as info:
        parse_registries_conf(text, F)
    assert str(info.value) == message


def test_drop_ins_replace_by_prefix_in_lexical_order(tmp_path: Path) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(
        '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m1.io"\n'
        '[[registry]]\nlocation = "gcr.io"\n'
    )
    drop_ins = tmp_path / "registries.conf.d"
    drop_ins.mkdir()
    (drop_ins / "20-late.conf").write_text(
        '[[registry]]\nprefix = "docker.io"\nlocation = "127.0.0.1:5000"\ninsecure = true\n'
    )
    (drop_ins / "10-early.conf").write_text(
        '[[registry]]\nprefix = "docker.io"\nlocation = "m2.io"\n'
    )
    (drop_ins / "ignored.txt").write_text("not toml [")
    (drop_ins / "shortnames.conf").write_text('[aliases]\n"x" = "docker.io/library/x"\n')
    assert mirror_table(load_registries_conf(conf)) == {
        "gcr.io": ["https://gcr.io"],
        "docker.io": ["http://127.0.0.1:5000"],
    }


def test_drop_ins_without_the_main_file_and_read_errors(tmp_path: Path) -> None:
    drop_ins = tmp_path / "registries.conf.d"
    drop_ins.mkdir()
    (drop_ins / "a.conf").write_text('[[registry]]\nlocation = "gcr.io"\n')
    assert mirror_table(load_registries_conf(tmp_path / "registries.conf")) == {
        "gcr.io": ["https://gcr.io"]
    }
    (drop_ins / "b.conf").write_bytes(b"\xff\xfe")
    with pytest.raises(RegistriesConfError) as info:
        load_registries_conf(tmp_path / "registries.conf")
    assert str(info.value).startswith(f"{drop_ins / 'b.conf'}: 'utf-8' codec can't decode")
    (drop_ins / "b.conf").write_text('[[registry]]\nlocation = "x.io"\ninsecure = 1\n')
    with pytest.raises(RegistriesConfError) as info:
        load_registries_conf(tmp_path / "registries.conf")
    assert str(info.value) == f"{drop_ins / 'b.conf'}: registry[0].insecure: expected a boolean"
