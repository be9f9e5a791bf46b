"""``/metrics``, ``/livez`` and ``/readyz`` over HTTPS, and the storage group's discovery.

Role: the Prometheus text of the server's own registry (``apiserver_request_total``
with upstream's labels, a collector another component registered on
``Server.metrics``), authentication of ``/metrics``, the health endpoints' ``ok``,
``?verbose`` and per-check forms, and ``/apis`` listing ``storage.k8s.io``.
Callers: pytest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from integration.apiserver.conftest import Kubectl, Running
from integration.apiserver.test_http import _request
from seclet.apiserver.metrics import request_labels


class _Conflicts(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("selinux_warning_controller_selinux_volume_conflict", "test")
        family.add_metric([], 0)
        yield family


def test_metrics_counts_requests(apiserver: Running, kubectl: Kubectl) -> None:
    apiserver.server.metrics.register(_Conflicts())
    assert kubectl("create", "configmap", "m", "--from-literal=a=b").returncode == 0
    assert kubectl("get", "cm", "m").returncode == 0
    assert kubectl("get", "pv").returncode == 0
    code, _, _ = _request(apiserver, "/metrics", token=None)
    assert code == 401
    code, headers, body = _request(apiserver, "/metrics")
    assert code == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = body.decode()
    assert "# TYPE apiserver_request_total counter" in text
    assert (
        'apiserver_request_total{code="201",component="apiserver",dry_run="",group="",'
        'resource="configmaps",scope="namespace",subresource="",verb="POST",version="v1"} 1.0'
    ) in text
    assert (
        'apiserver_request_total{code="200",component="apiserver",dry_run="",group="",'
        'resource="configmaps",scope="resource",subresource="",verb="GET",version="v1"} 1.0'
    ) in text
    assert (
        'apiserver_request_total{code="200",component="apiserver",dry_run="",group="",'
        'resource="persistentvolumes",scope="cluster",subresource="",verb="LIST",version="v1"}'
    ) in text
    assert "apiserver_request_created" not in text
    assert "selinux_warning_controller_selinux_volume_conflict 0.0" in text


def test_request_labels() -> None:
    assert request_labels("GET", "/api/v1/namespaces/d/pods", {"watch": "true"}, "", 200) == (
        "200",
        "apiserver",
        "",
        "",
        "pods",
        "namespace",
        "",
        "WATCH",
        "v1",
    )
    assert request_labels(
        "PATCH", "/apis/storage.k8s.io/v1/storageclasses/s", {}, "application/apply-patch+yaml", 200
    ) == ("200", "apiserver", "", "storage.k8s.io", "storageclasses", "resource", "", "APPLY", "v1")
    assert request_labels("POST", "/api/v1/namespaces/d/pods/p/exec", {}, "", 101) == (
        "101",
        "apiserver",
        "",
        "",
        "pods",
        "resource",
        "exec",
        "CONNECT",
        "v1",
    )
    assert request_labels("GET", "/api/v1/namespaces/d", {}, "", 200) == (
        "200",
        "apiserver",
        "",
        "",
        "namespaces",
        "resource",
        "",
        "GET",
        "v1",
    )
    assert request_labels("GET", "/apis", {}, "", 200) is None


def test_livez_readyz(apiserver: Running) -> None:
    for endpoint in ("livez", "readyz"):
        code, _, body = _request(apiserver, f"/{endpoint}", token=None)
        assert (code, body) == (200, b"ok")
        code, _, body = _request(apiserver, f"/{endpoint}/ping", token=None)
        assert (code, body) == (200, b"ok")
    code, _, body = _request(apiserver, "/readyz?verbose", token=None)
    assert code == 200
    assert body.decode() == (
        "[+]ping ok\n[+]log ok\n[+]store ok\n[+]shutdown ok\nreadyz check passed\n"
    )
    code, _, body = _request(apiserver, "/livez?verbose&exclude=log", token=None)
    assert code == 200
    assert body.decode() == "[+]ping ok\n[+]log excluded: ok\n[+]store ok\nlivez check passed\n"
    code, _, _ = _request(apiserver, "/livez/nope", token=None)
    assert code == 404


def test_storage_group_discovery(apiserver: Running) -> None:
    code, _, body = _request(apiserver, "/apis")
    assert code == 200
    groups = [g["name"] for g in json.loads(body)["groups"]]
    assert groups == ["storage.k8s.io", "coordination.k8s.io"]
    code, _, body = _request(apiserver, "/apis/storage.k8s.io/v1")
    assert code == 200
    resource = json.loads(body)["resources"][0]
    assert (resource["name"], resource["kind"], resource["shortNames"]) == (
        "storageclasses",
        "StorageClass",
        ["sc"],
    )
    code, _, body = _request(apiserver, "/openapi/v3")
    assert code == 200
    assert set(json.loads(body)["paths"]) == {
        "api/v1",
        "apis/storage.k8s.io/v1",
        "apis/coordination.k8s.io/v1",
    }
