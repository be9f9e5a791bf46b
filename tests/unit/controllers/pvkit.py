"""Test kit for the volume controllers: a MemoryStore, a fast clock, objects as the API
server stores them, and a running controller manager.

Role: ``claim``/``volume``/``storage_class``/``pod`` build bodies; ``create_*`` store them
as the API server would (uid, creationTimestamp, defaults, the storage-protection
finalizers its admission adds, a Pending status); ``Cluster`` runs the PV controller,
the local-path provisioner and the two protection controllers under one manager on
a 100x clock (a 15 s resync takes 0.15 s); ``wait_for`` polls.
Callers: tests/unit/controllers/test_pv_*.py.
"""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seclet.api import storagehelpers as sh
from seclet.controllers.clock import rfc3339
from seclet.controllers.local_path import LocalPathProvisioner, ensure_default_class
from seclet.controllers.manager import ControllerManager
from seclet.controllers.protection import PVCProtectionController, PVProtectionController
from seclet.controllers.pv_binder import PersistentVolumeController
from seclet.store.memory import MemoryStore

JSON = dict[str, Any]
NODE = "seclet-node"
T0 = 1_800_000_000.0


class FastClock:
    def __init__(self, speed: float = 100.0) -> None:
        self.speed = speed
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return T0 + (time.monotonic() - self._mono0) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self.speed)


def _stamp(obj: JSON, namespace: str, now: float) -> JSON:
    meta = obj.setdefault("metadata", {})
    if namespace:
        meta["namespace"] = namespace
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = rfc3339(now)
    return obj


def claim(
    name: str,
    size: str = "1Gi",
    modes: tuple[str, ...] = ("ReadWriteOnce",),
    class_name: str | None = None,
    **spec: Any,
) -> JSON:
    body: JSON = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {"accessModes": list(modes), "resources": {"requests": {"storage": size}}, **spec},
    }
    if class_name is not None:
        body["spec"]["storageClassName"] = class_name
    return body


def volume(
    name: str,
    size: str = "1Gi",
    modes: tuple[str, ...] = ("ReadWriteOnce",),
    class_name: str = "",
    policy: str = "Retain",
    **spec: Any,
) -> JSON:
    body: JSON = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": list(modes),
            "persistentVolumeReclaimPolicy": policy,
            **spec,
        },
    }
    if "local" not in spec:
        body["spec"]["hostPath"] = {"path": f"/srv/{name}"}
    if class_name:
        body["spec"]["storageClassName"] = class_name
    return body


def storage_class(
    name: str, provisioner: str = "example.com/ext", mode: str = "Immediate", default: bool = False
) -> JSON:
    body: JSON = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": provisioner,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": mode,
    }
    if default:
        body["metadata"]["annotations"] = {sh.ANN_DEFAULT_CLASS: "true"}
    return body


def pod(name: str, *claims: str, node: str = "") -> JSON:
    body: JSON = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "containers": [{"name": "c", "image": "busybox"}],
            "volumes": [
                {"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}}
                for i, c in enumerate(claims)
            ],
        },
        "status": {"phase": "Pending"},
    }
    if node:
        body["spec"]["nodeName"] = node
    return body


class Cluster:
    def __init__(
        self,
        root: Path,
        speed: float = 100.0,
        default_class: bool = True,
        store: MemoryStore | None = None,
    ) -> None:
        """``store``: an existing cluster's store (new controllers, as after a restart)."""
        self.clock = FastClock(speed)
        self.root = root
        if store is None:
            store = MemoryStore()
            store.create(
                "nodes", "", NODE,
                {"metadata": {"name": NODE, "labels": {"kubernetes.io/hostname": NODE}}},
            )
        self.store = store
        if default_class:
            ensure_default_class(self.store, self.clock.now())
        self.pv_controller = PersistentVolumeController(self.store, self.clock)
        self.provisioner = LocalPathProvisioner(self.store, self.clock, root, NODE)
        self.manager = ControllerManager(
            self.store,
            self.clock,
            [
                self.pv_controller,
                self.provisioner,
                PVCProtectionController(self.store),
                PVProtectionController(self.store),
            ],
        )

    async def __aenter__(self) -> Cluster:
        await self.manager.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.manager.stop()

    def create_claim(self, body: JSON, namespace: str = "default") -> JSON:
        obj = _stamp(copy.deepcopy(body), namespace, self.clock.now())
        obj["spec"].setdefault("volumeMode", "Filesystem")
        obj["metadata"]["finalizers"] = [sh.PVC_PROTECTION_FINALIZER]
        obj["status"] = {"phase": "Pending"}
        return self.store.create("persistentvolumeclaims", namespace, obj["metadata"]["name"], obj)

    def create_volume(self, body: JSON) -> JSON:
        obj = _stamp(copy.deepcopy(body), "", self.clock.now())
        obj["spec"].setdefault("volumeMode", "Filesystem")
        obj["spec"].setdefault("persistentVolumeReclaimPolicy", "Retain")
        obj["metadata"]["finalizers"] = [sh.PV_PROTECTION_FINALIZER]
        obj["status"] = {"phase": "Pending"}
        return self.store.create("persistentvolumes", "", obj["metadata"]["name"], obj)

    def create_class(self, body: JSON) -> JSON:
        obj = _stamp(copy.deepcopy(body), "", self.clock.now())
        return self.store.create("storageclasses", "", obj["metadata"]["name"], obj)

    def create_pod(self, body: JSON, namespace: str = "default") -> JSON:
        obj = _stamp(copy.deepcopy(body), namespace, self.clock.now())
        obj["metadata"]["generation"] = 1
        return self.store.create("pods", namespace, obj["metadata"]["name"], obj)

    def delete(self, resource: str, name: str, namespace: str = "") -> None:
        """The API server's DELETE: finalizers -> deletionTimestamp, else removal."""
        current = self.store.get(resource, namespace, name)
        if current["metadata"].get("finalizers"):
            current["metadata"]["deletionTimestamp"] = rfc3339(self.clock.now())
            self.store.update(resource, namespace, name, current)
        else:
            self.store.delete(resource, namespace, name)

    def get(self, resource: str, name: str, namespace: str = "") -> JSON:
        return self.store.get(resource, namespace, name)

    def events(self, name: str) -> list[tuple[str, str, str]]:
        items = [e for e in self.store.list("events").items if e["involvedObject"]["name"] == name]
        items.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
        return [(e["type"], e["reason"], e["message"]) for e in items]


async def wait_for(check: Callable[[], Any], limit: float = 5.0) -> Any:
    """Poll ``check`` (real seconds) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    last: Exception | None = None
    while loop.time() < end:
        try:
            value = check()
        except Exception as exc:  # not there yet
            last = exc
            value = None
        if value:
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting ({last!r})")


def gone(cluster: Cluster, resource: str, name: str, namespace: str = "") -> bool:
    try:
        cluster.get(resource, name, namespace)
    except Exception:
        return True
    return False
