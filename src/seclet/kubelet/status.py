"""The pod's status as the kubelet reports it, generated from spec + runtime (pure).

Role: upstream's ``kubelet_pods.go generateAPIPodStatus`` /
``convertToAPIContainerStatuses`` / ``getPhase``, ``status/generate.go`` (the
conditions), the probe manager's ready/started marks and the status manager's
merge (``lastTransitionTime`` kept while a condition's status is unchanged; a
terminal phase never goes back; conditions the kubelet does not own are kept).

Steps of ``generate_pod_status``:
1. container statuses: every spec container starts ``waiting`` (``ContainerCreating``,
   or ``PodInitializing`` when the pod has init containers); the newest CRI status of
   a name becomes ``state``, the one before ``lastState``; a container that will be
   restarted and has a recorded start failure (the reason cache: ErrImagePull,
   CrashLoopBackOff, CreateContainerConfigError ...) is ``waiting`` with that reason;
   ``ready``/``started`` as without probes; regular statuses sorted by name, init
   statuses in spec order;
2. phase (``getPhase``), sticky once terminal;
3. conditions PodReadyToStartContainers, Initialized, Ready, ContainersReady,
   PodScheduled, each with ``observedGeneration`` (PodObservedGenerationTracking);
4. hostIP(s), podIP(s) (a ready sandbox's; a terminal pod whose sandbox was stopped
   keeps the ones it had, as upstream's ``preserveDataFromBeforeStopping``), startTime
   (kept), qosClass (kept), observedGeneration.
Callers: seclet.kubelet.worker, tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seclet.api import models
from seclet.cri.types import ContainerState, ContainerStatus
from seclet.kubelet.actions import is_sidecar, should_container_be_restarted
from seclet.kubelet.clock import rfc3339, rfc3339_ns
from seclet.kubelet.runtimestate import PodRuntimeState

JSON = dict[str, Any]

CONTAINER_CREATING = "ContainerCreating"
POD_INITIALIZING = "PodInitializing"
KUBELET_CONDITIONS = (
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
)
TERMINAL = ("Succeeded", "Failed")


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusInputs:
    """What the status needs besides the pod and the runtime state."""

    runtime_name: str
    """CRI runtime name: container ids read ``<runtime_name>://<id>``."""
    node_ip: str
    now: float
    reasons: Mapping[str, tuple[str, str]]
    """The reason cache: container name -> (reason, message) of its last start failure."""
    readiness: Mapping[str, bool]
    """Probe results by container name; a container without an entry and no
    readinessProbe is ready once running."""
    started: Mapping[str, bool] = field(default_factory=dict)
    """Startup probe results by container name (no entry: started once running)."""
    evicted: tuple[str, str] | None = None
    """(reason, message) of an internal eviction (activeDeadlineSeconds): phase Failed."""
    terminal: bool = False
    """The pod worker finished the pod (deleted or done): getPhase's ``podIsTerminal``."""


def go_list(names: list[str]) -> str:
    """Go's ``%s`` of a ``[]string``."""
    return "[" + " ".join(names) + "]"


def _container_id(runtime_name: str, cid: str) -> str:
    return f"{runtime_name}://{cid}"


def _state(cs: ContainerStatus, runtime_name: str) -> JSON:
    if cs.state == ContainerState.CONTAINER_RUNNING:
        return {"running": {"startedAt": rfc3339_ns(cs.started_at)}}
    if cs.state == ContainerState.CONTAINER_EXITED:
        terminated: JSON = {
            "containerID": _container_id(runtime_name, cs.id),
            "exitCode": cs.exit_code,
            "finishedAt": rfc3339_ns(cs.finished_at),
            "startedAt": rfc3339_ns(cs.started_at) if cs.started_at else None,
        }
        if cs.reason:
            terminated["reason"] = cs.reason
        if cs.message:
            terminated["message"] = cs.message
        return {"terminated": terminated}
    return {"waiting": {}}


def _volume_mounts(container: models.Container) -> list[JSON]:
    out = []
    for vm in container.volumeMounts:
        item: JSON = {"mountPath": vm.mountPath or "", "name": vm.name or ""}
        if vm.readOnly:
            item["readOnly"] = True
            item["recursiveReadOnly"] = (
                "Enabled" if vm.recursiveReadOnly == "Enabled" else ("Disabled")
            )
        out.append(item)
    return out


_STATUS_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def _resources(container: models.Container) -> JSON:
    """``resources`` (cpu, memory, ephemeral-storage of the spec, as the runtime
    applied them) and ``allocatedResources`` (the requests) of a running container
    (InPlacePodVerticalScaling, GA in 1.35): ``resources: {}`` when none are set."""
    res = container.resources
    requests = dict(res.requests) if res is not None else {}
    limits = dict(res.limits) if res is not None else {}
    spec: JSON = {}
    if limits:
        spec["limits"] = {k: v for k, v in limits.items() if k in _STATUS_RESOURCES}
    if requests:
        spec["requests"] = {k: v for k, v in requests.items() if k in _STATUS_RESOURCES}
    out: JSON = {"resources": spec}
    if requests:
        out["allocatedResources"] = requests
    return out


def _convert(cs: ContainerStatus, container: models.Container, runtime_name: str) -> JSON:
    status: JSON = {
        "name": container.name or "",
        "restartCount": cs.metadata.attempt,
        "image": cs.image.image,
        "imageID": cs.image_ref,
        "containerID": _container_id(runtime_name, cs.id),
        "state": _state(cs, runtime_name),
        "lastState": {},
    }
    if cs.user is not None:
        status["user"] = {
            "linux": {
                "uid": cs.user.uid,
                "gid": cs.user.gid,
                "supplementalGroups": list(cs.user.supplemental_groups),
            }
        }
    mounts = _volume_mounts(container)
    if mounts:
        status["volumeMounts"] = mounts
    if cs.state == ContainerState.CONTAINER_RUNNING:
        status.update(_resources(container))
    return status


def _container_statuses(
    pod: models.Pod,
    containers: tuple[models.Container, ...],
    state: PodRuntimeState,
    inputs: StatusInputs,
    *,
    is_init: bool,
) -> list[JSON]:
    spec = pod.spec or models.PodSpec()
    default_reason = POD_INITIALIZING if spec.initContainers else CONTAINER_CREATING
    out = []
    for c in containers:
        name = c.name or ""
        latest = state.latest(name)
        if latest is None:
            status: JSON = {
                "name": name,
                "image": c.image or "",
                "imageID": "",
                "state": {"waiting": {"reason": default_reason}},
                "lastState": {},
                "restartCount": 0,
            }
            mounts = _volume_mounts(c)
            if mounts:
                status["volumeMounts"] = mounts
        else:
            status = _convert(latest, c, inputs.runtime_name)
            previous = state.previous(name)
            if previous is not None:
                status["lastState"] = _state(previous, inputs.runtime_name)
        done_init = (
            is_init
            and not is_sidecar(c)
            and latest is not None
            and latest.state == ContainerState.CONTAINER_EXITED
            and latest.exit_code == 0
        )
        reason = inputs.reasons.get(name)
        if (
            not done_init
            and not inputs.terminal
            and reason is not None
            and should_container_be_restarted(c, pod, state)
        ):
            if "terminated" in status["state"]:
                status["lastState"] = status["state"]
            waiting: JSON = {"reason": reason[0]}
            if reason[1]:
                waiting["message"] = reason[1]
            status["state"] = {"waiting": waiting}
        running = "running" in status["state"]
        started = running and inputs.started.get(name, c.startupProbe is None)
        if is_init and not is_sidecar(c):
            term = status["state"].get("terminated")
            status["ready"] = bool(term and term.get("exitCode") == 0)
        else:
            probe = inputs.readiness.get(name)
            ready_default = c.readinessProbe is None
            status["ready"] = started and (ready_default if probe is None else probe)
        status["started"] = started
        out.append(status)
    if not is_init:
        out.sort(key=lambda s: str(s["name"]))
    return out


def _find(statuses: list[JSON], name: str) -> JSON | None:
    for s in statuses:
        if s["name"] == name:
            return s
    return None


def _regular_started(pod: models.Pod, regular: list[JSON]) -> bool:
    """``HasAnyRegularContainerStarted`` on API statuses."""
    for c in (pod.spec or models.PodSpec()).containers:
        st = _find(regular, c.name or "")
        if st is not None and ("running" in st["state"] or "terminated" in st["state"]):
            return True
    return False


def get_phase(
    pod: models.Pod, init: list[JSON], regular: list[JSON], terminal: bool = False
) -> str:
    """upstream ``getPhase``: regular init containers, then sidecars (restartable init
    containers, whose terminations do not count), then regular containers."""
    spec = pod.spec or models.PodSpec()
    policy = spec.restartPolicy or "Always"
    pending_init = failed_init = 0
    for c in spec.initContainers:
        if is_sidecar(c):
            continue
        s = _find(init, c.name or "")
        if s is None:
            pending_init += 1
            continue
        st, last = s["state"], s["lastState"]
        if "running" in st:
            pending_init += 1
        elif "terminated" in st:
            if st["terminated"]["exitCode"] != 0:
                failed_init += 1
        elif "waiting" in st:
            if "terminated" in last:
                if last["terminated"]["exitCode"] != 0:
                    failed_init += 1
            else:
                pending_init += 1
        else:
            pending_init += 1
    unknown = running = waiting = stopped = succeeded = 0
    for c in spec.initContainers:
        if not is_sidecar(c):
            continue
        s = _find(init, c.name or "")
        if s is None:
            unknown += 1
            continue
        st, last = s["state"], s["lastState"]
        if "running" in st:
            if not s.get("started"):
                pending_init += 1
            running += 1
        elif "terminated" in st:
            pass
        elif "waiting" in st:
            if "terminated" not in last:
                pending_init += 1
                waiting += 1
        else:
            pending_init += 1
            unknown += 1
    for c in spec.containers:
        s = _find(regular, c.name or "")
        if s is None:
            unknown += 1
            continue
        st, last = s["state"], s["lastState"]
        if "running" in st:
            running += 1
        elif "terminated" in st:
            stopped += 1
            if st["terminated"]["exitCode"] == 0:
                succeeded += 1
        elif "waiting" in st:
            if "terminated" in last:
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1
    if failed_init and policy == "Never":
        return "Failed"
    if (pending_init and not _regular_started(pod, regular)) or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _condition(type_: str, status: str, reason: str = "", message: str = "") -> JSON:
    c: JSON = {"type": type_, "status": status}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def initialized_condition(pod: models.Pod, statuses: list[JSON], phase: str) -> JSON:
    spec = pod.spec or models.PodSpec()
    if not spec.initContainers:
        return _condition("Initialized", "True")
    unknown, incomplete = [], []
    for c in spec.initContainers:
        s = _find(statuses, c.name or "")
        if s is None:
            unknown.append(c.name or "")
        elif not s.get("started" if is_sidecar(c) else "ready"):
            incomplete.append(c.name or "")
    if phase == "Succeeded" and not unknown:
        return _condition("Initialized", "True", "PodCompleted")
    regular = {c.name for c in spec.containers}
    for s in statuses:
        if s["name"] in regular and ("running" in s["state"] or "terminated" in s["state"]):
            return _condition("Initialized", "True")
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {go_list(unknown)}")
    if incomplete:
        messages.append(f"containers with incomplete status: {go_list(incomplete)}")
    if messages:
        return _condition("Initialized", "False", "ContainersNotInitialized", ", ".join(messages))
    return _condition("Initialized", "True")


def containers_ready_condition(pod: models.Pod, statuses: list[JSON], phase: str) -> JSON:
    spec = pod.spec or models.PodSpec()
    unknown, unready = [], []
    for c in (*(i for i in spec.initContainers if is_sidecar(i)), *spec.containers):
        s = _find(statuses, c.name or "")
        if s is None:
            unknown.append(c.name or "")
        elif not s.get("ready"):
            unready.append(c.name or "")
    if phase == "Succeeded" and not unknown:
        return _condition("ContainersReady", "False", "PodCompleted")
    if phase == "Failed":
        return _condition("ContainersReady", "False", "PodFailed")
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {go_list(unknown)}")
    if unready:
        messages.append(f"containers with unready status: {go_list(unready)}")
    if messages:
        return _condition("ContainersReady", "False", "ContainersNotReady", ", ".join(messages))
    return _condition("ContainersReady", "True")


def ready_condition(pod: models.Pod, containers_ready: JSON, old_status: Mapping[str, Any]) -> JSON:
    """``GeneratePodReadyCondition``: ContainersReady's verdict, then readiness gates
    (conditions others set on the pod)."""
    if containers_ready["status"] != "True":
        return dict(containers_ready, type="Ready")
    spec = pod.spec or models.PodSpec()
    existing = {c.get("type"): c for c in old_status.get("conditions") or ()}
    messages = []
    for gate in spec.readinessGates:
        name = gate.conditionType or ""
        c = existing.get(name)
        if c is None:
            messages.append(
                f'corresponding condition of pod readiness gate "{name}" does not exist.'
            )
        elif c.get("status") != "True":
            messages.append(
                f'the status of pod readiness gate "{name}" is not "True", but {c.get("status")}'
            )
    if messages:
        return _condition("Ready", "False", "ReadinessGatesNotReady", ", ".join(messages))
    return _condition("Ready", "True")


def _merge_conditions(
    new: list[JSON], old: list[JSON], now: float, generation: int | None
) -> list[JSON]:
    """Status manager: keep transition times of unchanged conditions; keep conditions
    the kubelet does not own (after its own, in their old order)."""
    old_by_type = {c.get("type"): c for c in old}
    out = []
    for c in new:
        prior = old_by_type.get(c["type"])
        merged: JSON = {"lastProbeTime": None}
        if prior is not None and prior.get("status") == c["status"]:
            merged["lastTransitionTime"] = prior.get("lastTransitionTime") or rfc3339(now)
        else:
            merged["lastTransitionTime"] = rfc3339(now)
        if generation is not None:
            merged["observedGeneration"] = generation
        merged.update(c)
        out.append(merged)
    out.extend(c for c in old if c.get("type") not in KUBELET_CONDITIONS)
    return out


def generate_pod_status(
    pod: models.Pod, state: PodRuntimeState, old_status: Mapping[str, Any], inputs: StatusInputs
) -> JSON:
    """The steps above; ``old_status`` is the stored ``status`` (may be empty)."""
    spec = pod.spec or models.PodSpec()
    meta = pod.metadata or models.ObjectMeta()
    init = _container_statuses(pod, spec.initContainers, state, inputs, is_init=True)
    regular = _container_statuses(pod, spec.containers, state, inputs, is_init=False)
    old_phase = old_status.get("phase")
    phase = get_phase(pod, init, regular, inputs.terminal)
    if old_phase in TERMINAL:
        phase = old_phase
    elif inputs.evicted is not None:
        phase = "Failed"
    ready_to_start = "True" if state.sandbox_ready else "False"
    every = init + regular
    containers_ready = containers_ready_condition(pod, every, phase)
    ready = ready_condition(pod, containers_ready, old_status)
    conditions = [
        _condition("PodReadyToStartContainers", ready_to_start),
        initialized_condition(pod, every, phase),
        ready,
        containers_ready,
        _condition("PodScheduled", "True"),
    ]
    status: JSON = {
        "observedGeneration": meta.generation,
        "phase": phase,
        "conditions": _merge_conditions(
            conditions, list(old_status.get("conditions") or ()), inputs.now, meta.generation
        ),
        "hostIP": inputs.node_ip,
        "hostIPs": [{"ip": inputs.node_ip}],
    }
    if meta.generation is None:
        del status["observedGeneration"]
    pod_ip = inputs.node_ip if spec.hostNetwork else ""
    if not spec.hostNetwork and state.sandbox is not None and state.sandbox_ready:
        pod_ip = state.sandbox.ip
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    elif phase in TERMINAL and old_status.get("podIP"):
        status["podIP"] = old_status["podIP"]
        status["podIPs"] = old_status.get("podIPs") or [{"ip": old_status["podIP"]}]
    status["startTime"] = old_status.get("startTime") or rfc3339(inputs.now)
    if init:
        status["initContainerStatuses"] = init
    status["containerStatuses"] = regular
    for key in ("qosClass", "nominatedNodeName", "resourceClaimStatuses"):
        if key in old_status:
            status[key] = old_status[key]
    if phase == old_phase and old_status.get("reason"):
        status["reason"] = old_status["reason"]
        if old_status.get("message"):
            status["message"] = old_status["message"]
    if inputs.evicted is not None and old_phase not in TERMINAL:
        status["reason"], status["message"] = inputs.evicted
    return status


def rejected_status(
    pod: models.Pod, old_status: Mapping[str, Any], reason: str, message: str, now: float
) -> JSON:
    """kubelet ``rejectPod``: phase Failed, ``Pod was rejected: <message>``."""
    status = {k: v for k, v in old_status.items() if k in ("qosClass", "conditions")}
    status.update(
        {
            "phase": "Failed",
            "reason": reason,
            "message": f"Pod was rejected: {message}",
            "startTime": old_status.get("startTime") or rfc3339(now),
        }
    )
    gen = (pod.metadata or models.ObjectMeta()).generation
    if gen is not None:
        status["observedGeneration"] = gen
    return status
