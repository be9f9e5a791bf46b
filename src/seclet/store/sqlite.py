"""The embedded object store: SQLite in WAL mode, one global resourceVersion, watch.

Role: implements ``seclet.store.api.Store`` the way k3s's kine serves kube-apiserver
from SQLite. Callers: the API server (``seclet server``), ``bench.store``, tests.

Layout (schema version 1, ``PRAGMA user_version``):

- ``objects(resource, namespace, name, resource_version, data)``: the current state,
  ``data`` the object's JSON with ``metadata.resourceVersion`` already set;
- ``events(resource_version PRIMARY KEY, type, resource, namespace, name, data)``: an
  append-only log of every write, the source of watch replay; compaction deletes all but
  the newest ``compaction_keep`` rows (every ``compaction_interval`` writes, inside the
  write's own transaction);
- ``meta(key, value)``: ``compacted`` (the newest resourceVersion deleted from the log;
  watching from before it is ``GoneError``) and ``resource_version``, a floor of the
  counter written at each compaction and at close.

The counter is the newest logged event: compaction always keeps at least one, so at
open it is ``max(events, objects, meta floor)`` and a version is never reused, without a
counter row rewritten (one more 4 KiB WAL page, about a fifth of a write's cost) on
every write. Every create, update and delete is one transaction that takes the next
resourceVersion, writes the object row and appends the event; the counter advances in
memory only after COMMIT, so a refused or failed write never consumes a version.
A write the storage refuses (a full disk: SQLite's ``SQLITE_FULL``; an I/O error) is
rolled back and raised as ``StorageError`` with SQLite's message; the connection stays
usable, so writes succeed again once space returns, and reads keep working meanwhile.
An update that changes nothing is not a write (as etcd3's ``GuaranteedUpdate``): the
stored object comes back with its old resourceVersion and no event is logged.

Threading: the store is used from ONE thread, the asyncio event loop's (SQLite's
``check_same_thread`` enforces it). Calls are short synchronous SQLite statements; live
watch fan-out is ``put_nowait`` on one bounded ``asyncio.Queue`` per watcher, so a
writer never blocks on a watcher. A watcher whose queue overflows is not ended: it
drops its queue and catches up from the event log (bounded pages) before following live
writes again; only if compaction has removed events it has not yet delivered does its
iterator raise ``GoneError`` (the API server maps it to 410 Expired). Event objects are
decoded once per write and shared by every watcher: treat them as read-only.

One process owns a store file at a time (an exclusive ``flock`` on ``<path>.lock``), so
the in-memory counter can never be raced by another writer. Files are created 0600 and
a missing data directory 0700 (Secrets are stored here).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any, Final, cast

from seclet.store.api import (
    AlreadyExistsError,
    ConflictError,
    EventType,
    GoneError,
    JSONObject,
    ListResult,
    NotFoundError,
    StorageError,
    StoreError,
    WatchEvent,
)

SCHEMA_VERSION: Final = 1
MEMORY: Final = ":memory:"
REPLAY_PAGE: Final = 256

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    resource TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    resource_version INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (resource, namespace, name)
);
CREATE TABLE IF NOT EXISTS events (
    resource_version INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    resource TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('resource_version', 0), ('compacted', 0);
"""

_COMPACT_SEPARATORS: Final = (",", ":")


class StoreOpenError(StoreError):
    """The store file cannot be opened: unreadable, corrupt, another schema, or held by
    another process."""


class StoreClosedError(StoreError):
    """The store has been closed."""


def _encode(obj: JSONObject) -> str:
    return json.dumps(obj, separators=_COMPACT_SEPARATORS, ensure_ascii=False)


def _with_rv(obj: JSONObject, rv: int) -> JSONObject:
    """A shallow copy of ``obj`` whose ``metadata`` (a new dict) carries ``rv``."""
    meta = obj.get("metadata")
    new_meta: dict[str, Any] = dict(meta) if isinstance(meta, dict) else {}
    new_meta["resourceVersion"] = str(rv)
    out = dict(obj)
    out["metadata"] = new_meta
    return out


def _too_old(since: int, compacted: int) -> GoneError:
    # kube-apiserver's watch cache words it so: the oldest kept version minus one.
    return GoneError(f"too old resource version: {since} ({compacted})")


_STORAGE_ERRORS: Final = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN")


def _open_error(target: str, e: sqlite3.Error) -> StoreOpenError:
    """A full or failing disk says so; anything else may be a corrupt or foreign file."""
    name = getattr(e, "sqlite_errorname", "") or ""
    if name.startswith(_STORAGE_ERRORS):
        return StoreOpenError(f"cannot open store {target}: {e} ({name}; is its disk full?)")
    return StoreOpenError(f"cannot read store {target} (corrupt or not a seclet store?): {e}")


def _prepare_files(path: Path) -> None:
    """Create the data directory (0700) and the database file (0600) before SQLite
    does, and tighten an existing file and its WAL/SHM companions to 0600."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    os.close(fd)
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            if p.stat().st_mode & 0o077:
                p.chmod(0o600)


class _Watcher:
    """One watch's live subscription: a filter and a bounded queue the store fills."""

    __slots__ = ("closed", "namespace", "overflowed", "queue", "resource")

    def __init__(self, resource: str, namespace: str | None, size: int) -> None:
        self.resource = resource
        self.namespace = namespace
        self.queue: asyncio.Queue[WatchEvent | None] = asyncio.Queue(size)
        self.overflowed = False
        self.closed = False


class Watch(AsyncIterator[WatchEvent]):
    """The iterator ``SQLiteStore.watch`` returns: replay from the log, then live.

    Subscribed (live) from the moment it is created, so nothing written after the
    ``watch`` call is missed however late iteration starts; replay covers the versions
    up to that moment, and every event is delivered once, in resourceVersion order
    (``cursor`` is the last version delivered; anything at or below it is skipped).
    Ends when the store closes or on ``aclose()``; usable as ``async with``.
    """

    def __init__(
        self, store: SQLiteStore, resource: str, namespace: str | None, since: int
    ) -> None:
        self._store = store
        self._resource = resource
        self._namespace = namespace
        self.cursor = since
        self._pending: list[WatchEvent] = []
        self._done = False
        self._subscribe()

    def _subscribe(self) -> None:
        # Synchronous with respect to writes (one thread): every write after this line
        # lands in the new queue, every write up to ``_replay_to`` is in the log.
        self._watcher = self._store._subscribe(self._resource, self._namespace)
        self._replay_to = self._store.current_resource_version()

    def __aiter__(self) -> Watch:
        return self

    async def __anext__(self) -> WatchEvent:
        while not self._done:
            w = self._watcher
            if w.closed or self._store.closed:
                break
            if self._pending:
                ev = self._pending.pop()
                self.cursor = ev.resource_version
                return ev
            if self.cursor < self._replay_to:
                try:
                    self._pending = self._store._replay(
                        self._resource, self._namespace, self.cursor, self._replay_to
                    )
                except GoneError:
                    self.close()
                    raise
                if not self._pending:
                    self.cursor = self._replay_to
                self._pending.reverse()
                continue
            if w.overflowed:
                # Fell too far behind: catch up from the log, then follow live again.
                self._subscribe()
                continue
            ev_or_end = await w.queue.get()
            if ev_or_end is None:
                break
            if ev_or_end.resource_version > self.cursor:
                self.cursor = ev_or_end.resource_version
                return ev_or_end
        await self.aclose()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop following writes; the iterator ends."""
        self.close()

    def close(self) -> None:
        """Synchronous ``aclose``."""
        self._done = True
        self._pending = []
        self._store._unsubscribe(self._watcher)

    async def __aenter__(self) -> Watch:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SQLiteStore:
    """``seclet.store.api.Store`` on one SQLite file (or ``":memory:"``).

    ``compaction_keep``: events kept for watch replay (at least 1);
    ``compaction_interval``: writes between compactions;
    ``watch_queue_size``: live events buffered per watcher before it falls back to
    catching up from the log; ``integrity_check``: run ``PRAGMA quick_check`` at open.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        compaction_keep: int = 1000,
        compaction_interval: int = 100,
        watch_queue_size: int = 1024,
        integrity_check: bool = False,
    ) -> None:
        if compaction_keep < 1:
            raise ValueError("compaction_keep must be at least 1")
        if compaction_interval < 1 or watch_queue_size < 1:
            raise ValueError("compaction_interval and watch_queue_size must be positive")
        self.path = path if str(path) == MEMORY else Path(path)
        self._keep = compaction_keep
        self._interval = compaction_interval
        self._queue_size = watch_queue_size
        self._writes = 0
        self._closed = False
        self._watchers: dict[str, set[_Watcher]] = {}
        self._lock_fd: int | None = None
        try:
            self._db = self._open(integrity_check)
        except BaseException:
            self._release_lock()
            raise
        self._rv, self._compacted = self._load_counters()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._compacted = self._compact(self._rv)
            self._db.execute("COMMIT")
        except sqlite3.Error as e:
            self._db.close()
            self._release_lock()
            raise _open_error(str(self.path), e) from e

    # -- opening ---------------------------------------------------------------------

    def _open(self, integrity_check: bool) -> sqlite3.Connection:
        if isinstance(self.path, Path):
            try:
                _prepare_files(self.path)
                self._take_lock(self.path)
            except OSError as e:
                raise StoreOpenError(f"cannot open store {self.path}: {e}") from e
        target = str(self.path)
        try:
            db = sqlite3.connect(target, isolation_level=None)
        except sqlite3.Error as e:
            raise StoreOpenError(f"cannot open store {target}: {e}") from e
        try:
            db.execute("PRAGMA journal_mode=WAL").fetchone()
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=OFF")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise StoreOpenError(
                    f"store {target} has schema version {version}; this seclet reads "
                    f"version {SCHEMA_VERSION}"
                )
            if integrity_check:
                result = db.execute("PRAGMA quick_check").fetchone()[0]
                if result != "ok":
                    raise StoreOpenError(f"store {target} failed its integrity check: {result}")
            if version == 0:
                db.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
        except sqlite3.Error as e:
            db.close()
            raise _open_error(target, e) from e
        except BaseException:
            db.close()
            raise
        return db

    def _take_lock(self, path: Path) -> None:
        lock_path = f"{path}.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreOpenError(
                f"store {path} is in use by another process (lock {lock_path})"
            ) from None
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None

    def _load_counters(self) -> tuple[int, int]:
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            rv = int(meta["resource_version"])
            compacted = int(meta["compacted"])
            # Defensive: never hand out a version already used by a row.
            (max_event,) = self._db.execute("SELECT MAX(resource_version) FROM events").fetchone()
            (max_obj,) = self._db.execute("SELECT MAX(resource_version) FROM objects").fetchone()
        except (sqlite3.Error, KeyError, ValueError, TypeError) as e:
            self._db.close()
            self._release_lock()
            raise StoreOpenError(f"cannot read store {self.path}: {e}") from e
        return max(rv, max_event or 0, max_obj or 0), compacted

    # -- writes ----------------------------------------------------------------------

    def _write(
        self,
        rv: int,
        type_: EventType,
        resource: str,
        namespace: str,
        name: str,
        data: str,
        sql: str,
        params: tuple[object, ...],
    ) -> None:
        """One write as one transaction: the object statement, the logged event, the
        counter, and (every ``compaction_interval`` writes) compaction; then, after
        COMMIT, the in-memory counters and live fan-out."""
        self._check_open()
        db = self._db
        compacted = self._compacted
        compact_now = self._writes + 1 >= self._interval
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(sql, params)
                db.execute(
                    "INSERT INTO events (resource_version, type, resource, namespace, name, "
                    "data) VALUES (?, ?, ?, ?, ?, ?)",
                    (rv, type_, resource, namespace, name, data),
                )
                if compact_now:
                    compacted = self._compact(rv)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                raise
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as e:
            # SQLITE_FULL, SQLITE_IOERR, ...: the transaction is rolled back (or was
            # never begun), no version consumed, no event fanned out
            raise StorageError(str(e)) from None
        self._rv = rv
        self._writes = 0 if compact_now else self._writes + 1
        self._compacted = compacted
        self._fan_out(rv, type_, resource, namespace, data)

    def _compact(self, rv: int) -> int:
        """Inside a transaction: drop all but the newest ``compaction_keep`` events as of
        ``rv``; return the new ``compacted`` version."""
        floor = rv - self._keep
        if floor <= self._compacted:
            return self._compacted
        self._db.execute("DELETE FROM events WHERE resource_version <= ?", (floor,))
        self._db.execute("UPDATE meta SET value = ? WHERE key = 'compacted'", (floor,))
        self._db.execute("UPDATE meta SET value = ? WHERE key = 'resource_version'", (rv,))
        return floor

    def create(self, resource: str, namespace: str, name: str, obj: JSONObject) -> JSONObject:
        """Store a new object; return it with its resourceVersion. AlreadyExistsError."""
        rv = self._rv + 1
        out = _with_rv(obj, rv)
        data = _encode(out)
        try:
            self._write(
                rv,
                "ADDED",
                resource,
                namespace,
                name,
                data,
                "INSERT INTO objects (resource, namespace, name, resource_version, data) "
                "VALUES (?, ?, ?, ?, ?)",
                (resource, namespace, name, rv, data),
            )
        except sqlite3.IntegrityError:
            raise AlreadyExistsError(f"{resource} {namespace}/{name} already exists") from None
        return out

    def _current(self, resource: str, namespace: str, name: str) -> tuple[int, str]:
        self._check_open()
        row = self._db.execute(
            "SELECT resource_version, data FROM objects "
            "WHERE resource = ? AND namespace = ? AND name = ?",
            (resource, namespace, name),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{resource} {namespace}/{name} not found")
        return int(row[0]), str(row[1])

    @staticmethod
    def _precondition(
        resource: str, namespace: str, name: str, current: int, expected: str | None
    ) -> None:
        if expected is not None and expected != str(current):
            raise ConflictError(
                f"{resource} {namespace}/{name}: resourceVersion {expected!r} does not match "
                f"the stored {current}"
            )

    def update(
        self,
        resource: str,
        namespace: str,
        name: str,
        obj: JSONObject,
        expected_resource_version: str | None = None,
    ) -> JSONObject:
        """Replace an object; with ``expected_resource_version``, only if it still
        matches. An unchanged object is not written. NotFoundError, ConflictError."""
        old_rv, old_data = self._current(resource, namespace, name)
        self._precondition(resource, namespace, name, old_rv, expected_resource_version)
        same = _with_rv(obj, old_rv)
        if _encode(same) == old_data:
            return same
        rv = self._rv + 1
        out = _with_rv(obj, rv)
        data = _encode(out)
        self._write(
            rv,
            "MODIFIED",
            resource,
            namespace,
            name,
            data,
            "UPDATE objects SET resource_version = ?, data = ? "
            "WHERE resource = ? AND namespace = ? AND name = ?",
            (rv, data, resource, namespace, name),
        )
        return out

    def delete(
        self,
        resource: str,
        namespace: str,
        name: str,
        expected_resource_version: str | None = None,
    ) -> JSONObject:
        """Remove an object; return its last state with the deletion's resourceVersion.
        NotFoundError, ConflictError."""
        old_rv, old_data = self._current(resource, namespace, name)
        self._precondition(resource, namespace, name, old_rv, expected_resource_version)
        rv = self._rv + 1
        out = _with_rv(cast(JSONObject, json.loads(old_data)), rv)
        data = _encode(out)
        self._write(
            rv,
            "DELETED",
            resource,
            namespace,
            name,
            data,
            "DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
            (resource, namespace, name),
        )
        return out

    # -- reads -----------------------------------------------------------------------

    def get(self, resource: str, namespace: str, name: str) -> JSONObject:
        """The current object. NotFoundError."""
        self._check_open()
        row = self._db.execute(
            "SELECT data FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
            (resource, namespace, name),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{resource} {namespace}/{name} not found")
        return cast(JSONObject, json.loads(row[0]))

    def list(self, resource: str, namespace: str | None = None) -> ListResult:
        """Every object of ``resource`` (in ``namespace``, or all when None), in
        (namespace, name) order, with the store's current resourceVersion."""
        self._check_open()
        if namespace is None:
            rows = self._db.execute(
                "SELECT data FROM objects WHERE resource = ? ORDER BY namespace, name",
                (resource,),
            )
        else:
            rows = self._db.execute(
                "SELECT data FROM objects WHERE resource = ? AND namespace = ? ORDER BY name",
                (resource, namespace),
            )
        loads = json.loads
        items = [cast(JSONObject, loads(d)) for (d,) in rows]
        return ListResult(items=items, resource_version=self._rv)

    def current_resource_version(self) -> int:
        """The resourceVersion of the newest write (0 for an empty store)."""
        return self._rv

    def oldest_resource_version(self) -> int:
        """The oldest ``since`` a watch may start from (older ones are ``GoneError``)."""
        return self._compacted

    # -- watch -----------------------------------------------------------------------

    def watch(self, resource: str, namespace: str | None, since: int) -> Watch:
        """Every change of ``resource`` (in ``namespace``, or all when None) after
        ``since``: replayed from the log, then live, in order, none lost or repeated.
        Raises ``GoneError`` at once if ``since`` predates the log; the iterator raises
        it later only if compaction overtakes a watcher that fell behind."""
        self._check_open()
        if since < self._compacted:
            raise _too_old(since, self._compacted)
        return Watch(self, resource, namespace, since)

    def _subscribe(self, resource: str, namespace: str | None) -> _Watcher:
        self._check_open()
        w = _Watcher(resource, namespace, self._queue_size)
        self._watchers.setdefault(resource, set()).add(w)
        return w

    def _unsubscribe(self, w: _Watcher) -> None:
        subs = self._watchers.get(w.resource)
        if subs is not None:
            subs.discard(w)
            if not subs:
                del self._watchers[w.resource]

    def _replay(
        self, resource: str, namespace: str | None, after: int, upto: int
    ) -> builtins.list[WatchEvent]:
        """One page of logged events in (after, upto], oldest first."""
        self._check_open()
        if after < self._compacted:
            raise _too_old(after, self._compacted)
        if namespace is None:
            rows = self._db.execute(
                "SELECT resource_version, type, data FROM events WHERE resource_version > ? "
                "AND resource_version <= ? AND resource = ? ORDER BY resource_version LIMIT ?",
                (after, upto, resource, REPLAY_PAGE),
            ).fetchall()
        else:
            rows = self._db.execute(
                "SELECT resource_version, type, data FROM events WHERE resource_version > ? "
                "AND resource_version <= ? AND resource = ? AND namespace = ? "
                "ORDER BY resource_version LIMIT ?",
                (after, upto, resource, namespace, REPLAY_PAGE),
            ).fetchall()
        return [WatchEvent(t, cast(JSONObject, json.loads(d)), int(rv)) for rv, t, d in rows]

    def _fan_out(self, rv: int, type_: EventType, resource: str, namespace: str, data: str) -> None:
        subs = self._watchers.get(resource)
        if not subs:
            return
        event: WatchEvent | None = None
        dropped: builtins.list[_Watcher] = []
        for w in subs:
            if w.namespace is not None and w.namespace != namespace:
                continue
            if event is None:
                event = WatchEvent(type_, cast(JSONObject, json.loads(data)), rv)
            try:
                w.queue.put_nowait(event)
            except asyncio.QueueFull:
                w.overflowed = True
                dropped.append(w)
        for w in dropped:
            self._unsubscribe(w)

    # -- lifecycle -------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError(f"store {self.path} is closed")

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has run."""
        return self._closed

    def close(self) -> None:
        """End every live watch, checkpoint the WAL and release the file. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for subs in list(self._watchers.values()):
            for w in subs:
                w.closed = True
                with contextlib.suppress(asyncio.QueueFull):
                    w.queue.put_nowait(None)  # wakes a reader blocked on an empty queue
        self._watchers.clear()
        try:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'resource_version'", (self._rv,)
                )
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()
        finally:
            self._release_lock()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
