"""What kube-apiserver decides before it streams ``pods/log`` and ``pods/exec``.

Role: the pure half of the pod "connect" subresources: query parameters decoded as
upstream's parameter codec does (``PodLogOptions``, ``PodExecOptions``), their
validation (``ValidatePodLogOptions``: 422 ``PodLogOptions "p" is invalid: ...``),
and the container a request addresses (``validateContainer`` of the log path,
``streamLocation`` of the exec path: 400 ``a container name must be specified for pod
p, choose one of: [a b]``, ``container x is not valid for pod p``, ``pod p does not
have a host assigned``). Every refusal is an ``APIError``. No HTTP, no I/O.
Callers: ``seclet.apiserver.streaming`` (the aiohttp handlers), tests.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from seclet.api.field import FieldError, Path, forbidden, invalid
from seclet.apiserver import status as st
from seclet.nodeapi import LogOptions

JSONObject = dict[str, Any]
Query = Mapping[str, Sequence[str]]

IS_NEGATIVE: Final = "must be greater than or equal to 0"


def _first(query: Query, key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _bool(query: Query, key: str) -> bool:
    """``Convert_Slice_string_To_bool``: absent, ``0`` or ``false`` are false."""
    value = _first(query, key)
    if value is None:
        return False
    return not (value == "0" or value.lower() == "false")


def _int(query: Query, key: str) -> int | None:
    value = _first(query, key)
    if value is None:
        return None
    try:
        return int(value, 10)
    except ValueError:
        raise st.bad_request(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None


def _time(query: Query, key: str) -> str | None:
    value = _first(query, key)
    if value is None or value == "":
        return None
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise st.bad_request(
            f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse '
            f'"{value}" as "2006"'
        ) from None
    return value


def log_options(query: Query, pod_name: str) -> LogOptions:
    """``PodLogOptions`` from the query, validated (422 ``PodLogOptions``)."""
    opts = LogOptions(
        container=_first(query, "container") or "",
        follow=_bool(query, "follow"),
        previous=_bool(query, "previous"),
        timestamps=_bool(query, "timestamps"),
        tail_lines=_int(query, "tailLines"),
        since_seconds=_int(query, "sinceSeconds"),
        since_time=_time(query, "sinceTime"),
        limit_bytes=_int(query, "limitBytes"),
    )
    errors = validate_log_options(opts)
    if errors:
        raise st.invalid("PodLogOptions", pod_name, errors)
    return opts


def validate_log_options(opts: LogOptions) -> list[FieldError]:
    """``ValidatePodLogOptions``."""
    errors: list[FieldError] = []
    if opts.tail_lines is not None and opts.tail_lines < 0:
        errors.append(invalid(Path.root("tailLines"), opts.tail_lines, IS_NEGATIVE))
    if opts.limit_bytes is not None and opts.limit_bytes < 1:
        errors.append(invalid(Path.root("limitBytes"), opts.limit_bytes, "must be greater than 0"))
    if opts.since_seconds is not None and opts.since_time is not None:
        errors.append(
            forbidden(
                Path.root(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"
            )
        )
    elif opts.since_seconds is not None and opts.since_seconds < 1:
        errors.append(
            invalid(Path.root("sinceSeconds"), opts.since_seconds, "must be greater than 0")
        )
    return errors


@dataclass(frozen=True, slots=True)
class ExecOptions:
    """``PodExecOptions`` (the query of ``pods/exec`` and, without a command, ``attach``)."""

    command: tuple[str, ...]
    container: str
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool


def exec_options(query: Query, *, attach: bool = False) -> ExecOptions:
    """``PodExecOptions`` from the query; 400 without a stream or (exec) a command."""
    tty = _bool(query, "tty")
    opts = ExecOptions(
        command=tuple(query.get("command") or ()),
        container=_first(query, "container") or "",
        stdin=_bool(query, "stdin"),
        stdout=_bool(query, "stdout"),
        # The kubelet drops stderr with a TTY (one terminal stream).
        stderr=_bool(query, "stderr") and not tty,
        tty=tty,
    )
    if not (opts.stdin or opts.stdout or opts.stderr):
        raise st.bad_request("you must specify at least 1 of stdin, stdout, stderr")
    if not attach and not opts.command:
        raise st.bad_request("you must specify at least 1 command")
    return opts


def _names(containers: Any) -> list[str]:
    return [str(c.get("name", "")) for c in containers or () if isinstance(c, dict)]


def _has_container(pod: JSONObject, name: str) -> bool:
    spec = pod.get("spec") or {}
    return any(
        name in _names(spec.get(key))
        for key in ("initContainers", "containers", "ephemeralContainers")
    )


def log_container(pod: JSONObject, container: str) -> str:
    """``validateContainer`` of ``LogLocation``: the container the log request reads."""
    name = (pod.get("metadata") or {}).get("name", "")
    spec = pod.get("spec") or {}
    if container:
        if not _has_container(pod, container):
            raise st.bad_request(f"container {container} is not valid for pod {name}")
        return container
    containers = _names(spec.get("containers"))
    if len(containers) == 1:
        return containers[0]
    if not containers:
        raise st.bad_request(f"a container name must be specified for pod {name}")
    every = (
        _names(spec.get("initContainers")) + containers + _names(spec.get("ephemeralContainers"))
    )
    raise st.bad_request(
        f"a container name must be specified for pod {name}, choose one of: [{' '.join(every)}]"
    )


def exec_container(pod: JSONObject, container: str) -> str:
    """``streamLocation``: the container an exec or attach addresses; its node must be set."""
    name = (pod.get("metadata") or {}).get("name", "")
    spec = pod.get("spec") or {}
    if not container:
        containers = _names(spec.get("containers"))
        if len(containers) == 1:
            container = containers[0]
        elif not containers:
            raise st.bad_request(f"a container name must be specified for pod {name}")
        else:
            message = (
                f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(containers)}]"
            )
            init = _names(spec.get("initContainers"))
            if init:
                message += f" or one of the init containers: [{' '.join(init)}]"
            raise st.bad_request(message)
    elif not _has_container(pod, container):
        raise st.bad_request(f"container {container} is not valid for pod {name}")
    if not spec.get("nodeName"):
        raise st.bad_request(f"pod {name} does not have a host assigned")
    return container
