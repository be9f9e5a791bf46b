"""Server-side tables (``meta.k8s.io/v1`` Table) as kubectl get prints them.

Role: upstream's ``pkg/printers/internalversion`` for the resources seclet serves:
pods (NAME READY STATUS RESTARTS AGE, and IP NODE NOMINATED NODE READINESS GATES with
``-o wide``; STATUS as ``printPod`` computes it), namespaces (NAME STATUS AGE), nodes
(NAME STATUS ROLES AGE VERSION; wide: INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION
CONTAINER-RUNTIME) and events (LAST SEEN TYPE REASON OBJECT MESSAGE; wide: SUBOBJECT
SOURCE FIRST SEEN COUNT NAME), configmaps (NAME DATA AGE), secrets (NAME TYPE DATA AGE),
persistentvolumes (NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS
VOLUMEATTRIBUTESCLASS REASON AGE; wide: VOLUMEMODE), persistentvolumeclaims (NAME STATUS
VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE; wide: VOLUMEMODE)
and storageclasses (NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION
AGE, `` (default)`` after a default class); ages with ``duration.HumanDuration``.
Pure: the caller passes the current time. Callers: ``seclet.apiserver.http``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any, Final

from seclet.api.quantity import canonical

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
    return {
        "name": name,
        "type": "string",
        "format": fmt,
        "description": description,
        "priority": priority,
    }


POD_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _col("Status", "The aggregate status of the containers in this pod."),
    _col(
        "Restarts",
        "The number of times the containers in this pod have been restarted "
        "and when the last container in this pod has restarted.",
    ),
    _col("Age", _AGE_DOC),
    _col(
        "IP",
        "podIP address allocated to the pod. Routable at least within the cluster. "
        "Empty if not yet allocated.",
        1,
    ),
    _col("Node", "NodeName indicates in which node this pod is scheduled.", 1),
    _col(
        "Nominated Node",
        "nominatedNodeName is set only when this pod preempts other "
        "pods on the node, but it cannot be scheduled right away as preemption victims "
        "receive their graceful termination periods.",
        1,
    ),
    _col(
        "Readiness Gates",
        "If specified, all readiness gates will be evaluated for pod readiness.",
        1,
    ),
]

NAMESPACE_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col("Status", "The status of the namespace"),
    _col("Age", _AGE_DOC),
]


def _later(a: datetime.datetime | None, b: JSONObject) -> datetime.datetime | None:
    """The later of ``a`` and the ``lastState.terminated.finishedAt`` of status ``b``."""
    finished = ((b.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
    if not finished:
        return a
    t = parse_time(finished)
    return t if a is None or t > a else a


def _restartable(container: JSONObject | None) -> bool:
    """``podutil.IsRestartableInitContainer``: a sidecar (``restartPolicy: Always``)."""
    return bool(container) and (container or {}).get("restartPolicy") == "Always"


def _condition_true(status: JSONObject, kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True"
        for c in status.get("conditions") or []
        if isinstance(c, dict)
    )


def _terminated_reason(term: JSONObject, prefix: str = "") -> str:
    if term.get("reason"):
        return prefix + str(term["reason"])
    if term.get("signal"):
        return f"{prefix}Signal:{term['signal']}"
    return f"{prefix}ExitCode:{term.get('exitCode', 0)}"


def pod_status_text(pod: JSONObject) -> tuple[str, int, int, int, datetime.datetime | None]:
    """``printPod``'s STATUS reason, ready and total containers, restarts, and the time
    of the last restart (``None``: none known)."""
    spec = pod.get("spec") or {}
    st = pod.get("status") or {}
    meta = pod.get("metadata") or {}
    phase = st.get("phase") or ""
    reason = st.get("reason") or phase
    for cond in st.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    total = len(spec.get("containers") or [])
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last: datetime.datetime | None = None
    last_sidecar: datetime.datetime | None = None
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total += sum(1 for c in init_specs.values() if _restartable(c))
    init_count = len(spec.get("initContainers") or [])
    initializing = False
    for i, cs in enumerate(st.get("initContainerStatuses") or []):
        state = cs.get("state") or {}
        restarts += int(cs.get("restartCount") or 0)
        last = _later(last, cs)
        sidecar = _restartable(init_specs.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += int(cs.get("restartCount") or 0)
            last_sidecar = _later(last_sidecar, cs)
        term = state.get("terminated")
        waiting = state.get("waiting")
        if term is not None and term.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term is not None:
            reason = _terminated_reason(term, "Init:")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + str(waiting["reason"])
        else:
            reason = f"Init:{i}/{init_count}"
        initializing = True
        break
    if not initializing or _condition_true(st, "Initialized"):
        restarts = sidecar_restarts
        last = last_sidecar
        has_running = False
        for cs in reversed(st.get("containerStatuses") or []):
            state = cs.get("state") or {}
            restarts += int(cs.get("restartCount") or 0)
            last = _later(last, cs)
            waiting = state.get("waiting")
            term = state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif term is not None:
                reason = _terminated_reason(term)
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(st, "Ready") else "NotReady"
    if meta.get("deletionTimestamp") and st.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, ready, total, restarts, last


def pod_row_cells(pod: JSONObject, now: datetime.datetime) -> list[Any]:
    """``printPod``'s cells for one pod (the wide ones included, as the server sends)."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    st = pod.get("status") or {}
    reason, ready, total, restarts, last = pod_status_text(pod)
    restarts_cell = str(restarts)
    if restarts != 0 and last is not None:
        restarts_cell = f"{restarts} ({human_duration(now - last)} ago)"
    ips = st.get("podIPs") or []
    pod_ip = (ips[0].get("ip") if ips and isinstance(ips[0], dict) else "") or "<none>"
    gates = spec.get("readinessGates") or []
    gates_cell = "<none>"
    if gates:
        conditions = [c for c in st.get("conditions") or [] if isinstance(c, dict)]
        true = 0
        for gate in gates:
            for cond in conditions:
                if cond.get("type") == gate.get("conditionType"):
                    true += cond.get("status") == "True"
                    break
        gates_cell = f"{true}/{len(gates)}"
    return [
        meta.get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_cell,
        age(pod, now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        st.get("nominatedNodeName") or "<none>",
        gates_cell,
    ]


def pod_row_conditions(pod: JSONObject) -> list[JSONObject] | None:
    """``podSuccessConditions``/``podFailedConditions`` of terminal pods."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Succeeded",
                "message": "The pod has completed successfully.",
            }
        ]
    if phase == "Failed":
        return [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Failed",
                "message": "The pod failed.",
            }
        ]
    return None


NODE_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col("Status", "The status of the node"),
    _col("Roles", "The roles of the node"),
    _col("Age", _AGE_DOC),
    _col("Version", "Kubelet Version reported by the node."),
    _col(
        "Internal-IP",
        "List of addresses reachable to the node. Queried from cloud provider, if available.",
        1,
    ),
    _col(
        "External-IP",
        "List of addresses reachable to the node. Queried from cloud provider, if available.",
        1,
    ),
    _col(
        "OS-Image",
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
        1,
    ),
    _col(
        "Kernel-Version",
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        1,
    ),
    _col(
        "Container-Runtime",
        "ContainerRuntime Version reported by the node through "
        "runtime remote API (e.g. containerd://1.4.2).",
        1,
    ),
]

NODE_ROLE_PREFIX: Final = "node-role.kubernetes.io/"
NODE_ROLE_LABEL: Final = "kubernetes.io/role"


def node_roles(node: JSONObject) -> list[str]:
    """``findNodeRoles``: sorted, from ``node-role.kubernetes.io/<role>`` labels and
    ``kubernetes.io/role=<role>``."""
    roles: set[str] = set()
    for key, value in ((node.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith(NODE_ROLE_PREFIX):
            role = key[len(NODE_ROLE_PREFIX) :]
            if role:
                roles.add(role)
        elif key == NODE_ROLE_LABEL and value:
            roles.add(value)
    return sorted(roles)


def _node_address(node: JSONObject, kind: str) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == kind:
            return str(address.get("address", ""))
    return "<none>"


def node_row_cells(node: JSONObject, now: datetime.datetime) -> list[Any]:
    """``printNode``."""
    st = node.get("status") or {}
    status: list[str] = []
    for cond in st.get("conditions") or []:
        if cond.get("type") == "Ready":
            status = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not status:
        status = ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    info = st.get("nodeInfo") or {}
    return [
        (node.get("metadata") or {}).get("name", ""),
        ",".join(status),
        ",".join(node_roles(node)) or "<none>",
        age(node, now),
        info.get("kubeletVersion", ""),
        _node_address(node, "InternalIP"),
        _node_address(node, "ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


EVENT_COLUMNS: Final = [
    _col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
    _col("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
    _col(
        "Reason",
        "This should be a short, machine understandable string that gives the "
        "reason for the transition into the object's current status.",
    ),
    _col("Object", "The object that this event is about."),
    _col(
        "Subobject",
        "If referring to a piece of an object instead of an entire object, "
        "this string should contain a valid JSON/Go field access statement, such as "
        "desiredState.manifest.containers[2].",
        1,
    ),
    _col(
        "Source",
        "The component reporting this event. Should be a short machine understandable string.",
        1,
    ),
    _col("Message", "A human-readable description of the status of this operation."),
    _col(
        "First Seen",
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        1,
    ),
    _col("Count", "The number of times this event has occurred.", 1),
    _col("Name", _NAME_DOC, 1, "name"),
]


def _since(text: Any, now: datetime.datetime) -> str:
    """``translateTimestampSince``/``translateMicroTimestampSince``."""
    if not text:
        return "<unknown>"
    t = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return human_duration(now - t)


def event_row_cells(event: JSONObject, now: datetime.datetime) -> list[Any]:
    """``printEvent`` (wide, as the server sends it)."""
    first = _since(event.get("firstTimestamp") or event.get("eventTime"), now)
    last = _since(event["lastTimestamp"], now) if event.get("lastTimestamp") else first
    count = int(event.get("count") or 0)
    series = event.get("series")
    if isinstance(series, dict):
        last = _since(series.get("lastObservedTime"), now)
        count = int(series.get("count") or 0)
    elif count == 0:
        count = 1
    ref = event.get("involvedObject") or {}
    kind = str(ref.get("kind") or "").lower()
    target = f"{kind}/{ref['name']}" if ref.get("name") else kind
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    instance = source.get("host") or event.get("reportingInstance") or ""
    return [
        last,
        event.get("type", ""),
        event.get("reason", ""),
        target,
        ref.get("fieldPath", ""),
        f"{component}, {instance}" if instance else component,
        str(event.get("message") or "").strip(),
        first,
        count,
        (event.get("metadata") or {}).get("name", ""),
    ]


def namespace_row_cells(ns: JSONObject, now: datetime.datetime) -> list[Any]:
    return [
        (ns.get("metadata") or {}).get("name", ""),
        (ns.get("status") or {}).get("phase", ""),
        age(ns, now),
    ]


LEASE_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col(
        "Holder",
        "holderIdentity contains the identity of the holder of a current lease. "
        "If Coordinated Leader Election is used, the holder identity must be equal to the "
        "elected LeaseCandidate.metadata.name field.",
    ),
    _col("Age", _AGE_DOC),
]


def lease_row_cells(lease: JSONObject, now: datetime.datetime) -> list[Any]:
    """``printLease``."""
    return [
        (lease.get("metadata") or {}).get("name", ""),
        (lease.get("spec") or {}).get("holderIdentity") or "",
        age(lease, now),
    ]


CONFIG_MAP_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col(
        "Data",
        "Data contains the configuration data. Each key must consist of alphanumeric "
        "characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the "
        "BinaryData field. The keys stored in Data must not overlap with the keys in the "
        "BinaryData field, this is enforced during validation process.",
    ),
    _col("Age", _AGE_DOC),
]

SECRET_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col(
        "Type",
        "Used to facilitate programmatic handling of secret data. More info: "
        "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
    ),
    _col(
        "Data",
        "Data contains the secret data. Each key must consist of alphanumeric characters, "
        "'-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, "
        "representing the arbitrary (possibly non-string) data value here. Described in "
        "https://tools.ietf.org/html/rfc4648#section-4",
    ),
    _col("Age", _AGE_DOC),
]

_ACCESS_MODES_DOC = (
    "accessModes contains all ways the volume can be mounted. More info: "
    "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"
)

PERSISTENT_VOLUME_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col(
        "Capacity",
        "capacity is the description of the persistent volume's resources and capacity. "
        "More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity",
    ),
    _col("Access Modes", _ACCESS_MODES_DOC),
    _col(
        "Reclaim Policy",
        "persistentVolumeReclaimPolicy defines what happens to a persistent volume when "
        "released from its claim. Valid options are Retain (default for manually created "
        "PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), "
        "and Recycle (deprecated). Recycle must be supported by the volume plugin underlying "
        "this PersistentVolume. More info: "
        "https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming",
    ),
    _col(
        "Status",
        "phase indicates if a volume is available, bound to a claim, or released by a claim. "
        "More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase",
    ),
    _col(
        "Claim",
        "claimRef is part of a bi-directional binding between PersistentVolume and "
        "PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the "
        "authoritative bind between PV and PVC. More info: "
        "https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding",
    ),
    _col("StorageClass", "StorageClass of the pv"),
    _col("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
    _col(
        "Reason",
        "reason is a brief CamelCase string that describes any failure and is meant for "
        "machine parsing and tidy display in the CLI.",
    ),
    _col("Age", _AGE_DOC),
    _col(
        "VolumeMode",
        "volumeMode defines if a volume is intended to be used with a formatted filesystem "
        "or to remain in raw block state. Value of Filesystem is implied when not included "
        "in spec.",
        1,
    ),
]

PERSISTENT_VOLUME_CLAIM_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col("Status", "phase represents the current phase of PersistentVolumeClaim."),
    _col(
        "Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."
    ),
    _col("Capacity", "capacity represents the actual resources of the underlying volume."),
    _col(
        "Access Modes",
        "accessModes contains the actual access modes the volume backing the PVC has. More "
        "info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1",
    ),
    _col("StorageClass", "StorageClass of the pvc"),
    _col("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
    _col("Age", _AGE_DOC),
    _col(
        "VolumeMode",
        "volumeMode defines what type of volume is required by the claim. Value of "
        "Filesystem is implied when not included in claim spec.",
        1,
    ),
]

STORAGE_CLASS_COLUMNS: Final = [
    _col("Name", _NAME_DOC, fmt="name"),
    _col("Provisioner", "provisioner indicates the type of the provisioner."),
    _col(
        "ReclaimPolicy",
        "reclaimPolicy controls the reclaimPolicy for dynamically provisioned "
        "PersistentVolumes of this storage class. Defaults to Delete.",
    ),
    _col(
        "VolumeBindingMode",
        "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and "
        "bound.  When unset, VolumeBindingImmediate is used. This field is only honored by "
        "servers that enable the VolumeScheduling feature.",
    ),
    _col(
        "AllowVolumeExpansion",
        "allowVolumeExpansion shows whether the storage class allow volume expand.",
    ),
    _col("Age", _AGE_DOC),
]


def config_map_row_cells(cm: JSONObject, now: datetime.datetime) -> list[Any]:
    """``printConfigMap``: DATA counts ``data`` and ``binaryData`` keys."""
    return [
        (cm.get("metadata") or {}).get("name", ""),
        len(cm.get("data") or {}) + len(cm.get("binaryData") or {}),
        age(cm, now),
    ]


def secret_row_cells(secret: JSONObject, now: datetime.datetime) -> list[Any]:
    """``printSecret``."""
    return [
        (secret.get("metadata") or {}).get("name", ""),
        secret.get("type") or "",
        len(secret.get("data") or {}),
        age(secret, now),
    ]


def access_modes_text(modes: Any) -> str:
    """``helper.GetAccessModesAsString``: RWO, ROX, RWX, RWOP in that order."""
    present = set(modes or [])
    return ",".join(
        short
        for mode, short in (
            ("ReadWriteOnce", "RWO"),
            ("ReadOnlyMany", "ROX"),
            ("ReadWriteMany", "RWX"),
            ("ReadWriteOncePod", "RWOP"),
        )
        if mode in present
    )


def _storage_text(value: Any) -> str:
    if value is None:
        return "0"
    return canonical(value) or str(value)


def persistent_volume_row_cells(pv: JSONObject, now: datetime.datetime) -> list[Any]:
    """``printPersistentVolume``."""
    meta = pv.get("metadata") or {}
    spec = pv.get("spec") or {}
    status = pv.get("status") or {}
    ref = spec.get("claimRef")
    claim = f"{ref.get('namespace') or ''}/{ref.get('name') or ''}" if isinstance(ref, dict) else ""
    phase = "Terminating" if meta.get("deletionTimestamp") else status.get("phase") or ""
    annotations = meta.get("annotations") or {}
    klass = annotations.get(
        "volume.beta.kubernetes.io/storage-class", spec.get("storageClassName") or ""
    )
    vac = spec.get("volumeAttributesClassName")
    return [
        meta.get("name", ""),
        _storage_text((spec.get("capacity") or {}).get("storage")),
        access_modes_text(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy") or "",
        phase,
        claim,
        klass,
        "<unset>" if vac is None else vac,
        status.get("reason") or "",
        age(pv, now),
        spec.get("volumeMode") or "<unset>",
    ]


def persistent_volume_claim_row_cells(pvc: JSONObject, now: datetime.datetime) -> list[Any]:
    """``printPersistentVolumeClaim``: capacity and access modes once bound to a volume."""
    meta = pvc.get("metadata") or {}
    spec = pvc.get("spec") or {}
    status = pvc.get("status") or {}
    phase = "Terminating" if meta.get("deletionTimestamp") else status.get("phase") or ""
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes_text(status.get("accessModes"))
        capacity = _storage_text((status.get("capacity") or {}).get("storage"))
    annotations = meta.get("annotations") or {}
    klass = annotations.get(
        "volume.beta.kubernetes.io/storage-class", spec.get("storageClassName") or ""
    )
    vac = spec.get("volumeAttributesClassName")
    return [
        meta.get("name", ""),
        phase,
        spec.get("volumeName") or "",
        capacity,
        modes,
        klass,
        "<unset>" if vac is None else vac,
        age(pvc, now),
        spec.get("volumeMode") or "<unset>",
    ]


def storage_class_row_cells(sc: JSONObject, now: datetime.datetime) -> list[Any]:
    """``printStorageClass``: `` (default)`` after a default class's name."""
    meta = sc.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    name = meta.get("name", "")
    if (
        annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
        or annotations.get("storageclass.beta.kubernetes.io/is-default-class") == "true"
    ):
        name += " (default)"
    return [
        name,
        sc.get("provisioner") or "",
        sc.get("reclaimPolicy") or "Delete",
        sc.get("volumeBindingMode") or "Immediate",
        bool(sc.get("allowVolumeExpansion")),
        age(sc, now),
    ]


RowCells = Callable[[JSONObject, datetime.datetime], list[Any]]
ROWS: Final[dict[str, tuple[list[JSONObject], RowCells]]] = {
    "pods": (POD_COLUMNS, pod_row_cells),
    "namespaces": (NAMESPACE_COLUMNS, namespace_row_cells),
    "nodes": (NODE_COLUMNS, node_row_cells),
    "events": (EVENT_COLUMNS, event_row_cells),
    "leases": (LEASE_COLUMNS, lease_row_cells),
    "configmaps": (CONFIG_MAP_COLUMNS, config_map_row_cells),
    "secrets": (SECRET_COLUMNS, secret_row_cells),
    "persistentvolumes": (PERSISTENT_VOLUME_COLUMNS, persistent_volume_row_cells),
    "persistentvolumeclaims": (PERSISTENT_VOLUME_CLAIM_COLUMNS, persistent_volume_claim_row_cells),
    "storageclasses": (STORAGE_CLASS_COLUMNS, storage_class_row_cells),
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
        conditions = pod_row_conditions(obj) if resource == "pods" else None
        if conditions:
            row["conditions"] = conditions
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
