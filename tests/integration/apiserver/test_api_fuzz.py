"""Hostile request bodies through the real HTTP API: never a 5xx, always a Status.

Role: issue #6's fuzzing of the API (the loader has its own in tests/unit/api). A
real in-process server (TLS, token) receives, for every writable resource kind,
thousands of adversarial bodies built by hypothesis: a valid object with a random
JSON value grafted at a random path (wrong types, unknown and duplicate-looking
fields, huge numbers, control characters, deep nesting), raw bytes under each content
type kubectl may send, and malformed patches of every patch type. Every answer must be
below 500; every refusal must be a ``metav1.Status`` whose ``code`` is the HTTP
status, with ``status: Failure``, a ``reason`` and a ``message``, and for 422 causes
that each name a field. Bodies nested deeper than any real object, and bodies over
kube-apiserver's 3 MiB limit, are refused cleanly (400 / 413).
Callers: pytest (tests/integration/apiserver).
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.apiserver.conftest import Running

JSONValue = Any

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "fuzz", "labels": {"app": "x"}},
    "spec": {
        "securityContext": {"runAsUser": 1000, "fsGroup": 2000},
        "containers": [
            {
                "name": "c",
                "image": "busybox:1.28",
                "command": ["sh", "-c", "sleep 1h"],
                "securityContext": {"allowPrivilegeEscalation": False},
                "volumeMounts": [{"name": "v", "mountPath": "/data"}],
            }
        ],
        "volumes": [{"name": "v", "emptyDir": {}}],
    },
}
CONFIGMAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "fuzz"},
    "data": {"k": "v"},
}
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "fuzz"},
    "type": "Opaque",
    "stringData": {"k": "v"},
}
PVC = {
    "apiVersion": "v1",
    "kind": "PersistentVolumeClaim",
    "metadata": {"name": "fuzz"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fuzz"}}
KINDS = {
    "pods": ("/api/v1/namespaces/default/pods", POD),
    "configmaps": ("/api/v1/namespaces/default/configmaps", CONFIGMAP),
    "secrets": ("/api/v1/namespaces/default/secrets", SECRET),
    "persistentvolumeclaims": ("/api/v1/namespaces/default/persistentvolumeclaims", PVC),
    "namespaces": ("/api/v1/namespaces", NAMESPACE),
}
PATCH_TYPES = (
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)
MAX_BODY = 3 * 1024 * 1024

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", "..", "../../etc/passwd", "\x00", "a" * 300, "-1", "1e400", "$(X)"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(obj: JSONValue, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``obj`` (dict keys and list indexes)."""
    out = [prefix]
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            out += _paths(value, (*prefix, index))
    return out


def _graft(obj: JSONValue, path: tuple[Any, ...], value: JSONValue, extra_key: str | None) -> Any:
    """A deep copy of ``obj`` with ``value`` at ``path`` (or, with ``extra_key``, added
    beside it in the dict at ``path``)."""
    copy = json.loads(json.dumps(obj))
    if not path:
        return value if extra_key is None else copy
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if extra_key is not None and isinstance(parent[path[-1]], dict):
        parent[path[-1]][extra_key] = value
    else:
        parent[path[-1]] = value
    return copy


class Client:
    """A synchronous HTTPS client with the server's CA and token."""

    def __init__(self, srv: Running) -> None:
        self.base = srv.url
        self.token = srv.token
        self.ctx = ssl.create_default_context(cafile=str(srv.ca))

    def send(self, method: str, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        req = urllib.request.Request(
            self.base + path,
            data=body,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": content_type,
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()


def assert_clean(code: int, body: bytes, what: str) -> None:
    """Below 500; a refusal is a Status naming its code (422: causes with fields)."""
    assert code < 500, f"{what}: {code} {body[:500]!r}"
    if code < 400:
        return
    status = json.loads(body)
    assert status["kind"] == "Status", what
    assert status["apiVersion"] == "v1", what
    assert status["status"] == "Failure", what
    assert status["code"] == code, what
    assert isinstance(status["reason"], str) and status["reason"], what
    assert isinstance(status["message"], str) and status["message"], what
    if code == 422 and "is invalid" in status["message"]:  # validation: causes name fields
        causes = status["details"]["causes"]
        assert causes, what
        assert all(isinstance(c.get("field"), str) for c in causes), what


@pytest.fixture
def client(apiserver: Running) -> Client:
    return Client(apiserver)


FUZZ = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(FUZZ, max_examples=1000)
@given(data=st.data(), kind=st.sampled_from(sorted(KINDS)), value=values)
def test_grafted_values_never_fail_the_server(
    client: Client, data: st.DataObject, kind: str, value: JSONValue
) -> None:
    path, base = KINDS[kind]
    where = data.draw(st.sampled_from(_paths(base)))
    extra = data.draw(st.one_of(st.none(), st.text(min_size=1, max_size=12)))
    body = _graft(base, where, value, extra)
    field_validation = data.draw(st.sampled_from(["", "Strict", "Warn", "Ignore", "bogus"]))
    query = f"?fieldValidation={field_validation}" if field_validation else ""
    code, answer = client.send("POST", path + query, json.dumps(body).encode(), "application/json")
    assert_clean(code, answer, f"{kind} at {where!r} = {value!r}")
    if code == 201:  # accepted: delete it so the next example starts clean
        name = json.loads(answer)["metadata"]["name"]
        code, answer = client.send(
            "DELETE", f"{path}/{name}?gracePeriodSeconds=0", b"", "application/json"
        )
        assert_clean(code, answer, f"delete {kind}/{name}")


@FUZZ
@given(
    kind=st.sampled_from(sorted(KINDS)),
    raw=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/yaml",
            "application/vnd.kubernetes.protobuf",
            "text/plain",
        ]
    ),
)
def test_raw_bytes_never_fail_the_server(
    client: Client, kind: str, raw: bytes, content_type: str
) -> None:
    path, _ = KINDS[kind]
    code, answer = client.send("POST", path, raw, content_type)
    assert_clean(code, answer, f"{kind} {content_type} {raw!r}")
    assert code != 201 or content_type != "text/plain"


@FUZZ
@given(patch_type=st.sampled_from(PATCH_TYPES), patch=values, raw=st.booleans())
def test_malformed_patches_never_fail_the_server(
    client: Client, patch_type: str, patch: JSONValue, raw: bool
) -> None:
    code, answer = client.send(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        json.dumps(CONFIGMAP).encode(),
        "application/json",
    )
    assert code in (201, 409), answer
    body = json.dumps(patch).encode() if not raw else repr(patch).encode()
    query = "?fieldManager=fuzz" if patch_type.startswith("application/apply") else ""
    code, answer = client.send(
        "PATCH", f"/api/v1/namespaces/default/configmaps/fuzz{query}", body, patch_type
    )
    assert_clean(code, answer, f"{patch_type} {body[:200]!r}")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_deep_nesting_is_refused_cleanly(client: Client, kind: str) -> None:
    path, base = KINDS[kind]
    deep = "[" * 100_000 + '"x"' + "]" * 100_000
    head = json.dumps({**base, "metadata": {"name": "deep", "annotations": {"a": "b"}}})
    body = head[:-1] + ', "x": ' + deep + "}"
    code, answer = client.send("POST", path, body.encode(), "application/json")
    assert code == 400, answer[:300]
    assert_clean(code, answer, "deep nesting")
    yaml_deep = ("- " * 2000 + "x\n").encode()
    code, answer = client.send("POST", path, yaml_deep, "application/yaml")
    assert_clean(code, answer, "deep YAML nesting")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_bodies_over_the_limit_are_413(client: Client, kind: str) -> None:
    path, base = KINDS[kind]
    body = json.dumps({**base, "padding": "x" * MAX_BODY}).encode()
    code, answer = client.send("POST", path, body, "application/json")
    assert code == 413
    assert_clean(code, answer, "oversized body")
