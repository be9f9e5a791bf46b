"""Server-side printers: printPod's STATUS/READY/RESTARTS, printNode, printEvent.

Role: unit tests of ``seclet.apiserver.tables`` against the cases of upstream's
``pkg/printers/internalversion/printers_test.go`` (TestPrintPod and friends).
Callers: pytest.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from seclet.apiserver import tables

NOW = datetime.datetime(2026, 1, 1, 1, 0, 0, tzinfo=datetime.UTC)


def _pod(
    *statuses: dict[str, Any],
    phase: str = "Running",
    containers: int | None = None,
    init: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    n = len(statuses) if containers is None else containers
    status: dict[str, Any] = {"phase": phase, "containerStatuses": list(statuses)}
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    status.update(extra.pop("status", {}))
    return {
        "metadata": {"name": "p", "creationTimestamp": "2026-01-01T00:00:00Z", **extra},
        "spec": {
            "containers": [{"name": f"c{i}"} for i in range(n)],
            "initContainers": init or [],
        },
        "status": status,
    }


def running(ready: bool = True, restarts: int = 0) -> dict[str, Any]:
    return {
        "name": "c",
        "ready": ready,
        "restartCount": restarts,
        "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
    }


def waiting(reason: str) -> dict[str, Any]:
    return {
        "name": "c",
        "ready": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": reason}},
    }


def terminated(exit_code: int, reason: str = "", signal: int = 0) -> dict[str, Any]:
    term: dict[str, Any] = {"exitCode": exit_code}
    if reason:
        term["reason"] = reason
    if signal:
        term["signal"] = signal
    return {"name": "c", "ready": False, "restartCount": 0, "state": {"terminated": term}}


@pytest.mark.parametrize(
    ("pod", "ready", "status"),
    [
        (_pod(running(), running()), "2/2", "Running"),
        (_pod(waiting("ContainerCreating"), phase="Pending"), "0/1", "ContainerCreating"),
        (_pod(waiting("ErrImagePull"), phase="Pending"), "0/1", "ErrImagePull"),
        (_pod(waiting("ImagePullBackOff"), phase="Pending"), "0/1", "ImagePullBackOff"),
        (
            _pod(waiting("CreateContainerConfigError"), phase="Pending"),
            "0/1",
            "CreateContainerConfigError",
        ),
        (_pod(waiting("CrashLoopBackOff")), "0/1", "CrashLoopBackOff"),
        (_pod(terminated(0, "Completed"), phase="Succeeded"), "0/1", "Completed"),
        (_pod(terminated(1, "Error"), phase="Failed"), "0/1", "Error"),
        (_pod(terminated(2)), "0/1", "ExitCode:2"),
        (_pod(terminated(137, signal=9)), "0/1", "Signal:9"),
        (_pod(phase="Pending", containers=1), "0/1", "Pending"),
        # One container completed, one still running and the pod Ready: Running.
        (
            _pod(
                running(),
                terminated(0, "Completed"),
                status={"conditions": [{"type": "Ready", "status": "True"}]},
            ),
            "1/2",
            "Running",
        ),
        (_pod(running(), terminated(0, "Completed")), "1/2", "NotReady"),
        (_pod(running(), deletionTimestamp="2026-01-01T00:00:30Z"), "1/1", "Terminating"),
        (
            _pod(
                terminated(0, "Completed"),
                phase="Succeeded",
                deletionTimestamp="2026-01-01T00:00:30Z",
            ),
            "0/1",
            "Completed",
        ),
        (_pod(running(), status={"reason": "NodeLost"}, deletionTimestamp="x"), "1/1", "Unknown"),
        (
            _pod(
                waiting("PodInitializing"),
                phase="Pending",
                init=[{"name": "i"}],
                init_statuses=[{"name": "i", "state": {"running": {}}}],
            ),
            "0/1",
            "Init:0/1",
        ),
        (
            _pod(
                waiting("PodInitializing"),
                phase="Pending",
                init=[{"name": "i"}, {"name": "j"}],
                init_statuses=[
                    {"name": "i", "state": {"terminated": {"exitCode": 0}}},
                    {"name": "j", "state": {"waiting": {"reason": "PodInitializing"}}},
                ],
            ),
            "0/1",
            "Init:1/2",
        ),
        (
            _pod(
                waiting("PodInitializing"),
                phase="Pending",
                init=[{"name": "i"}],
                init_statuses=[
                    {"name": "i", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}
                ],
            ),
            "0/1",
            "Init:Error",
        ),
        (
            _pod(
                waiting("PodInitializing"),
                phase="Pending",
                init=[{"name": "i"}],
                init_statuses=[{"name": "i", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
            ),
            "0/1",
            "Init:CrashLoopBackOff",
        ),
        (
            _pod(
                waiting("PodInitializing"),
                phase="Pending",
                init=[{"name": "i"}],
                init_statuses=[{"name": "i", "state": {"terminated": {"exitCode": 0}}}],
            ),
            "0/1",
            "PodInitializing",
        ),
        # A sidecar (restartable init container) counts in READY once started.
        (
            _pod(
                running(),
                init=[{"name": "s", "restartPolicy": "Always"}],
                init_statuses=[
                    {"name": "s", "started": True, "ready": True, "state": {"running": {}}}
                ],
            ),
            "2/2",
            "Running",
        ),
        (
            _pod(
                phase="Pending",
                containers=1,
                status={
                    "conditions": [
                        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
                    ]
                },
            ),
            "0/1",
            "SchedulingGated",
        ),
    ],
)
def test_pod_status_column(pod: dict[str, Any], ready: str, status: str) -> None:
    cells = tables.pod_row_cells(pod, NOW)
    assert (cells[1], cells[2]) == (ready, status)


def test_restarts_with_last_restart_age() -> None:
    cs = running(restarts=3)
    cs["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": "2026-01-01T00:59:15Z"}}
    assert tables.pod_row_cells(_pod(cs), NOW)[3] == "3 (45s ago)"
    assert tables.pod_row_cells(_pod(running(restarts=2)), NOW)[3] == "2"
    assert tables.pod_row_cells(_pod(running()), NOW)[3] == "0"


def test_wide_cells_and_readiness_gates() -> None:
    pod = _pod(
        running(),
        status={
            "podIPs": [{"ip": "10.0.0.1"}],
            "podIP": "10.0.0.1",
            "conditions": [{"type": "g1", "status": "True"}, {"type": "g2", "status": "False"}],
        },
    )
    pod["spec"]["nodeName"] = "n1"
    pod["spec"]["readinessGates"] = [{"conditionType": "g1"}, {"conditionType": "g2"}]
    assert tables.pod_row_cells(pod, NOW)[4:] == ["60m", "10.0.0.1", "n1", "<none>", "1/2"]
    bare = _pod(phase="Pending", containers=1)
    assert tables.pod_row_cells(bare, NOW)[5:] == ["<none>", "<none>", "<none>", "<none>"]


def test_terminal_pods_carry_row_conditions() -> None:
    done = tables.table("pods", [_pod(terminated(0, "Completed"), phase="Succeeded")], NOW)
    assert done["rows"][0]["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]
    assert "conditions" not in tables.table("pods", [_pod(running())], NOW)["rows"][0]


def test_node_row() -> None:
    node = {
        "metadata": {
            "name": "n1",
            "creationTimestamp": "2025-12-31T00:00:00Z",
            "labels": {
                "node-role.kubernetes.io/worker": "",
                "node-role.kubernetes.io/control-plane": "",
                "kubernetes.io/role": "edge",
            },
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}],
            "addresses": [{"type": "ExternalIP", "address": "1.2.3.4"}],
            "nodeInfo": {"kubeletVersion": "v1.35.0"},
        },
    }
    assert tables.node_row_cells(node, NOW) == [
        "n1",
        "NotReady,SchedulingDisabled",
        "control-plane,edge,worker",
        "25h",
        "v1.35.0",
        "<none>",
        "1.2.3.4",
        "<unknown>",
        "<unknown>",
        "<unknown>",
    ]
    assert tables.node_row_cells({"metadata": {"name": "x"}}, NOW)[1:3] == ["Unknown", "<none>"]


def test_event_row() -> None:
    event = {
        "metadata": {"name": "p.1"},
        "involvedObject": {"kind": "Pod", "name": "p", "fieldPath": "spec.containers{c}"},
        "reason": "Pulled",
        "type": "Normal",
        "message": "  pulled \n",
        "source": {"component": "kubelet", "host": "n1"},
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T00:59:00Z",
        "count": 2,
    }
    assert tables.event_row_cells(event, NOW) == [
        "60s",
        "Normal",
        "Pulled",
        "pod/p",
        "spec.containers{c}",
        "kubelet, n1",
        "pulled",
        "60m",
        2,
        "p.1",
    ]
    new_style = {
        "metadata": {"name": "e"},
        "involvedObject": {"kind": "Node"},
        "eventTime": "2026-01-01T00:59:50.000000Z",
        "reportingComponent": "kubelet",
    }
    assert tables.event_row_cells(new_style, NOW) == [
        "10s",
        "",
        "",
        "node",
        "",
        "kubelet",
        "",
        "10s",
        1,
        "e",
    ]
