"""containers-registries.conf(5) (version 2) as the image store's registry mirrors.

Role: turn ``/etc/containers/registries.conf`` and its ``registries.conf.d/*.conf``
drop-ins into the ``host -> [mirror URL]`` table that ``RegistryHosts.of`` takes.
Pure: ``parse_registries_conf(text, source)`` (one file) and ``merge`` (drop-ins by
prefix) and ``mirror_table``; I/O: ``load_registries_conf(path)``, a thin reader.

What a ``[[registry]]`` table means here, as containers/image reads it:

- ``prefix`` (default: ``location``) is the registry whose images it covers; seclet's
  mirrors are per registry, so a prefix must be a whole ``host[:port]``: a namespace
  (``example.com/foo``) or a wildcard (``*.example.com``) is refused, never widened.
- a pull tries the ``[[registry.mirror]]`` locations in order, then ``location``
  (required unless the prefix is a wildcard, as in containers/image); every one is a
  ``host[:port]`` the file names, reached over HTTPS (``docker.io`` is
  ``registry-1.docker.io``, as containers/image maps it). ``insecure = true`` means
  plain http, which seclet allows only for loopback hosts (the rule of
  ``--registry-mirror``): a non-loopback insecure location is refused, as seclet
  never skips TLS verification.
- ``blocked = true``: no endpoint at all (pulls of that registry are not found,
  except from a loopback registry itself, see ``hosts``).
- ``mirror-by-digest-only = true`` and ``pull-from-mirror = "digest-only"|"tag-only"``
  are refused: seclet resolves tags on its mirrors, so they cannot be honoured.
- other keys (``unqualified-search-registries``, ``short-name-mode``,
  ``[aliases]``, ``credential-helpers``) do not concern mirrors and are ignored, as
  unknown keys are by containers/image; the V1 ``[registries.*]`` tables are refused.

Drop-ins (``<dir of the file>/registries.conf.d/*.conf``, in lexical order) replace
an earlier ``[[registry]]`` with the same prefix (containers-registries.conf.d(5)).
A malformed file raises ``RegistriesConfError``: ``<file>: <key>: <reason>``.
Callers: seclet.cli.server (merged after the ``--registry-mirror`` flags), tests.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from seclet.runtime.image.hosts import is_loopback_host

DROP_IN_DIR = "registries.conf.d"
DOCKER_HUB = "docker.io"
DOCKER_HUB_ENDPOINT = "registry-1.docker.io"
_PULL_FROM_MIRROR = ("all", "digest-only", "tag-only")


class RegistriesConfError(ValueError):
    """A registries.conf that cannot be used: ``<file>: <key>: <reason>``."""


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """One ``[[registry]]``: its registry and the endpoints a pull tries, in order."""

    prefix: str
    endpoints: tuple[str, ...]
    """``https://mirror.example.com``, ``http://127.0.0.1:5000``: mirrors, then location."""
    source: str


def _get(table: dict[str, Any], key: str, kind: type, where: str, source: str) -> Any:
    value = table.get(key)
    if value is not None and not isinstance(value, kind):
        expected = {str: "a string", bool: "a boolean", list: "an array of tables"}[kind]
        raise RegistriesConfError(f"{source}: {where}.{key}: expected {expected}")
    return value


def _host(value: str, key: str, source: str) -> str:
    """A location or prefix as containers/image parses it (no scheme, no trailing
    ``/``), which must be a whole ``host[:port]`` here."""
    host = value.rstrip("/")
    if host.startswith(("http://", "https://")):
        raise RegistriesConfError(
            f"{source}: {key}: invalid location '{value}': URI schemes are not supported"
        )
    if host.startswith("*."):
        raise RegistriesConfError(
            f"{source}: {key}: {value!r}: wildcard prefixes are not supported "
            "(seclet mirrors whole registries)"
        )
    if "/" in host:
        raise RegistriesConfError(
            f"{source}: {key}: {value!r}: a namespace is not supported, only a whole "
            "registry (host[:port])"
        )
    parts = urlsplit(f"//{host}")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise RegistriesConfError(f"{source}: {key}: {value!r}: {exc}") from None
    if not host or not parts.hostname or parts.username is not None:
        raise RegistriesConfError(f"{source}: {key}: {value!r}: expected host[:port]")
    return host


def _endpoint(host: str, insecure: bool, key: str, source: str) -> str:
    hostname = urlsplit(f"//{host}").hostname or ""
    if insecure:
        if not is_loopback_host(hostname):
            raise RegistriesConfError(
                f"{source}: {key}: insecure = true for {host!r}: plain http is only "
                "allowed for loopback locations, and seclet never skips TLS verification"
            )
        return f"http://{host}"
    return f"https://{DOCKER_HUB_ENDPOINT if host == DOCKER_HUB else host}"


def _mirror_policy(table: dict[str, Any], where: str, source: str) -> None:
    if _get(table, "mirror-by-digest-only", bool, where, source):
        raise RegistriesConfError(
            f"{source}: {where}.mirror-by-digest-only: not supported (seclet resolves "
            "tags on its mirrors)"
        )
    pull_from = _get(table, "pull-from-mirror", str, where, source)
    if pull_from is not None and pull_from not in _PULL_FROM_MIRROR:
        raise RegistriesConfError(
            f"{source}: {where}.pull-from-mirror: {pull_from!r}: expected one of "
            f"{', '.join(_PULL_FROM_MIRROR)}"
        )
    if pull_from not in (None, "all"):
        raise RegistriesConfError(
            f"{source}: {where}.pull-from-mirror: {pull_from!r}: not supported (seclet "
            "resolves tags on its mirrors)"
        )


def _entry(table: object, where: str, source: str) -> RegistryEntry:
    if not isinstance(table, dict):
        raise RegistriesConfError(f"{source}: {where}: expected a table")
    location = _get(table, "location", str, where, source) or ""
    prefix = _get(table, "prefix", str, where, source) or ""
    insecure = bool(_get(table, "insecure", bool, where, source))
    blocked = bool(_get(table, "blocked", bool, where, source))
    _mirror_policy(table, where, source)
    if not prefix and not location:
        raise RegistriesConfError(f"{source}: {where}: both location and prefix are unset")
    if prefix:
        prefix = _host(prefix, f"{where}.prefix", source)
    if not location:
        raise RegistriesConfError(
            f"{source}: {where}.location: unset, and the prefix is not *.example.com"
        )
    location = _host(location, f"{where}.location", source)
    prefix = prefix or location
    endpoints = []
    mirrors = _get(table, "mirror", list, where, source) or []
    for n, mirror in enumerate(mirrors):
        key = f"{where}.mirror[{n}]"
        if not isinstance(mirror, dict):
            raise RegistriesConfError(f"{source}: {key}: expected a table")
        mirror_location = _get(mirror, "location", str, key, source)
        if not mirror_location:
            raise RegistriesConfError(f"{source}: {key}.location: unset")
        _mirror_policy(mirror, key, source)
        host = _host(mirror_location, f"{key}.location", source)
        mirror_insecure = bool(_get(mirror, "insecure", bool, key, source))
        endpoints.append(_endpoint(host, mirror_insecure, f"{key}.insecure", source))
    endpoints.append(_endpoint(location, insecure, f"{where}.insecure", source))
    if blocked:
        endpoints = []
    return RegistryEntry(prefix, tuple(dict.fromkeys(endpoints)), source)


def parse_registries_conf(text: str, source: str) -> tuple[RegistryEntry, ...]:
    """The ``[[registry]]`` tables of one file, in order (``source`` names it in
    errors)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistriesConfError(f"{source}: invalid TOML: {exc}") from None
    if "registries" in doc:
        raise RegistriesConfError(
            f"{source}: registries: the V1 format ([registries.search], "
            "[registries.insecure], [registries.block]) is not supported; use [[registry]]"
        )
    tables = doc.get("registry", [])
    if not isinstance(tables, list):
        raise RegistriesConfError(f"{source}: registry: expected [[registry]] tables")
    entries: list[RegistryEntry] = []
    seen: dict[str, int] = {}
    for n, table in enumerate(tables):
        entry = _entry(table, f"registry[{n}]", source)
        if entry.prefix in seen:
            raise RegistriesConfError(
                f"{source}: registry[{n}].prefix: {entry.prefix!r} is already set by "
                f"registry[{seen[entry.prefix]}]"
            )
        seen[entry.prefix] = n
        entries.append(entry)
    return tuple(entries)


def merge(files: Iterable[Sequence[RegistryEntry]]) -> tuple[RegistryEntry, ...]:
    """The main file then each drop-in: a later entry replaces one with its prefix."""
    merged: dict[str, RegistryEntry] = {}
    for entries in files:
        for entry in entries:
            merged.pop(entry.prefix, None)
            merged[entry.prefix] = entry
    return tuple(merged.values())


def mirror_table(entries: Iterable[RegistryEntry]) -> dict[str, list[str]]:
    """``{prefix: [endpoint URL, ...]}`` for ``RegistryHosts.of``."""
    return {entry.prefix: list(entry.endpoints) for entry in entries}


def config_files(path: Path) -> list[Path]:
    """``path`` (when it exists), then ``<its dir>/registries.conf.d/*.conf`` sorted."""
    files = [path] if path.exists() else []
    drop_ins = path.parent / DROP_IN_DIR
    if drop_ins.is_dir():
        files += sorted(p for p in drop_ins.iterdir() if p.suffix == ".conf" and p.is_file())
    return files


def load_registries_conf(path: Path) -> tuple[RegistryEntry, ...]:
    """Read and merge ``path`` and its drop-ins (see ``config_files``)."""
    parsed = []
    for file in config_files(path):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise RegistriesConfError(f"{file}: {reason}") from None
        parsed.append(parse_registries_conf(text, str(file)))
    return merge(parsed)
