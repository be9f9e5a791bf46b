"""Exec probes: readiness, liveness and startup, as the kubelet's prober workers run them.

Role: k/k ``pkg/kubelet/prober`` for ``exec`` handlers, one ``PodProber`` task per pod
with probes. Per container and probe type a ``ProbeTracker`` (pure) keeps the
consecutive successes/failures against ``successThreshold`` (1) and
``failureThreshold`` (3) and the result: readiness starts failed, liveness
succeeded, startup failed; probing starts ``initialDelaySeconds`` after the container
started (after startup succeeded, for readiness and liveness) and repeats every
``periodSeconds`` (10) with ``timeoutSeconds`` (1); a new container id resets it.
A failed probe records Warning ``Unhealthy`` ``<Type> probe failed: <output>``; a
liveness (or startup) result turning failed kills the container with Normal ``Killing``
``Container <c> failed liveness probe, will be restarted`` and the probe's or pod's
grace period, and the pod worker restarts it per restartPolicy.
Non-exec handlers (httpGet, tcpSocket, grpc) are not probed yet: they count as
succeeded. Callers: seclet.kubelet.worker.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from seclet.api import models
from seclet.cri.errors import CRIError
from seclet.cri.types import ContainerState
from seclet.kubelet.events import NORMAL, WARNING, container_field_path, pod_reference
from seclet.kubelet.runtimestate import read_pod_state
from seclet.store.api import JSONObject

if TYPE_CHECKING:
    from seclet.kubelet.worker import WorkerDeps

READINESS, LIVENESS, STARTUP = "Readiness", "Liveness", "Startup"
TICK = 1.0


@dataclass(slots=True)
class ProbeTracker:
    """Thresholds and the current result of one probe of one container (pure)."""

    kind: str
    success_threshold: int = 1
    failure_threshold: int = 3
    container_id: str = ""
    result: bool = False
    successes: int = 0
    failures: int = 0
    last_run: float = -1.0

    def reset(self, container_id: str) -> None:
        self.container_id = container_id
        self.result = self.kind == LIVENESS
        self.successes = self.failures = 0
        self.last_run = -1.0

    def observe(self, ok: bool) -> bool:
        """Record one probe outcome; True when the result changed."""
        if ok:
            self.failures = 0
            self.successes += 1
            new = True if self.successes >= self.success_threshold else self.result
        else:
            self.successes = 0
            self.failures += 1
            new = False if self.failures >= self.failure_threshold else self.result
        changed = new != self.result
        self.result = new
        return changed


def _probes(container: models.Container) -> list[tuple[str, models.Probe]]:
    out = []
    for kind, probe in (
        (STARTUP, container.startupProbe),
        (READINESS, container.readinessProbe),
        (LIVENESS, container.livenessProbe),
    ):
        if probe is not None:
            out.append((kind, probe))
    return out


def has_probes(pod: models.Pod) -> bool:
    spec = pod.spec or models.PodSpec()
    return any(_probes(c) for c in spec.containers)


class PodProber:
    """Probes one pod's containers; ``results`` is what the status reads."""

    def __init__(self, worker: ProberHost, pod: Callable[[], models.Pod]) -> None:
        self.worker = worker
        self.pod = pod
        self.trackers: dict[tuple[str, str], ProbeTracker] = {}
        self.ready: dict[str, bool] = {}
        self.started: dict[str, bool] = {}

    async def run(self) -> None:
        while True:
            with contextlib.suppress(CRIError):
                await self.tick()
            await self.worker.deps.clock.sleep(TICK)

    async def tick(self) -> None:
        deps = self.worker.deps
        pod = self.pod()
        state = await read_pod_state(deps.runtime, self.worker.uid)
        now = deps.clock.now()
        changed = False
        for container in (pod.spec or models.PodSpec()).containers:
            name = container.name or ""
            latest = state.latest(name)
            running = latest is not None and latest.state == ContainerState.CONTAINER_RUNNING
            for kind, probe in _probes(container):
                key = (name, kind)
                tracker = self.trackers.get(key)
                if tracker is None:
                    tracker = ProbeTracker(
                        kind,
                        probe.successThreshold or 1,
                        probe.failureThreshold or 3,
                    )
                    self.trackers[key] = tracker
                if latest is None or not running:
                    continue
                if tracker.container_id != latest.id:
                    tracker.reset(latest.id)
                    changed = True
                startup = self.trackers.get((name, STARTUP))
                if kind != STARTUP and startup is not None and not startup.result:
                    continue
                if kind == STARTUP and tracker.result:
                    continue
                begun = latest.started_at / 1e9
                if now - begun < (probe.initialDelaySeconds or 0):
                    continue
                if tracker.last_run >= 0 and now - tracker.last_run < (probe.periodSeconds or 10):
                    continue
                tracker.last_run = now
                ok, output = await self._exec(latest.id, probe)
                obj = self.worker.obj
                ref = pod_reference(obj, container_field_path(obj, name))
                if not ok:
                    deps.recorder.event(ref, WARNING, "Unhealthy", f"{kind} probe failed: {output}")
                if tracker.observe(ok):
                    changed = True
                    if kind in (LIVENESS, STARTUP) and not tracker.result:
                        await self._kill(obj, pod, ref, name, latest.id, kind, probe)
            self.ready[name] = self._ready(name, container)
            self.started[name] = self._started(name, container)
        if changed:
            self.worker.probe_changed()

    def _ready(self, name: str, container: models.Container) -> bool:
        tracker = self.trackers.get((name, READINESS))
        if container.readinessProbe is None:
            return self._started(name, container)
        return bool(tracker and tracker.container_id and tracker.result) and self._started(
            name, container
        )

    def _started(self, name: str, container: models.Container) -> bool:
        if container.startupProbe is None:
            return True
        tracker = self.trackers.get((name, STARTUP))
        return bool(tracker and tracker.container_id and tracker.result)

    async def _exec(self, container_id: str, probe: models.Probe) -> tuple[bool, str]:
        if probe.exec is None:
            return True, ""
        timeout = probe.timeoutSeconds or 1
        command = tuple(probe.exec.command)
        try:
            response = await asyncio.wait_for(
                self.worker.deps.runtime.exec_sync(container_id, command, timeout),
                timeout + 1,
            )
        except TimeoutError:
            return False, f'command "{" ".join(command)}" timed out'
        except CRIError as e:
            return False, e.message
        output = (response.stdout + response.stderr).decode(errors="replace")
        return response.exit_code == 0, output

    async def _kill(
        self,
        obj: JSONObject,
        pod: models.Pod,
        ref: JSONObject,
        name: str,
        container_id: str,
        kind: str,
        probe: models.Probe,
    ) -> None:
        deps = self.worker.deps
        deps.recorder.event(
            ref,
            NORMAL,
            "Killing",
            f"Container {name} failed {kind.lower()} probe, will be restarted",
        )
        spec = pod.spec or models.PodSpec()
        grace = probe.terminationGracePeriodSeconds
        if grace is None:
            grace = spec.terminationGracePeriodSeconds
        with contextlib.suppress(CRIError):
            await deps.runtime.stop_container(container_id, 30 if grace is None else grace)


class ProberHost(Protocol):
    """What a ``PodProber`` needs of its pod worker (``PodWorker`` is one)."""

    deps: WorkerDeps
    uid: str
    obj: JSONObject

    def probe_changed(self) -> None: ...
