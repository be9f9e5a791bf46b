"""SQLiteStore on disk: file modes, WAL, corrupt files, one process per store.

Role: unit tests of how ``seclet.store.sqlite`` opens and guards its files.
Callers: pytest.
"""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from seclet.store.sqlite import SQLiteStore, StoreOpenError


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_files_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "var" / "lib" / "seclet"
    path = data_dir / "store.db"
    with SQLiteStore(path) as s:
        s.create("secrets", "default", "s", {"metadata": {"name": "s"}, "data": {"k": "dg=="}})
        assert mode(data_dir) == 0o700
        files = list(data_dir.iterdir())
        assert {p.name for p in files} >= {"store.db", "store.db-wal", "store.db.lock"}
        for p in files:
            assert mode(p) == 0o600, p


def test_existing_loose_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    SQLiteStore(path).close()
    path.chmod(0o644)
    with SQLiteStore(path):
        assert mode(path) == 0o600


def test_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SQLiteStore(path) as s:
        s.create("pods", "default", "a", {"metadata": {}})
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1
    finally:
        db.close()


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.write_bytes(b"this is not a database" * 200)
    with pytest.raises(StoreOpenError, match=r"corrupt or not a seclet store"):
        SQLiteStore(path)
    # the failed open released its lock: a fixed file opens
    path.unlink()
    SQLiteStore(path).close()


def test_foreign_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=42")
    db.close()
    with pytest.raises(StoreOpenError, match="schema version 42"):
        SQLiteStore(path)


def test_integrity_check_passes_on_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SQLiteStore(path) as s:
        s.create("pods", "default", "a", {"metadata": {}})
    with SQLiteStore(path, integrity_check=True) as s:
        assert s.current_resource_version() == 1


def test_directory_in_place_of_file(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError, match="cannot open store"):
        SQLiteStore(tmp_path)


def test_one_store_per_file(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SQLiteStore(path), pytest.raises(StoreOpenError, match="in use"):
        SQLiteStore(path)
    SQLiteStore(path).close()  # released on close
