"""Registry hosts and their mirrors, as containerd's ``certs.d/<host>/hosts.toml``.

Role: ``RegistryHosts`` is the frozen value the image store is built with: for each
registry host of a reference (``docker.io``, ``gcr.io``, ``registry.k8s.io``, or
``*`` for any host, containerd's ``_default``) the mirror endpoints a pull tries, in
order (``http://127.0.0.1:5000``). Plain HTTP is accepted only for loopback
endpoints (127.0.0.0/8, ``localhost``, ``[::1]``); every other endpoint must be
HTTPS. After the mirrors containerd tries the registry host itself; seclet does so
only for a loopback registry (``localhost:5000/x``, over plain http as containerd's
default for localhost). A non-loopback upstream (``registry-1.docker.io``) is never
added: pulls stay on the configured endpoints, and a host with none answers
containerd's "no registry answered" result (``<ref>: not found``).
``RegistryHosts.endpoints`` says which endpoints a reference is pulled from.
Callers: seclet.runtime.image.store, tests/registry.py, the CLI that builds the store.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from seclet.runtime.image.reference import DEFAULT_DOMAIN, Reference

DEFAULT_HOST_KEY = "*"


class RegistryHostsError(ValueError):
    """A mirror endpoint that cannot be used."""


def is_loopback_host(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1 (``host`` without port or brackets)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One mirror: ``scheme://host[:port]`` (the registry API is under ``/v2``)."""

    scheme: str
    netloc: str
    """``127.0.0.1:5000``: host and port as the URL names them."""

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise RegistryHostsError(f"mirror {url!r}: scheme must be http or https")
        if not parts.hostname or parts.username or parts.password:
            raise RegistryHostsError(f"mirror {url!r}: needs a host and no credentials")
        if parts.path not in ("", "/", "/v2", "/v2/") or parts.query or parts.fragment:
            raise RegistryHostsError(f"mirror {url!r}: only the /v2 API root is supported")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise RegistryHostsError(
                f"mirror {url!r}: plain http is only allowed for loopback endpoints"
            )
        try:
            parts.port  # noqa: B018 - validates the port
        except ValueError as exc:
            raise RegistryHostsError(f"mirror {url!r}: {exc}") from None
        return cls(parts.scheme, parts.netloc)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    @property
    def plain_http(self) -> bool:
        return self.scheme == "http"

    def manifest_url(self, ref: Reference) -> str:
        """The HEAD URL containerd's resolver uses, ``?ns=`` added for a mirror."""
        url = f"{self.url}/v2/{ref.path}/manifests/{ref.object}"
        if self.netloc != ref.domain and not (
            ref.domain == DEFAULT_DOMAIN and self.netloc == "registry-1.docker.io"
        ):
            url += f"?ns={ref.domain}"
        return url

    def source(self, ref: Reference, digest: str) -> str:
        """The ``skopeo copy`` source for ``ref`` pinned to ``digest`` at this endpoint."""
        return f"docker://{self.netloc}/{ref.path}@{digest}"


@dataclass(frozen=True, slots=True)
class RegistryHosts:
    """Registry host -> mirror endpoints, tried in order. Build with ``of``."""

    hosts: tuple[tuple[str, tuple[Endpoint, ...]], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, Iterable[str]]) -> RegistryHosts:
        """``RegistryHosts.of({"docker.io": ["http://127.0.0.1:5000"], "*": [...]})``."""
        hosts = []
        for host, urls in sorted(mapping.items()):
            if not host or "/" in host:
                raise RegistryHostsError(f"registry host {host!r}: expected a host[:port]")
            hosts.append((host, tuple(Endpoint.parse(u) for u in urls)))
        return cls(tuple(hosts))

    @classmethod
    def from_flags(cls, values: Iterable[str]) -> RegistryHosts:
        """From ``--registry-mirror`` values ``HOST=URL`` (a host may repeat: its
        mirrors are tried in the order given)."""
        mapping: dict[str, list[str]] = {}
        for value in values:
            host, sep, url = value.partition("=")
            if not sep or not host or not url:
                raise RegistryHostsError(f"registry mirror {value!r}: expected HOST=URL")
            mapping.setdefault(host, []).append(url)
        return cls.of(mapping)

    def endpoints(self, ref: Reference) -> tuple[Endpoint, ...]:
        """The mirrors for ``ref.domain`` (else those of ``*``), then the registry
        itself when it is a loopback host (containerd's default ``http://`` for
        localhost registries); a non-loopback upstream is never added."""
        table = dict(self.hosts)
        mirrors = table[ref.domain] if ref.domain in table else table.get(DEFAULT_HOST_KEY, ())
        host = urlsplit(f"//{ref.domain}").hostname or ""
        itself = Endpoint("http", ref.domain)
        if is_loopback_host(host) and itself not in mirrors:
            return (*mirrors, itself)
        return mirrors
