"""The PersistentVolume controller: binds claims to volumes and reclaims released ones.

Role: kube-controller-manager's ``persistentvolume-binder`` controller
(``pkg/controller/volume/persistentvolume/pv_controller.go`` and ``index.go``) over
the store. Its events come from component ``persistentvolume-controller``.

``sync_claim`` (``syncClaim``): a claim without ``pv.kubernetes.io/bind-completed``
is unbound:
1. no ``spec.volumeName``: the best Available volume (``find_best_match_for_claim``:
   class, access modes superset, size, smallest, selector, volumeMode; pre-bound
   volumes first; with WaitForFirstConsumer only pre-bound ones) is bound; with none,
   a claim without class gets the default StorageClass (retroactive assignment);
   then WaitForFirstConsumer without ``volume.kubernetes.io/selected-node`` ->
   ``WaitForFirstConsumer`` (or ``WaitForPodScheduled``) event; a class ->
   provisioning: an external provisioner gets the ``volume.kubernetes.io/storage-
   provisioner`` (and beta) annotation and the ``ExternalProvisioning`` event; no
   class -> ``FailedBinding``; the claim stays Pending;
2. ``spec.volumeName`` set: bind to that volume if it satisfies the claim
   (``VolumeMismatch`` otherwise) or is pre-bound to it; another claim's ->
   ``FailedBinding``.
A bound claim whose volume vanished or went to another claim becomes ``Lost``.

``sync_volume`` (``syncVolume``): no claimRef -> Available; claimRef without uid
(pre-bound) -> Available; its claim gone (or replaced by a namesake) -> Released,
then the reclaim policy: Retain keeps it, Delete deletes it through its deleter (an
external provisioner's volume is left to that provisioner; one no plugin can delete
is ``Failed`` with ``VolumeFailedDelete``), Recycle is refused as upstream's
recycler needs a pod; claim bound elsewhere -> unbind (or Released+delete for a
dynamically provisioned one); claim bound here -> Bound.

``bind``: volume first (claimRef, ``bound-by-controller``, phase Bound), then the
claim (volumeName, ``bind-completed``, ``bound-by-controller``, phase Bound,
status capacity and accessModes).
Callers: seclet.controllers.manager (via seclet.cli.server), tests.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import shutil
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from seclet.api import storagehelpers as sh
from seclet.api.managedfields import record_update
from seclet.controllers import writes
from seclet.controllers.clock import Clock, rfc3339
from seclet.controllers.events import NORMAL, WARNING, EventRecorder, object_reference
from seclet.controllers.manager import WorkQueue, get_by_key, queue_all
from seclet.store.api import JSONObject, NotFoundError, Store

log = logging.getLogger(__name__)

COMPONENT = "persistentvolume-controller"


class SyncError(Exception):
    """A sync that must be retried at the next resync (upstream returns an error)."""


def claim_ref(obj: Mapping[str, Any]) -> JSONObject:
    return object_reference(obj, "PersistentVolumeClaim")


def volume_ref(obj: Mapping[str, Any]) -> JSONObject:
    return object_reference(obj, "PersistentVolume")


def _tracked(live: JSONObject, out: JSONObject, now: float, subresource: str = "") -> JSONObject:
    """``out`` with kube-controller-manager's managedFields entry for this write (its
    status writes go to the ``status`` subresource)."""
    out["metadata"] = dict(out.get("metadata") or {})
    return record_update(
        live, out, manager="kube-controller-manager", now=now, subresource=subresource
    )


def _set_status(obj: JSONObject, **fields: Any) -> JSONObject:
    out = copy.deepcopy(obj)
    status = out.setdefault("status", {})
    for key, value in fields.items():
        if value is None:
            status.pop(key, None)
        else:
            status[key] = value
    return out


class PersistentVolumeController:
    name: str = "persistentvolume-binder"
    resources: tuple[str, ...] = ("persistentvolumeclaims", "persistentvolumes", "storageclasses")

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.recorder = EventRecorder(store, clock, COMPONENT)
        self.claim_queue = WorkQueue()
        self.volume_queue = WorkQueue()

    # -- the manager's side -----------------------------------------------------

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        meta = obj.get("metadata") or {}
        if resource == "persistentvolumeclaims":
            self.claim_queue.add(f"{meta.get('namespace', '')}/{meta.get('name', '')}")
            volume_name = sh.spec(obj).get("volumeName")
            if type_ == "DELETED" and volume_name:
                self.volume_queue.add(str(volume_name))
        elif resource == "persistentvolumes":
            self.volume_queue.add(str(meta.get("name", "")))
            ref = sh.spec(obj).get("claimRef")
            if ref:
                self.claim_queue.add(f"{ref.get('namespace', '')}/{ref.get('name', '')}")
        elif resource == "storageclasses" and type_ != "DELETED":
            for claim in self.store.list("persistentvolumeclaims").items:
                if not sh.annotations_of(claim).get(sh.ANN_BIND_COMPLETED):
                    self.claim_queue.add(sh.claim_key(claim))

    def resync(self) -> None:
        queue_all(self.store, "persistentvolumeclaims", self.claim_queue)
        queue_all(self.store, "persistentvolumes", self.volume_queue)

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        return ((self.volume_queue, self.sync_volume_key), (self.claim_queue, self.sync_claim_key))

    async def sync_claim_key(self, key: str) -> None:
        claim = get_by_key(self.store, "persistentvolumeclaims", key)
        if claim is not None:
            self.sync_claim(claim)

    async def sync_volume_key(self, key: str) -> None:
        volume = get_by_key(self.store, "persistentvolumes", key)
        if volume is not None:
            await self.sync_volume(volume)

    # -- reads --------------------------------------------------------------------

    def _classes(self) -> dict[str, JSONObject]:
        return {
            str(sh.meta(sc).get("name", "")): sc
            for sc in self.store.list("storageclasses").items
        }

    def _volume(self, name: str) -> JSONObject | None:
        try:
            return self.store.get("persistentvolumes", "", name)
        except NotFoundError:
            return None

    def _claim(self, namespace: str, name: str) -> JSONObject | None:
        try:
            return self.store.get("persistentvolumeclaims", namespace, name)
        except NotFoundError:
            return None

    # -- claims -------------------------------------------------------------------

    def sync_claim(self, claim: JSONObject) -> None:
        if sh.ANN_BIND_COMPLETED in sh.annotations_of(claim):
            self._sync_bound_claim(claim)
        else:
            self._sync_unbound_claim(claim)

    def _sync_unbound_claim(self, claim: JSONObject) -> None:
        volume_name = sh.spec(claim).get("volumeName") or ""
        if not volume_name:
            classes = self._classes()
            try:
                delay = sh.is_delay_binding_mode(claim, classes)
            except sh.StorageHelperError as exc:
                raise SyncError(str(exc)) from None
            volumes = self.store.list("persistentvolumes").items
            volume = sh.find_best_match_for_claim(claim, volumes, delay)
            if volume is not None:
                self.bind(dict(volume), claim)
                return
            if self._assign_default_class(claim, classes):
                return
            if delay and sh.ANN_SELECTED_NODE not in sh.annotations_of(claim):
                self._emit_delay_binding_event(claim)
            elif sh.claim_class(claim):
                self._provision_claim(claim, classes)
                return
            else:
                self.recorder.event(
                    claim_ref(claim),
                    NORMAL,
                    "FailedBinding",
                    "no persistent volumes available for this claim and no storage class is set",
                )
            self._update_claim_status(claim, "Pending", None)
            return
        volume = self._volume(str(volume_name))
        if volume is None:
            self._update_claim_status(claim, "Pending", None)
            return
        if not sh.spec(volume).get("claimRef"):
            problem = self._volume_satisfies_claim(volume, claim)
            if problem:
                self.recorder.event(
                    claim_ref(claim),
                    WARNING,
                    "VolumeMismatch",
                    f'Cannot bind to requested volume "{volume_name}": {problem}',
                )
                self._update_claim_status(claim, "Pending", None)
                return
            self.bind(volume, claim)
            return
        if sh.is_volume_bound_to_claim(volume, claim):
            self.bind(volume, claim)
            return
        self.recorder.event(
            claim_ref(claim),
            WARNING,
            "FailedBinding",
            f'volume "{volume_name}" already bound to a different claim.',
        )
        if sh.ANN_BOUND_BY_CONTROLLER not in sh.annotations_of(claim):
            self._update_claim_status(claim, "Pending", None)
            return
        ref = sh.spec(volume).get("claimRef") or {}
        raise SyncError(
            f'invalid binding of claim "{sh.claim_key(claim)}" to volume "{volume_name}": '
            f'volume already claimed by "{ref.get("namespace")}/{ref.get("name")}"'
        )

    @staticmethod
    def _volume_satisfies_claim(volume: Mapping[str, Any], claim: Mapping[str, Any]) -> str:
        """``checkVolumeSatisfyClaim``: the problem, or "" when it fits."""
        if sh.meta(volume).get("deletionTimestamp"):
            return f'the volume is marked for deletion "{sh.meta(volume).get("name", "")}"'
        if sh.volume_capacity(volume) < sh.requested_storage(claim):
            return "requested PV is too small"
        if sh.volume_class(volume) != sh.claim_class(claim):
            return "storageClassName does not match"
        if sh.volume_mode_mismatch(claim, volume):
            return "incompatible volumeMode"
        if not sh.check_access_modes(claim, volume):
            return "incompatible accessMode"
        return ""

    def _sync_bound_claim(self, claim: JSONObject) -> None:
        volume_name = sh.spec(claim).get("volumeName") or ""
        if not volume_name:
            self._claim_status_with_event(
                claim, "Lost", "ClaimLost",
                "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!",
            )
            return
        volume = self._volume(str(volume_name))
        if volume is None:
            self._claim_status_with_event(
                claim, "Lost", "ClaimLost",
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
            )
            return
        ref = sh.spec(volume).get("claimRef")
        if not ref or ref.get("uid") == sh.meta(claim).get("uid"):
            self.bind(volume, claim)
            return
        self._claim_status_with_event(
            claim, "Lost", "ClaimMisbound",
            "Two claims are bound to the same volume, this one is bound incorrectly",
        )

    def _assign_default_class(self, claim: JSONObject, classes: Mapping[str, JSONObject]) -> bool:
        """``assignDefaultStorageClass``: a claim with no class at all gets the default
        one (the claim's update re-queues it)."""
        if sh.claim_has_class(claim):
            return False
        default = sh.default_class(classes.values())
        if default is None:
            return False
        out = copy.deepcopy(claim)
        out.setdefault("spec", {})["storageClassName"] = sh.meta(default).get("name", "")
        writes.update(self.store, "persistentvolumeclaims", _tracked(claim, out, self.clock.now()))
        return True

    def _emit_delay_binding_event(self, claim: JSONObject) -> None:
        """``emitEventForUnboundDelayBindingClaim``."""
        m = sh.meta(claim)
        names = [
            str(sh.meta(pod).get("name", ""))
            for pod in self.store.list("pods", str(m.get("namespace", ""))).items
            if not sh.is_pod_terminated(pod)
            and not sh.spec(pod).get("nodeName")
            and any(n == m.get("name") for n, _ in sh.pod_claim_names(pod))
        ]
        reason = "WaitForFirstConsumer"
        message = "waiting for first consumer to be created before binding"
        if names:
            reason = "WaitForPodScheduled"
            if len(names) > 1:
                message = f"waiting for pods {','.join(names)} to be scheduled"
            else:
                message = f"waiting for pod {names[0]} to be scheduled"
        self.recorder.event(claim_ref(claim), NORMAL, reason, message)

    def _provision_claim(self, claim: JSONObject, classes: Mapping[str, JSONObject]) -> None:
        """``provisionClaim``: seclet has no in-tree provisioner, so every class's
        provisioner is external unless it is a ``kubernetes.io/`` name."""
        class_name = sh.claim_class(claim)
        sc = classes.get(class_name)
        if sc is None:
            self.recorder.event(
                claim_ref(claim), WARNING, "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{class_name}" not found',
            )
            return
        provisioner = str(sc.get("provisioner") or "")
        if provisioner.startswith("kubernetes.io/"):
            self.recorder.event(
                claim_ref(claim), WARNING, "ProvisioningFailed",
                f"no volume plugin matched name: {provisioner}",
            )
            return
        if sh.annotations_of(claim).get(sh.ANN_STORAGE_PROVISIONER) != provisioner:
            out = copy.deepcopy(claim)
            sh.set_annotation(out, sh.ANN_BETA_STORAGE_PROVISIONER, provisioner)
            sh.set_annotation(out, sh.ANN_STORAGE_PROVISIONER, provisioner)
            _tracked(claim, out, self.clock.now())
            stored = writes.update(self.store, "persistentvolumeclaims", out)
            if stored is not None:
                claim = stored
        self.recorder.event(
            claim_ref(claim),
            NORMAL,
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner "
            f"'{provisioner}' or manually by the system administrator. If volume creation "
            f"is delayed, please verify that the provisioner is running and correctly "
            f"registered.",
        )

    def _update_claim_status(
        self, claim: JSONObject, phase: str, volume: Mapping[str, Any] | None
    ) -> JSONObject:
        """``updateClaimStatus``: phase, and accessModes/capacity from the volume (or
        cleared without one); capacity only when the claim is becoming ``phase``."""
        status = dict(claim.get("status") or {})
        new = dict(status)
        new["phase"] = phase
        if volume is None:
            new.pop("accessModes", None)
            new.pop("capacity", None)
        else:
            modes = list(sh.spec(volume).get("accessModes") or ())
            if status.get("accessModes") != modes:
                new["accessModes"] = modes
            if status.get("phase") != phase:
                capacity = sh.spec(volume).get("capacity") or {}
                if "storage" not in capacity:
                    raise SyncError(
                        f'PersistentVolume "{sh.meta(volume).get("name", "")}" is without a '
                        "storage capacity"
                    )
                have = (status.get("capacity") or {}).get("storage")
                if have is None or sh.storage_quantity(have) != sh.storage_quantity(
                    capacity["storage"]
                ):
                    new["capacity"] = dict(capacity)
        if new == status:
            return claim
        out = copy.deepcopy(claim)
        out["status"] = new
        _tracked(claim, out, self.clock.now(), "status")
        stored = writes.update(self.store, "persistentvolumeclaims", out)
        return stored if stored is not None else out

    def _claim_status_with_event(
        self, claim: JSONObject, phase: str, reason: str, message: str
    ) -> None:
        if sh.phase(claim) == phase:
            return
        new = self._update_claim_status(claim, phase, None)
        self.recorder.event(claim_ref(new), WARNING, reason, message)

    # -- volumes ------------------------------------------------------------------

    def _update_volume_phase(self, volume: JSONObject, phase: str, message: str = "") -> JSONObject:
        """``updateVolumePhase`` (the status strategy stamps lastPhaseTransitionTime)."""
        if sh.phase(volume) == phase:
            return volume
        out = _set_status(
            volume,
            phase=phase,
            message=message or None,
            lastPhaseTransitionTime=rfc3339(self.clock.now()),
        )
        _tracked(volume, out, self.clock.now(), "status")
        stored = writes.update(self.store, "persistentvolumes", out)
        return stored if stored is not None else out

    def _volume_phase_with_event(
        self, volume: JSONObject, phase: str, type_: str, reason: str, message: str
    ) -> JSONObject:
        if sh.phase(volume) == phase:
            return volume
        new = self._update_volume_phase(volume, phase, message)
        self.recorder.event(volume_ref(new), type_, reason, message)
        return new

    async def sync_volume(self, volume: JSONObject) -> None:
        ref = sh.spec(volume).get("claimRef")
        if not ref or not ref.get("uid"):
            self._update_volume_phase(volume, "Available")
            return
        claim = self._claim(str(ref.get("namespace", "")), str(ref.get("name", "")))
        if claim is not None and sh.meta(claim).get("uid") != ref.get("uid"):
            claim = None
        if claim is None:
            if sh.phase(volume) not in ("Released", "Failed"):
                volume = self._update_volume_phase(volume, "Released")
            await self._reclaim(volume)
            return
        claim_volume = sh.spec(claim).get("volumeName") or ""
        name = str(sh.meta(volume).get("name", ""))
        if not claim_volume:
            if sh.volume_mode_mismatch(claim, volume):
                self.recorder.event(
                    volume_ref(volume), WARNING, "VolumeMismatch",
                    f'Cannot bind PersistentVolume to requested PersistentVolumeClaim '
                    f'"{sh.meta(claim).get("name", "")}" due to incompatible volumeMode.',
                )
                self.recorder.event(
                    claim_ref(claim), WARNING, "VolumeMismatch",
                    f'Cannot bind PersistentVolume "{name}" to requested '
                    "PersistentVolumeClaim due to incompatible volumeMode.",
                )
                return
            self.claim_queue.add(sh.claim_key(claim))
            return
        if claim_volume == name:
            self._update_volume_phase(volume, "Bound")
            return
        anns = sh.annotations_of(volume)
        if sh.ANN_DYNAMICALLY_PROVISIONED in anns and (
            sh.spec(volume).get("persistentVolumeReclaimPolicy") == "Delete"
        ):
            if sh.phase(volume) not in ("Released", "Failed"):
                volume = self._update_volume_phase(volume, "Released")
            await self._reclaim(volume)
            return
        self._unbind_volume(volume)

    def _unbind_volume(self, volume: JSONObject) -> None:
        """``unbindVolume``: the controller's binding goes; a user's pre-binding keeps
        its name and namespace but loses the uid."""
        out = copy.deepcopy(volume)
        anns = dict(sh.annotations_of(out))
        if sh.ANN_BOUND_BY_CONTROLLER in anns:
            out["spec"].pop("claimRef", None)
            anns.pop(sh.ANN_BOUND_BY_CONTROLLER)
            if anns:
                out["metadata"]["annotations"] = anns
            else:
                out["metadata"].pop("annotations", None)
        else:
            out["spec"]["claimRef"] = dict(out["spec"]["claimRef"])
            out["spec"]["claimRef"].pop("uid", None)
        _tracked(volume, out, self.clock.now())
        stored = writes.update(self.store, "persistentvolumes", out)
        if stored is not None:
            self._update_volume_phase(stored, "Available")

    async def _reclaim(self, volume: JSONObject) -> None:
        """``reclaimVolume``."""
        policy = sh.spec(volume).get("persistentVolumeReclaimPolicy")
        if policy == "Retain":
            return
        if policy == "Delete":
            await self._delete_volume_operation(volume)
            return
        if policy == "Recycle":
            self._volume_phase_with_event(
                volume, "Failed", WARNING, "VolumeFailedRecycle",
                "No recycler plugin found for the volume!",
            )
            return
        self._volume_phase_with_event(
            volume, "Failed", WARNING, "VolumeUnknownReclaimPolicy",
            "Volume has unrecognized PersistentVolumeReclaimPolicy",
        )

    def _is_volume_released(self, volume: Mapping[str, Any]) -> bool:
        """``isVolumeReleased``."""
        ref = sh.spec(volume).get("claimRef")
        if not ref or not ref.get("uid"):
            return False
        claim = self._claim(str(ref.get("namespace", "")), str(ref.get("name", "")))
        if claim is not None and sh.meta(claim).get("uid") == ref.get("uid"):
            bound_to = sh.spec(claim).get("volumeName") or ""
            return bool(bound_to) and bound_to != sh.meta(volume).get("name")
        return True

    async def _delete_volume_operation(self, volume: JSONObject) -> None:
        """``deleteVolumeOperation`` with seclet's deleters: an externally provisioned
        volume waits for its provisioner; a hostPath one under ``/tmp/`` is removed
        (upstream's host_path deleter); anything else has no deleter."""
        name = str(sh.meta(volume).get("name", ""))
        current = self._volume(name)
        if current is None or not self._is_volume_released(current):
            return
        provisioned_by = sh.annotations_of(current).get(sh.ANN_DYNAMICALLY_PROVISIONED)
        if provisioned_by and not provisioned_by.startswith("kubernetes.io/"):
            return
        if sh.spec(current).get("csi") is not None:
            return
        error = ""
        if provisioned_by:
            error = f"no volume plugin matched name: {provisioned_by}"
        elif sh.spec(current).get("hostPath") is not None:
            path = str(sh.spec(current)["hostPath"].get("path") or "")
            if not re.search(r"/tmp/.+", path):  # noqa: S108 - upstream's host_path deleter rule
                error = f"host_path deleter only supports /tmp/.+ but received provided {path}"
            else:
                try:
                    await asyncio.to_thread(shutil.rmtree, path, True)
                except OSError as exc:
                    error = str(exc)
        else:
            error = (
                f'error getting deleter volume plugin for volume "{name}": '
                "no deletable volume plugin matched"
            )
        if error:
            self._volume_phase_with_event(current, "Failed", WARNING, "VolumeFailedDelete", error)
            return
        writes.delete(self.store, "persistentvolumes", "", name, self.clock.now())

    # -- binding ------------------------------------------------------------------

    def bind(self, volume: JSONObject, claim: JSONObject) -> None:
        """``bind``: the volume (claimRef, then phase Bound), then the claim
        (volumeName + annotations, then phase Bound with capacity/accessModes)."""
        new_volume, dirty = sh.bind_volume_to_claim(volume, claim)
        if dirty:
            _tracked(volume, new_volume, self.clock.now())
            stored = writes.update(self.store, "persistentvolumes", new_volume)
            volume = stored if stored is not None else new_volume
        volume = self._update_volume_phase(volume, "Bound")
        claim = self._bind_claim_to_volume(claim, volume)
        self._update_claim_status(claim, "Bound", volume)

    def _bind_claim_to_volume(self, claim: JSONObject, volume: Mapping[str, Any]) -> JSONObject:
        """``bindClaimToVolume``."""
        out = copy.deepcopy(claim)
        dirty = False
        volume_name = str(sh.meta(volume).get("name", ""))
        if sh.spec(claim).get("volumeName") != volume_name:
            out.setdefault("spec", {})["volumeName"] = volume_name
            dirty = True
            if sh.ANN_BOUND_BY_CONTROLLER not in sh.annotations_of(out):
                sh.set_annotation(out, sh.ANN_BOUND_BY_CONTROLLER, "yes")
        if sh.ANN_BIND_COMPLETED not in sh.annotations_of(out):
            sh.set_annotation(out, sh.ANN_BIND_COMPLETED, "yes")
            dirty = True
        if not dirty:
            return claim
        _tracked(claim, out, self.clock.now())
        stored = writes.update(self.store, "persistentvolumeclaims", out)
        return stored if stored is not None else out
