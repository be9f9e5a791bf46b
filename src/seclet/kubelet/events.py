"""Events the kubelet (and its built-in binder) records, as core v1 ``events`` objects.

Role: client-go's ``record.EventRecorder`` for one kubelet component: the shared
``seclet.record.EventRecorder`` with ``source`` component and host (the node name),
``reportingInstance`` the host, repeats of the same object (with its ``fieldPath``),
type, reason and message bumping ``count``/``lastTimestamp``, similar ones aggregated
and a spammy object throttled, by client-go's EventCorrelator (``seclet.record``); a
deleted pod's entries are dropped (``forget``). Also the involved-object references the
kubelet builds: a pod's, and a container's with ``fieldPath``
``spec.containers{c}`` / ``spec.initContainers{c}``.
Callers: seclet.kubelet.worker, .images, .binder, .kubelet, .probes.
"""

from __future__ import annotations

from seclet import record
from seclet.clock import Clock
from seclet.record import NORMAL, WARNING
from seclet.store.api import JSONObject, Store

__all__ = ["NORMAL", "WARNING", "EventRecorder", "container_field_path", "pod_reference"]


def pod_reference(pod: JSONObject, field_path: str = "") -> JSONObject:
    """``ObjectReference`` of a pod (``GenerateContainerRef`` when ``field_path``)."""
    meta = pod.get("metadata") or {}
    ref: JSONObject = {
        "kind": "Pod",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": "v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if field_path:
        ref["fieldPath"] = field_path
    return ref


def container_field_path(pod: JSONObject, name: str) -> str:
    spec = pod.get("spec") or {}
    for c in spec.get("initContainers") or ():
        if c.get("name") == name:
            return f"spec.initContainers{{{name}}}"
    return f"spec.containers{{{name}}}"


class EventRecorder(record.EventRecorder):
    """Records events for ``component`` on ``host`` (the node name)."""

    def __init__(self, store: Store, clock: Clock, component: str, host: str) -> None:
        super().__init__(store, clock, component, host)
