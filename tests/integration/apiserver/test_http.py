"""The API server over raw HTTPS: authentication, limits, discovery, watch, files.

Role: what kubectl does not show directly — 401 Status without a token, 413 over
3 MiB, aggregated discovery's media type, watch streams from a resourceVersion and
410 Expired from a compacted one, 0600 credential files, and ``seclet server`` as a
subprocess with the SQLite store. Callers: pytest.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from integration.apiserver.conftest import Running


def _request(
    srv: Running,
    path: str,
    *,
    token: str | None = "",
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], bytes]:
    ctx = ssl.create_default_context(cafile=str(srv.ca))
    req = urllib.request.Request(srv.url + path, data=body, method=method)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token or srv.token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _json(data: bytes) -> Any:
    return json.loads(data)


def test_unauthorized_without_or_with_wrong_token(apiserver: Running) -> None:
    expected = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    code, _, body = _request(apiserver, "/api/v1/pods", token=None)
    assert (code, _json(body)) == (401, expected)
    code, _, body = _request(apiserver, "/api/v1/pods", token="wrong")
    assert (code, _json(body)) == (401, expected)
    code, _, body = _request(apiserver, "/healthz", token=None)
    assert (code, body) == (200, b"ok")


def test_body_over_3mib_is_413(apiserver: Running) -> None:
    body = b'{"metadata":{"name":"p","annotations":{"a":"' + b"x" * (3 * 1024 * 1024) + b'"}}}'
    code, _, out = _request(
        apiserver,
        "/api/v1/namespaces/default/pods",
        method="POST",
        body=body,
        headers={"Content-Type": "application/json"},
    )
    assert code == 413
    assert _json(out)["reason"] == "RequestEntityTooLarge"


def test_aggregated_discovery(apiserver: Running) -> None:
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    code, headers, body = _request(apiserver, "/api", headers={"Accept": accept})
    assert code == 200
    assert headers["Content-Type"].startswith("application/json;g=apidiscovery.k8s.io;v=v2")
    doc = _json(body)
    resources = {r["resource"]: r for r in doc["items"][0]["versions"][0]["resources"]}
    assert resources["pods"]["shortNames"] == ["po"]
    assert resources["namespaces"]["scope"] == "Cluster"
    code, _, body = _request(apiserver, "/api")
    assert _json(body)["kind"] == "APIVersions"


POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "w"},
    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
}


def test_watch_from_resource_version_and_expired(apiserver: Running) -> None:
    code, _, body = _request(apiserver, "/api/v1/namespaces/default/pods")
    rv = _json(body)["metadata"]["resourceVersion"]
    code, headers, _ = _request(
        apiserver,
        "/api/v1/namespaces/default/pods",
        method="POST",
        body=json.dumps({**POD, "spec": {**POD["spec"], "foo": 1}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert code == 201
    assert headers["Warning"] == '299 - "unknown field \\"spec.foo\\""'
    _request(apiserver, "/api/v1/namespaces/default/pods/w", method="DELETE")
    code, _, body = _request(
        apiserver,
        f"/api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1",
    )
    events = [json.loads(line) for line in body.splitlines()]
    # Upstream's store stamps deletionTimestamp (grace 0: the pod is on no node) in an
    # update, then deletes: MODIFIED before DELETED.
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "w"),
        ("MODIFIED", "w"),
        ("DELETED", "w"),
    ]
    assert events[1]["object"]["metadata"]["deletionGracePeriodSeconds"] == 0
    store = apiserver.server.store
    assert store is not None
    store._compacted = store.current_resource_version()  # type: ignore[attr-defined]
    code, _, body = _request(
        apiserver,
        f"/api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1",
    )
    (event,) = [json.loads(line) for line in body.splitlines()]
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"


def test_credentials_are_private(apiserver: Running) -> None:
    data = apiserver.server.config.data_dir
    assert data.stat().st_mode & 0o777 == 0o711  # traversable (user-namespaced pods), not listable
    assert (data / "pki").stat().st_mode & 0o777 == 0o700
    for path in [data / "token", *sorted((data / "pki").iterdir()), apiserver.kubeconfig]:
        assert path.stat().st_mode & 0o777 == 0o600, path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_seclet_server_subprocess(tmp_path: Path) -> None:
    port = _free_port()
    kubeconfig = tmp_path / "kc.yaml"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seclet",
            "server",
            "--data-dir",
            str(tmp_path / "d"),
            "--port",
            str(port),
            "--kubeconfig",
            str(kubeconfig),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        ctx = ssl._create_unverified_context()
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(
                    f"https://127.0.0.1:{port}/healthz", context=ctx, timeout=1
                ) as r:
                    assert r.read() == b"ok"
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert kubeconfig.stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "d" / "store.db").exists()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert f"kubeconfig: {kubeconfig}" in err


def test_a_watch_the_client_closed_ends_quietly(
    apiserver: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that drops its watch (kubectl get -w interrupted) while events keep
    coming: the stream ends without an aiohttp 'Error handling request' traceback."""
    ctx = ssl.create_default_context(cafile=str(apiserver.ca))
    host, port = apiserver.url.removeprefix("https://").split(":")
    raw = socket.create_connection((host, int(port)), timeout=10)
    conn = ctx.wrap_socket(raw, server_hostname=host)
    conn.sendall(
        b"GET /api/v1/namespaces/default/configmaps?watch=true HTTP/1.1\r\n"
        + f"Host: {host}\r\nAuthorization: Bearer {apiserver.token}\r\n\r\n".encode()
    )
    assert conn.recv(4096).startswith(b"HTTP/1.1 200")
    conn.close()
    with caplog.at_level(logging.ERROR):
        for i in range(5):
            body = json.dumps({"metadata": {"name": f"after-{i}"}, "data": {"k": "v"}}).encode()
            code, _, _ = _request(
                apiserver,
                "/api/v1/namespaces/default/configmaps",
                method="POST",
                body=body,
                headers={"Content-Type": "application/json"},
            )
            assert code == 201
            time.sleep(0.1)
        time.sleep(0.5)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
