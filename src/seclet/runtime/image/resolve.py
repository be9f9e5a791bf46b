"""Resolve a reference to a manifest digest on its mirrors, as containerd's resolver.

Role: before anything is copied, ``resolve`` asks each endpoint of the reference's
registry host, in order, ``HEAD /v2/<path>/manifests/<tag|digest>`` (``?ns=<host>``
on a mirror) with containerd's ``Accept`` list, and answers the first 2xx with the
manifest's digest, media type and size. Failures read as containerd's
``dockerResolver.Resolve`` returns them, so the CRI message is upstream's:

- every endpoint answered 404, or there is no endpoint: ``<ref>: not found``;
- otherwise the first non-404 failure: ``failed to do request: Head "<url>": dial tcp
  <host:port>: connect: connection refused`` (Go's ``url.Error`` text), or
  ``unexpected status from HEAD request to <url>: 500 Internal Server Error``.

A 401 is reported as containerd reports an authorization it cannot satisfy
(``pull access denied, repository does not exist or may require authorization: ...``).
Only loopback endpoints carry plain HTTP (``RegistryHosts`` enforces it).
Callers: seclet.runtime.image.store.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import hashlib
from dataclasses import dataclass
from http import HTTPStatus

import aiohttp

from seclet.runtime.image.hosts import Endpoint, RegistryHosts
from seclet.runtime.image.reference import Reference

MANIFEST_ACCEPT = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "*/*",
    )
)
"""containerd's ``Accept`` header for manifests (remotes/docker/resolver.go)."""
INDEX_MEDIA_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    }
)
REQUEST_TIMEOUT_SECONDS = 30.0


class ResolveError(Exception):
    """No endpoint resolved the reference; ``str()`` is containerd's resolver error."""


class ResolveNotFoundError(ResolveError):
    """Every endpoint answered 404, or there is none (containerd's ``ErrNotFound``)."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where and what a reference resolved to."""

    endpoint: Endpoint
    digest: str
    media_type: str
    size: int

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_MEDIA_TYPES


def _go_status(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _dial_error(endpoint: Endpoint, exc: BaseException) -> str:
    """Go's ``net.OpError`` text for a failed dial."""
    port = endpoint.netloc.rsplit(":", 1)[1] if ":" in endpoint.netloc.split("]")[-1] else ""
    default_port = 443 if endpoint.scheme == "https" else 80
    address = endpoint.netloc if port else f"{endpoint.netloc}:{default_port}"
    os_error = getattr(exc, "os_error", None) or exc
    if isinstance(os_error, OSError) and os_error.errno == errno.ECONNREFUSED:
        return f"dial tcp {address}: connect: connection refused"
    if isinstance(os_error, (TimeoutError, asyncio.TimeoutError)):
        return f"dial tcp {address}: i/o timeout"
    text = os_error.strerror if isinstance(os_error, OSError) and os_error.strerror else str(exc)
    return f"dial tcp {address}: connect: {text[:1].lower()}{text[1:]}"


def _headers(auth: tuple[str, str] | None) -> dict[str, str]:
    headers = {"Accept": MANIFEST_ACCEPT}
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return headers


async def resolve(
    ref: Reference,
    hosts: RegistryHosts,
    auth: tuple[str, str] | None = None,
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
) -> Resolved:
    """The manifest ``ref`` names on the first endpoint that has it."""
    first_error: str | None = None
    client_timeout = aiohttp.ClientTimeout(total=request_timeout)
    async with aiohttp.ClientSession(timeout=client_timeout, trust_env=False) as session:
        for endpoint in hosts.endpoints(ref):
            url = endpoint.manifest_url(ref)
            try:
                async with session.head(url, headers=_headers(auth)) as resp:
                    status = resp.status
                    digest = resp.headers.get("Docker-Content-Digest", "")
                    media_type = resp.headers.get("Content-Type", "")
                    length = resp.headers.get("Content-Length", "")
                if 200 <= status <= 299 and (not digest or not length.isdigit()):
                    async with session.get(url, headers=_headers(auth)) as resp:
                        body = await resp.read()
                        status = resp.status
                        media_type = resp.headers.get("Content-Type", media_type)
                    digest = "sha256:" + hashlib.sha256(body).hexdigest()
                    length = str(len(body))
            except (aiohttp.ClientConnectionError, OSError, TimeoutError) as exc:
                if first_error is None:
                    first_error = (
                        f'failed to do request: Head "{url}": {_dial_error(endpoint, exc)}'
                    )
                continue
            if status == 404:
                continue
            if status == 401:
                if first_error is None:
                    first_error = (
                        "pull access denied, repository does not exist or may require "
                        f"authorization: unexpected status from HEAD request to {url}: "
                        f"{_go_status(status)}"
                    )
                continue
            if status > 299:
                if first_error is None:
                    first_error = (
                        f"unexpected status from HEAD request to {url}: {_go_status(status)}"
                    )
                continue
            if ref.digest and digest != ref.digest:
                if first_error is None:
                    first_error = f"{ref}: manifest digest mismatch: got {digest}"
                continue
            return Resolved(endpoint, digest, media_type.split(";")[0].strip(), int(length))
    if first_error is None:
        raise ResolveNotFoundError(f"{ref}: not found")
    raise ResolveError(first_error)
