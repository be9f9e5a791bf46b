"""Registry credentials from a pod's imagePullSecrets (pure).

Role: the kubelet's docker keyring built from ``kubernetes.io/dockerconfigjson``
(``.dockerconfigjson``: ``{"auths": {...}}``) and ``kubernetes.io/dockercfg``
(``.dockercfg``) secrets: the entry whose registry matches the image's registry
(``docker.io`` also answers to ``index.docker.io`` and ``https://index.docker.io/v1/``;
an entry may name a path prefix) gives the ``AuthConfig`` for ``PullImage``, from
``username``/``password`` or the base64 ``auth`` "user:password".
Callers: seclet.kubelet.worker, tests.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from typing import Any

from seclet.cri.types import AuthConfig

DOCKER_HUB_ALIASES = ("docker.io", "index.docker.io", "registry-1.docker.io")


def image_registry_path(image: str) -> tuple[str, str]:
    """(registry host, repository path) of an image reference, docker-normalised."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "docker.io", name if "/" in name else f"library/{name}"


def _entry_key(key: str) -> tuple[str, str]:
    key = key.removeprefix("https://").removeprefix("http://")
    host, _, path = key.partition("/")
    if host in DOCKER_HUB_ALIASES:
        host = "docker.io"
        if path in ("v1/", "v1", "v2/", "v2"):
            path = ""
    return host, path.strip("/")


def _auth(entry: Mapping[str, Any]) -> AuthConfig | None:
    user = str(entry.get("username") or "")
    password = str(entry.get("password") or "")
    if not user and entry.get("auth"):
        try:
            decoded = base64.b64decode(str(entry["auth"])).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
    if not user and not password:
        return None
    return AuthConfig(username=user, password=password)


def _entries(secret: Mapping[str, Any]) -> dict[str, Any]:
    data = secret.get("data") or {}
    for key, wrapped in ((".dockerconfigjson", True), (".dockercfg", False)):
        if key in data:
            try:
                parsed = json.loads(base64.b64decode(data[key]))
            except (binascii.Error, ValueError):
                return {}
            if not isinstance(parsed, dict):
                return {}
            auths = parsed.get("auths", {}) if wrapped else parsed
            return auths if isinstance(auths, dict) else {}
    return {}


def pull_auth(image: str, secrets: Iterable[Mapping[str, Any]]) -> AuthConfig | None:
    """The credentials for ``image``: the most specific matching entry of the first
    secret that has one."""
    host, path = image_registry_path(image)
    for secret in secrets:
        best: tuple[int, AuthConfig] | None = None
        for key, entry in _entries(secret).items():
            if not isinstance(entry, dict):
                continue
            entry_host, entry_path = _entry_key(key)
            if entry_host != host:
                continue
            if entry_path and not (path == entry_path or path.startswith(entry_path + "/")):
                continue
            auth = _auth(entry)
            if auth is not None and (best is None or len(entry_path) > best[0]):
                best = (len(entry_path), auth)
        if best is not None:
            return best[1]
    return None
