"""Server-side tables (``meta.k8s.io/v1`` Table) as kubectl get prints them.

Role: upstream's ``pkg/printers/internalversion`` for the resources seclet serves:
pods (NAME READY STATUS RESTARTS AGE, and IP NODE NOMINATED NODE READINESS GATES with
``-o wide``) and namespaces (NAME STATUS AGE); ages with ``duration.HumanDuration``.
Pure: the caller passes the current time. Callers: ``seclet.apiserver.http``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any, Final

JSONObject = dict[str, Any]

TABLE_MEDIA: Final = "application/json;as=Table;v=v1;g=meta.k8s.io"


def wants_table(accept: str) -> bool:
    """Whether the Accept header asks for a meta.k8s.io/v1 Table first."""
    for part in accept.split(","):
        params = {p.strip() for p in part.split(";")[1:]}
        if {"as=Table", "g=meta.k8s.io"} <= params and ("v=v1" in params or "v=v1beta1" in params):
            return True
        if part.split(";")[0].strip() in ("application/json", "*/*"):
            return False
    return False


def human_duration(d: datetime.timedelta) -> str:
    """``duration.HumanDuration``."""
    seconds = int(d.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def parse_time(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)


def age(obj: JSONObject, now: datetime.datetime) -> str:
    """``translateTimestampSince``: ``<unknown>`` without a creationTimestamp."""
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    return human_duration(now - parse_time(created))


_NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_AGE_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is "
    "in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)


def _col(name: str, description: str, priority: int = 0, fmt: str = "") -> JSONObject:
    return {"name": name, "type": "string", "format": fmt, "description": description,
            "priority": priority}


POD_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _col("Status", "The aggregate status of the containers in this pod."),
    _col("Restarts", "The number of times the containers in this pod have been restarted "
         "and when the last container in this pod has restarted."),
    _col("Age", _AGE_DOC),
    _col("IP", "podIP address allocated to the pod. Routable at least within the cluster. "
         "Empty if not yet allocated.", 1),
    _col("Node", "NodeName indicates in which node this pod is scheduled.", 1),
    _col("Nominated Node", "nominatedNodeName is set only when this pod preempts other "
         "pods on the node, but it cannot be scheduled right away as preemption victims "
         "receive their graceful termination periods.", 1),
    _col("Readiness Gates", "If specified, all readiness gates will be evaluated for pod "
         "readiness.", 1),
]

NAMESPACE_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col("Status", "The status of the namespace"),
    _col("Age", _AGE_DOC),
]


def _restarts(statuses: Sequence[JSONObject], now: datetime.datetime) -> tuple[int, str]:
    count = 0
    last: datetime.datetime | None = None
    for cs in statuses:
        count += int(cs.get("restartCount") or 0)
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        if finished:
            t = parse_time(finished)
            last = t if last is None or t > last else last
    return count, (human_duration(now - last) if last else "")


def pod_row_cells(pod: JSONObject, now: datetime.datetime) -> list[Any]:
    """``printPod``'s cells for one pod."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    st = pod.get("status") or {}
    containers = spec.get("containers") or []
    total = len(containers)
    ready = 0
    reason = st.get("reason") or st.get("phase") or ""
    statuses = st.get("containerStatuses") or []
    init_statuses = st.get("initContainerStatuses") or []
    restarts, last_restart = _restarts(statuses, now)
    initializing = False
    init_total = len(spec.get("initContainers") or [])
    for i, cs in enumerate(init_statuses):
        state = cs.get("state") or {}
        term = state.get("terminated")
        waiting = state.get("waiting")
        restarts += int(cs.get("restartCount") or 0)
        if term and term.get("exitCode") == 0:
            continue
        if term:
            reason = "Init:" + (term.get("reason") or (
                f"Signal:{term['signal']}" if term.get("signal")
                else f"ExitCode:{term.get('exitCode')}"))
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{init_total}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for cs in reversed(statuses):
            state = cs.get("state") or {}
            waiting = state.get("waiting")
            term = state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = (f"Signal:{term['signal']}" if term.get("signal")
                          else f"ExitCode:{term.get('exitCode')}")
            elif state.get("running") and cs.get("ready"):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running"
    if meta.get("deletionTimestamp"):
        reason = "Unknown" if st.get("reason") == "NodeLost" else "Terminating"
    restarts_cell = str(restarts) if not last_restart else f"{restarts} ({last_restart} ago)"
    gates = spec.get("readinessGates") or []
    return [
        meta.get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_cell,
        age(pod, now),
        st.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        st.get("nominatedNodeName") or "<none>",
        f"0/{len(gates)}" if gates else "<none>",
    ]


def namespace_row_cells(ns: JSONObject, now: datetime.datetime) -> list[Any]:
    return [
        (ns.get("metadata") or {}).get("name", ""),
        (ns.get("status") or {}).get("phase", ""),
        age(ns, now),
    ]


RowCells = Callable[[JSONObject, datetime.datetime], list[Any]]
ROWS: Final[dict[str, tuple[list[JSONObject], RowCells]]] = {
    "pods": (POD_COLUMNS, pod_row_cells),
    "namespaces": (NAMESPACE_COLUMNS, namespace_row_cells),
}


def _partial_metadata(obj: JSONObject) -> JSONObject:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def table(
    resource: str,
    objects: Sequence[JSONObject],
    now: datetime.datetime,
    *,
    resource_version: str = "",
    include_object: str = "Metadata",
    with_columns: bool = True,
) -> JSONObject:
    """A Table of ``objects``; rows carry PartialObjectMetadata (``includeObject``)."""
    columns, cells = ROWS[resource]
    rows: list[JSONObject] = []
    for obj in objects:
        row: JSONObject = {"cells": cells(obj, now)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = _partial_metadata(obj)
        rows.append(row)
    meta: JSONObject = {"resourceVersion": resource_version} if resource_version else {}
    out: JSONObject = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
    if with_columns:
        out["columnDefinitions"] = columns
    out["rows"] = rows
    return out
