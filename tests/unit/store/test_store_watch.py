"""SQLiteStore watch: replay then live, no loss or duplicate, compaction, close.

Role: unit tests of ``SQLiteStore.watch`` (each test drives its own ``asyncio.run``;
every loop is bounded and every wait has a timeout).
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from seclet.store.api import GoneError, WatchEvent
from seclet.store.sqlite import SQLiteStore, Watch

T = TypeVar("T")
TIMEOUT = 5.0


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


def obj(name: str, ns: str = "default", gen: int = 0) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns}, "spec": {"gen": gen}}


async def take(w: Watch, n: int) -> list[WatchEvent]:
    out: list[WatchEvent] = []
    async for ev in w:
        out.append(ev)
        if len(out) == n:
            break
    return out


def test_replay_then_live(tmp_path: Path) -> None:
    async def main() -> None:
        with SQLiteStore(tmp_path / "s.db") as s:
            s.create("pods", "default", "a", obj("a"))  # rv 1
            s.update("pods", "default", "a", obj("a", gen=1))  # rv 2
            s.delete("pods", "default", "a")  # rv 3
            w = s.watch("pods", None, 1)
            s.create("pods", "default", "b", obj("b"))  # rv 4, live
            got = await take(w, 3)
            assert [(e.type, e.resource_version) for e in got] == [
                ("MODIFIED", 2),
                ("DELETED", 3),
                ("ADDED", 4),
            ]
            assert got[0].object["spec"]["gen"] == 1
            assert got[1].object["metadata"]["resourceVersion"] == "3"  # the deletion's
            assert got[1].object["spec"]["gen"] == 1  # the last state
            assert got[2].object["metadata"]["name"] == "b"
            await w.aclose()

    run(main())


def test_replay_from_zero_is_the_whole_log(tmp_path: Path) -> None:
    async def main() -> None:
        with SQLiteStore(tmp_path / "s.db") as s:
            for i in range(600):  # more than one replay page
                s.create("pods", "default", f"p{i}", obj(f"p{i}"))
            w = s.watch("pods", None, 0)
            got = await take(w, 600)
            assert [e.resource_version for e in got] == list(range(1, 601))

    run(main())


def test_concurrent_writers_no_loss_no_duplicate(tmp_path: Path) -> None:
    """Writers interleave with watchers created at random points; each watcher sees
    exactly the versions after its ``since`` that match its filter, in order."""

    async def main() -> None:
        rng = random.Random(7)
        with SQLiteStore(tmp_path / "s.db", compaction_keep=10_000) as s:
            log: list[tuple[int, str]] = []  # (rv, namespace) of every write
            watchers: list[tuple[Watch, int, str | None]] = []
            names: dict[str, list[str]] = {"a": [], "b": []}

            async def writer(ns: str, n: int) -> None:
                for i in range(n):
                    op = rng.random()
                    if names[ns] and op < 0.3:
                        name = names[ns].pop(rng.randrange(len(names[ns])))
                        rv = int(s.delete("pods", ns, name)["metadata"]["resourceVersion"])
                    elif names[ns] and op < 0.6:
                        name = rng.choice(names[ns])
                        rv = int(
                            s.update("pods", ns, name, obj(name, ns, i + 1))["metadata"][
                                "resourceVersion"
                            ]
                        )
                    else:
                        name = f"{ns}{i}"
                        names[ns].append(name)
                        rv = int(
                            s.create("pods", ns, name, obj(name, ns))["metadata"]["resourceVersion"]
                        )
                    log.append((rv, ns))
                    if rng.random() < 0.05:
                        since = rng.randrange(s.current_resource_version() + 1)
                        ns_filter = rng.choice([None, "a", "b"])
                        watchers.append((s.watch("pods", ns_filter, since), since, ns_filter))
                    await asyncio.sleep(0)

            await asyncio.gather(writer("a", 300), writer("b", 300))
            assert [rv for rv, _ in log] == list(range(1, 601))
            assert watchers
            for w, since, ns_filter in watchers:
                want = [rv for rv, ns in log if rv > since and ns_filter in (None, ns)]
                got = await take(w, len(want)) if want else []
                assert [e.resource_version for e in got] == want
                # nothing more: the next read would block
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(w.__anext__(), 0.01)

    run(main())


def test_live_reader_concurrent_with_writers(tmp_path: Path) -> None:
    async def main() -> None:
        with SQLiteStore(tmp_path / "s.db") as s:
            w = s.watch("pods", None, 0)

            async def writer(ns: str) -> None:
                for i in range(200):
                    s.create("pods", ns, f"p{i}", obj(f"p{i}", ns))
                    if i % 7 == 0:
                        await asyncio.sleep(0)

            reader = asyncio.create_task(take(w, 400))
            await asyncio.gather(writer("x"), writer("y"))
            got = await reader
            assert [e.resource_version for e in got] == list(range(1, 401))

    run(main())


def test_namespace_and_resource_filtering(tmp_path: Path) -> None:
    async def main() -> None:
        with SQLiteStore(tmp_path / "s.db") as s:
            s.create("pods", "a", "p", obj("p", "a"))  # 1
            s.create("pods", "b", "p", obj("p", "b"))  # 2
            wa = s.watch("pods", "a", 0)
            wsec = s.watch("secrets", None, 0)
            wcluster = s.watch("namespaces", "", 0)
            s.create("secrets", "a", "s", obj("s", "a"))  # 3
            s.create("pods", "b", "q", obj("q", "b"))  # 4
            s.create("pods", "a", "q", obj("q", "a"))  # 5
            s.create("namespaces", "", "a", {"metadata": {"name": "a"}})  # 6
            assert [e.resource_version for e in await take(wa, 2)] == [1, 5]
            assert [e.resource_version for e in await take(wsec, 1)] == [3]
            assert [e.resource_version for e in await take(wcluster, 1)] == [6]

    run(main())


def test_since_in_the_future_waits_for_it(tmp_path: Path) -> None:
    async def main() -> None:
        with SQLiteStore(tmp_path / "s.db") as s:
            w = s.watch("pods", None, 2)
            for i in range(4):
                s.create("pods", "default", f"p{i}", obj(f"p{i}"))
            assert [e.resource_version for e in await take(w, 2)] == [3, 4]

    run(main())


def test_gone_after_compaction(tmp_path: Path) -> None:
    async def main() -> None:
        with SQLiteStore(tmp_path / "s.db", compaction_keep=5, compaction_interval=1) as s:
            for i in range(20):
                s.create("pods", "default", f"p{i}", obj(f"p{i}"))
            assert s.oldest_resource_version() == 15
            with pytest.raises(GoneError, match=r"too old resource version: 3 \(15\)"):
                s.watch("pods", None, 3)
            w = s.watch("pods", None, 15)  # the oldest allowed
            assert [e.resource_version for e in await take(w, 5)] == [16, 17, 18, 19, 20]

    run(main())


def test_gone_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SQLiteStore(path, compaction_keep=3, compaction_interval=1) as s:
        for i in range(10):
            s.create("pods", "default", f"p{i}", obj(f"p{i}"))
    with SQLiteStore(path, compaction_keep=3) as s:
        assert s.oldest_resource_version() == 7
        with pytest.raises(GoneError):
            s.watch("pods", None, 6)
    with SQLiteStore(path, compaction_keep=1) as s:  # a smaller keep compacts at open
        assert s.oldest_resource_version() == 9


def test_slow_watcher_catches_up_from_the_log(tmp_path: Path) -> None:
    async def main() -> None:
        with SQLiteStore(tmp_path / "s.db", watch_queue_size=4) as s:
            w = s.watch("pods", None, 0)
            first = s.create("pods", "default", "p", obj("p"))
            assert (await take(w, 1))[0].object == first
            for i in range(50):  # overflows the live queue many times over
                s.update("pods", "default", "p", obj("p", gen=i + 1))
            got = await take(w, 50)
            assert [e.resource_version for e in got] == list(range(2, 52))
            assert [e.object["spec"]["gen"] for e in got] == list(range(1, 51))
            s.update("pods", "default", "p", obj("p", gen=99))  # live again
            assert (await take(w, 1))[0].resource_version == 52

    run(main())


def test_slow_watcher_overtaken_by_compaction_is_gone(tmp_path: Path) -> None:
    async def main() -> None:
        with SQLiteStore(
            tmp_path / "s.db", watch_queue_size=4, compaction_keep=10, compaction_interval=1
        ) as s:
            w = s.watch("pods", None, 0)
            for i in range(30):
                s.create("pods", "default", f"p{i}", obj(f"p{i}"))
            with pytest.raises(GoneError, match="too old resource version: 0 "):
                await take(w, 30)
            # the iterator is over and unsubscribed
            with pytest.raises(StopAsyncIteration):
                await w.__anext__()
            assert not s._watchers

    run(main())


def test_close_ends_watchers(tmp_path: Path) -> None:
    async def main() -> None:
        s = SQLiteStore(tmp_path / "s.db")
        s.create("pods", "default", "p", obj("p"))
        w1 = s.watch("pods", None, 0)
        w2 = s.watch("pods", None, 1)
        blocked = asyncio.create_task(take(w2, 10))
        await asyncio.sleep(0)
        s.close()
        assert await blocked == []
        assert await take(w1, 10) == []

    run(main())


def test_aclose_and_context_unsubscribe(tmp_path: Path) -> None:
    async def main() -> None:
        with SQLiteStore(tmp_path / "s.db") as s:
            async with s.watch("pods", None, 0) as w:
                s.create("pods", "default", "p", obj("p"))
                assert len(await take(w, 1)) == 1
            assert not s._watchers
            with pytest.raises(StopAsyncIteration):
                await w.__anext__()

    run(main())


def test_abandoned_watcher_unsubscribes_itself_on_overflow(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db", watch_queue_size=2) as s:
        s.watch("pods", None, 0)  # never iterated
        for i in range(3):
            s.create("pods", "default", f"p{i}", obj(f"p{i}"))
        assert not s._watchers
