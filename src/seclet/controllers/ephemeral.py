"""The ephemeral volume controller: a pod's generic ephemeral volumes get their claims.

Role: kube-controller-manager's ``ephemeral-volume-controller``
(``k/k pkg/controller/volume/ephemeral/controller.go``, names from
``k8s.io/component-helpers/storage/ephemeral/ephemeral.go``). For every pod that is
not being deleted and has ``ephemeral`` volumes, each volume's claim
``<pod name>-<volume name>`` (``VolumeClaimName``) is created from the volume's
``volumeClaimTemplate``: its labels, annotations and spec, in the pod's namespace,
controlled by the pod (ownerReference ``v1``/``Pod``, ``controller`` and
``blockOwnerDeletion`` true). A claim that exists and is controlled by the pod is
left alone; one that exists and is not (``VolumeIsForPod``: ``PVC <ns>/<claim> was
not created for pod <ns>/<pod> (pod is not owner)``) fails the pod's sync: a Warning
``FailedBinding`` event on the pod from component ``ephemeral_volume``, ``ephemeral
volume <volume>: <error>``, and a retry (upstream: rate-limited requeues; here: at the
next resync, so the event's count grows). Pod updates and deletions are ignored (the
pod spec is immutable; the garbage collector deletes a deleted pod's claims); a
deleted claim re-queues the pods that reference it.
Steps of ``sync`` (``syncHandler``): 1. the pod, unless gone or being deleted; 2. for
each volume in order, ``handle_volume``: no ``ephemeral`` -> nothing; the claim
exists -> ``volume_is_for_pod`` or fail; absent -> create it (``new_claim``, then
what the API server's create refuses or adds: ``name_refusal``, ``admit_claim``;
a refusal reads ``create PVC <claim>: <the API error>``); 3. the first failure ->
event, retry.
Callers: seclet.controllers.core (``seclet server``), tests.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from seclet.api import storagehelpers as sh
from seclet.api.field import Path, invalid, invalid_message
from seclet.api.managedfields import record_update
from seclet.controllers import writes
from seclet.controllers.clock import Clock
from seclet.controllers.events import WARNING, EventRecorder, object_reference
from seclet.controllers.manager import WorkQueue, get_by_key
from seclet.store.api import AlreadyExistsError, JSONObject, Store
from seclet.validation.names import name_is_dns_subdomain

COMPONENT = "ephemeral_volume"
"""``EventSource{Component: "ephemeral_volume"}`` of the controller's recorder."""
FAILED_BINDING = "FailedBinding"
"""``events.FailedBinding`` (``pkg/controller/volume/events``)."""


class EphemeralVolumeError(Exception):
    """A volume the controller cannot serve; ``str()`` is upstream's error text."""


def volume_claim_name(pod: Mapping[str, Any], volume: Mapping[str, Any]) -> str:
    """``ephemeral.VolumeClaimName``: ``<pod name>-<volume name>``."""
    return f"{sh.meta(pod).get('name', '')}-{volume.get('name', '')}"


def controller_uid(obj: Mapping[str, Any]) -> str | None:
    """``metav1.GetControllerOf``: the uid of the first ownerReference with
    ``controller: true``, or None."""
    for ref in sh.meta(obj).get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("uid", ""))
    return None


def volume_is_for_pod(pod: Mapping[str, Any], claim: Mapping[str, Any]) -> str | None:
    """``ephemeral.VolumeIsForPod``: None when the claim is in the pod's namespace
    and controlled by it (``metav1.IsControlledBy``), else upstream's error text."""
    pod_meta, claim_meta = sh.meta(pod), sh.meta(claim)
    pod_ns, claim_ns = pod_meta.get("namespace", ""), claim_meta.get("namespace", "")
    if claim_ns != pod_ns or controller_uid(claim) != pod_meta.get("uid", ""):
        return (
            f"PVC {claim_ns}/{claim_meta.get('name', '')} was not created for pod "
            f"{pod_ns}/{pod_meta.get('name', '')} (pod is not owner)"
        )
    return None


def has_ephemeral_volume(pod: Mapping[str, Any]) -> bool:
    return any(v.get("ephemeral") is not None for v in sh.spec(pod).get("volumes") or ())


def new_claim(pod: Mapping[str, Any], volume: Mapping[str, Any]) -> JSONObject:
    """The claim ``handleVolume`` creates for an ephemeral ``volume`` of ``pod``."""
    template = (volume.get("ephemeral") or {}).get("volumeClaimTemplate") or {}
    template_meta = template.get("metadata") or {}
    pod_meta = sh.meta(pod)
    meta: JSONObject = {
        "name": volume_claim_name(pod, volume),
        "namespace": pod_meta.get("namespace", ""),
        "ownerReferences": [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": pod_meta.get("name", ""),
                "uid": pod_meta.get("uid", ""),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    if template_meta.get("labels"):
        meta["labels"] = copy.deepcopy(template_meta["labels"])
    if template_meta.get("annotations"):
        meta["annotations"] = copy.deepcopy(template_meta["annotations"])
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }


def name_refusal(name: str) -> str | None:
    """The API server's refusal of a claim named ``name``, or None. The template,
    labels and annotations were validated with the pod; only the joined name can be
    invalid: longer than 253 characters (``ValidateObjectMeta``)."""
    errors = [invalid(Path.root("metadata", "name"), name, m)
              for m in name_is_dns_subdomain(name, False)]
    if not errors:
        return None
    return invalid_message("PersistentVolumeClaim", name, errors)


def admit_claim(
    claim: JSONObject, classes: Sequence[Mapping[str, Any]], now: float
) -> JSONObject:
    """What the API server adds to a created claim (the controller creates it through
    the API; seclet's write goes to the store): uid and creationTimestamp; the
    ``volumeMode: Filesystem`` default; the DefaultStorageClass admission (no
    ``storageClassName`` and no beta class annotation -> the default class, if any);
    StorageObjectInUseProtection's ``kubernetes.io/pvc-protection`` finalizer; status
    ``Pending``."""
    writes.stamp_new(claim, now)
    spec: JSONObject = claim.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    # The field manager sees the defaulted claim, before admission.
    record_update(None, claim, manager="kube-controller-manager", now=now)
    annotations = claim["metadata"].get("annotations") or {}
    if spec.get("storageClassName") is None and sh.ANN_BETA_STORAGE_CLASS not in annotations:
        chosen = sh.default_class(classes)
        if chosen is not None:
            spec["storageClassName"] = str(sh.meta(chosen).get("name", ""))
    finalizers = list(claim["metadata"].get("finalizers") or ())
    if sh.PVC_PROTECTION_FINALIZER not in finalizers:
        finalizers.append(sh.PVC_PROTECTION_FINALIZER)
    claim["metadata"]["finalizers"] = finalizers
    claim["status"] = {"phase": "Pending"}
    return claim


class EphemeralVolumeController:
    name: str = "ephemeral-volume"
    resources: tuple[str, ...] = ("pods", "persistentvolumeclaims")

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.queue = WorkQueue()
        self.recorder = EventRecorder(store, clock, COMPONENT)
        self._failed: set[str] = set()
        """Pods whose last sync failed: retried at each resync (upstream's rate-limited
        requeue), as nothing else would queue them again."""

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        if resource == "pods":
            if type_ == "ADDED":
                self._enqueue_pod(obj)
            return
        if type_ != "DELETED":
            return
        # onPVCDelete: the pods referencing the claim (the PodPVC index: claimName and
        # ephemeral claim names alike) that have ephemeral volumes.
        namespace = str(sh.meta(obj).get("namespace", ""))
        claim_name = sh.meta(obj).get("name")
        for pod in self.store.list("pods", namespace).items:
            if any(name == claim_name for name, _ in sh.pod_claim_names(pod)):
                self._enqueue_pod(pod)

    def _enqueue_pod(self, pod: Mapping[str, Any]) -> None:
        """``enqueuePod``: pods being deleted and pods without ephemeral volumes are
        skipped."""
        if sh.meta(pod).get("deletionTimestamp") or not has_ephemeral_volume(pod):
            return
        self.queue.add(f"{sh.meta(pod).get('namespace', '')}/{sh.meta(pod).get('name', '')}")

    def resync(self) -> None:
        for key in sorted(self._failed):
            self.queue.add(key)

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        return ((self.queue, self.sync),)

    async def sync(self, key: str) -> None:
        """The steps in the module docstring."""
        self._failed.discard(key)
        pod = get_by_key(self.store, "pods", key)
        if pod is None or sh.meta(pod).get("deletionTimestamp"):
            return
        for volume in sh.spec(pod).get("volumes") or ():
            try:
                self.handle_volume(pod, volume)
            except EphemeralVolumeError as exc:
                self._failed.add(key)
                self.recorder.event(
                    object_reference(pod, "Pod"),
                    WARNING,
                    FAILED_BINDING,
                    f"ephemeral volume {volume.get('name', '')}: {exc}",
                )
                return

    def handle_volume(self, pod: JSONObject, volume: Mapping[str, Any]) -> None:
        """``handleVolume``: create the claim of an ephemeral ``volume`` unless it
        exists; ``EphemeralVolumeError`` when it exists and is not the pod's."""
        if volume.get("ephemeral") is None:
            return
        namespace = str(sh.meta(pod).get("namespace", ""))
        name = volume_claim_name(pod, volume)
        existing = get_by_key(self.store, "persistentvolumeclaims", f"{namespace}/{name}")
        if existing is not None:
            error = volume_is_for_pod(pod, existing)
            if error is not None:
                raise EphemeralVolumeError(error)
            return
        refusal = name_refusal(name)
        if refusal is not None:
            raise EphemeralVolumeError(f"create PVC {name}: {refusal}")
        claim = admit_claim(
            new_claim(pod, volume),
            self.store.list("storageclasses").items,
            self.clock.now(),
        )
        try:
            self.store.create("persistentvolumeclaims", namespace, name, claim)
        except AlreadyExistsError:
            raise EphemeralVolumeError(
                f'create PVC {name}: persistentvolumeclaims "{name}" already exists'
            ) from None
