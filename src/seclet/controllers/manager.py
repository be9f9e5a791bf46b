"""The controller manager: one watch per resource, work queues, one worker, resyncs.

Role: what kube-controller-manager's shared informers and work queues give its
controllers, over the ``Store``: ``run`` lists and watches every resource some
controller asked for (``Controller.resources``), hands each change to the controllers'
``observe`` (which queue keys; ``object_key``, ``queue_all`` and ``get_by_key`` are
the informer's key function and lister for them), and a single worker drains the
queues in turn (controllers are not reentrant, like upstream's one-worker queues).
Every ``resync_period`` (the PV controller's ``--pvclaimbinder-sync-period``, 15 s)
each controller re-queues everything. A failed sync is retried at the next resync; a
version conflict (someone wrote first) is retried after ``conflict_retry``.
Steps of ``run``: 1. for each resource, list (controllers observe every object as
ADDED) and start its watch from that resourceVersion (a compacted watch relists);
2. start the resync timer; 3. loop: wait for queued work, drain each controller.
``stop`` cancels the tasks.
Callers: seclet.cli.server (``seclet server``), tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from seclet.controllers.clock import Clock
from seclet.store.api import ConflictError, GoneError, JSONObject, NotFoundError, Store

log = logging.getLogger(__name__)

RESYNC_PERIOD = 15.0
"""``--pvclaimbinder-sync-period`` default."""


class WorkQueue:
    """Keys to sync, each once, in arrival order."""

    def __init__(self) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> None:
        self._keys[key] = None

    def pop(self) -> str | None:
        if not self._keys:
            return None
        key, _ = self._keys.popitem(last=False)
        return key

    def __len__(self) -> int:
        return len(self._keys)


def object_key(obj: JSONObject) -> str:
    """``cache.MetaNamespaceKeyFunc``: ``namespace/name``, or ``name`` when cluster-scoped."""
    meta = obj.get("metadata") or {}
    name = str(meta.get("name", ""))
    namespace = meta.get("namespace")
    return f"{namespace}/{name}" if namespace else name


def queue_all(store: Store, resource: str, queue: WorkQueue) -> None:
    """Queue the key of every ``resource`` object (a controller's periodic resync)."""
    for obj in store.list(resource).items:
        queue.add(object_key(obj))


def get_by_key(store: Store, resource: str, key: str) -> JSONObject | None:
    """The lister's ``Get`` of a queued key (``cache.SplitMetaNamespaceKey``): the
    object, or None once it is gone (a deleted object's key is dropped)."""
    namespace, _, name = key.rpartition("/")
    try:
        return store.get(resource, namespace, name)
    except NotFoundError:
        return None


class Controller(Protocol):
    name: str
    resources: tuple[str, ...]

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        """Queue what a change of ``obj`` makes worth syncing."""
        ...

    def resync(self) -> None:
        """Queue everything (the periodic resync)."""
        ...

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        """Each queue with the sync that handles its keys."""
        ...


class ControllerManager:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        controllers: Sequence[Controller],
        resync_period: float = RESYNC_PERIOD,
        conflict_retry: float = 0.05,
    ) -> None:
        self.store = store
        self.clock = clock
        self.controllers = list(controllers)
        self.resync_period = resync_period
        self.conflict_retry = conflict_retry
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        """List every resource (synchronously: the controllers see the current state
        before ``start`` returns), then start the watches, resync and worker tasks."""
        resources = sorted({r for c in self.controllers for r in c.resources})
        for resource in resources:
            since = self._list(resource)
            self._tasks.append(
                asyncio.create_task(self._watch(resource, since), name=f"controllers-{resource}")
            )
        self._tasks.append(asyncio.create_task(self._resync(), name="controllers-resync"))
        self._tasks.append(asyncio.create_task(self._work(), name="controllers-worker"))
        self.wake()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    def _list(self, resource: str) -> int:
        listed = self.store.list(resource)
        for obj in listed.items:
            self._dispatch(resource, "ADDED", obj)
        return listed.resource_version

    def _dispatch(self, resource: str, type_: str, obj: JSONObject) -> None:
        for controller in self.controllers:
            if resource in controller.resources:
                try:
                    controller.observe(resource, type_, obj)
                except Exception:
                    log.exception("%s: observing %s", controller.name, resource)
        self.wake()

    async def _watch(self, resource: str, since: int) -> None:
        while True:
            try:
                async for event in self.store.watch(resource, None, since):
                    since = event.resource_version
                    self._dispatch(resource, event.type, event.object)
                return
            except GoneError:
                since = self._list(resource)

    async def _resync(self) -> None:
        while True:
            await self.clock.sleep(self.resync_period)
            for controller in self.controllers:
                try:
                    controller.resync()
                except Exception:
                    log.exception("%s: resync", controller.name)
            self.wake()

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.drain()

    async def drain(self) -> None:
        """Sync every queued key (keys queued meanwhile too) until the queues are empty."""
        busy = True
        while busy:
            busy = False
            for controller in self.controllers:
                for queue, sync in controller.queues():
                    key = queue.pop()
                    while key is not None:
                        busy = True
                        await self._sync_one(controller, queue, sync, key)
                        key = queue.pop()

    async def _sync_one(
        self,
        controller: Controller,
        queue: WorkQueue,
        sync: Callable[[str], Awaitable[None]],
        key: str,
    ) -> None:
        try:
            await sync(key)
        except ConflictError:
            log.debug("%s: conflict syncing %s; retrying", controller.name, key)
            asyncio.get_running_loop().call_later(
                self.conflict_retry, self._requeue, queue, key
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: syncing %s", controller.name, key)

    def _requeue(self, queue: WorkQueue, key: str) -> None:
        queue.add(key)
        self.wake()
