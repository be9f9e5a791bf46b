"""The root CA certificate publisher (k/k
pkg/controller/certificates/rootcacertpublisher/publisher.go): the map it creates,
what it restores, and the loop over namespaces and config maps."""

from __future__ import annotations

import asyncio
from typing import Any

from pvkit import FastClock, wait_for

from seclet.controllers.manager import ControllerManager
from seclet.controllers.rootca import (
    DESCRIPTION,
    RootCACertPublisher,
    namespace_accepts_content,
    new_config_map,
    restored,
)
from seclet.store.memory import MemoryStore

JSON = dict[str, Any]
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_description_is_upstreams() -> None:
    assert DESCRIPTION == (
        "Contains a CA bundle that can be used to verify the kube-apiserver when using "
        "internal endpoints such as the internal service IP or kubernetes.default.svc. "
        "No other usage is guaranteed across distributions of Kubernetes clusters."
    )


def test_new_config_map() -> None:
    assert new_config_map("team", CA) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "kube-root-ca.crt",
            "namespace": "team",
            "annotations": {"kubernetes.io/description": DESCRIPTION},
        },
        "data": {"ca.crt": CA},
    }


def test_restored() -> None:
    good = new_config_map("team", CA)
    assert restored(good, CA) is None
    changed = new_config_map("team", "other")
    changed["metadata"]["annotations"]["mine"] = "kept"
    changed["metadata"]["labels"] = {"l": "kept"}
    changed["binaryData"] = {"b": "AA=="}
    out = restored(changed, CA)
    assert out is not None
    assert out["data"] == {"ca.crt": CA}
    assert out["binaryData"] == {"b": "AA=="}
    assert out["metadata"]["labels"] == {"l": "kept"}
    assert out["metadata"]["annotations"] == {
        "kubernetes.io/description": DESCRIPTION, "mine": "kept"}
    extra = new_config_map("team", CA)
    extra["data"]["more"] = "x"
    assert restored(extra, CA) is not None
    blank = new_config_map("team", CA)
    blank["metadata"]["annotations"]["kubernetes.io/description"] = ""
    assert restored(blank, CA) is not None


def test_namespace_accepts_content() -> None:
    assert namespace_accepts_content({"metadata": {"name": "a"}, "status": {"phase": "Active"}})
    assert not namespace_accepts_content(None)
    assert not namespace_accepts_content({"metadata": {"name": "a"},
                                          "status": {"phase": "Terminating"}})


def namespace(name: str, phase: str = "Active") -> JSON:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "uid": name},
            "status": {"phase": phase}}


def test_published_recreated_and_restored() -> None:
    asyncio.run(_published())


async def _published() -> None:
    store = MemoryStore()
    clock = FastClock()
    store.create("namespaces", "", "default", namespace("default"))
    store.create("namespaces", "", "going", namespace("going", "Terminating"))
    manager = ControllerManager(store, clock, [RootCACertPublisher(store, clock, CA)])

    def ca(ns: str) -> str:
        return str(store.get("configmaps", ns, "kube-root-ca.crt")["data"]["ca.crt"])

    await manager.start()
    try:
        assert await wait_for(lambda: ca("default") == CA)
        cm = store.get("configmaps", "default", "kube-root-ca.crt")
        assert cm["metadata"]["annotations"] == {"kubernetes.io/description": DESCRIPTION}
        assert cm["metadata"]["uid"] and cm["metadata"]["creationTimestamp"]
        store.create("namespaces", "", "team", namespace("team"))
        assert await wait_for(lambda: ca("team") == CA)
        store.delete("configmaps", "team", "kube-root-ca.crt")
        assert await wait_for(lambda: ca("team") == CA)
        cm = store.get("configmaps", "team", "kube-root-ca.crt")
        cm["data"] = {"ca.crt": "tampered"}
        store.update("configmaps", "team", "kube-root-ca.crt", cm)
        assert await wait_for(lambda: ca("team") == CA)
        await manager.drain()
        assert store.list("configmaps", "going").items == []
    finally:
        await manager.stop()
