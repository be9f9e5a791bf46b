"""The kubelet's server API in process: ``pods/log``, ``exec``, ``attach`` (NodeClient).

Role: implements ``seclet.nodeapi.NodeClient`` over the store (the pod object and
its status) and the CRI: logs are read from the container's CRI log file, exec goes
to ``RuntimeService.exec``, attach to ``RuntimeService.attach`` with the terminal
setting of the container's spec (upstream's ``GetAttach``: whether the process has a
TTY cannot change after it started). Refusals carry upstream's messages:
- pod not found -> 404 ``pods "p" not found``; not bound -> 400
  ``pod p does not have a host assigned``;
- no container given and several -> 400 ``a container name must be specified for pod
  p, choose one of: [a b]`` (`` or one of the init containers: [i]``); unknown ->
  400 ``container c is not valid for pod p``;
- ``validateContainerLogStatus``: ``previous terminated container "c" in pod "p" not
  found``, ``container "c" in pod "p" is waiting to start: <reason>`` (``image can't
  be pulled`` / ``trying and failing to pull image`` for the pull reasons),
  ``container "c" in pod "p" is terminated``;
- exec into a finished pod -> 400 ``cannot exec into a container in a completed pod;
  current phase is <phase>``; into a container not running -> ``unable to upgrade
  connection: container not found ("c")`` (the kubelet's ``container not found`` as
  the apiserver's proxy reports it, so kubectl prints upstream's line); attach to a
  container not running -> ``unable to upgrade connection: container c not found in
  pod p_ns`` (``GetAttach``'s text with the pod's full name).
Callers: seclet.cli.server (wires it into the apiserver), tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from seclet.cri.errors import CRIError
from seclet.cri.services import RuntimeService
from seclet.cri.streaming import ExecSession
from seclet.cri.types import AttachRequest, ContainerFilter, ContainerState, ExecRequest
from seclet.kubelet.clock import Clock, parse_rfc3339
from seclet.kubelet.logs import cut, follow_log, parse_log, read_log_file, render, select_records
from seclet.kubelet.runtimestate import CONTAINER_NAME_LABEL, POD_UID_LABEL
from seclet.nodeapi import LogOptions, NodeError
from seclet.store.api import JSONObject, NotFoundError, Store

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"


def _bad(message: str) -> NodeError:
    return NodeError(400, "BadRequest", message)


def resolve_container(pod: JSONObject, requested: str) -> str:
    """The container a logs/exec request means (pure)."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    name = meta.get("name", "")
    containers = [str(c.get("name", "")) for c in spec.get("containers") or ()]
    inits = [str(c.get("name", "")) for c in spec.get("initContainers") or ()]
    if requested:
        if requested not in containers and requested not in inits:
            raise _bad(f"container {requested} is not valid for pod {name}")
        return requested
    default = (meta.get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
    if default and default in containers:
        return str(default)
    if len(containers) == 1:
        return containers[0]
    if not containers:
        raise _bad(f"a container name must be specified for pod {name}")
    message = (
        f"a container name must be specified for pod {name}, "
        f"choose one of: [{' '.join(containers)}]"
    )
    if inits:
        message += f" or one of the init containers: [{' '.join(inits)}]"
    raise _bad(message)


def _container_status(pod: JSONObject, name: str) -> JSONObject | None:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses"):
        for s in status.get(key) or ():
            if s.get("name") == name:
                result: JSONObject = s
                return result
    return None


def log_container_id(pod: JSONObject, name: str, previous: bool) -> str:
    """upstream ``validateContainerLogStatus``: the runtime id whose log to read."""
    pod_name = (pod.get("metadata") or {}).get("name", "")
    cs = _container_status(pod, name)
    if cs is None:
        raise _bad(f'container "{name}" in pod "{pod_name}" is waiting to start - no logs yet')
    state: dict[str, Any] = cs.get("state") or {}
    last: dict[str, Any] = (cs.get("lastState") or {}).get("terminated") or {}
    if previous:
        if not last.get("containerID"):
            raise _bad(f'previous terminated container "{name}" in pod "{pod_name}" not found')
        return _strip(last["containerID"])
    if "running" in state:
        return _strip(cs.get("containerID", ""))
    if "terminated" in state:
        cid = state["terminated"].get("containerID", "")
        if cid:
            return _strip(cid)
        if last.get("containerID"):
            return _strip(last["containerID"])
        raise _bad(f'container "{name}" in pod "{pod_name}" is terminated')
    if last:
        if not last.get("containerID"):
            raise _bad(f'container "{name}" in pod "{pod_name}" is terminated')
        return _strip(last["containerID"])
    waiting = state.get("waiting")
    if waiting is not None:
        reason = waiting.get("reason", "")
        if reason == "ErrImagePull":
            detail = "image can't be pulled"
        elif reason == "ImagePullBackOff":
            detail = "trying and failing to pull image"
        else:
            detail = reason
        raise _bad(f'container "{name}" in pod "{pod_name}" is waiting to start: {detail}')
    raise _bad(f'container "{name}" in pod "{pod_name}" is waiting to start - no logs yet')


def container_tty(pod: JSONObject, name: str) -> bool:
    """The ``tty`` of the pod's container (or init container) ``name`` (pure)."""
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            if c.get("name") == name:
                return bool(c.get("tty"))
    return False


def _strip(container_id: str) -> str:
    return container_id.split("://", 1)[-1]


class KubeletServer:
    """``NodeClient`` of this kubelet."""

    def __init__(
        self, store: Store, runtime: RuntimeService, clock: Clock, node_name: str, poll: float = 0.2
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.clock = clock
        self.node_name = node_name
        self.poll = poll

    def _pod(self, namespace: str, name: str) -> JSONObject:
        try:
            pod = self.store.get("pods", namespace, name)
        except NotFoundError:
            raise NodeError(404, "NotFound", f'pods "{name}" not found') from None
        if not (pod.get("spec") or {}).get("nodeName"):
            raise _bad(f"pod {name} does not have a host assigned")
        return pod

    async def container_logs(
        self, namespace: str, pod: str, options: LogOptions
    ) -> AsyncIterator[bytes]:
        """The log's chunks; a refusal is raised when the first chunk is awaited."""
        obj = self._pod(namespace, pod)
        name = resolve_container(obj, options.container)
        cid = log_container_id(obj, name, options.previous)
        async for chunk in self._logs(obj, cid, options):
            yield chunk

    async def _log_path(self, cid: str) -> str:
        try:
            return (await self.runtime.container_status(cid)).log_path
        except CRIError:
            return ""

    async def _logs(self, pod: JSONObject, cid: str, options: LogOptions) -> AsyncIterator[bytes]:
        path = await self._log_path(cid)
        since: float | None = None
        if options.since_seconds is not None:
            since = self.clock.now() - options.since_seconds
        elif options.since_time:
            since = parse_rfc3339(options.since_time)
        data = await asyncio.to_thread(read_log_file, path) if path else b""
        records = select_records(parse_log(data), since=since, tail_lines=options.tail_lines)
        remaining = options.limit_bytes
        chunk, remaining = cut(render(records, timestamps=options.timestamps), remaining)
        if chunk:
            yield chunk
        if not options.follow or not path or remaining == 0:
            return
        at_line_start = not records or not records[-1].partial

        async def exited() -> bool:
            try:
                status = await self.runtime.container_status(cid)
            except CRIError:
                return True
            return status.state != ContainerState.CONTAINER_RUNNING

        async def poll() -> None:
            await self.clock.sleep(self.poll)

        async for batch in follow_log(path, len(data), exited, poll):
            out, remaining = cut(
                render(batch, timestamps=options.timestamps, new_line=at_line_start), remaining
            )
            if batch:
                at_line_start = not batch[-1].partial
            if out:
                yield out
            if remaining == 0:
                return

    async def _running(self, obj: dict[str, Any], name: str) -> str | None:
        """The id of container ``name``'s running instance, else None: upstream's
        ``findContainer`` (the running pods' containers, ``GetPods(false)``), one
        ``ListContainers`` filtered by state and labels (no status per container)."""
        uid = (obj.get("metadata") or {}).get("uid", "")
        found = await self.runtime.list_containers(
            ContainerFilter(
                state=ContainerState.CONTAINER_RUNNING,
                label_selector={POD_UID_LABEL: uid, CONTAINER_NAME_LABEL: name},
            )
        )
        if not found:
            return None
        return max(found, key=lambda c: (c.metadata.attempt, c.created_at)).id

    async def exec(
        self,
        namespace: str,
        pod: str,
        container: str,
        command: tuple[str, ...],
        *,
        stdin: bool,
        tty: bool,
    ) -> ExecSession:
        obj = self._pod(namespace, pod)
        name = resolve_container(obj, container)
        phase = (obj.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            raise _bad(f"cannot exec into a container in a completed pod; current phase is {phase}")
        running = await self._running(obj, name)
        if running is None:
            raise NodeError(
                500,
                "InternalError",
                f'unable to upgrade connection: container not found ("{name}")',
            )
        try:
            return await self.runtime.exec(
                ExecRequest(
                    container_id=running,
                    cmd=command,
                    tty=tty,
                    stdin=stdin,
                    stdout=True,
                    stderr=not tty,
                )
            )
        except CRIError as e:
            raise NodeError(500, "InternalError", e.message) from None

    async def attach(
        self, namespace: str, pod: str, container: str, *, stdin: bool, tty: bool
    ) -> ExecSession:
        obj = self._pod(namespace, pod)
        name = resolve_container(obj, container)
        running = await self._running(obj, name)
        if running is None:
            raise NodeError(
                500,
                "InternalError",
                f"unable to upgrade connection: container {name} not found in pod "
                f"{pod}_{namespace}",
            )
        terminal = container_tty(obj, name)
        try:
            return await self.runtime.attach(
                AttachRequest(
                    container_id=running,
                    tty=terminal,
                    stdin=stdin,
                    stdout=True,
                    stderr=not terminal,
                )
            )
        except CRIError as e:
            raise NodeError(500, "InternalError", e.message) from None
