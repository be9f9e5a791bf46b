"""Many clients at once: parallel creates, a watcher and execs against one real node.

Role: issue #6 item 3 — pods applied at the same time by parallel clients (the
official Python client, one connection pool each), while a watch follows every change
and execs run in the pods already up: every pod reaches Running, the watch's
resourceVersions strictly increase with no event lost or repeated, and no request
fails with a 5xx. Then all are deleted at once and the node is left empty.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

from e2e.node import Node

pytestmark = pytest.mark.e2e

PODS = 100
CLIENTS = 6
NAMESPACE = "crowd"


def _api(node: Node) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(node.kubeconfig)))  # type: ignore[no-untyped-call]


def _pod(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"crowd-{i:03d}", "labels": {"app": "crowd"}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "main", "image": "busybox:1.28", "command": ["sleep", "3600"]}],
        },
    }


@pytest.fixture
def crowd(node: Node) -> Iterator[client.CoreV1Api]:
    api = _api(node)
    node.kubectl("create", "namespace", NAMESPACE)
    try:
        yield api
    finally:
        node.kubectl("delete", "namespace", NAMESPACE, "--wait=true", check=False, timeout=180)


def test_parallel_clients_watchers_and_execs(node: Node, crowd: client.CoreV1Api) -> None:
    listed = crowd.list_namespaced_pod(NAMESPACE)
    assert listed.metadata is not None
    start_rv = listed.metadata.resource_version
    events: list[tuple[str, str, str, str]] = []
    running: set[str] = set()
    all_running = threading.Event()
    watcher_error: list[BaseException] = []

    def follow() -> None:
        w = watch.Watch()  # type: ignore[no-untyped-call]
        try:
            for ev in w.stream(  # type: ignore[no-untyped-call]
                _api(node).list_namespaced_pod,
                NAMESPACE,
                resource_version=start_rv,
                timeout_seconds=240,
            ):
                pod = ev["object"]
                events.append(
                    (ev["type"], pod.metadata.name, pod.metadata.resource_version, pod.status.phase)
                )
                if pod.status.phase == "Running":
                    running.add(pod.metadata.name)
                if len(running) == PODS:
                    all_running.set()
                    w.stop()  # type: ignore[no-untyped-call]
        except BaseException as exc:
            watcher_error.append(exc)
            all_running.set()

    watcher = threading.Thread(target=follow, daemon=True)
    watcher.start()
    time.sleep(0.5)  # the watch is established before the first create
    failures: list[str] = []

    def create(i: int, api: client.CoreV1Api) -> None:
        try:
            api.create_namespaced_pod(NAMESPACE, _pod(i))  # type: ignore[arg-type]
        except ApiException as exc:
            failures.append(f"crowd-{i:03d}: {exc.status} {exc.reason}")

    apis = [_api(node) for _ in range(CLIENTS)]
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda i: create(i, apis[i % CLIENTS]), range(PODS)))
        # execs in pods as soon as they run, alongside the remaining creates
        deadline = time.monotonic() + 180
        exec_outputs: list[str] = []
        while not all_running.wait(0.2) and time.monotonic() < deadline:
            if len(exec_outputs) < 10 and running:
                name = sorted(running)[len(exec_outputs) % len(running)]
                exec_outputs.append(
                    stream(
                        apis[0].connect_get_namespaced_pod_exec,
                        name,
                        NAMESPACE,
                        command=["echo", name],
                        stderr=True,
                        stdin=False,
                        stdout=True,
                        tty=False,
                    ).strip()
                )
    elapsed = time.monotonic() - started
    watcher.join(10)
    assert not failures, failures
    assert not watcher_error, watcher_error
    assert len(running) == PODS, f"{len(running)}/{PODS} Running after {elapsed:.0f}s"
    assert all(out.startswith("crowd-") for out in exec_outputs), exec_outputs
    versions = [int(rv) for _, _, rv, _ in events]
    assert versions == sorted(versions), "resourceVersions out of order"
    assert len(versions) == len(set(versions)), "a watch event was repeated"
    added = [name for kind, name, _, _ in events if kind == "ADDED"]
    assert sorted(added) == [f"crowd-{i:03d}" for i in range(PODS)]  # none lost or doubled
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(
            pool.map(
                lambda i: apis[i % CLIENTS].delete_namespaced_pod(
                    f"crowd-{i:03d}", NAMESPACE, grace_period_seconds=0
                ),
                range(PODS),
            )
        )
    deadline = time.monotonic() + 120
    while crowd.list_namespaced_pod(NAMESPACE).items and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not crowd.list_namespaced_pod(NAMESPACE).items
