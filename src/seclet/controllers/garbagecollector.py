"""The garbage collector: objects whose owners are all gone are deleted (background).

Role: the part of kube-controller-manager's ``garbage-collector-controller`` (``k/k
pkg/controller/garbagecollector/garbagecollector.go``, ``attemptToDeleteItem`` and
``classifyReferences``) a single node needs: a deleted pod's generic ephemeral volume
claims, a deleted node's lease, any ConfigMap/Secret/claim/volume owned by an object
that no longer exists. A dependent's ownerReferences are classified (``classify``):
*solid* (the owner exists with that uid), *dangling* (absent, or present with another
uid: a new object of the same name is not the owner), or unknown (a kind seclet does not
serve, which upstream cannot map either: it retries and deletes nothing; a
cluster-scoped dependent naming a namespaced owner is left alone as well). Then
(``decide``): no dangling reference, or an unknown one -> nothing; some solid ones ->
the dangling references are removed from the dependent (upstream's patch); all dangling
-> the dependent is deleted with background propagation (a claim then keeps its
``kubernetes.io/pvc-protection`` finalizer until no pod uses it, and its volume follows
its reclaim policy). Dependents are queued when they appear (so at start every orphan is
found) and when an owner is deleted (an index owner uid -> dependents). A pod is deleted
as the API server deletes it (``pod_deletion``: graceful on a node, where the kubelet
stops it; at once when unscheduled or terminal). Deletions with ``propagationPolicy``
Orphan or Foreground (the ``orphan``/``foregroundDeletion`` finalizers) are not handled:
seclet's API server does not set them.
Steps of ``sync``: 1. the dependent, unless gone or being deleted; 2. look up each owner
reference (``store.get``, live, as upstream's ``isDangling`` GETs the owner); 3. act on
``decide`` (update ownerReferences with a resourceVersion check, or ``writes.delete``).
Callers: seclet.controllers.core (``seclet server``), tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seclet.api import storagehelpers as sh
from seclet.controllers import writes
from seclet.controllers.clock import Clock, rfc3339
from seclet.controllers.manager import WorkQueue
from seclet.store.api import JSONObject, NotFoundError, Store

OWNER_RESOURCES: Mapping[tuple[str, str], tuple[str, bool]] = {
    ("v1", "Pod"): ("pods", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "PersistentVolumeClaim"): ("persistentvolumeclaims", True),
    ("v1", "PersistentVolume"): ("persistentvolumes", False),
    ("v1", "Node"): ("nodes", False),
    ("v1", "Namespace"): ("namespaces", False),
    ("storage.k8s.io/v1", "StorageClass"): ("storageclasses", False),
    ("coordination.k8s.io/v1", "Lease"): ("leases", True),
}
"""(apiVersion, kind) of an owner -> (store resource, namespaced): the kinds seclet
serves (the RESTMapper's answer)."""

DEPENDENT_RESOURCES: tuple[str, ...] = (
    "pods",
    "persistentvolumeclaims",
    "configmaps",
    "secrets",
    "persistentvolumes",
    "leases",
)
"""The resources whose objects the collector deletes when orphaned."""

SOLID, DANGLING, UNKNOWN = "solid", "dangling", "unknown"


@dataclass(frozen=True, slots=True)
class Decision:
    """``delete`` the dependent, or ``keep_refs`` (the references to keep; None: no
    update)."""

    delete: bool = False
    keep_refs: tuple[JSONObject, ...] | None = None


def owner_resource(ref: Mapping[str, Any]) -> tuple[str, bool] | None:
    return OWNER_RESOURCES.get((str(ref.get("apiVersion", "")), str(ref.get("kind", ""))))


def classify(
    ref: Mapping[str, Any], dependent_namespace: str, owner: Mapping[str, Any] | None
) -> str:
    """One reference: SOLID, DANGLING or UNKNOWN; ``owner`` is the object found under
    the reference's kind and name (None: none)."""
    target = owner_resource(ref)
    if target is None:
        return UNKNOWN
    _resource, namespaced = target
    if namespaced and not dependent_namespace:
        return UNKNOWN
    if owner is None or sh.meta(owner).get("uid") != ref.get("uid"):
        return DANGLING
    return SOLID


def decide(refs: Sequence[JSONObject], classes: Sequence[str]) -> Decision:
    """``attemptToDeleteItem`` with background propagation, from each reference's
    class (same order). A reference of an unknown kind stops everything (upstream's
    ``isDangling`` fails to map it and the item is retried, untouched)."""
    if DANGLING not in classes or UNKNOWN in classes:
        return Decision()
    if SOLID in classes:
        kept = tuple(r for r, c in zip(refs, classes, strict=True) if c != DANGLING)
        return Decision(keep_refs=kept)
    return Decision(delete=True)


def pod_deletion(pod: Mapping[str, Any], now: float) -> tuple[JSONObject, bool]:
    """A DELETE of a pod as the API server does it (the pod strategy's
    ``CheckGracefulDelete``, no grace in the request): the pod stamped with
    ``deletionTimestamp = now + grace`` and ``deletionGracePeriodSeconds = grace``
    (grace: ``terminationGracePeriodSeconds``; 0 for a pod on no node or a terminal
    one; negative -> 1), its ``generation`` bumped; and whether it goes at once
    (grace 0) rather than being left to the kubelet."""
    spec = sh.spec(pod)
    grace = int(spec.get("terminationGracePeriodSeconds") or 0)
    if not spec.get("nodeName") or sh.is_pod_terminated(pod):
        grace = 0
    grace = 1 if grace < 0 else grace
    meta: JSONObject = dict(sh.meta(pod))
    meta["deletionTimestamp"] = rfc3339(now + grace)
    meta["deletionGracePeriodSeconds"] = grace
    if int(meta.get("generation") or 0) > 0:
        meta["generation"] = int(meta["generation"]) + 1
    return {**pod, "metadata": meta}, grace == 0


def _key(resource: str, obj: Mapping[str, Any]) -> str:
    meta = sh.meta(obj)
    return f"{resource}|{meta.get('namespace') or ''}|{meta.get('name', '')}"


class GarbageCollector:
    name: str = "garbage-collector"

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.queue = WorkQueue()
        self.resources: tuple[str, ...] = tuple(
            sorted({r for r, _ in OWNER_RESOURCES.values()} | set(DEPENDENT_RESOURCES))
        )
        self._dependents: dict[str, set[str]] = {}
        """Owner uid -> keys of the dependents that name it (the graph's edges)."""

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        meta = sh.meta(obj)
        if resource in DEPENDENT_RESOURCES:
            key = _key(resource, obj)
            refs = meta.get("ownerReferences") or ()
            for ref in refs:
                dependents = self._dependents.setdefault(str(ref.get("uid", "")), set())
                if type_ == "DELETED":
                    dependents.discard(key)
                else:
                    dependents.add(key)
            if type_ != "DELETED" and refs:
                self.queue.add(key)
        if type_ == "DELETED":
            for key in sorted(self._dependents.pop(str(meta.get("uid", "")), ())):
                self.queue.add(key)

    def resync(self) -> None:
        """Nothing: upstream's graph has no periodic re-check of live owners."""

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        return ((self.queue, self.sync),)

    def _owner(self, ref: Mapping[str, Any], namespace: str) -> JSONObject | None:
        target = owner_resource(ref)
        if target is None:
            return None
        resource, namespaced = target
        try:
            return self.store.get(
                resource, namespace if namespaced else "", str(ref.get("name", ""))
            )
        except NotFoundError:
            return None

    async def sync(self, key: str) -> None:
        """The steps in the module docstring."""
        resource, namespace, name = key.split("|", 2)
        try:
            dependent = self.store.get(resource, namespace, name)
        except NotFoundError:
            return
        meta = sh.meta(dependent)
        if meta.get("deletionTimestamp"):
            return
        refs: list[JSONObject] = list(meta.get("ownerReferences") or ())
        classes = [classify(r, namespace, self._owner(r, namespace)) for r in refs]
        decision = decide(refs, classes)
        if decision.delete and resource == "pods":
            stamped, at_once = pod_deletion(dependent, self.clock.now())
            self.store.update(
                resource, namespace, name, stamped,
                expected_resource_version=meta.get("resourceVersion"),
            )
            if at_once:
                self.store.delete(resource, namespace, name)
        elif decision.delete:
            writes.delete(self.store, resource, namespace, name, self.clock.now())
        elif decision.keep_refs is not None:
            updated = dict(dependent)
            updated["metadata"] = {**meta, "ownerReferences": list(decision.keep_refs)}
            writes.update(self.store, resource, updated)
