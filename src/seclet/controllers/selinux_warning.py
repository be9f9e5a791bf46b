"""kube-controller-manager's ``selinux-warning-controller`` over the store.

Role: upstream's ``pkg/controller/volume/selinuxwarning``: watches every pod (and the
PVCs, PVs and CSIDrivers that decide its volumes) and, when two pods use one volume
with SELinux labels or seLinuxChangePolicies that cannot both be honoured on one node,
records a Normal event on *both* pods (``SELinuxLabelConflict`` /
``SELinuxChangePolicyConflict``) and exposes each conflict as the gauge
``selinux_warning_controller_selinux_volume_conflict`` (value 1, labels ``property``,
``pod1_namespace``, ``pod1_name``, ``pod1_value``, ``pod2_namespace``, ``pod2_name``,
``pod2_value``) on a ``prometheus_client`` registry. It does not look at the nodes:
the labels are the ones the controller can know without a node's defaults, so it
works the same on this node without SELinux. It is disabled by default and needs the
``SELinuxChangePolicy`` gate (``newSELinuxWarningControllerDescriptor``:
``isDisabledByDefault: true``); ``seclet server --controllers=*,selinux-warning-controller``
enables it. The decisions are in ``seclet.securitycontext.selinux_mount``.
Callers: ``seclet.cli.server``; tests drive ``sync`` / ``run`` over a ``MemoryStore``.

Steps of ``run``:
1. list pods, PVCs, PVs and CSIDrivers; queue every pod;
2. watch the four from the lists' resourceVersion (a ``GoneError`` relists and
   queues every pod again) and queue pods as upstream's handlers do: a pod added or
   deleted, or reaching Succeeded/Failed; the pods using a PVC that got bound (PVC
   ``spec.volumeName`` set or changed, PV ``spec.claimRef.uid`` set or changed); the
   cached pods of a CSIDriver added, deleted with ``seLinuxMount: true``, or whose
   ``seLinuxMount`` changed;
3. a worker syncs each queued pod (``sync``).

Steps of ``sync`` (``Controller.sync`` / ``syncPod`` / ``syncVolume``):
1. a pod gone, Succeeded or Failed leaves the cache;
2. for each volume a container mounts: resolve PVC -> PV (skipped while unbound),
   the plugin facts, then the label and effective policy; several labels inside the
   pod give a Warning ``MultipleSELinuxLabels`` event and skip the volume;
3. add the use to the volume cache; each conflict it returns becomes an event on
   its pod (stopping at the first pod that no longer exists, as upstream).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import CollectorRegistry

from seclet.api.decode import DecodeError, decode_pod
from seclet.api.featuregates import FeatureGates
from seclet.api.models import Pod
from seclet.controllers.clock import Clock, SystemClock
from seclet.controllers.events import NORMAL, WARNING, EventRecorder, object_reference
from seclet.controllers.manager import WorkQueue
from seclet.securitycontext import selinux_mount as sm
from seclet.store.api import GoneError, JSONObject, NotFoundError, Store

log = logging.getLogger("seclet.controllers.selinux_warning")

NAME = "selinux-warning-controller"
COMPONENT = "selinux_warning"
METRIC = "selinux_warning_controller_selinux_volume_conflict"
METRIC_HELP = "[ALPHA] Conflict between two Pods using the same volume"
METRIC_LABELS = (
    "property",
    "pod1_namespace",
    "pod1_name",
    "pod1_value",
    "pod2_namespace",
    "pod2_name",
    "pod2_value",
)
_FINAL_PHASES = ("Succeeded", "Failed")
_WATCHED = ("pods", "persistentvolumeclaims", "persistentvolumes", "csidrivers")


class ConflictCollector:
    """The metric, computed from the cache at each scrape (upstream's ``collector``)."""

    def __init__(self, cache: sm.VolumeCache) -> None:
        self.cache = cache

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return [GaugeMetricFamily(METRIC, METRIC_HELP, labels=METRIC_LABELS)]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(METRIC, METRIC_HELP, labels=METRIC_LABELS)
        for conflict in self.cache.conflicts():
            family.add_metric(list(conflict.metric_labels()), 1.0)
        yield family


def _claim_name(pod: Pod, volume_name: str) -> str | None:
    """The PVC a volume uses: ``claimName``, or ``<pod>-<volume>`` of an ephemeral one."""
    assert pod.spec is not None
    for vol in pod.spec.volumes:
        if vol.name != volume_name:
            continue
        if vol.persistentVolumeClaim is not None:
            return vol.persistentVolumeClaim.claimName or ""
        if vol.ephemeral is not None:
            meta = pod.metadata
            return f"{meta.name if meta else ''}-{volume_name}"
    return None


def _mounted_volumes(pod: Pod) -> list[str]:
    """Names of the volumes some container mounts (``GetPodVolumeNames`` mounts), in
    the pod's volume order."""
    assert pod.spec is not None
    spec = pod.spec
    mounted: set[str | None] = set()
    for group in (spec.initContainers, spec.containers, spec.ephemeralContainers):
        for c in group:
            mounted.update(m.name for m in c.volumeMounts)
    return [v.name or "" for v in spec.volumes if v.name in mounted]


def _state(resource: str, obj: JSONObject) -> object:
    """The part of an object whose change matters to the handlers (what upstream's
    update handlers compare between the old and the new object)."""
    spec = obj.get("spec") or {}
    if resource == "pods":
        return (obj.get("status") or {}).get("phase")
    if resource == "persistentvolumeclaims":
        return spec.get("volumeName")
    if resource == "persistentvolumes":
        return (spec.get("claimRef") or {}).get("uid")
    return bool(spec.get("seLinuxMount"))


class SELinuxWarningController:
    """The controller: a volume cache, a queue of pod keys and the handlers that fill
    it. It runs under ``seclet.controllers.manager.ControllerManager`` (``name``,
    ``resources``, ``observe``, ``resync``, ``queues``) or alone (``run``)."""

    name: str = NAME
    resources: tuple[str, ...] = _WATCHED

    def __init__(
        self,
        store: Store,
        gates: FeatureGates,
        registry: CollectorRegistry | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.gates = gates
        self.cache = sm.VolumeCache()
        self.recorder = EventRecorder(store, clock or SystemClock(), COMPONENT)
        self.queue = WorkQueue()
        self._wake = asyncio.Event()
        self._last: dict[tuple[str, str, str], object] = {}
        if registry is not None:
            registry.register(ConflictCollector(self.cache))

    # -- queueing (the informers' handlers) -------------------------------------------

    def enqueue(self, key: sm.PodKey) -> None:
        self.queue.add(f"{key.namespace}/{key.name}")
        self._wake.set()

    def _enqueue_pods_of_claim(self, namespace: str, claim: str) -> None:
        for obj in self.store.list("pods", namespace).items:
            spec = obj.get("spec") or {}
            name = (obj.get("metadata") or {}).get("name", "")
            for vol in spec.get("volumes") or ():
                pvc = vol.get("persistentVolumeClaim") or {}
                ephemeral = vol.get("ephemeral") is not None
                if pvc.get("claimName") == claim or (
                    ephemeral and f"{name}-{vol.get('name', '')}" == claim
                ):
                    self.enqueue(sm.PodKey(namespace, name))
                    break

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        """Step 2: queue the pods a watch event concerns, comparing with the object's
        previous state as this controller saw it."""
        meta = obj.get("metadata") or {}
        ident = (resource, str(meta.get("namespace", "")), str(meta.get("name", "")))
        known = ident in self._last
        old = self._last.get(ident)
        new = _state(resource, obj)
        if type_ == "DELETED":
            self._last.pop(ident, None)
        else:
            self._last[ident] = new
        if type_ == "MODIFIED" and not known:
            type_ = "ADDED"
        spec = obj.get("spec") or {}
        if resource == "pods":
            key = sm.PodKey(ident[1], ident[2])
            if type_ != "MODIFIED" or (new != old and new in _FINAL_PHASES):
                self.enqueue(key)
        elif resource == "persistentvolumeclaims":
            if type_ != "DELETED" and new and (type_ == "ADDED" or new != old):
                self._enqueue_pods_of_claim(ident[1], ident[2])
        elif resource == "persistentvolumes":
            ref = spec.get("claimRef") or {}
            if type_ != "DELETED" and new and (type_ == "ADDED" or new != old):
                self._enqueue_pods_of_claim(str(ref.get("namespace", "")), str(ref.get("name", "")))
        elif resource == "csidrivers" and (
            type_ == "ADDED" or (type_ == "DELETED" and new) or (type_ == "MODIFIED" and new != old)
        ):
            for key in self.cache.pods_for_csi_driver(ident[2]):
                self.enqueue(key)

    def resync(self) -> None:
        """Upstream's informer resyncs deliver unchanged pods, which ``updatePod``
        ignores: nothing to queue."""

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        return [(self.queue, self._sync_key)]

    async def _sync_key(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        self.sync(sm.PodKey(namespace, name))

    # -- sync ------------------------------------------------------------------------

    def _csi_selinux_mount(self) -> dict[str, bool]:
        return {
            str((d.get("metadata") or {}).get("name", "")): bool(
                (d.get("spec") or {}).get("seLinuxMount")
            )
            for d in self.store.list("csidrivers").items
        }

    def _bound_pv(self, namespace: str, claim: str) -> Mapping[str, Any] | None:
        try:
            pvc = self.store.get("persistentvolumeclaims", namespace, claim)
            volume_name = (pvc.get("spec") or {}).get("volumeName")
            if not volume_name:
                return None
            return self.store.get("persistentvolumes", "", str(volume_name))
        except NotFoundError:
            return None

    def sync(self, key: sm.PodKey) -> None:
        """The steps of ``sync`` in the module docstring."""
        try:
            raw = self.store.get("pods", key.namespace, key.name)
        except NotFoundError:
            self.cache.delete_pod(key)
            return
        if (raw.get("status") or {}).get("phase") in _FINAL_PHASES:
            self.cache.delete_pod(key)
            return
        try:
            pod = decode_pod(raw)
        except DecodeError as exc:
            log.warning("pod %s/%s: %s", key.namespace, key.name, exc)
            return
        if pod.spec is None:
            return
        drivers = self._csi_selinux_mount()
        for name in _mounted_volumes(pod):
            volume = next(v for v in pod.spec.volumes if v.name == name)
            claim = _claim_name(pod, name)
            pv = self._bound_pv(key.namespace, claim) if claim is not None else None
            facts = sm.volume_facts(pod, volume, pv, drivers)
            if facts is None:
                continue
            try:
                use = sm.controller_volume_use(pod, facts, self.gates)
            except sm.MultipleSELinuxLabelsError:
                self.recorder.event(
                    object_reference(raw, "Pod"),
                    WARNING,
                    sm.MULTIPLE_LABELS_REASON,
                    sm.multiple_labels_message(name),
                )
                continue
            conflicts = self.cache.add_volume(facts.unique_name, key, use, facts.csi_driver)
            self._report(conflicts)

    def _report(self, conflicts: list[sm.Conflict]) -> None:
        for conflict in conflicts:
            try:
                pod = self.store.get("pods", conflict.pod.namespace, conflict.pod.name)
            except NotFoundError:
                return
            self.recorder.event(
                object_reference(pod, "Pod"),
                NORMAL,
                conflict.event_reason,
                conflict.event_message(),
            )

    # -- alone, without a ControllerManager ------------------------------------------

    async def _watch(self, resource: str) -> None:
        listed = self.store.list(resource)
        for obj in listed.items:
            self.observe(resource, "ADDED", obj)
        since = listed.resource_version
        while True:
            try:
                async for event in self.store.watch(resource, None, since):
                    since = event.resource_version
                    self.observe(resource, event.type, event.object)
                return
            except GoneError:
                listed = self.store.list(resource)
                for obj in listed.items:
                    self.observe(resource, "ADDED", obj)
                since = listed.resource_version

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            key = self.queue.pop()
            while key is not None:
                try:
                    await self._sync_key(key)
                except Exception:
                    log.exception("syncing pod %s", key)
                key = self.queue.pop()

    async def run(self) -> None:
        """The steps of ``run`` in the module docstring; returns when the store closes
        (the watches end) or when cancelled."""
        log.info("Starting SELinux warning controller")
        worker = asyncio.create_task(self._work())
        try:
            await asyncio.gather(*(self._watch(r) for r in _WATCHED))
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            log.info("Shutting down SELinux warning controller")
