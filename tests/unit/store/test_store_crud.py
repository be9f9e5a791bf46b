"""SQLiteStore CRUD: keys, errors, preconditions, ordering and resourceVersions.

Role: unit tests of ``seclet.store.sqlite`` reads and writes (no watch).
Callers: pytest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seclet.store.api import (
    AlreadyExistsError,
    ConflictError,
    NotFoundError,
    Store,
)
from seclet.store.sqlite import SQLiteStore, StoreClosedError


def pod(name: str, namespace: str = "default", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec},
    }


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = SQLiteStore(tmp_path / "state" / "store.db")
    yield s
    s.close()


def test_satisfies_the_protocol(store: SQLiteStore) -> None:
    s: Store = store
    assert s.current_resource_version() == 0


def test_create_sets_resource_version_and_get_returns_it(store: SQLiteStore) -> None:
    obj = pod("a")
    out = store.create("pods", "default", "a", obj)
    assert out["metadata"]["resourceVersion"] == "1"
    assert "resourceVersion" not in obj["metadata"]  # the caller's dict is untouched
    assert store.get("pods", "default", "a") == out
    assert store.current_resource_version() == 1


def test_create_twice_is_already_exists_and_consumes_no_version(store: SQLiteStore) -> None:
    store.create("pods", "default", "a", pod("a"))
    with pytest.raises(AlreadyExistsError):
        store.create("pods", "default", "a", pod("a"))
    assert store.current_resource_version() == 1
    # same name in another namespace or resource is another key
    assert (
        store.create("pods", "other", "a", pod("a", "other"))["metadata"]["resourceVersion"] == "2"
    )
    assert (
        store.create("secrets", "default", "a", {"metadata": {}})["metadata"]["resourceVersion"]
        == "3"
    )


def test_get_missing_is_not_found(store: SQLiteStore) -> None:
    with pytest.raises(NotFoundError):
        store.get("pods", "default", "nope")


def test_update_replaces_and_bumps(store: SQLiteStore) -> None:
    store.create("pods", "default", "a", pod("a"))
    out = store.update("pods", "default", "a", pod("a", nodeName="n1"))
    assert out["metadata"]["resourceVersion"] == "2"
    assert store.get("pods", "default", "a")["spec"]["nodeName"] == "n1"


def test_update_preconditions(store: SQLiteStore) -> None:
    store.create("pods", "default", "a", pod("a"))
    with pytest.raises(ConflictError):
        store.update("pods", "default", "a", pod("a", nodeName="x"), expected_resource_version="7")
    assert store.current_resource_version() == 1
    out = store.update(
        "pods", "default", "a", pod("a", nodeName="x"), expected_resource_version="1"
    )
    assert out["metadata"]["resourceVersion"] == "2"
    with pytest.raises(ConflictError):
        store.update("pods", "default", "a", pod("a"), expected_resource_version="1")
    with pytest.raises(NotFoundError):
        store.update("pods", "default", "b", pod("b"))


def test_unchanged_update_is_not_a_write(store: SQLiteStore) -> None:
    store.create("pods", "default", "a", pod("a"))
    stale = pod("a")
    stale["metadata"]["resourceVersion"] = "999"  # the store owns this field
    out = store.update("pods", "default", "a", stale)
    assert out["metadata"]["resourceVersion"] == "1"
    assert store.current_resource_version() == 1


def test_delete_returns_last_state_with_the_deletion_version(store: SQLiteStore) -> None:
    store.create("pods", "default", "a", pod("a", nodeName="n"))
    with pytest.raises(ConflictError):
        store.delete("pods", "default", "a", expected_resource_version="0")
    gone = store.delete("pods", "default", "a", expected_resource_version="1")
    assert gone["metadata"]["resourceVersion"] == "2"
    assert gone["spec"]["nodeName"] == "n"
    with pytest.raises(NotFoundError):
        store.get("pods", "default", "a")
    with pytest.raises(NotFoundError):
        store.delete("pods", "default", "a")
    # the name may be reused; versions never are
    assert store.create("pods", "default", "a", pod("a"))["metadata"]["resourceVersion"] == "3"


def test_list_is_sorted_filtered_and_carries_the_current_version(store: SQLiteStore) -> None:
    for ns, name in [("b", "z"), ("a", "y"), ("b", "a"), ("a", "x")]:
        store.create("pods", ns, name, pod(name, ns))
    store.create("secrets", "a", "s", {"metadata": {"name": "s"}})
    result = store.list("pods")
    keys = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in result.items]
    assert keys == [("a", "x"), ("a", "y"), ("b", "a"), ("b", "z")]
    assert result.resource_version == 5
    only_b = store.list("pods", "b")
    assert [o["metadata"]["name"] for o in only_b.items] == ["a", "z"]
    assert store.list("pods", "c").items == []
    assert store.list("nodes").resource_version == 5


def test_cluster_scoped_objects_use_the_empty_namespace(store: SQLiteStore) -> None:
    store.create("namespaces", "", "default", {"metadata": {"name": "default"}})
    assert store.get("namespaces", "", "default")["metadata"]["name"] == "default"
    assert len(store.list("namespaces", "").items) == 1


def test_versions_strictly_increase_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    seen: list[int] = []
    for round_ in range(3):
        with SQLiteStore(path, compaction_keep=2, compaction_interval=1) as s:
            assert s.current_resource_version() == (seen[-1] if seen else 0)
            for i in range(3):
                name = f"p{round_}-{i}"
                seen.append(
                    int(s.create("pods", "default", name, pod(name))["metadata"]["resourceVersion"])
                )
            # deleting everything must not let a later version be reused
            for o in s.list("pods").items:
                seen.append(
                    int(
                        s.delete("pods", "default", o["metadata"]["name"])["metadata"][
                            "resourceVersion"
                        ]
                    )
                )
    assert seen == sorted(set(seen))
    assert seen == list(range(1, len(seen) + 1))


def test_reopen_keeps_objects(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SQLiteStore(path) as s:
        created = s.create("pods", "default", "a", pod("a"))
    with SQLiteStore(path) as s:
        assert s.get("pods", "default", "a") == created


def test_memory_store(tmp_path: Path) -> None:
    with SQLiteStore(":memory:") as s:
        s.create("pods", "default", "a", pod("a"))
        assert s.list("pods").resource_version == 1
    assert not list(tmp_path.iterdir())


def test_closed_store_refuses_calls(tmp_path: Path) -> None:
    s = SQLiteStore(tmp_path / "store.db")
    s.close()
    s.close()  # idempotent
    assert s.closed
    with pytest.raises(StoreClosedError):
        s.get("pods", "default", "a")
    with pytest.raises(StoreClosedError):
        s.create("pods", "default", "a", pod("a"))
    with pytest.raises(StoreClosedError):
        s.watch("pods", None, 0)


def test_invalid_options() -> None:
    with pytest.raises(ValueError, match="compaction_keep"):
        SQLiteStore(":memory:", compaction_keep=0)


def test_versions_survive_a_crash_without_close(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    s = SQLiteStore(path, compaction_keep=1, compaction_interval=1000)
    for i in range(5):
        s.create("pods", "default", f"p{i}", pod(f"p{i}"))
    s.delete("pods", "default", "p4")
    # simulate a kill: the connection goes away without close()'s bookkeeping
    s._db.close()
    s._release_lock()
    with SQLiteStore(path) as again:
        assert again.current_resource_version() == 6
        assert again.create("pods", "default", "p4", pod("p4"))["metadata"]["resourceVersion"] == "7"
