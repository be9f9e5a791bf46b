"""The root CA certificate publisher: ``kube-root-ca.crt`` in every namespace.

Role: kube-controller-manager's ``root-ca-certificate-publisher-controller`` (alias
``root-ca-cert-publisher``; ``k/k
pkg/controller/certificates/rootcacertpublisher/publisher.go``). Every namespace gets
the ConfigMap ``kube-root-ca.crt`` whose ``data`` is exactly ``{"ca.crt": <the API
server's CA certificate, PEM>}`` and whose annotation ``kubernetes.io/description``
is upstream's ``Description``. A namespace is synced when it is added, when it is
updated while Active, and when its ``kube-root-ca.crt`` is updated or deleted: a
deleted map is created again, one whose data differs (or whose description
annotation is empty) gets the data and the annotation back (other annotations and
labels stay). The CA comes in as a value (``seclet server`` reads the file the API
server serves with; upstream: ``--root-ca-file`` or the controller's kubeconfig CA).
Steps of ``sync`` (``syncNamespace``): 1. the map; absent -> create it, unless the
namespace is gone or terminating (upstream's create fails with NotFound or
``NamespaceTerminatingCause`` and is not retried); 2. present -> ``decide`` whether
the data and annotation match; if not, update it.
Callers: seclet.controllers.core (``seclet server``), tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from seclet.api import storagehelpers as sh
from seclet.api.managedfields import record_update
from seclet.controllers import writes
from seclet.controllers.clock import Clock
from seclet.controllers.manager import WorkQueue
from seclet.store.api import AlreadyExistsError, JSONObject, NotFoundError, Store

ROOT_CA_CONFIG_MAP = "kube-root-ca.crt"
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using "
    "internal endpoints such as the internal service IP or kubernetes.default.svc. "
    "No other usage is guaranteed across distributions of Kubernetes clusters."
)
"""``rootcacertpublisher.Description``."""


def new_config_map(namespace: str, root_ca: str) -> JSONObject:
    """The map ``syncNamespace`` creates."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": ROOT_CA_CONFIG_MAP,
            "namespace": namespace,
            "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION},
        },
        "data": {"ca.crt": root_ca},
    }


def restored(config_map: Mapping[str, Any], root_ca: str) -> JSONObject | None:
    """The map with its data and description put back, or None when they match
    (``reflect.DeepEqual(cm.Data, data)`` and a non-empty description). Only
    ``data`` and that annotation change (``binaryData``, labels, the other
    annotations stay)."""
    data = {"ca.crt": root_ca}
    annotations = dict(sh.meta(config_map).get("annotations") or {})
    if config_map.get("data") == data and annotations.get(DESCRIPTION_ANNOTATION):
        return None
    annotations[DESCRIPTION_ANNOTATION] = DESCRIPTION
    out = dict(config_map)
    out["data"] = data
    out["metadata"] = {**sh.meta(config_map), "annotations": annotations}
    return out


def namespace_accepts_content(namespace: Mapping[str, Any] | None) -> bool:
    """NamespaceLifecycle admission: the namespace exists and is not terminating."""
    if namespace is None:
        return False
    status = namespace.get("status") or {}
    return status.get("phase") != "Terminating" and not sh.meta(namespace).get(
        "deletionTimestamp"
    )


class RootCACertPublisher:
    name: str = "root-ca-cert-publisher"
    resources: tuple[str, ...] = ("configmaps", "namespaces")

    def __init__(self, store: Store, clock: Clock, root_ca: str) -> None:
        self.store = store
        self.clock = clock
        self.root_ca = root_ca
        self.queue = WorkQueue()

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        meta = sh.meta(obj)
        if resource == "namespaces":
            if type_ == "ADDED" or (
                type_ == "MODIFIED" and (obj.get("status") or {}).get("phase") == "Active"
            ):
                self.queue.add(str(meta.get("name", "")))
            return
        # configMapUpdated / configMapDeleted (an add is not watched).
        if type_ != "ADDED" and meta.get("name") == ROOT_CA_CONFIG_MAP:
            self.queue.add(str(meta.get("namespace", "")))

    def resync(self) -> None:
        """Nothing: upstream's informers resync no more often than every 12 hours."""

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        return ((self.queue, self.sync),)

    async def sync(self, namespace: str) -> None:
        """The steps in the module docstring."""
        try:
            current = self.store.get("configmaps", namespace, ROOT_CA_CONFIG_MAP)
        except NotFoundError:
            try:
                ns: JSONObject | None = self.store.get("namespaces", "", namespace)
            except NotFoundError:
                ns = None
            if not namespace_accepts_content(ns):
                return
            created = writes.stamp_new(new_config_map(namespace, self.root_ca), self.clock.now())
            record_update(None, created, manager="kube-controller-manager", now=self.clock.now())
            try:
                self.store.create("configmaps", namespace, ROOT_CA_CONFIG_MAP, created)
            except AlreadyExistsError:
                self.queue.add(namespace)
            return
        update = restored(current, self.root_ca)
        if update is not None:
            writes.update(self.store, "configmaps", update)
