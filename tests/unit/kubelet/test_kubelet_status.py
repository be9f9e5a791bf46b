"""Pod status generation: exact JSON for the typical cases, phases, conditions.

Callers: pytest.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kubelet_states import T0, cs, pod, sandbox, state

from seclet.kubelet.clock import rfc3339
from seclet.kubelet.status import StatusInputs, generate_pod_status, get_phase

NOW = float(T0 + 100)
STAMP = rfc3339(NOW)


def inputs(**kw: Any) -> StatusInputs:
    base: dict[str, Any] = {
        "runtime_name": "containerd",
        "node_ip": "127.0.0.1",
        "now": NOW,
        "reasons": {},
        "readiness": {},
    }
    base.update(kw)
    return StatusInputs(**base)


def cond(type_: str, status: str, reason: str = "", message: str = "") -> dict[str, Any]:
    c: dict[str, Any] = {
        "lastProbeTime": None,
        "lastTransitionTime": STAMP,
        "observedGeneration": 1,
        "type": type_,
        "status": status,
    }
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def test_pending_container_creating_exact() -> None:
    status = generate_pod_status(pod(), state(ready=None), {"qosClass": "BestEffort"}, inputs())
    assert status == {
        "observedGeneration": 1,
        "phase": "Pending",
        "conditions": [
            cond("PodReadyToStartContainers", "False"),
            cond("Initialized", "True"),
            cond("Ready", "False", "ContainersNotReady", "containers with unready status: [app]"),
            cond(
                "ContainersReady",
                "False",
                "ContainersNotReady",
                "containers with unready status: [app]",
            ),
            cond("PodScheduled", "True"),
        ],
        "hostIP": "127.0.0.1",
        "hostIPs": [{"ip": "127.0.0.1"}],
        "startTime": STAMP,
        "containerStatuses": [
            {
                "name": "app",
                "image": "busybox:1.28",
                "imageID": "",
                "state": {"waiting": {"reason": "ContainerCreating"}},
                "lastState": {},
                "restartCount": 0,
                "ready": False,
                "started": False,
            }
        ],
        "qosClass": "BestEffort",
    }


def test_running_exact_container_status() -> None:
    status = generate_pod_status(pod(), state(cs("app", "running")), {}, inputs())
    assert status["phase"] == "Running"
    assert status["containerStatuses"] == [
        {
            "name": "app",
            "restartCount": 0,
            "image": "docker.io/library/busybox:1.28",
            "imageID": "docker.io/library/busybox@sha256:abc",
            "containerID": "containerd://app-0",
            "state": {"running": {"startedAt": rfc3339(T0 + 10)}},
            "lastState": {},
            "user": {"linux": {"uid": 0, "gid": 0, "supplementalGroups": [0]}},
            "resources": {},
            "ready": True,
            "started": True,
        }
    ]
    assert [c["status"] for c in status["conditions"]] == ["True"] * 5


def test_crash_loop_waiting_with_last_state() -> None:
    st = state(
        cs("app", "exited", exit_code=1, attempt=1, started=30, finished=31),
        cs("app", "exited", exit_code=1, attempt=0),
    )
    reason = ("CrashLoopBackOff", "back-off 10s restarting failed container=app pod=p_ns(u1)")
    status = generate_pod_status(pod(), st, {}, inputs(reasons={"app": reason}))
    c = status["containerStatuses"][0]
    assert c["state"] == {"waiting": {"reason": reason[0], "message": reason[1]}}
    assert c["lastState"] == {
        "terminated": {
            "containerID": "containerd://app-1",
            "exitCode": 1,
            "finishedAt": rfc3339(T0 + 31),
            "startedAt": rfc3339(T0 + 30),
            "reason": "Error",
        }
    }
    assert c["restartCount"] == 1
    assert status["phase"] == "Running"


def test_init_pending_exact() -> None:
    p = pod(init=("init",))
    status = generate_pod_status(p, state(cs("init", "running")), {}, inputs())
    assert status["phase"] == "Pending"
    assert status["conditions"][1] == cond(
        "Initialized",
        "False",
        "ContainersNotInitialized",
        "containers with incomplete status: [init]",
    )
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert status["initContainerStatuses"][0]["started"] is True
    assert status["initContainerStatuses"][0]["ready"] is False


def test_succeeded_conditions() -> None:
    p = pod(init=("init",), restart="Never")
    st = state(cs("init", "exited"), cs("app", "exited", started=30, finished=40), ready=False)
    status = generate_pod_status(p, st, {}, inputs())
    assert status["phase"] == "Succeeded"
    assert status["conditions"] == [
        cond("PodReadyToStartContainers", "False"),
        cond("Initialized", "True", "PodCompleted"),
        cond("Ready", "False", "PodCompleted"),
        cond("ContainersReady", "False", "PodCompleted"),
        cond("PodScheduled", "True"),
    ]


def test_transition_times_kept_and_terminal_sticky() -> None:
    old = {
        "phase": "Failed",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "True",
                "lastTransitionTime": "2020-01-01T00:00:00Z",
            },
            {"type": "DisruptionTarget", "status": "True", "lastTransitionTime": "x"},
        ],
    }
    status = generate_pod_status(pod(), state(cs("app", "running")), old, inputs())
    assert status["phase"] == "Failed"
    by_type = {c["type"]: c for c in status["conditions"]}
    assert by_type["PodScheduled"]["lastTransitionTime"] == "2020-01-01T00:00:00Z"
    assert status["conditions"][-1]["type"] == "DisruptionTarget"


def test_container_statuses_sorted_by_name() -> None:
    status = generate_pod_status(pod(("zed", "alpha")), state(ready=None), {}, inputs())
    assert [c["name"] for c in status["containerStatuses"]] == ["alpha", "zed"]


def test_get_phase_table() -> None:
    run = {"state": {"running": {}}, "lastState": {}, "name": "app"}
    ok = {"state": {"terminated": {"exitCode": 0}}, "lastState": {}, "name": "app"}
    bad = {"state": {"terminated": {"exitCode": 1}}, "lastState": {}, "name": "app"}
    wait_after_crash = {
        "state": {"waiting": {}},
        "lastState": {"terminated": {"exitCode": 1}},
        "name": "app",
    }
    assert get_phase(pod(), [], [run]) == "Running"
    assert get_phase(pod(restart="Never"), [], [bad]) == "Failed"
    assert get_phase(pod(restart="OnFailure"), [], [bad]) == "Running"
    assert get_phase(pod(restart="OnFailure"), [], [ok]) == "Succeeded"
    assert get_phase(pod(restart="Always"), [], [ok]) == "Running"
    assert get_phase(pod(restart="Always"), [], [ok], terminal=True) == "Succeeded"
    assert get_phase(pod(restart="Always"), [], [bad], terminal=True) == "Failed"
    assert get_phase(pod(), [], [wait_after_crash]) == "Running"
    assert get_phase(pod(), [], []) == "Pending"


def test_running_resources_and_volume_mounts() -> None:
    from seclet.api import models
    from seclet.api.decode import decode

    p = decode(
        {
            "metadata": {"name": "p", "namespace": "ns", "uid": "u1", "generation": 1},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "busybox:1.28",
                        "resources": {
                            "requests": {"cpu": "100m", "memory": "64Mi"},
                            "limits": {"memory": "128Mi", "example.com/dongle": "1"},
                        },
                        "volumeMounts": [
                            {"name": "v", "mountPath": "/v", "readOnly": True},
                            {"name": "w", "mountPath": "/w"},
                        ],
                    }
                ],
            },
        },
        models.Pod,
    )
    waiting = generate_pod_status(p, state(ready=None), {}, inputs())["containerStatuses"][0]
    assert "resources" not in waiting
    assert waiting["volumeMounts"] == [
        {"mountPath": "/v", "name": "v", "readOnly": True, "recursiveReadOnly": "Disabled"},
        {"mountPath": "/w", "name": "w"},
    ]
    running = generate_pod_status(p, state(cs("app", "running")), {}, inputs())
    c = running["containerStatuses"][0]
    assert c["resources"] == {
        "limits": {"memory": "128Mi"},
        "requests": {"cpu": "100m", "memory": "64Mi"},
    }
    assert c["allocatedResources"] == {"cpu": "100m", "memory": "64Mi"}
    assert c["volumeMounts"] == waiting["volumeMounts"]


def test_readiness_gates() -> None:
    p = pod(readinessGates=[{"conditionType": "example.com/lb"}])
    st = state(cs("app", "running"))
    status = generate_pod_status(p, st, {}, inputs())
    ready = {c["type"]: c for c in status["conditions"]}["Ready"]
    assert ready["status"] == "False"
    assert ready["reason"] == "ReadinessGatesNotReady"
    assert ready["message"] == (
        'corresponding condition of pod readiness gate "example.com/lb" does not exist.'
    )
    old = {"conditions": [{"type": "example.com/lb", "status": "False"}]}
    status = generate_pod_status(p, st, old, inputs())
    ready = {c["type"]: c for c in status["conditions"]}["Ready"]
    assert ready["message"] == (
        'the status of pod readiness gate "example.com/lb" is not "True", but False'
    )
    assert status["conditions"][-1]["type"] == "example.com/lb"
    old = {"conditions": [{"type": "example.com/lb", "status": "True"}]}
    status = generate_pod_status(p, st, old, inputs())
    assert {c["type"]: c for c in status["conditions"]}["Ready"]["status"] == "True"


def test_get_phase_with_sidecars() -> None:
    from seclet.api import models
    from seclet.api.decode import decode

    p = decode(
        {
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {
                "restartPolicy": "Never",
                "initContainers": [{"name": "side", "image": "b", "restartPolicy": "Always"}],
                "containers": [{"name": "app", "image": "b"}],
            },
        },
        models.Pod,
    )
    side_run = {"name": "side", "state": {"running": {}}, "lastState": {}, "started": True}
    side_starting = dict(side_run, started=False)
    side_dead = {"name": "side", "state": {"terminated": {"exitCode": 137}}, "lastState": {}}
    app_wait = {"name": "app", "state": {"waiting": {}}, "lastState": {}}
    app_run = {"name": "app", "state": {"running": {}}, "lastState": {}}
    app_ok = {"name": "app", "state": {"terminated": {"exitCode": 0}}, "lastState": {}}
    assert get_phase(p, [side_starting], [app_wait]) == "Pending"
    assert get_phase(p, [side_run], [app_run]) == "Running"
    assert get_phase(p, [side_run], [app_ok]) == "Running"
    assert get_phase(p, [side_dead], [app_ok]) == "Succeeded"
    assert get_phase(p, [side_starting], [app_run]) == "Running"


def test_pod_ip_of_a_ready_sandbox_only_and_kept_once_terminal() -> None:
    ready = replace(
        state(cs("app", "exited"), ready=True), sandbox=replace(sandbox(), ip="10.0.0.5")
    )
    stopped = replace(ready, sandbox=replace(sandbox(False), ip="10.0.0.5"))
    never = pod(restart="Never")
    running = generate_pod_status(never, ready, {}, inputs())
    assert (running["phase"], running["podIP"], running["podIPs"]) == (
        "Succeeded",
        "10.0.0.5",
        [{"ip": "10.0.0.5"}],
    )
    finished = generate_pod_status(never, stopped, running, inputs(terminal=True))
    assert (finished["podIP"], finished["podIPs"]) == ("10.0.0.5", [{"ip": "10.0.0.5"}])
    ready_to_start = [c for c in finished["conditions"] if c["type"] == "PodReadyToStartContainers"]
    assert ready_to_start[0]["status"] == "False"
    restarting = generate_pod_status(pod(), stopped, {"podIP": "10.0.0.5"}, inputs())
    assert "podIP" not in restarting and "podIPs" not in restarting
