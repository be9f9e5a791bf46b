"""The single node's scheduler: bind every unscheduled pod to this node once its claims allow.

Role: seclet has one node, so "scheduling" is binding: a pod with an empty
``spec.nodeName`` (and no scheduling gates) gets ``spec.nodeName`` set, a
``PodScheduled=True`` condition, and the ``Scheduled`` event from
``default-scheduler``: ``Successfully assigned <ns>/<pod> to <node>`` — unless its
PersistentVolumeClaims stand in the way, as kube-scheduler's VolumeRestrictions and
VolumeBinding plugins decide (``decide_volumes``, pure, in the default profile's
order):
1. PreFilter: a missing claim (``persistentvolumeclaim "x" not found``), a Lost
   one, one being deleted, an unbound claim of an Immediate class (``pod has
   unbound immediate PersistentVolumeClaims``), a generic ephemeral volume's claim
   not yet created (``waiting for ephemeral volume controller to create the
   persistentvolumeclaim "x"``) or not controlled by the pod (``PVC <ns>/<claim> was
   not created for pod <ns>/<pod> (pod is not owner)``, ``podHasPVCs``) ->
   unschedulable and unresolvable;
2. Filter: a ReadWriteOncePod claim another running pod uses (unschedulable; the
   pods' equal priority leaves preemption no victim); a bound claim whose volume is
   gone or whose node affinity excludes this node; a WaitForFirstConsumer claim
   with neither a matching volume (``FindMatchingVolume`` with this node) nor a
   provisioner (``didn't find available persistent volumes to bind``);
3. Reserve/PreBind: matching volumes get the claim's ``claimRef``, claims to
   provision get ``volume.kubernetes.io/selected-node: <node>``; the pod waits
   until every claim is bound (the PV controller and the provisioner finish it).
Before and between these run the node plugins (``seclet.kubelet.nodefilters``:
NodeAffinity's PreFilter, then the Filters NodeUnschedulable, TaintToleration,
NodeAffinity), merged by ``decide_with_node`` in the profile's order.
An unschedulable pod gets ``PodScheduled=False`` (reason ``Unschedulable``) and a
``FailedScheduling`` warning whose text is the scheduler's FitError: ``0/1 nodes are
available: <reason>. preemption: 0/1 nodes are available: 1 <preemption
verdict>.``; a repeat of the same message is counted as an event series.
Pods left waiting are retried when claims, volumes, classes or pods change, or the
Node's labels or spec (cordon, taints; not its status heartbeats) (the
scheduling queue's cluster events): the first waiting pod starts ``run``, a watch
of those resources that ends with the store. A pod whose claims are not bound
within ``bindTimeoutSeconds`` (600 s) fails its binding cycle (``running PreBind
plugin "VolumeBinding": binding volumes: context deadline exceeded``, reason
``SchedulerError``) and waits again.
Steps of ``bind``: 1. skip bound, gated or deleting pods (and a waiting pod whose
spec and world did not change); 2. decide its volumes; unschedulable -> status +
event, stop; volume updates -> write them, wait; 3. update the pod with the node
name and condition (retry on conflict with the fresh object); 4. emit the event.
Callers: seclet.kubelet.kubelet (on every pod watch event).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seclet.api import storagehelpers as sh
from seclet.api.managedfields import record_update
from seclet.kubelet import nodefilters as nf
from seclet.kubelet.clock import Clock, rfc3339
from seclet.kubelet.events import NORMAL, WARNING, EventRecorder, pod_reference
from seclet.store.api import (
    ConflictError,
    GoneError,
    JSONObject,
    NotFoundError,
    Store,
    StoreError,
)

log = logging.getLogger(__name__)

SCHEDULER_NAME = "default-scheduler"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
ERR_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_PV_NOT_EXIST = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
ERR_RWOP_CONFLICT = (
    "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"
)
UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
BIND_TIMEOUT = 600.0
"""VolumeBindingArgs ``bindTimeoutSeconds`` default: how long PreBind waits for claims."""
PREBIND_TIMEOUT = (
    'running PreBind plugin "VolumeBinding": binding volumes: context deadline exceeded'
)
WATCHED = ("persistentvolumeclaims", "persistentvolumes", "storageclasses", "pods", "nodes")


def needs_binding(pod: JSONObject) -> bool:
    spec = pod.get("spec") or {}
    meta = pod.get("metadata") or {}
    if spec.get("nodeName") or spec.get("schedulingGates") or meta.get("deletionTimestamp"):
        return False
    scheduler = spec.get("schedulerName") or SCHEDULER_NAME
    return scheduler == SCHEDULER_NAME


def bound(pod: JSONObject, node_name: str, now: float) -> JSONObject:
    """The pod as the binding subresource leaves it (pure)."""
    out = dict(pod)
    out["spec"] = dict(pod.get("spec") or {})
    out["spec"]["nodeName"] = node_name
    status = dict(pod.get("status") or {})
    conditions = [c for c in status.get("conditions") or () if c.get("type") != "PodScheduled"]
    conditions.append(
        {
            "type": "PodScheduled",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": rfc3339(now),
        }
    )
    status["conditions"] = conditions
    out["status"] = status
    return out


def unschedulable(
    pod: JSONObject, message: str, now: float, reason: str = "Unschedulable"
) -> JSONObject | None:
    """The pod with ``PodScheduled=False`` and ``reason`` (``Unschedulable``, or
    ``SchedulerError`` for a failed binding cycle) (``UpdatePodCondition``, with the
    pod's generation as observedGeneration); None when that condition is already
    there."""
    status = dict(pod.get("status") or {})
    conditions = list(status.get("conditions") or ())
    old = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
    if old and (old.get("status"), old.get("reason"), old.get("message")) == (
        "False", reason, message,
    ):
        return None
    changed = old is None or old.get("status") != "False"
    cond = {
        "type": "PodScheduled",
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": (
            rfc3339(now) if changed or old is None else old.get("lastTransitionTime")
        ),
        "reason": reason,
        "message": message,
    }
    generation = (pod.get("metadata") or {}).get("generation")
    if generation:
        cond["observedGeneration"] = generation  # PodObservedGenerationTracking
    status["conditions"] = [c for c in conditions if c.get("type") != "PodScheduled"] + [cond]
    out = dict(pod)
    out["status"] = status
    return out


@dataclass(frozen=True, slots=True)
class World:
    """What the scheduler's listers show for one pod's namespace (pure input)."""

    node_name: str
    node_labels: Mapping[str, str]
    claims: Mapping[str, JSONObject]
    """Claims of the pod's namespace by name."""
    volumes: tuple[JSONObject, ...]
    classes: Mapping[str, JSONObject]
    pods: tuple[JSONObject, ...]
    """Pods of the pod's namespace."""


@dataclass(frozen=True, slots=True)
class Decision:
    """``bind`` the pod now; ``message`` set: unschedulable with that FitError text;
    ``static``/``provision``: volume API updates to make (then wait); ``wait``:
    claims are being bound, nothing to write."""

    message: str = ""
    static: tuple[tuple[JSONObject, JSONObject], ...] = ()
    provision: tuple[JSONObject, ...] = ()
    wait: bool = False

    @property
    def bind(self) -> bool:
        return not (self.message or self.static or self.provision or self.wait)


def fit_error(prefilter: str = "", filter_reasons: tuple[str, ...] = (),
              preemption: str = NOT_HELPFUL) -> str:
    """``FitError.Error()`` for one node, with the DefaultPreemption verdict."""
    msg = "0/1 nodes are available:"
    if prefilter:
        msg += f" {prefilter}."
    else:
        msg += " " + ", ".join(sorted(f"1 {r}" for r in filter_reasons)) + "."
    return msg + f" preemption: 0/1 nodes are available: 1 {preemption}."


def _fully_bound(claim: Mapping[str, Any]) -> bool:
    """``isPVCFullyBound``."""
    return bool(sh.spec(claim).get("volumeName")) and (
        sh.ANN_BIND_COMPLETED in sh.annotations_of(claim)
    )


def _controlled_by(claim: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """``metav1.IsControlledBy`` (the first ownerReference with ``controller: true``
    names the pod's uid), as ``ephemeral.VolumeIsForPod`` asks of a generic ephemeral
    volume's claim."""
    for ref in sh.meta(claim).get("ownerReferences") or ():
        if ref.get("controller"):
            return bool(ref.get("uid") == sh.meta(pod).get("uid"))
    return False


def decide_volumes(pod: JSONObject, world: World) -> Decision:
    """The VolumeRestrictions and VolumeBinding plugins for this node (module doc)."""
    uses = sh.pod_claim_names(pod)
    if not uses:
        return Decision()
    # VolumeRestrictions PreFilter: regular claims must exist; RWOP ones noted.
    rwop: list[str] = []
    for name, ephemeral in uses:
        claim = world.claims.get(name)
        if claim is None:
            if not ephemeral:
                return Decision(fit_error(f'persistentvolumeclaim "{name}" not found'))
            continue
        if not ephemeral and sh.READ_WRITE_ONCE_POD in (sh.spec(claim).get("accessModes") or ()):
            rwop.append(name)
    # VolumeBinding PreFilter (podHasPVCs, GetPodVolumeClaims).
    bound_claims: list[JSONObject] = []
    delayed: list[JSONObject] = []
    for name, ephemeral in uses:
        claim = world.claims.get(name)
        if claim is None:
            return Decision(fit_error(
                "waiting for ephemeral volume controller to create the persistentvolumeclaim "
                f'"{name}"'
            ))
        if sh.phase(claim) == "Lost":
            return Decision(fit_error(
                f'persistentvolumeclaim "{name}" bound to non-existent persistentvolume '
                f'"{sh.spec(claim).get("volumeName") or ""}"'
            ))
        if sh.meta(claim).get("deletionTimestamp"):
            return Decision(fit_error(f'persistentvolumeclaim "{name}" is being deleted'))
        if ephemeral and not _controlled_by(claim, pod):
            return Decision(fit_error(
                f"PVC {sh.meta(claim).get('namespace', '')}/{name} was not created for pod "
                f"{sh.meta(pod).get('namespace', '')}/{sh.meta(pod).get('name', '')} "
                "(pod is not owner)"
            ))
    for name, _ in uses:
        claim = world.claims[name]
        if _fully_bound(claim):
            bound_claims.append(claim)
            continue
        try:
            delay = sh.is_delay_binding_mode(claim, world.classes)
        except sh.StorageHelperError as exc:
            return Decision(fit_error(str(exc)))
        if delay and not sh.spec(claim).get("volumeName"):
            delayed.append(claim)
        else:
            return Decision(fit_error(UNBOUND_IMMEDIATE))
    # VolumeRestrictions Filter: a ReadWriteOncePod claim in use by another pod.
    me = sh.meta(pod).get("uid")
    for other in world.pods:
        if sh.meta(other).get("uid") == me or not sh.spec(other).get("nodeName"):
            continue
        if sh.is_pod_terminated(other):
            continue
        if any(n in rwop for n, eph in sh.pod_claim_names(other) if not eph):
            return Decision(fit_error(filter_reasons=(ERR_RWOP_CONFLICT,), preemption=NO_VICTIMS))
    # VolumeBinding Filter (FindPodVolumes).
    node = (world.node_name, world.node_labels)
    reasons: list[str] = []
    by_name = {str(sh.meta(v).get("name", "")): v for v in world.volumes}
    for claim in bound_claims:
        pv = by_name.get(str(sh.spec(claim).get("volumeName")))
        if pv is None:
            reasons.append(ERR_PV_NOT_EXIST)
            break
        if not sh.check_node_affinity(pv, *node):
            reasons.append(ERR_NODE_CONFLICT)
            break
    static: list[tuple[JSONObject, JSONObject]] = []
    provision: list[JSONObject] = []
    waiting = False
    chosen: list[str] = []
    for claim in delayed:
        selected = sh.annotations_of(claim).get(sh.ANN_SELECTED_NODE)
        if selected is not None:
            if selected != world.node_name:
                reasons.append(ERR_BIND_CONFLICT)
                break
            waiting = True
            continue
        class_name = sh.claim_class(claim)
        candidates = [v for v in world.volumes if sh.volume_class(v) == class_name]
        found = sh.find_matching_volume(claim, candidates, node, chosen, True)
        if found is not None:
            pv = dict(found)
            if sh.is_volume_bound_to_claim(pv, claim) and sh.spec(pv).get("claimRef", {}).get(
                "uid"
            ):
                waiting = True
                continue
            chosen.append(str(sh.meta(pv).get("name", "")))
            static.append((pv, claim))
            continue
        sc = world.classes.get(class_name) or {}
        provisioner = sc.get("provisioner") or ""
        if not provisioner or provisioner == sh.NOT_SUPPORTED_PROVISIONER:
            reasons.append(ERR_BIND_CONFLICT)
            break
        if not _allowed_topologies_match(sc, world.node_name, world.node_labels):
            reasons.append(ERR_BIND_CONFLICT)  # provisioning unsatisfied, not affinity
            break
        provision.append(claim)
    if reasons:
        return Decision(fit_error(filter_reasons=tuple(dict.fromkeys(reasons))))
    return Decision(static=tuple(static), provision=tuple(provision),
                    wait=waiting and not static and not provision)


PREFILTER = "prefilter:"


def decide_with_node(node_message: str, volumes: Decision) -> Decision:
    """The node plugins' verdict (``Binder._node_fit``) merged with the volume
    plugins' in the profile's order: NodeAffinity's PreFilter, then the volume
    PreFilters (a FitError whose text has no per-node count), then the node Filters
    (NodeUnschedulable, TaintToleration, NodeAffinity), then the volume Filters."""
    if node_message.startswith(PREFILTER):
        return Decision(fit_error(node_message.removeprefix(PREFILTER)))
    if volumes.message and not volumes.message.startswith("0/1 nodes are available: 1 "):
        return volumes
    if node_message:
        return Decision(fit_error(filter_reasons=(node_message,)))
    return volumes


def _allowed_topologies_match(
    sc: Mapping[str, Any], node_name: str, labels: Mapping[str, str]
) -> bool:
    """``checkVolumeProvisions``' allowedTopologies test (none: any node)."""
    terms = sc.get("allowedTopologies") or ()
    if not terms:
        return True
    selector_terms = [
        {"matchExpressions": [
            {"key": e.get("key", ""), "operator": "In", "values": e.get("values") or []}
            for e in term.get("matchLabelExpressions") or ()
        ]}
        for term in terms
    ]
    return sh.node_selector_terms_match(selector_terms, node_name, labels)


def _fingerprint(pod: Mapping[str, Any]) -> str:
    """What a pod update must change to make the scheduler look again (not status)."""
    meta = sh.meta(pod)
    data = [meta.get("labels"), meta.get("annotations"), pod.get("spec")]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(slots=True)
class _Series:
    namespace: str
    name: str
    count: int = 1


@dataclass(slots=True)
class _Waiting:
    namespace: str
    name: str
    fingerprint: str
    generation: int
    series: dict[str, _Series] = field(default_factory=dict)
    prebind_since: float | None = None
    """When the pod started waiting for its claims to be bound (PreBind)."""


class Binder:
    def __init__(
        self, store: Store, clock: Clock, node_name: str, bind_timeout: float = BIND_TIMEOUT
    ) -> None:
        self.store = store
        self.bind_timeout = bind_timeout
        self.clock = clock
        self.node_name = node_name
        self.recorder = EventRecorder(store, clock, SCHEDULER_NAME, node_name)
        self._waiting: dict[str, _Waiting] = {}
        """Pods left unscheduled (by uid)."""
        self._generation = 0
        """Bumped by every watched change: a waiting pod is tried again."""
        self._task: asyncio.Task[None] | None = None
        self._node_seen = ""
        """The node's labels and spec last seen by the Node watch (its fingerprint)."""

    # -- the scheduling cycle -----------------------------------------------------

    def _world(self, namespace: str) -> World:
        try:
            node = self.store.get("nodes", "", self.node_name)
            labels = dict(sh.meta(node).get("labels") or {})
        except NotFoundError:
            labels = {}
        labels.setdefault("kubernetes.io/hostname", self.node_name)
        return World(
            node_name=self.node_name,
            node_labels=labels,
            claims={
                str(sh.meta(c).get("name", "")): c
                for c in self.store.list("persistentvolumeclaims", namespace).items
            },
            volumes=tuple(self.store.list("persistentvolumes").items),
            classes={
                str(sh.meta(sc).get("name", "")): sc
                for sc in self.store.list("storageclasses").items
            },
            pods=tuple(self.store.list("pods", namespace).items),
        )

    def bind(self, pod: JSONObject) -> JSONObject | None:
        """Bind ``pod`` if it needs it and its claims allow; return the stored bound
        pod (None otherwise)."""
        meta = pod.get("metadata") or {}
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        uid = str(meta.get("uid", ""))
        if not needs_binding(pod):
            self._waiting.pop(uid, None)
            return None
        waiting = self._waiting.get(uid)
        fingerprint = _fingerprint(pod)
        if (
            waiting is not None
            and waiting.fingerprint == fingerprint
            and waiting.generation == self._generation
        ):
            return None
        node_message = self._node_fit(pod)
        if sh.pod_claim_names(pod) or node_message:
            decision = decide_with_node(
                node_message,
                decide_volumes(pod, self._world(namespace))
                if sh.pod_claim_names(pod)
                else Decision(),
            )
            if not decision.bind:
                state = waiting or _Waiting(namespace, name, fingerprint, self._generation)
                state.fingerprint, state.generation = fingerprint, self._generation
                self._waiting[uid] = state
                self._ensure_watch()
                if decision.message:
                    state.prebind_since = None
                    self._fail(pod, state, decision.message)
                    return None
                now = self.clock.now()
                if state.prebind_since is None:
                    state.prebind_since = now
                elif now - state.prebind_since >= self.bind_timeout:
                    # PreBind gave up; the retried cycle waits again from now
                    state.prebind_since = now
                    self._fail(pod, state, PREBIND_TIMEOUT, "SchedulerError")
                self._prebind(decision)
                return None
        self._waiting.pop(uid, None)
        for _ in range(5):
            if not needs_binding(pod):
                return None
            try:
                stored = self.store.update(
                    "pods",
                    namespace,
                    name,
                    bound(pod, self.node_name, self.clock.now()),
                    expected_resource_version=meta.get("resourceVersion"),
                )
            except ConflictError:
                try:
                    pod = self.store.get("pods", namespace, name)
                except NotFoundError:
                    return None
                meta = pod.get("metadata") or {}
                continue
            except NotFoundError:
                return None
            self.recorder.action_event(
                pod_reference(stored),
                NORMAL,
                "Scheduled",
                "Binding",
                f"Successfully assigned {namespace}/{name} to {self.node_name}",
            )
            return stored
        return None

    def _node_fit(self, pod: JSONObject) -> str:
        """The node plugins' verdict (``seclet.kubelet.nodefilters``): a PreFilter
        text prefixed ``prefilter:``, a Filter reason, or '' when the node fits."""
        text, absent = nf.node_affinity_prefilter(pod, self.node_name)
        if text:
            return PREFILTER + text
        if absent:
            return absent
        try:
            node = self.store.get("nodes", "", self.node_name)
        except NotFoundError:
            return ""
        return nf.node_filter(pod, self.node_name, node)

    def _prebind(self, decision: Decision) -> None:
        """``BindPodVolumes``' API updates: claimRef on chosen volumes, the selected
        node on claims to provision (the PV controller and provisioner finish)."""
        for pv, claim in decision.static:
            new, dirty = sh.bind_volume_to_claim(pv, claim)
            if dirty:
                record_update(pv, new, manager="kube-scheduler", now=self.clock.now())
                with contextlib.suppress(StoreError):
                    self.store.update(
                        "persistentvolumes", "", str(sh.meta(pv).get("name", "")), new,
                        expected_resource_version=sh.meta(pv).get("resourceVersion"),
                    )
        for claim in decision.provision:
            new = copy.deepcopy(claim)
            sh.set_annotation(new, sh.ANN_SELECTED_NODE, self.node_name)
            record_update(claim, new, manager="kube-scheduler", now=self.clock.now())
            m = sh.meta(claim)
            with contextlib.suppress(StoreError):
                self.store.update(
                    "persistentvolumeclaims", str(m.get("namespace", "")), str(m.get("name", "")),
                    new, expected_resource_version=m.get("resourceVersion"),
                )

    def _fail(
        self, pod: JSONObject, state: _Waiting, message: str, reason: str = "Unschedulable"
    ) -> None:
        """``handleSchedulingFailure``: the FailedScheduling event (a series on
        repeats) and the PodScheduled=False condition."""
        meta = pod.get("metadata") or {}
        self._failed_event(pod, state, message)
        new = unschedulable(pod, message, self.clock.now(), reason)
        if new is None:
            return
        # The scheduler's PATCH of pods/status: its managedFields entry.
        new["metadata"] = dict(new.get("metadata") or {})
        record_update(
            pod, new, manager="kube-scheduler", now=self.clock.now(), subresource="status"
        )
        with contextlib.suppress(StoreError):
            self.store.update(
                "pods", str(meta.get("namespace", "")), str(meta.get("name", "")), new,
                expected_resource_version=meta.get("resourceVersion"),
            )

    def _failed_event(self, pod: JSONObject, state: _Waiting, message: str) -> None:
        """An events.k8s.io event of ``default-scheduler`` (core v1 view): the first
        is created, the second isomorphic one turns it into a series of 2, later ones
        are only counted (as the events library does between heartbeats)."""
        series = state.series.get(message)
        if series is not None:
            series.count += 1
            if series.count == 2:
                self.recorder.series(series.namespace, series.name, 2)
            return
        created = self.recorder.action_event(
            pod_reference(pod), WARNING, "FailedScheduling", "Scheduling", message
        )
        if created is not None:
            state.series[message] = _Series(*created)

    # -- retries ------------------------------------------------------------------

    def _ensure_watch(self) -> None:
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        since = self.store.current_resource_version()
        try:
            self._node_seen = nf.scheduling_fingerprint(
                self.store.get("nodes", "", self.node_name)
            )
        except NotFoundError:
            self._node_seen = ""
        self._task = loop.create_task(self.run(since), name="scheduler-volume-events")

    async def run(self, since: int) -> None:
        """Retry waiting pods whenever a claim, volume, class or pod changes after
        ``since``; ends when the store closes."""
        watches = [self._follow(resource, since) for resource in WATCHED]
        ticker = asyncio.create_task(self._tick(), name="scheduler-prebind-timeouts")
        try:
            await asyncio.gather(*watches)
        finally:
            ticker.cancel()

    async def _tick(self) -> None:
        """Retry the waiting pods when one has waited ``bind_timeout`` for its claims."""
        while True:
            await self.clock.sleep(min(10.0, self.bind_timeout / 10))
            now = self.clock.now()
            if any(
                s.prebind_since is not None and now - s.prebind_since >= self.bind_timeout
                for s in self._waiting.values()
            ):
                self._generation += 1
                self.retry()

    async def _follow(self, resource: str, since: int) -> None:
        while True:
            try:
                async for event in self.store.watch(resource, None, since):
                    since = event.resource_version
                    if resource == "pods" and not (
                        event.type == "DELETED" or sh.is_pod_terminated(event.object)
                    ):
                        continue  # pod updates concern that pod only (kubelet calls bind)
                    if resource == "nodes":
                        seen = nf.scheduling_fingerprint(event.object)
                        if seen == self._node_seen:
                            continue  # a status heartbeat: no plugin's verdict changes
                        self._node_seen = seen
                    self._generation += 1
                    self.retry()
                return
            except GoneError:
                since = self.store.current_resource_version()
                self._generation += 1
                self.retry()

    def retry(self) -> None:
        """Run the waiting pods through ``bind`` again."""
        for uid, state in list(self._waiting.items()):
            try:
                pod = self.store.get("pods", state.namespace, state.name)
            except NotFoundError:
                self._waiting.pop(uid, None)
                continue
            if str(sh.meta(pod).get("uid", "")) != uid:
                self._waiting.pop(uid, None)
                continue
            try:
                self.bind(pod)
            except Exception:
                log.exception("scheduling %s/%s", state.namespace, state.name)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
