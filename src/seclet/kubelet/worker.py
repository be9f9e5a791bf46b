"""One pod's worker: drives the pod from its spec to running containers and back.

Role: upstream's pod worker + ``kuberuntime_manager.SyncPod`` + ``KillPod`` for one
pod UID, as one asyncio task. It wakes on every change of the pod object and every
``sync_period`` (the runtime is re-read, as PLEG relists), and writes the status
(``seclet.kubelet.status``) after each sync.

Steps of ``_sync``:
1. decode the pod; a pod already terminal is never restarted: it is finished
   (``_finish``) and left alone;
2. admission on first sight (sysctls, OS, AppArmor) -> rejected pods become Failed;
   the prober task starts for pods with probes;
3. activeDeadlineSeconds passed -> containers killed, phase Failed (DeadlineExceeded);
4. volumes (``seclet.kubelet.volumes``): plan and set up once (a refused volume ->
   Warning ``FailedMount``), then every ``volume_resync_period`` set up again the
   configMap/secret/downwardAPI/projected ones (their ``..data`` swap);
5. read the runtime state (a first status while there is no sandbox yet, written
   ``FIRST_STATUS_DELAY`` later unless a later write supersedes it);
   ``compute_pod_actions``;
6. kill the pod (stop its sandbox) / create the sandbox (userns ids for
   ``hostUsers: false``) / kill containers whose definition changed / start the next
   init container / start containers, each start through ``_start_container``
   (back-off, pull secrets and image, environment, subPath bind mounts (a refused
   one -> CreateContainerConfigError) and runAsNonRoot, termination-log file,
   create, start);
7. re-read the runtime and write the status; a terminal phase finishes the pod.
Steps of ``_finish`` (a terminal pod: upstream's ``SyncTerminatingPod`` then
``SyncTerminatedPod``; once per worker, so again after a kubelet restart):
1. kill the pod: ``Killing`` + StopContainer for any container still running, then
   StopPodSandbox (the pause process goes; containers and their logs are kept for
   ``kubectl logs`` until the pod is deleted); when something was stopped, the status
   is written again (PodReadyToStartContainers False, pod IPs kept);
2. tear down its volumes (``<podDir>/volumes``) and release its userns ids.
Steps of ``_terminate`` (deletionTimestamp set, or the object deleted):
1. ``Killing`` ``Stopping container <c>`` and StopContainer with the grace period for
   each running container; 2. stop and remove the sandbox; 3. tear down volumes,
   release userns ids, forget back-offs; 4. write the final (terminal) status and
   delete the pod from the store (the status manager's final delete), unless the
   object is already gone.
Callers: seclet.kubelet.kubelet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from seclet.api import models
from seclet.api.decode import build
from seclet.api.managedfields import record_update
from seclet.cri.errors import CRIError
from seclet.cri.services import ImageService, RuntimeService
from seclet.cri.types import (
    ContainerConfig,
    ContainerMetadata,
    ContainerState,
    ImageSpec,
    KeyValue,
    Mount,
    PodSandboxConfig,
    PodSandboxMetadata,
)
from seclet.host.facts import NodeFacts
from seclet.kubelet import selinuxplan
from seclet.kubelet.actions import CONTAINER_HASH_ANNOTATION, compute_pod_actions, container_hash
from seclet.kubelet.admission import admit
from seclet.kubelet.backoff import Backoff
from seclet.kubelet.clock import Clock, go_duration, parse_rfc3339
from seclet.kubelet.config import KubeletConfig
from seclet.kubelet.env import EnvError, environment, expand_command
from seclet.kubelet.events import (
    NORMAL,
    WARNING,
    EventRecorder,
    container_field_path,
    pod_reference,
)
from seclet.kubelet.grpcerror import grpc_error
from seclet.kubelet.images import ERR_IMAGE_PULL, IMAGE_PULL_BACKOFF, ImageManager
from seclet.kubelet.logrotation import remove_container_logs
from seclet.kubelet.probes import PodProber, has_probes
from seclet.kubelet.pullsecrets import pull_auth
from seclet.kubelet.runtimestate import (
    CONTAINER_NAME_LABEL,
    POD_NAME_LABEL,
    POD_NAMESPACE_LABEL,
    POD_UID_LABEL,
    RESTART_COUNT_ANNOTATION,
    TERMINATION_LOG_ANNOTATION,
    TERMINATION_MESSAGE_PATH_ANNOTATION,
    TERMINATION_MESSAGE_POLICY_ANNOTATION,
    PodRuntimeState,
    dead_to_remove,
    read_pod_state,
)
from seclet.kubelet.status import StatusInputs, generate_pod_status, rejected_status
from seclet.kubelet.userns import (
    UsernsAllocator,
    UsernsExhaustedError,
    remove_mapping,
    write_mapping,
)
from seclet.kubelet.volume.plugin import PluginTable
from seclet.kubelet.volumes import (
    OwnershipWalker,
    SubPathError,
    VolumeError,
    VolumeHost,
    VolumePlan,
    VolumeUsers,
    container_mounts,
    default_plugins,
    plan_volumes,
    prepare_subpaths,
    set_up,
    tear_down,
    tear_down_volumes,
)
from seclet.securitycontext.nonroot import (
    CREATE_CONTAINER_CONFIG_ERROR,
    RunAsNonRootError,
    format_pod,
    verify_run_as_non_root,
)
from seclet.securitycontext.users import ImageUser, kubelet_image_user
from seclet.store.api import ConflictError, JSONObject, NotFoundError, Store

log = logging.getLogger(__name__)

CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
CREATE_CONTAINER_ERROR = "CreateContainerError"
RUN_CONTAINER_ERROR = "RunContainerError"
DEADLINE_EXCEEDED = "DeadlineExceeded"
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
WORKER_BACKOFF = 10.0
"""Seconds before a pod whose sync failed is synced again (upstream's backOffPeriod)."""
FIRST_STATUS_DELAY = 0.02
"""Seconds the status of a sync about to create the pod's sandbox waits before it is
written (``_write_status_later``): upstream's status manager writes from its own
goroutine while the sync goes on, so the pod's first Pending status lands while the
runtime works (the sandbox, the container's ``runc create``) rather than before it."""


def _fingerprint(state: PodRuntimeState) -> tuple[tuple[str, int], ...]:
    """What PLEG compares between relists: every container's id and state."""
    items = [(s.id, s.state.value) for attempts in state.containers.values() for s in attempts]
    if state.sandbox is not None:
        items.append((state.sandbox.id, state.sandbox.state.value))
    return tuple(sorted(items))


@dataclass(slots=True, kw_only=True)
class WorkerDeps:
    """What every pod worker shares (one per kubelet)."""

    store: Store
    runtime: RuntimeService
    images: ImageService
    config: KubeletConfig
    clock: Clock
    recorder: EventRecorder
    image_manager: ImageManager
    crash_backoff: Backoff
    userns: UsernsAllocator
    runtime_name: str
    facts: NodeFacts
    volume_plugins: PluginTable = field(default_factory=default_plugins)
    volume_users: VolumeUsers = field(default_factory=VolumeUsers)


def pod_model(obj: JSONObject) -> models.Pod:
    """The frozen Pod of a stored object (metadata and spec; status is the kubelet's)."""
    return build({"metadata": obj.get("metadata") or {}, "spec": obj.get("spec") or {}}, models.Pod)


def _with_seccomp_default(pod: models.Pod) -> models.Pod:
    """``--seccomp-default``: RuntimeDefault where neither pod nor container names a
    profile, as the kubelet does before it builds the CRI security context."""
    spec = pod.spec or models.PodSpec()
    psc = spec.securityContext or models.PodSecurityContext()
    if psc.seccompProfile is not None:
        return pod
    psc = psc._replace(seccompProfile=models.SeccompProfile(type="RuntimeDefault"))
    return pod._replace(spec=spec._replace(securityContext=psc))


def restart_count_from_logs(directory: Path) -> int:
    """upstream ``calcRestartCountByLogDir``: with no container left in the runtime
    (a node reboot), count on from the newest ``<n>.log`` of the container's log
    directory so its log files are not overwritten; 0 when there are none."""
    try:
        names = [p.name for p in directory.iterdir()]
    except OSError:
        return 0
    counts = [int(n[:-4]) for n in names if n.endswith(".log") and n[:-4].isdigit()]
    return max(counts) + 1 if counts else 0


class PodWorker:
    def __init__(self, deps: WorkerDeps, obj: JSONObject) -> None:
        self.deps = deps
        meta = obj.get("metadata") or {}
        self.uid: str = meta.get("uid", "")
        self.namespace: str = meta.get("namespace", "")
        self.name: str = meta.get("name", "")
        self.obj: JSONObject = obj
        self.deleted = False
        self.done = False
        self.terminal = False
        self.finished = False
        """``_finish`` ran for this terminal pod."""
        self.admitted = False
        self.volumes: tuple[VolumePlan, ...] | None = None
        self._selinux_relabel: dict[str, bool] = {}
        self._volume_resync_at = 0.0
        self._volume_meta: object = None
        self._userns_host_id: int | None = None
        self.reasons: dict[str, tuple[str, str]] = {}
        self._wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._own_rv: str | None = None
        self._later: asyncio.TimerHandle | None = None
        """The status ``_write_status_later`` will write, until a write supersedes it."""
        self._retry_at = 0.0
        self._fingerprint: tuple[tuple[str, int], ...] = ()
        self.prober: PodProber | None = None
        self._probe_task: asyncio.Task[None] | None = None

    # -- driving --------------------------------------------------------------------

    def update(self, obj: JSONObject | None) -> None:
        """A new version of the pod (None: the object was deleted). Our own status
        writes coming back through the watch do not wake the worker."""
        if obj is None:
            self.deleted = True
            self._wake.set()
            return
        self.obj = obj
        if (obj.get("metadata") or {}).get("resourceVersion") != self._own_rv:
            self._wake.set()

    def probe_changed(self) -> None:
        """A probe result changed: sync (and write the status) now."""
        self._wake.set()

    def stop_prober(self) -> None:
        if self._probe_task is not None:
            self._probe_task.cancel()
            self._probe_task = None

    def start(self) -> asyncio.Task[None]:
        self.task = asyncio.create_task(self.run(), name=f"pod-worker-{self.uid}")
        return self.task

    def _deleting(self) -> bool:
        return self.deleted or bool((self.obj.get("metadata") or {}).get("deletionTimestamp"))

    async def run(self) -> None:
        """Sync, then wait for a reason to sync again: the pod changed, the runtime's
        containers changed (PLEG), a back-off ran out, or the resync interval passed."""
        while True:
            if self._deleting():
                try:
                    await self._terminate(self.obj, remove_object=not self.deleted)
                except Exception:
                    log.exception("terminating pod %s/%s", self.namespace, self.name)
                self.cancel_later()
                self.done = True
                return
            self._retry_at = self.deps.clock.now() + self.deps.config.resync_interval
            try:
                await self._sync(self.obj)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("syncing pod %s/%s", self.namespace, self.name)
                self._retry_at = self.deps.clock.now() + WORKER_BACKOFF
            await self._idle()

    async def _idle(self) -> None:
        while True:
            if await self._wait(self.deps.config.sync_period) or self._deleting():
                return
            if self.deps.clock.now() >= self._retry_at:
                return
            state = await read_pod_state(self.deps.runtime, self.uid)
            if _fingerprint(state) != self._fingerprint:
                return

    async def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` of clock time or until woken; True when woken."""
        if self._wake.is_set():
            self._wake.clear()
            return True
        sleeper = asyncio.create_task(self.deps.clock.sleep(seconds))
        waker = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        woken = self._wake.is_set()
        self._wake.clear()
        return woken

    def _retry_within(self, seconds: float) -> None:
        self._retry_at = min(self._retry_at, self.deps.clock.now() + max(seconds, 0.0))

    # -- paths ----------------------------------------------------------------------

    @property
    def pod_dir(self) -> Path:
        return Path(self.deps.config.root_dir) / "pods" / self.uid

    @property
    def log_dir(self) -> str:
        return str(Path(self.deps.config.pod_logs_dir) / f"{self.namespace}_{self.name}_{self.uid}")

    # -- sync -----------------------------------------------------------------------

    async def _sync(self, obj: JSONObject) -> None:
        pod = pod_model(obj)
        if (obj.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            self.terminal = True
        if self.terminal:
            self.stop_prober()
            await self._finish(obj, pod)
            return
        if not self.admitted:
            rejection = admit(pod, self.deps.facts, self.deps.config.allowed_unsafe_sysctls)
            if rejection is not None:
                self.deps.recorder.event(
                    pod_reference(obj), WARNING, rejection.reason, rejection.message
                )
                self._write(
                    lambda old: rejected_status(
                        pod, old, rejection.reason, rejection.message, self.deps.clock.now()
                    )
                )
                self.terminal = True
                await self._finish(obj, pod)
                return
            self.admitted = True
            if has_probes(pod):
                self.prober = PodProber(self, lambda: pod_model(self.obj))
                self._probe_task = asyncio.create_task(
                    self.prober.run(), name=f"pod-prober-{self.uid}"
                )
        if await self._deadline_exceeded(obj, pod):
            return
        if not await self._volumes_ready(obj, pod):
            self._retry_within(WORKER_BACKOFF)
            self._write_status(pod, await read_pod_state(self.deps.runtime, self.uid))
            return
        state = await read_pod_state(self.deps.runtime, self.uid)
        # What this sync has seen: anything the runtime reports differently later (the
        # containers started below, or their exits) wakes the next sync, as PLEG does.
        self._fingerprint = _fingerprint(state)
        if state.sandbox is None:
            self._write_status_later(pod, state)
        actions = compute_pod_actions(pod, state)
        if actions.kill_pod:
            grace = (pod.spec or models.PodSpec()).terminationGracePeriodSeconds
            await self._kill_pod(
                obj, pod, state, grace=30 if grace is None else grace, events=True, remove=False
            )
        if actions.create_sandbox:
            sandbox_id = await self._create_sandbox(obj, pod)
            if sandbox_id is None:
                self._retry_within(WORKER_BACKOFF)
                self._write_status(pod, await read_pod_state(self.deps.runtime, self.uid))
                return
            # as SyncPod: the new sandbox's status (its IP), not a relist of the pod
            try:
                state = replace(
                    state, sandbox=await self.deps.runtime.pod_sandbox_status(sandbox_id)
                )
            except CRIError:
                state = await read_pod_state(self.deps.runtime, self.uid)
        for cid, name, message in actions.containers_to_kill:
            ref = pod_reference(obj, container_field_path(obj, name))
            self.deps.recorder.event(ref, NORMAL, "Killing", message)
            grace = (pod.spec or models.PodSpec()).terminationGracePeriodSeconds
            with contextlib.suppress(CRIError):
                await self.deps.runtime.stop_container(cid, 30 if grace is None else grace)
        if actions.next_init_container is not None:
            await self._start_container(obj, pod, state, actions.next_init_container)
        for name in actions.containers_to_start:
            await self._start_container(obj, pod, state, name)
        state = await read_pod_state(self.deps.runtime, self.uid)
        if self.reasons:
            self._retry_within(WORKER_BACKOFF)
        status = self._write_status(pod, state)
        # Only then the dead containers beyond the newest: until the status naming the
        # newest as lastState is stored, the stored one names an older container, whose
        # log `kubectl logs --previous` would find removed (upstream's container GC runs
        # apart, a minute later at most, long after the status manager's write).
        await self._collect_garbage(state)
        if status is not None and status.get("phase") in ("Succeeded", "Failed"):
            self.terminal = True
            self.stop_prober()
            await self._finish(obj, pod)

    async def _finish(self, obj: JSONObject, pod: models.Pod) -> None:
        """The steps of ``_finish`` above (idempotent: nothing left to stop, nothing
        written)."""
        if self.finished:
            return
        state = await read_pod_state(self.deps.runtime, self.uid)
        if state.running() or state.sandbox_ready:
            grace = (pod.spec or models.PodSpec()).terminationGracePeriodSeconds
            await self._kill_pod(
                obj, pod, state, grace=30 if grace is None else grace, events=True, remove=False
            )
            self._write_status(pod, await read_pod_state(self.deps.runtime, self.uid), True)
        await tear_down_volumes(str(self.pod_dir), self.volumes or (), self.deps.volume_plugins)
        self.deps.volume_users.release(self.uid)
        self.deps.userns.release(self.uid)
        await asyncio.to_thread(remove_mapping, self.pod_dir)
        self.finished = True

    async def _collect_garbage(self, state: PodRuntimeState) -> None:
        """Remove dead containers beyond the newest one per name, and their CRI log
        files with their rotated ones (the kubelet's container GC with
        ``MaxPerPodContainer`` 1). The kept one is
        what ``lastState`` and ``kubectl logs --previous`` read."""
        for status in dead_to_remove(state):
            with contextlib.suppress(CRIError):
                await self.deps.runtime.remove_container(status.id)
            await asyncio.to_thread(remove_container_logs, status.log_path)

    async def _deadline_exceeded(self, obj: JSONObject, pod: models.Pod) -> bool:
        """``activeDeadlineSeconds`` (upstream's activeDeadlineHandler): once the pod has
        been active longer than its deadline since ``status.startTime``, a Normal
        ``DeadlineExceeded`` event, its containers are killed and it fails with reason
        ``DeadlineExceeded``. Otherwise the worker wakes when the deadline comes."""
        spec = pod.spec or models.PodSpec()
        deadline = spec.activeDeadlineSeconds
        started = (obj.get("status") or {}).get("startTime")
        if deadline is None or not started:
            return False
        left = parse_rfc3339(started) + deadline - self.deps.clock.now()
        if left > 0:
            self._retry_within(left)
            return False
        self.deps.recorder.event(pod_reference(obj), NORMAL, DEADLINE_EXCEEDED, DEADLINE_MESSAGE)
        state = await read_pod_state(self.deps.runtime, self.uid)
        grace = spec.terminationGracePeriodSeconds
        await self._kill_pod(
            obj, pod, state, grace=30 if grace is None else grace, events=True, remove=False
        )
        state = await read_pod_state(self.deps.runtime, self.uid)
        inputs = replace(
            self._status_inputs(terminal=True), evicted=(DEADLINE_EXCEEDED, DEADLINE_MESSAGE)
        )
        self._write(lambda old: generate_pod_status(pod, state, old, inputs))
        self.terminal = True
        self.stop_prober()
        await self._finish(obj, pod)
        return True

    def _volume_host(self, obj: JSONObject) -> VolumeHost:
        """What the volume plugins read (the store, the node's allocatable) and where
        the ownership walk's progress events go (this pod)."""
        config = self.deps.config
        node = self._lookup("nodes", "", config.node_name) or {}
        recorder = self.deps.recorder

        def emit(type_: str, reason: str, message: str) -> None:
            recorder.event(pod_reference(self.obj), type_, reason, message)

        return VolumeHost(
            plugins=self.deps.volume_plugins,
            lookup=self._lookup,
            allocatable=dict((node.get("status") or {}).get("allocatable") or {}),
            users=self.deps.volume_users,
            emit=emit,
            walker=OwnershipWalker(
                pod_uid=self.uid,
                emit=emit,
                loop=asyncio.get_running_loop(),
                first_report=config.ownership_first_report,
                report_every=config.ownership_report_every,
            ),
        )

    async def _volumes_ready(self, obj: JSONObject, pod: models.Pod) -> bool:
        """Step 4: plan and set up the volumes once; then, every
        ``volume_resync_period`` and at once when the pod's labels or annotations
        changed (a downwardAPI file shows them; upstream's syncPod reprocesses the
        pod), set up again the ones whose content follows an object (configMap,
        secret, downwardAPI, projected: upstream's remount of ``RequiresRemount``
        plugins), a failure being a ``FailedMount`` event only."""
        config = self.deps.config
        meta = pod.metadata or models.ObjectMeta()
        seen = (dict(meta.labels), dict(meta.annotations))
        if self.volumes is not None:
            now = self.deps.clock.now()
            if seen != self._volume_meta:
                self._volume_meta = seen
                self._volume_resync_at = now
            if now >= self._volume_resync_at and any(p.resync for p in self.volumes):
                self._volume_resync_at = now + config.volume_resync_period
                try:
                    await set_up(
                        self.volumes,
                        pod,
                        self._userns_host_id,
                        host=self._volume_host(obj),
                        only_resync=True,
                    )
                except (VolumeError, OSError) as e:
                    message = e.args[0] if isinstance(e, VolumeError) else str(e)
                    self.deps.recorder.event(pod_reference(obj), WARNING, "FailedMount", message)
            if any(p.resync for p in self.volumes):
                self._retry_within(self._volume_resync_at - now)
            return True
        labels = selinuxplan.plan(
            pod,
            self._lookup,
            config.feature_gates,
            selinux_enabled=self.deps.facts.selinux_enabled,
        )
        for kind, reason, message in labels.events:
            self.deps.recorder.event(pod_reference(obj), kind, reason, message)
        if labels.error:
            return False
        try:
            plans = plan_volumes(pod, config.root_dir, self._lookup, self.deps.volume_plugins)
            host_id = None
            if (pod.spec or models.PodSpec()).hostUsers is False:
                with contextlib.suppress(UsernsExhaustedError):  # the sandbox reports it
                    host_id = self.deps.userns.allocate(self.uid)
            await set_up(plans, pod, host_id, host=self._volume_host(obj))
        except (VolumeError, OSError) as e:
            message = e.args[0] if isinstance(e, VolumeError) else str(e)
            self.deps.recorder.event(pod_reference(obj), WARNING, "FailedMount", message)
            return False
        self.volumes = plans
        self._selinux_relabel = labels.relabel()
        self._userns_host_id = host_id
        self._volume_resync_at = self.deps.clock.now() + config.volume_resync_period
        self._volume_meta = seen
        return True

    async def _create_sandbox(self, obj: JSONObject, pod: models.Pod) -> str | None:
        """RunPodSandbox: the new sandbox's id, or None (Warning FailedCreatePodSandBox)."""
        spec = pod.spec or models.PodSpec()
        host_id = None
        try:
            if spec.hostUsers is False:
                host_id = self.deps.userns.allocate(self.uid)
                await asyncio.to_thread(write_mapping, self.pod_dir, host_id)
            config = self._sandbox_config(obj, pod, host_id)
            self._make_log_dir()
            return await self.deps.runtime.run_pod_sandbox(config)
        except (CRIError, UsernsExhaustedError, OSError) as e:
            message = grpc_error(e) if isinstance(e, CRIError) else str(e)
            self.deps.recorder.event(
                pod_reference(obj),
                WARNING,
                "FailedCreatePodSandBox",
                f"Failed to create pod sandbox: {message}",
            )
            return None

    def _cri_pod(self, pod: models.Pod) -> models.Pod:
        return _with_seccomp_default(pod) if self.deps.config.seccomp_default else pod

    def _sandbox_config(
        self, obj: JSONObject, pod: models.Pod, host_id: int | None
    ) -> PodSandboxConfig:
        spec = pod.spec or models.PodSpec()
        meta = pod.metadata or models.ObjectMeta()
        labels = dict(meta.labels)
        labels.update(
            {
                POD_NAME_LABEL: self.name,
                POD_NAMESPACE_LABEL: self.namespace,
                POD_UID_LABEL: self.uid,
            }
        )
        hostname = spec.hostname or self.name
        if spec.hostNetwork:
            hostname = ""
        return PodSandboxConfig(
            metadata=PodSandboxMetadata(name=self.name, uid=self.uid, namespace=self.namespace),
            pod=self._cri_pod(pod),
            hostname=hostname[:63],
            log_directory=self.log_dir,
            labels=labels,
            annotations=dict(meta.annotations),
            userns_host_id=host_id,
            pod_pids_limit=self.deps.config.pod_pids_limit,
        )

    def _container(self, pod: models.Pod, name: str) -> models.Container:
        spec = pod.spec or models.PodSpec()
        for c in (*spec.initContainers, *spec.containers):
            if c.name == name:
                return c
        raise KeyError(name)

    async def _start_container(
        self, obj: JSONObject, pod: models.Pod, state: PodRuntimeState, name: str
    ) -> None:
        """upstream ``doBackOff`` + ``startContainer``; failures land in the reason cache."""
        deps = self.deps
        container = self._container(pod, name)
        ref = pod_reference(obj, container_field_path(obj, name))
        latest = state.latest(name)
        now = deps.clock.now()
        if latest is not None and latest.state == ContainerState.CONTAINER_EXITED:
            key = f"{self.name}_{self.namespace}_{self.uid}_{name}"
            finished = latest.finished_at / 1e9
            if deps.crash_backoff.in_backoff_since(key, finished, now):
                deps.recorder.event(
                    ref,
                    WARNING,
                    "BackOff",
                    f"Back-off restarting failed container {name} in pod {format_pod(pod)}",
                )
                self._retry_within(deps.crash_backoff.remaining(key, finished, now))
                delay = go_duration(deps.crash_backoff.get(key))
                self.reasons[name] = (
                    CRASH_LOOP_BACK_OFF,
                    f"back-off {delay} restarting failed container={name} pod={format_pod(pod)}",
                )
                return
            deps.crash_backoff.next(key, now, finished)
        auth = pull_auth(container.image or "", self._pull_secrets(obj, pod))
        image = await deps.image_manager.ensure(self.uid, container, ref, auth)
        if image.reason:
            if image.reason == IMAGE_PULL_BACKOFF or image.reason == ERR_IMAGE_PULL:
                self._retry_within(deps.image_manager.retry_in(self.uid, container, now))
            deps.recorder.event(ref, WARNING, "Failed", f"Error: {image.reason}")
            self.reasons[name] = (image.reason, image.message)
            return
        if latest is not None:
            restart_count = latest.metadata.attempt + 1
        else:
            restart_count = restart_count_from_logs(Path(self.log_dir) / name)
        img = image.image
        image_user = kubelet_image_user(
            ImageUser(img.uid if img else None, img.username if img else "")
        )
        spec = pod.spec or models.PodSpec()
        pod_ip = (
            deps.config.node_ip if spec.hostNetwork else (state.sandbox.ip if state.sandbox else "")
        )
        try:
            env = environment(
                pod, container, self._lookup, host_ip=deps.config.node_ip, pod_ip=pod_ip
            )
            # makeMounts (subPaths bind-mounted safely) before verifyRunAsNonRoot
            subpaths = (
                await asyncio.to_thread(
                    prepare_subpaths, container, self.volumes or (), str(self.pod_dir), env
                )
                if any(vm.subPath or vm.subPathExpr for vm in container.volumeMounts)
                else {}
            )
            mounts = container_mounts(
                container, self.volumes or (), subpaths, self._selinux_relabel
            )
            verify_run_as_non_root(pod, container, image_user)
        except (EnvError, SubPathError, RunAsNonRootError) as e:
            deps.recorder.event(ref, WARNING, "Failed", f"Error: {e}")
            self.reasons[name] = (CREATE_CONTAINER_CONFIG_ERROR, str(e))
            return
        sandbox = state.sandbox
        if sandbox is None:
            return
        try:
            termination_log = self._termination_log(container)
        except OSError as e:
            deps.recorder.event(ref, WARNING, "Failed", f"Error: {e}")
            self.reasons[name] = (CREATE_CONTAINER_CONFIG_ERROR, str(e))
            return
        config = self._container_config(
            pod, container, image.image_ref, restart_count, env, mounts, termination_log
        )
        sandbox_config = self._sandbox_config(obj, pod, None)
        try:
            self._make_log_dir(name)
            cid = await deps.runtime.create_container(sandbox.id, config, sandbox_config)
        except (CRIError, OSError) as e:
            message = e.message if isinstance(e, CRIError) else str(e)
            deps.recorder.event(ref, WARNING, "Failed", f"Error: {message}")
            self.reasons[name] = (CREATE_CONTAINER_ERROR, message)
            return
        deps.recorder.event(ref, NORMAL, "Created", f"Created container: {name}")
        try:
            await deps.runtime.start_container(cid)
        except CRIError as e:
            deps.recorder.event(ref, WARNING, "Failed", f"Error: {e.message}")
            self.reasons[name] = (RUN_CONTAINER_ERROR, e.message)
            return
        deps.recorder.event(ref, NORMAL, "Started", f"Started container {name}")
        self.reasons.pop(name, None)

    def _pull_secrets(self, obj: JSONObject, pod: models.Pod) -> list[JSONObject]:
        """The pod's imagePullSecrets that exist; missing ones get upstream's Warning
        ``FailedToRetrieveImagePullSecret``."""
        found, missing = [], []
        for ref in (pod.spec or models.PodSpec()).imagePullSecrets:
            secret = self._lookup("secrets", self.namespace, ref.name or "")
            if secret is None:
                missing.append(ref.name or "")
            else:
                found.append(secret)
        if missing:
            self.deps.recorder.event(
                pod_reference(obj),
                WARNING,
                "FailedToRetrieveImagePullSecret",
                f"Unable to retrieve some image pull secrets ({', '.join(missing)}); "
                "attempting to pull the image may not succeed.",
            )
        return found

    def _make_log_dir(self, container: str = "") -> None:
        """The pod's log directory (``/var/log/pods/<ns>_<name>_<uid>``), or a
        container's in it. Like ``restart_count_from_logs`` and ``_termination_log``,
        a small local filesystem step of the start path run inline: on this kind of
        machine a hand-off to a thread and back costs more than the step."""
        directory = Path(self.log_dir) / container if container else Path(self.log_dir)
        directory.mkdir(0o755, parents=True, exist_ok=True)

    def _termination_log(self, container: models.Container) -> str:
        """The file bound at terminationMessagePath: ``<podDir>/containers/<c>/<8 hex>``,
        mode 0666 (``makeMounts``); "" when the container sets no path."""
        if not container.terminationMessagePath:
            return ""
        directory = self.pod_dir / "containers" / (container.name or "")
        directory.mkdir(mode=0o750, parents=True, exist_ok=True)
        path = directory / f"{secrets.randbits(32):08x}"
        path.touch()
        path.chmod(0o666)
        return str(path)

    def _lookup(self, resource: str, namespace: str, name: str) -> JSONObject | None:
        try:
            return self.deps.store.get(resource, namespace, name)
        except NotFoundError:
            return None

    def _container_config(
        self,
        pod: models.Pod,
        container: models.Container,
        image_ref: str,
        attempt: int,
        env: dict[str, str],
        mounts: tuple[Mount, ...],
        termination_log: str = "",
    ) -> ContainerConfig:
        name = container.name or ""
        envs = tuple(KeyValue(key=k, value=v) for k, v in env.items())
        command, args = expand_command(container, env)
        annotations = {
            RESTART_COUNT_ANNOTATION: str(attempt),
            CONTAINER_HASH_ANNOTATION: container_hash(container),
            TERMINATION_MESSAGE_PATH_ANNOTATION: container.terminationMessagePath or "",
            TERMINATION_MESSAGE_POLICY_ANNOTATION: container.terminationMessagePolicy or "File",
        }
        if termination_log:
            mounts += (
                Mount(
                    container_path=container.terminationMessagePath or "",
                    host_path=termination_log,
                ),
            )
            annotations[TERMINATION_LOG_ANNOTATION] = termination_log
        spec = pod.spec or models.PodSpec()
        return ContainerConfig(
            metadata=ContainerMetadata(name=name, attempt=attempt),
            image=ImageSpec(image=image_ref),
            pod=self._cri_pod(pod),
            container=container,
            command=command,
            args=args,
            working_dir=container.workingDir or "",
            envs=envs,
            mounts=mounts,
            log_path=f"{name}/{attempt}.log",
            stdin=bool(container.stdin),
            stdin_once=bool(container.stdinOnce),
            tty=bool(container.tty),
            labels={
                CONTAINER_NAME_LABEL: name,
                POD_NAME_LABEL: self.name,
                POD_NAMESPACE_LABEL: self.namespace,
                POD_UID_LABEL: self.uid,
            },
            annotations={
                **annotations,
                "io.kubernetes.pod.terminationGracePeriod": str(
                    spec.terminationGracePeriodSeconds
                    if spec.terminationGracePeriodSeconds is not None
                    else 30
                ),
            },
        )

    # -- status ---------------------------------------------------------------------

    def _status_inputs(self, terminal: bool = False) -> StatusInputs:
        return StatusInputs(
            runtime_name=self.deps.runtime_name,
            node_ip=self.deps.config.node_ip,
            now=self.deps.clock.now(),
            reasons=dict(self.reasons),
            readiness=dict(self.prober.ready) if self.prober else {},
            started=dict(self.prober.started) if self.prober else {},
            terminal=terminal,
        )

    def _write_status(
        self, pod: models.Pod, state: PodRuntimeState, terminal: bool = False
    ) -> JSONObject | None:
        inputs = self._status_inputs(terminal)
        return self._write(lambda old: generate_pod_status(pod, state, old, inputs))

    def _write_status_later(self, pod: models.Pod, state: PodRuntimeState) -> None:
        """The status as of now, written ``FIRST_STATUS_DELAY`` later unless a write of
        this worker's comes first (it carries newer news): upstream's status manager
        keeps only the latest status of a pod and writes it from its own goroutine."""
        inputs = self._status_inputs()
        self.cancel_later()
        self._later = asyncio.get_running_loop().call_later(
            FIRST_STATUS_DELAY,
            self._write_later,
            lambda old: generate_pod_status(pod, state, old, inputs),
        )

    def _write_later(self, make: Any) -> None:
        self._later = None
        try:
            self._write(make)
        except Exception:
            log.exception("writing the status of pod %s/%s", self.namespace, self.name)

    def cancel_later(self) -> None:
        """Drop the status ``_write_status_later`` has not written yet."""
        if self._later is not None:
            self._later.cancel()
            self._later = None

    def _write(self, make: Any) -> JSONObject | None:
        """Replace the stored status (fresh read, retry on conflict); spec and metadata
        changes made meanwhile are kept. Returns the status written (or unchanged).
        A status still waiting in ``_write_status_later`` is superseded."""
        self.cancel_later()
        store = self.deps.store
        for _ in range(10):
            try:
                current = store.get("pods", self.namespace, self.name)
            except NotFoundError:
                return None
            meta = current.get("metadata") or {}
            if meta.get("uid") != self.uid:
                return None
            old = current.get("status") or {}
            status: JSONObject = make(old)
            if status == old:
                return status
            live = {**current, "metadata": dict(meta)}
            current["status"] = status
            # As the kubelet's PATCH of pods/status: its entry in managedFields.
            record_update(
                live, current, manager="kubelet", now=self.deps.clock.now(), subresource="status"
            )
            try:
                stored = store.update(
                    "pods",
                    self.namespace,
                    self.name,
                    current,
                    expected_resource_version=meta.get("resourceVersion"),
                )
            except ConflictError:
                continue
            except NotFoundError:
                return None
            self._own_rv = (stored.get("metadata") or {}).get("resourceVersion")
            if not self._deleting():
                self.obj = stored
            return status
        return None

    # -- termination ----------------------------------------------------------------

    async def _kill_pod(
        self,
        obj: JSONObject,
        pod: models.Pod,
        state: PodRuntimeState,
        *,
        grace: int,
        events: bool,
        remove: bool,
    ) -> None:
        running = state.running()
        for cs in running:
            if events:
                name = cs.metadata.name
                ref = pod_reference(obj, container_field_path(obj, name))
                self.deps.recorder.event(ref, NORMAL, "Killing", f"Stopping container {name}")
        results = await asyncio.gather(
            *(self.deps.runtime.stop_container(cs.id, grace) for cs in running),
            return_exceptions=True,
        )
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, CRIError):
                raise r
        if state.sandbox is not None:
            with contextlib.suppress(CRIError):
                await self.deps.runtime.stop_pod_sandbox(state.sandbox.id)
            if remove:
                with contextlib.suppress(CRIError):
                    await self.deps.runtime.remove_pod_sandbox(state.sandbox.id)

    async def _terminate(self, obj: JSONObject, *, remove_object: bool) -> None:
        pod = pod_model(obj)
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = 0 if self.deleted else spec.get("terminationGracePeriodSeconds", 30)
        state = await read_pod_state(self.deps.runtime, self.uid)
        await self._kill_pod(obj, pod, state, grace=int(grace), events=True, remove=False)
        final = await read_pod_state(self.deps.runtime, self.uid)
        if remove_object and not self.terminal:
            self._write_status(pod, final, terminal=True)
        if final.sandbox is not None:
            with contextlib.suppress(CRIError):
                await self.deps.runtime.remove_pod_sandbox(final.sandbox.id)
        await tear_down(str(self.pod_dir), self.volumes or (), self.deps.volume_plugins)
        self.deps.volume_users.release(self.uid)
        # The pod's log directory goes with it, as the kubelet's container GC removes
        # /var/log/pods/<ns>_<name>_<uid> once the pod is gone.
        await asyncio.to_thread(shutil.rmtree, self.log_dir, True)
        self.deps.userns.release(self.uid)
        self.deps.crash_backoff.forget(f"{self.name}_{self.namespace}_{self.uid}_")
        self.deps.image_manager.forget(self.uid)
        self.stop_prober()
        if remove_object:
            self._delete_object()

    def _delete_object(self) -> None:
        store = self.deps.store
        for _ in range(10):
            try:
                current = store.get("pods", self.namespace, self.name)
            except NotFoundError:
                return
            meta = current.get("metadata") or {}
            if meta.get("uid") != self.uid:
                return
            try:
                store.delete(
                    "pods",
                    self.namespace,
                    self.name,
                    expected_resource_version=meta.get("resourceVersion"),
                )
            except ConflictError:
                continue
            except NotFoundError:
                return
            return
