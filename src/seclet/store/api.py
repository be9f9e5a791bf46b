"""The object store's contract: what the API server may ask of storage.

Role: the seam between the API server and the embedded SQLite store (as etcd is for
kube-apiserver): objects are JSON-like dicts keyed by (resource, namespace, name);
every write gets the next value of one global, strictly increasing resourceVersion;
watches replay from a resourceVersion and then follow live writes, or fail with
``GoneError`` when that version has been compacted away (HTTP 410 Expired).
Callers: ``seclet.store.sqlite`` (implements it), the API server, tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

JSONObject = dict[str, Any]
EventType = Literal["ADDED", "MODIFIED", "DELETED"]


class StoreError(Exception):
    """Base of the store's refusals; the API server maps each to a metav1.Status."""


class NotFoundError(StoreError):
    """No object with that key (404 NotFound)."""


class AlreadyExistsError(StoreError):
    """An object with that key exists (409 AlreadyExists)."""


class ConflictError(StoreError):
    """The caller's resourceVersion precondition does not match (409 Conflict)."""


class GoneError(StoreError):
    """The requested resourceVersion is older than the oldest one kept (410 Expired)."""


class StorageError(StoreError):
    """The backing storage failed (a full disk, an I/O error): nothing was written and
    what was stored before is intact. kube-apiserver answers a failing etcd with 500
    InternalError ``Internal error occurred: <the storage's message>``; the message here
    is SQLite's (``database or disk is full``)."""


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change: the object as stored after it (for DELETED: as it was, with the
    deletion's resourceVersion)."""

    type: EventType
    object: JSONObject
    resource_version: int


@dataclass(frozen=True, slots=True)
class ListResult:
    """Items in (namespace, name) order, and the store's resourceVersion they reflect."""

    items: list[JSONObject]
    resource_version: int


class Store(Protocol):
    """Storage of API objects. Keys: ``resource`` (plural, e.g. ``pods``), ``namespace``
    (``""`` for cluster-scoped resources), ``name``.

    The store owns ``metadata.resourceVersion`` (a decimal string of the write's
    version); the API server owns every other field (uid, creationTimestamp, ...).
    """

    def create(self, resource: str, namespace: str, name: str, obj: JSONObject) -> JSONObject:
        """Store a new object; return it with its resourceVersion. AlreadyExistsError."""
        ...

    def get(self, resource: str, namespace: str, name: str) -> JSONObject:
        """The current object. NotFoundError."""
        ...

    def list(self, resource: str, namespace: str | None = None) -> ListResult:
        """Every object of ``resource`` (in ``namespace``, or all when None)."""
        ...

    def update(
        self,
        resource: str,
        namespace: str,
        name: str,
        obj: JSONObject,
        expected_resource_version: str | None = None,
    ) -> JSONObject:
        """Replace an object; with ``expected_resource_version``, only if it still
        matches. NotFoundError, ConflictError."""
        ...

    def delete(
        self,
        resource: str,
        namespace: str,
        name: str,
        expected_resource_version: str | None = None,
    ) -> JSONObject:
        """Remove an object; return its last state (with the deletion's
        resourceVersion). NotFoundError, ConflictError."""
        ...

    def current_resource_version(self) -> int:
        """The resourceVersion of the newest write (0 for an empty store)."""
        ...

    def watch(
        self, resource: str, namespace: str | None, since: int
    ) -> AsyncIterator[WatchEvent]:
        """Every change after ``since`` (replayed, then live), in resourceVersion order,
        none lost or repeated. ``GoneError`` if ``since`` is older than what is kept. The
        iterator ends when the store closes."""
        ...

    def close(self) -> None:
        """Flush and stop; live watches end."""
        ...
