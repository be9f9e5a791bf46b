"""An in-memory ``Store``: the store contract without a disk, for fast tests.

Role: implements ``seclet.store.api.Store`` with dicts, one global resourceVersion
counter and a bounded history of changes from which watches replay (older versions
answer ``GoneError``, as a compacted etcd or SQLite store does). Live watchers get
changes through one ``asyncio.Queue`` each; every method runs on the event loop's
thread (the API server calls the store from its handlers).
Callers: the API server's tests, ``seclet server --store memory`` (none yet by default).
"""

from __future__ import annotations

import asyncio
import copy
from collections import deque
from collections.abc import AsyncIterator

from seclet.store.api import (
    AlreadyExistsError,
    ConflictError,
    EventType,
    GoneError,
    JSONObject,
    ListResult,
    NotFoundError,
    WatchEvent,
)

Key = tuple[str, str, str]


class MemoryStore:
    """Objects in dicts; ``history`` bounds how far back a watch may resume."""

    def __init__(self, history: int = 10_000) -> None:
        self._objects: dict[Key, JSONObject] = {}
        self._rv = 0
        self._history: deque[tuple[str, WatchEvent]] = deque(maxlen=history)
        self._compacted = 0
        """Every version <= this one has left the history."""
        self._watchers: list[tuple[str, str | None, asyncio.Queue[WatchEvent | None]]] = []
        self._closed = False

    def _record(self, type_: EventType, resource: str, obj: JSONObject) -> None:
        event = WatchEvent(type_, copy.deepcopy(obj), self._rv)
        if len(self._history) == self._history.maxlen:
            self._compacted = self._history[0][1].resource_version
        self._history.append((resource, event))
        for res, ns, queue in self._watchers:
            if res == resource and (ns is None or ns == _namespace_of(obj)):
                queue.put_nowait(event)

    def _stamp(self, obj: JSONObject) -> JSONObject:
        self._rv += 1
        stored = copy.deepcopy(obj)
        meta = stored.setdefault("metadata", {})
        meta["resourceVersion"] = str(self._rv)
        return stored

    def create(self, resource: str, namespace: str, name: str, obj: JSONObject) -> JSONObject:
        key = (resource, namespace, name)
        if key in self._objects:
            raise AlreadyExistsError(f"{resource} {namespace}/{name}")
        stored = self._stamp(obj)
        self._objects[key] = stored
        self._record("ADDED", resource, stored)
        return copy.deepcopy(stored)

    def get(self, resource: str, namespace: str, name: str) -> JSONObject:
        try:
            return copy.deepcopy(self._objects[(resource, namespace, name)])
        except KeyError:
            raise NotFoundError(f"{resource} {namespace}/{name}") from None

    def list(self, resource: str, namespace: str | None = None) -> ListResult:
        items = [
            copy.deepcopy(obj)
            for (res, ns, _), obj in sorted(self._objects.items(), key=lambda kv: kv[0])
            if res == resource and (namespace is None or ns == namespace)
        ]
        return ListResult(items, self._rv)

    def _existing(
        self, key: Key, expected_resource_version: str | None
    ) -> JSONObject:
        current = self._objects.get(key)
        if current is None:
            raise NotFoundError(f"{key[0]} {key[1]}/{key[2]}")
        if (
            expected_resource_version is not None
            and current["metadata"]["resourceVersion"] != expected_resource_version
        ):
            raise ConflictError(f"{key[0]} {key[1]}/{key[2]}")
        return current

    def update(
        self,
        resource: str,
        namespace: str,
        name: str,
        obj: JSONObject,
        expected_resource_version: str | None = None,
    ) -> JSONObject:
        key = (resource, namespace, name)
        self._existing(key, expected_resource_version)
        stored = self._stamp(obj)
        self._objects[key] = stored
        self._record("MODIFIED", resource, stored)
        return copy.deepcopy(stored)

    def delete(
        self,
        resource: str,
        namespace: str,
        name: str,
        expected_resource_version: str | None = None,
    ) -> JSONObject:
        key = (resource, namespace, name)
        current = self._existing(key, expected_resource_version)
        del self._objects[key]
        last = self._stamp(current)
        self._record("DELETED", resource, last)
        return copy.deepcopy(last)

    def current_resource_version(self) -> int:
        return self._rv

    async def watch(
        self, resource: str, namespace: str | None, since: int
    ) -> AsyncIterator[WatchEvent]:
        if since < self._compacted:
            raise GoneError(f"too old resource version: {since} ({self._compacted + 1})")
        queue: asyncio.Queue[WatchEvent | None] = asyncio.Queue()
        for res, event in self._history:
            if (
                event.resource_version > since
                and res == resource
                and (namespace is None or _namespace_of(event.object) == namespace)
            ):
                queue.put_nowait(event)
        if self._closed:
            queue.put_nowait(None)
        entry = (resource, namespace, queue)
        self._watchers.append(entry)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                yield item
        finally:
            self._watchers.remove(entry)

    def close(self) -> None:
        self._closed = True
        for _, _, queue in self._watchers:
            queue.put_nowait(None)


def _namespace_of(obj: JSONObject) -> str:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or "")

