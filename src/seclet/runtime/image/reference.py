"""Image references normalised exactly as containerd's CRI does (``ParseDockerRef``).

Role: ``parse_docker_ref("busybox:1.28")`` -> ``Reference`` whose ``str`` is
``docker.io/library/busybox:1.28``; a bare name gains ``:latest``; a reference with
both a tag and a digest keeps only the digest (as containerd does). The grammar and
the error texts are those of ``github.com/distribution/reference`` (v0.6) and
``github.com/opencontainers/go-digest``, which containerd uses; containerd's CRI
wraps them as ``failed to parse image reference "<ref>": <error>`` when pulling.
Callers: seclet.runtime.image.store, seclet.runtime.image.hosts, tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
NAME_TOTAL_LENGTH_MAX = 255
"""``RepositoryNameTotalLengthMax``: the path (without the domain) at most."""

_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_AND_PORT = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_NAME = rf"(?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME}"
_REFERENCE_RE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$", re.ASCII)
_ANCHORED_IDENTIFIER_RE = re.compile(r"^[a-f0-9]{64}$")
_DIGEST_ANCHORED_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_HEX_RE = re.compile(r"^[a-f0-9]+$")


class InvalidReferenceError(ValueError):
    """Not a valid image reference; ``str()`` is distribution/reference's message."""


@dataclass(frozen=True, slots=True)
class Reference:
    """A normalised image reference: ``domain/path`` plus a tag or a digest."""

    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        """``docker.io/library/busybox`` (the repository, fully qualified)."""
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        if self.digest:
            return f"{self.name}@{self.digest}"
        return f"{self.name}:{self.tag}"

    @property
    def object(self) -> str:
        """What the registry's ``/manifests/<object>`` names: the digest or the tag."""
        return self.digest or self.tag

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, "", digest)


def validate_digest(value: str) -> None:
    """go-digest's ``Digest.Validate`` (sha256, sha384, sha512 available)."""
    i = value.find(":")
    if i <= 0 or i + 1 == len(value):
        raise InvalidReferenceError("invalid checksum digest format")
    algorithm, encoded = value[:i], value[i + 1 :]
    length = _DIGEST_LENGTHS.get(algorithm)
    if length is None:
        if not _DIGEST_ANCHORED_RE.match(value):
            raise InvalidReferenceError("invalid checksum digest format")
        raise InvalidReferenceError("unsupported digest algorithm")
    if len(encoded) != length:
        raise InvalidReferenceError("invalid checksum digest length")
    if not _HEX_RE.match(encoded):
        raise InvalidReferenceError("invalid checksum digest format")


def _split_docker_domain(name: str) -> tuple[str, str]:
    i = name.find("/")
    first = name[:i]
    if i == -1 or (
        not any(c in first for c in ".:") and first != "localhost" and first.lower() == first
    ):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, name[i + 1 :]
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_REPO_PREFIX + remainder
    return domain, remainder


def _parse(s: str) -> tuple[str, str, str]:
    """distribution/reference ``Parse``: (name, tag, digest)."""
    m = _REFERENCE_RE.match(s)
    if m is None:
        if s == "":
            raise InvalidReferenceError("repository name must have at least one component")
        if _REFERENCE_RE.match(s.lower()) is not None:
            raise InvalidReferenceError(
                "invalid reference format: repository name must be lowercase"
            )
        raise InvalidReferenceError("invalid reference format")
    name, tag, digest = m.group(1), m.group(2) or "", m.group(3) or ""
    if len(name.split("/", 1)[-1]) > NAME_TOTAL_LENGTH_MAX:  # the path, not the domain
        raise InvalidReferenceError(
            f"repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
        )
    if digest:
        validate_digest(digest)
    return name, tag, digest


def parse_normalized_named(s: str) -> Reference:
    """``ParseNormalizedNamed``: fully qualify, keep tag and digest as given."""
    if _ANCHORED_IDENTIFIER_RE.match(s):
        raise InvalidReferenceError(
            f"invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
        )
    domain, remainder = _split_docker_domain(s)
    tag_sep = remainder.find(":")
    remote_name = remainder[:tag_sep] if tag_sep > -1 else remainder
    if remote_name.lower() != remote_name:
        raise InvalidReferenceError(
            f"invalid reference format: repository name ({remote_name}) must be lowercase"
        )
    name, tag, digest = _parse(f"{domain}/{remainder}")
    slash = name.index("/")
    return Reference(name[:slash], name[slash + 1 :], tag, digest)


def parse_docker_ref(s: str) -> Reference:
    """``ParseDockerRef``: normalise; digest wins over tag; no tag means ``latest``."""
    ref = parse_normalized_named(s)
    if ref.digest:
        return Reference(ref.domain, ref.path, "", ref.digest)
    return Reference(ref.domain, ref.path, ref.tag or "latest", "")


def normalize(s: str) -> str:
    """``str(parse_docker_ref(s))``."""
    return str(parse_docker_ref(s))
