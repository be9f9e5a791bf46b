"""imagePullSecrets -> registry credentials. Callers: pytest."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from seclet.cri.types import AuthConfig
from seclet.kubelet.pullsecrets import image_registry_path, pull_auth


def secret(auths: dict[str, Any], kind: str = ".dockerconfigjson") -> dict[str, Any]:
    body = {"auths": auths} if kind == ".dockerconfigjson" else auths
    return {"data": {kind: base64.b64encode(json.dumps(body).encode()).decode()}}


@pytest.mark.parametrize(
    ("image", "want"),
    [
        ("busybox", ("docker.io", "library/busybox")),
        ("busybox:1.28", ("docker.io", "library/busybox")),
        ("me/app:1", ("docker.io", "me/app")),
        ("localhost:5000/app:1", ("localhost:5000", "app")),
        ("registry.example.com/team/app@sha256:abc", ("registry.example.com", "team/app")),
    ],
)
def test_image_registry_path(image: str, want: tuple[str, str]) -> None:
    assert image_registry_path(image) == want


def test_pull_auth_matching() -> None:
    hub = secret({"https://index.docker.io/v1/": {"username": "u", "password": "p"}})
    assert pull_auth("me/app:1", [hub]) == AuthConfig(username="u", password="p")
    local = secret(
        {
            "localhost:5000": {"auth": base64.b64encode(b"a:b").decode()},
            "localhost:5000/team": {"username": "t", "password": "x"},
        }
    )
    assert pull_auth("localhost:5000/app", [local]) == AuthConfig(username="a", password="b")
    assert pull_auth("localhost:5000/team/app", [local]) == AuthConfig(username="t", password="x")
    assert pull_auth("quay.io/x", [hub, local]) is None
    legacy = secret({"quay.io": {"username": "q", "password": "w"}}, kind=".dockercfg")
    assert pull_auth("quay.io/x:1", [hub, legacy]) == AuthConfig(username="q", password="w")
    assert pull_auth("busybox", [{"data": {".dockerconfigjson": "!!"}}]) is None
