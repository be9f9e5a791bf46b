"""The kubelet: registers the node, binds and runs this node's pods, serves logs/exec.

Role: the embedded node agent (as k3s embeds one), talking to the store directly and
to the runtime only through the CRI Protocols.

Steps of ``start``:
1. ask the runtime its version (the node's containerRuntimeVersion and the
   ``<runtime>://`` prefix of container ids); probe the host once (``hostinfo``);
2. register the node object (a refused write, e.g. a full disk, is logged: the
   heartbeat registers it later) and start the heartbeat task and the node lease task
   (``kube-node-lease/<node>`` renewed every 10 s, ``nodelease``);
3. list the pods; remove the sandboxes of pods that are gone (deleted while no kubelet
   ran); read back the userns ranges of the pods left; start the watch task from that
   resourceVersion; every pod seen goes through ``_handle``: unbound pods are bound
   (``Binder``), pods bound to this node get a worker (one asyncio task per UID),
   deleted ones tell theirs;
4. start the container log manager (``logrotation``) unless ``containerLogMaxSize``
   is negative.
``stop`` cancels the watch, the heartbeat, the lease and the workers (containers keep running,
as with a restarted kubelet).
Callers: seclet.cli.server, tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from pathlib import Path

from seclet.cri.errors import CRIError
from seclet.cri.services import ImageService, RuntimeService
from seclet.host.facts import NodeFacts
from seclet.kubelet.backoff import Backoff
from seclet.kubelet.binder import Binder, needs_binding
from seclet.kubelet.clock import Clock, SystemClock
from seclet.kubelet.config import KubeletConfig
from seclet.kubelet.events import EventRecorder
from seclet.kubelet.hostinfo import HostInfo, probe_host_info
from seclet.kubelet.images import ImageManager
from seclet.kubelet.logrotation import ContainerLogManager, LogRotatePolicy
from seclet.kubelet.node import NodeStatusAgent
from seclet.kubelet.nodelease import NodeLeaseController
from seclet.kubelet.runtimestate import POD_UID_LABEL
from seclet.kubelet.server import KubeletServer
from seclet.kubelet.userns import UsernsAllocator, recorded_mappings
from seclet.kubelet.volume.plugin import PluginTable
from seclet.kubelet.volumes import default_plugins, tear_down
from seclet.kubelet.worker import PodWorker, WorkerDeps
from seclet.store.api import GoneError, JSONObject, Store, StoreError, WatchEvent

log = logging.getLogger(__name__)


class Kubelet:
    def __init__(
        self,
        store: Store,
        runtime: RuntimeService,
        images: ImageService,
        config: KubeletConfig,
        node: NodeFacts,
        clock: Clock | None = None,
        host: HostInfo | None = None,
        volume_plugins: PluginTable | None = None,
    ) -> None:
        self.store = store
        self.volume_plugins: PluginTable = (
            default_plugins() if volume_plugins is None else volume_plugins
        )
        """The volume plugin table (a test adds its own, e.g. a ``csi`` driver)."""
        self.runtime = runtime
        self.images = images
        self.config = config
        self.node = node
        self.clock: Clock = clock or SystemClock()
        self.host = host
        """None: probed at start (tests pass a fixed value)."""
        self.recorder = EventRecorder(store, self.clock, "kubelet", config.node_name)
        self.binder = Binder(store, self.clock, config.node_name)
        self.workers: dict[str, PodWorker] = {}
        self.node_agent: NodeStatusAgent | None = None
        self.lease: NodeLeaseController | None = None
        self.server = KubeletServer(store, runtime, self.clock, config.node_name)
        self._deps: WorkerDeps | None = None
        self.log_manager: ContainerLogManager | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def node_client(self) -> KubeletServer:
        """The ``seclet.nodeapi.NodeClient`` the apiserver uses for logs and exec."""
        return self.server

    async def start(self) -> None:
        """The steps above."""
        version = await self.runtime.version()
        if self.host is None:
            self.host = await asyncio.to_thread(probe_host_info, self.config.root_dir)
        self._deps = WorkerDeps(
            store=self.store,
            runtime=self.runtime,
            images=self.images,
            config=self.config,
            clock=self.clock,
            recorder=self.recorder,
            image_manager=ImageManager(
                self.images,
                self.recorder,
                self.clock,
                Backoff(self.config.image_backoff_initial, self.config.image_backoff_max),
            ),
            crash_backoff=Backoff(self.config.backoff_initial, self.config.backoff_max),
            userns=UsernsAllocator(self.config.userns_first_id, self.config.userns_length),
            runtime_name=version.runtime_name,
            facts=self.node,
            volume_plugins=self.volume_plugins,
        )
        self.node_agent = NodeStatusAgent(
            self.store, self.clock, self.config, self.node, self.host, version
        )
        try:
            self.node_agent.register()
        except StoreError:
            # a full disk at start: the heartbeat registers the node once writes succeed
            log.exception("registering node %s", self.config.node_name)
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="kubelet-heartbeat"))
        self.lease = NodeLeaseController(self.store, self.clock, self.config.node_name)
        self._tasks.append(asyncio.create_task(self.lease.run(), name="kubelet-node-lease"))
        listed = self.store.list("pods")
        await self._remove_orphans(listed.items)
        pods_dir = Path(self.config.root_dir) / "pods"
        for uid, host_id in (await asyncio.to_thread(recorded_mappings, pods_dir)).items():
            self._deps.userns.record(uid, host_id)
        for obj in listed.items:
            self._handle("ADDED", obj)
        self._tasks.append(
            asyncio.create_task(self._watch(listed.resource_version), name="kubelet-watch")
        )
        if self.config.container_log_max_size >= 0:
            self.log_manager = ContainerLogManager(
                self.runtime,
                LogRotatePolicy(
                    self.config.container_log_max_size, self.config.container_log_max_files
                ),
                self.clock,
                self.config.container_log_monitor_interval,
                self.config.container_log_max_workers,
            )
            self._tasks.append(
                asyncio.create_task(self.log_manager.run(), name="kubelet-log-rotation")
            )

    async def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop_prober()
            worker.cancel_later()
        tasks = [*self._tasks, *(w.task for w in self.workers.values() if w.task is not None)]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self.workers.clear()
        await self.binder.close()  # its watch of claims, volumes and the Node

    async def _heartbeat(self) -> None:
        while True:
            await self.clock.sleep(self.config.node_status_update_frequency)
            if self.node_agent is not None:
                try:
                    self.node_agent.heartbeat()
                except Exception:
                    log.exception("node heartbeat")

    async def _watch(self, since: int) -> None:
        while True:
            try:
                async for event in self.store.watch("pods", None, since):
                    since = event.resource_version
                    self._on_event(event)
                return
            except GoneError:
                listed = self.store.list("pods")
                for obj in listed.items:
                    self._handle("MODIFIED", obj)
                since = listed.resource_version

    def _on_event(self, event: WatchEvent) -> None:
        try:
            self._handle(event.type, event.object)
        except Exception:
            log.exception("handling pod event")

    def _handle(self, type_: str, obj: JSONObject) -> None:
        meta = obj.get("metadata") or {}
        uid = meta.get("uid", "")
        if type_ == "DELETED":
            worker = self.workers.get(uid)
            if worker is not None:
                worker.update(None)
            self.recorder.forget(uid)
            return
        if needs_binding(obj):
            self.binder.bind(obj)
            return
        if (obj.get("spec") or {}).get("nodeName") != self.config.node_name:
            return
        worker = self.workers.get(uid)
        if worker is None:
            assert self._deps is not None
            worker = PodWorker(self._deps, obj)
            self.workers[uid] = worker
            task = worker.start()
            task.add_done_callback(functools.partial(self._finished, uid))
            return
        worker.update(obj)

    async def _remove_orphans(self, pods: list[JSONObject]) -> None:
        """Sandboxes (and their containers) of pods no longer in the store, left by a
        kubelet that stopped before their deletion: stop and remove them, as
        ``HandlePodCleanups`` kills orphaned pods."""
        known = {(p.get("metadata") or {}).get("uid") for p in pods}
        for sandbox in await self.runtime.list_pod_sandbox():
            uid = sandbox.labels.get(POD_UID_LABEL) or sandbox.metadata.uid
            if uid in known:
                continue
            try:
                await self.runtime.stop_pod_sandbox(sandbox.id)
                await self.runtime.remove_pod_sandbox(sandbox.id)
            except CRIError:
                log.exception("removing orphaned sandbox %s", sandbox.id)
            await tear_down(str(Path(self.config.root_dir) / "pods" / uid))

    def _finished(self, uid: str, _task: asyncio.Task[None]) -> None:
        worker = self.workers.get(uid)
        if worker is not None and worker.done:
            del self.workers[uid]
