"""The pure halves of pods/log, pods/exec and pod deletion.

Role: unit tests of ``seclet.apiserver.connect`` (PodLogOptions/PodExecOptions from
the query, their validation, container resolution), ``seclet.apiserver.channels``
(framing, resize, the error channel's Status), the events field selector and the pod
strategy's grace period (``pod_grace_period``).
Callers: pytest.
"""

from __future__ import annotations

from typing import Any

import pytest

from seclet.apiserver import channels, connect
from seclet.apiserver.registry import pod_grace_period
from seclet.apiserver.selectors import SelectorError, fields_match, parse_field_selector
from seclet.apiserver.status import APIError


def _error(fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(APIError) as info:
        fn(*args, **kwargs)
    return info.value.status


def test_log_options_decode() -> None:
    opts = connect.log_options(
        {
            "container": ["c"],
            "follow": ["true"],
            "previous": ["false"],
            "tailLines": ["5"],
            "timestamps": ["1"],
            "limitBytes": ["100"],
            "sinceSeconds": ["60"],
        },
        "p",
    )
    assert (
        opts.container,
        opts.follow,
        opts.previous,
        opts.tail_lines,
        opts.timestamps,
        opts.limit_bytes,
        opts.since_seconds,
    ) == ("c", True, False, 5, True, 100, 60)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"tailLines": ["-1"]},
            'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or '
            "equal to 0",
        ),
        (
            {"limitBytes": ["0"]},
            'PodLogOptions "p" is invalid: limitBytes: Invalid value: 0: must be greater than 0',
        ),
        (
            {"sinceSeconds": ["0"]},
            'PodLogOptions "p" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0',
        ),
        (
            {"sinceSeconds": ["5"], "sinceTime": ["2026-01-01T00:00:00Z"]},
            'PodLogOptions "p" is invalid: : Forbidden: at most one of `sinceTime` or '
            "`sinceSeconds` may be specified",
        ),
    ],
)
def test_log_options_invalid(query: dict[str, list[str]], message: str) -> None:
    status = _error(connect.log_options, query, "p")
    assert (status["code"], status["reason"], status["message"]) == (422, "Invalid", message)


def test_log_options_bad_integer() -> None:
    status = _error(connect.log_options, {"tailLines": ["x"]}, "p")
    assert (status["code"], status["message"]) == (
        400,
        'strconv.ParseInt: parsing "x": invalid syntax',
    )


POD: dict[str, Any] = {
    "metadata": {"name": "p"},
    "spec": {
        "nodeName": "n1",
        "initContainers": [{"name": "i"}],
        "containers": [{"name": "a"}, {"name": "b"}],
    },
}


def test_log_container() -> None:
    assert connect.log_container(POD, "i") == "i"
    assert _error(connect.log_container, POD, "")["message"] == (
        "a container name must be specified for pod p, choose one of: [i a b]"
    )
    assert _error(connect.log_container, POD, "x")["message"] == (
        "container x is not valid for pod p"
    )
    one = {"metadata": {"name": "q"}, "spec": {"containers": [{"name": "only"}]}}
    assert connect.log_container(one, "") == "only"


def test_exec_container() -> None:
    assert _error(connect.exec_container, POD, "")["message"] == (
        "a container name must be specified for pod p, choose one of: [a b] or one of the "
        "init containers: [i]"
    )
    assert connect.exec_container(POD, "b") == "b"
    unbound = {"metadata": {"name": "q"}, "spec": {"containers": [{"name": "c"}]}}
    assert _error(connect.exec_container, unbound, "")["message"] == (
        "pod q does not have a host assigned"
    )


def test_exec_options() -> None:
    opts = connect.exec_options(
        {
            "command": ["sh", "-c", "true"],
            "stdin": ["true"],
            "stdout": ["true"],
            "stderr": ["true"],
            "tty": ["true"],
        }
    )
    assert opts.command == ("sh", "-c", "true")
    assert (opts.stdin, opts.stdout, opts.stderr, opts.tty) == (True, True, False, True)
    assert _error(connect.exec_options, {"stdout": ["true"]})["message"] == (
        "you must specify at least 1 command"
    )
    assert _error(connect.exec_options, {"command": ["x"]})["message"] == (
        "you must specify at least 1 of stdin, stdout, stderr"
    )


def test_channel_framing() -> None:
    assert channels.encode(channels.V5, channels.STDOUT, b"hi") == b"\x01hi"
    assert channels.encode(channels.V4_BASE64, channels.STDERR, b"hi") == "2aGk="
    assert channels.decode(channels.V5, b"\x00abc") == channels.Frame(0, b"abc")
    assert channels.decode(channels.V4_BASE64, "0YWJj") == channels.Frame(0, b"abc")
    assert channels.decode(channels.V5, b"\xff\x00") == channels.Frame(255, b"\x00")
    with pytest.raises(channels.FrameError):
        channels.decode(channels.V5, b"")
    assert channels.resize(b'{"Width":80,"Height":24}') == (80, 24)
    assert channels.resize(b"nope") is None


def test_exit_status() -> None:
    assert channels.exit_code(2)["details"] == {"causes": [{"reason": "ExitCode", "message": "2"}]}
    assert channels.status_bytes(channels.success()) == b'{"metadata":{},"status":"Success"}'


def test_event_field_selector() -> None:
    reqs = parse_field_selector(
        "events",
        "involvedObject.name=p,involvedObject.namespace=default,involvedObject.kind=Pod,"
        "involvedObject.uid=u1,type!=Warning,reason=Pulled,source=kubelet",
    )
    event = {
        "involvedObject": {"name": "p", "namespace": "default", "kind": "Pod", "uid": "u1"},
        "type": "Normal",
        "reason": "Pulled",
        "source": {"component": "kubelet"},
    }
    assert fields_match(reqs, event)
    assert not fields_match(reqs, {**event, "type": "Warning"})
    # Node events: involvedObject.namespace is empty.
    node_reqs = parse_field_selector("events", "involvedObject.namespace=,involvedObject.kind=Node")
    assert fields_match(node_reqs, {"involvedObject": {"kind": "Node"}})
    with pytest.raises(SelectorError, match=r"field label not supported: spec\.x"):
        parse_field_selector("events", "spec.x=1")
    assert fields_match(parse_field_selector("nodes", "spec.unschedulable=false"), {"spec": {}})


@pytest.mark.parametrize(
    ("spec", "phase", "requested", "grace"),
    [
        ({"nodeName": "n", "terminationGracePeriodSeconds": 30}, "Running", None, 30),
        ({"nodeName": "n", "terminationGracePeriodSeconds": 30}, "Running", 5, 5),
        ({"nodeName": "n", "terminationGracePeriodSeconds": 30}, "Running", 0, 0),
        ({"nodeName": "n", "terminationGracePeriodSeconds": 30}, "Running", -3, 1),
        ({"nodeName": "n"}, "Running", None, 0),
        ({"terminationGracePeriodSeconds": 30}, "Pending", None, 0),
        ({"nodeName": "n", "terminationGracePeriodSeconds": 30}, "Succeeded", None, 0),
        ({"nodeName": "n", "terminationGracePeriodSeconds": 30}, "Failed", 10, 0),
    ],
)
def test_pod_grace_period(
    spec: dict[str, Any], phase: str, requested: int | None, grace: int
) -> None:
    assert pod_grace_period({"spec": spec, "status": {"phase": phase}}, requested) == grace
