"""SQLiteStore on a full disk: a write SQLite refuses with SQLITE_FULL is a
``StorageError`` with SQLite's message, nothing already stored is lost, no
resourceVersion is consumed and no watch event is sent; reads keep working; once
space returns, writes succeed again with the next version.

The disk is filled with ``PRAGMA max_page_count`` (SQLite answers exactly as on a
full filesystem, ``database or disk is full``), so no root or mount is needed; the
e2e test fills a real tmpfs. Callers: pytest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from seclet.store.api import StorageError, StoreError, WatchEvent
from seclet.store.sqlite import SQLiteStore, StoreOpenError, _open_error


def _pod(name: str, size: int = 0) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "annotations": {"pad": "x" * size}},
    }


def _fill(store: SQLiteStore) -> None:
    """Let the database grow by no page at all from now on."""
    (pages,) = store._db.execute("PRAGMA page_count").fetchone()
    store._db.execute(f"PRAGMA max_page_count = {pages}")


def _unfill(store: SQLiteStore) -> None:
    store._db.execute("PRAGMA max_page_count = 1073741823")


def test_full_disk_refuses_writes_and_keeps_what_is_stored(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    try:
        kept = store.create("pods", "default", "kept", _pod("kept"))
        rv = store.current_resource_version()
        _fill(store)
        with pytest.raises(StorageError) as exc:
            for i in range(200):  # the first page that does not fit
                store.create("pods", "default", f"big-{i}", _pod(f"big-{i}", 8192))
        assert str(exc.value) == "database or disk is full"
        assert isinstance(exc.value, StoreError)
        written = store.current_resource_version() - rv
        with pytest.raises(StorageError, match=r"^database or disk is full$"):
            store.update("pods", "default", "kept", _pod("kept", 65536))
        assert store.current_resource_version() == rv + written
        # reads answer, and the stored objects are intact
        assert store.get("pods", "default", "kept") == kept
        assert len(store.list("pods").items) == 1 + written
        # space returns: writes go on with the next version
        _unfill(store)
        again = store.create("pods", "default", "again", _pod("again", 8192))
        assert again["metadata"]["resourceVersion"] == str(rv + written + 1)
    finally:
        store.close()
    reopened = SQLiteStore(tmp_path / "store.db")
    try:
        assert reopened.get("pods", "default", "kept") == kept
        assert reopened._db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        reopened.close()


def test_a_refused_write_sends_no_watch_event(tmp_path: Path) -> None:
    async def body() -> list[WatchEvent]:
        store = SQLiteStore(tmp_path / "store.db")
        try:
            store.create("pods", "default", "a", _pod("a"))
            watch = store.watch("pods", None, store.current_resource_version())
            _fill(store)
            with pytest.raises(StorageError):
                store.create("pods", "default", "b", _pod("b", 65536))
            _unfill(store)
            store.create("pods", "default", "c", _pod("c"))
            first = await asyncio.wait_for(anext(watch), 5)
            return [first]
        finally:
            store.close()

    events = asyncio.run(body())
    assert [(e.type, e.object["metadata"]["name"]) for e in events] == [("ADDED", "c")]


def test_opening_on_a_full_disk_says_so() -> None:
    full = sqlite3.OperationalError("disk I/O error")
    full.sqlite_errorname = "SQLITE_IOERR_SHMSIZE"
    assert str(_open_error("/d/store.db", full)) == (
        "cannot open store /d/store.db: disk I/O error (SQLITE_IOERR_SHMSIZE; is its disk full?)"
    )
    corrupt = sqlite3.DatabaseError("file is not a database")
    corrupt.sqlite_errorname = "SQLITE_NOTADB"
    assert str(_open_error("/d/store.db", corrupt)) == (
        "cannot read store /d/store.db (corrupt or not a seclet store?): file is not a database"
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="mounts a tmpfs (root)")
def test_a_store_on_a_full_tmpfs_refuses_to_open_then_opens_intact(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], check=True)
    try:
        store = SQLiteStore(disk / "store.db")
        kept = store.create("pods", "default", "kept", _pod("kept"))
        store.close()
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        for size in (1 << 20, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
        os.close(fd)
        with pytest.raises(StoreOpenError) as exc:
            SQLiteStore(disk / "store.db")
        assert str(exc.value).startswith(f"cannot open store {disk / 'store.db'}: ")
        assert str(exc.value).endswith("; is its disk full?)")
        (disk / "filler").unlink()
        again = SQLiteStore(disk / "store.db")
        try:
            assert again.get("pods", "default", "kept") == kept
        finally:
            again.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
