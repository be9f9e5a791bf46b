"""The pvc-protection and pv-protection controllers: let a protected object go when unused.

Role: kube-controller-manager's ``pkg/controller/volume/pvcprotection`` and
``pvprotection``. The API server's admission (StorageObjectInUseProtection) gives
every claim ``kubernetes.io/pvc-protection`` and every volume
``kubernetes.io/pv-protection``, so a DELETE only sets ``deletionTimestamp``. These
controllers remove the finalizer of a deleting object once it is no longer in use,
which completes the deletion:
- a claim is in use while a pod scheduled to a node (``spec.nodeName`` set)
  references it, finished or not, until the pod is deleted (``podUsesPVC``; a
  generic ephemeral volume's claim stops counting once its pod is shut down);
- a volume is in use while its phase is Bound (``isBeingUsed``).
Callers: seclet.controllers.manager (via seclet.cli.server), tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from seclet.api import storagehelpers as sh
from seclet.controllers import writes
from seclet.controllers.manager import WorkQueue, get_by_key
from seclet.store.api import JSONObject, Store


def pod_is_shut_down(pod: Mapping[str, Any]) -> bool:
    """``podIsShutDown``: deleted with a zero grace period (done or force-deleted)."""
    meta = sh.meta(pod)
    return bool(meta.get("deletionTimestamp")) and meta.get("deletionGracePeriodSeconds") == 0


def pod_uses_claim(pod: Mapping[str, Any], claim: Mapping[str, Any]) -> bool:
    """``podUsesPVC`` for a pod of the claim's namespace: only scheduled pods count; a
    generic ephemeral volume's claim only while the pod is not shut down and owns it."""
    if not sh.spec(pod).get("nodeName"):
        return False
    claim_name = sh.meta(claim).get("name")
    pod_uid = sh.meta(pod).get("uid")
    for name, ephemeral in sh.pod_claim_names(pod):
        if name != claim_name:
            continue
        if not ephemeral:
            return True
        owned = any(
            ref.get("controller") and ref.get("uid") == pod_uid
            for ref in sh.meta(claim).get("ownerReferences") or ()
        )
        if owned and not pod_is_shut_down(pod):
            return True
    return False


class PVCProtectionController:
    name: str = "pvc-protection"
    resources: tuple[str, ...] = ("persistentvolumeclaims", "pods")

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue = WorkQueue()

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        meta = obj.get("metadata") or {}
        namespace = str(meta.get("namespace", ""))
        if resource == "persistentvolumeclaims":
            if type_ != "DELETED" and meta.get("deletionTimestamp"):
                self.queue.add(f"{namespace}/{meta.get('name', '')}")
            return
        if type_ == "DELETED" or sh.is_pod_terminated(obj) or not sh.spec(obj).get("nodeName"):
            for name, _ in sh.pod_claim_names(obj):
                self.queue.add(f"{namespace}/{name}")

    def resync(self) -> None:
        for claim in self.store.list("persistentvolumeclaims").items:
            if sh.meta(claim).get("deletionTimestamp"):
                self.queue.add(sh.claim_key(claim))

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        return ((self.queue, self.sync),)

    async def sync(self, key: str) -> None:
        claim = get_by_key(self.store, "persistentvolumeclaims", key)
        if claim is None or not sh.meta(claim).get("deletionTimestamp"):
            return
        if sh.PVC_PROTECTION_FINALIZER not in (sh.meta(claim).get("finalizers") or ()):
            return
        namespace = str(sh.meta(claim).get("namespace", ""))
        if any(pod_uses_claim(p, claim) for p in self.store.list("pods", namespace).items):
            return
        writes.remove_finalizer(
            self.store, "persistentvolumeclaims", claim, sh.PVC_PROTECTION_FINALIZER
        )


class PVProtectionController:
    name: str = "pv-protection"
    resources: tuple[str, ...] = ("persistentvolumes",)

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue = WorkQueue()

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        meta = obj.get("metadata") or {}
        if type_ != "DELETED" and meta.get("deletionTimestamp"):
            self.queue.add(str(meta.get("name", "")))

    def resync(self) -> None:
        for volume in self.store.list("persistentvolumes").items:
            if sh.meta(volume).get("deletionTimestamp"):
                self.queue.add(str(sh.meta(volume).get("name", "")))

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        return ((self.queue, self.sync),)

    async def sync(self, key: str) -> None:
        volume = get_by_key(self.store, "persistentvolumes", key)
        if volume is None or not sh.meta(volume).get("deletionTimestamp"):
            return
        if sh.phase(volume) == "Bound":
            return
        writes.remove_finalizer(self.store, "persistentvolumes", volume, sh.PV_PROTECTION_FINALIZER)
