"""Benchmark: the SQLite object store beside a plain in-memory dict.

Role: measures what ``seclet.store.sqlite.SQLiteStore`` costs the API server — creates,
gets and lists per second, and watch fan-out latency (one write → every watcher has
it) — side by side with ``DictStore``, a dict with the same counter and the same
``asyncio.Queue`` fan-out but no JSON and no disk: the ratio is the price of
persistence. Run: ``.venv/bin/python -m bench.store [--objects N] [--rounds N]``.

Steps:
1. per round, a fresh store of each kind in a temporary directory;
2. time N creates of a pod-sized object, N gets in random order, and a few lists of
   all N objects;
3. time fan-out to 1, 10 and 100 watchers (each an asyncio task reading its watch):
   write one object, wait until the last watcher has it; median over the writes;
4. print medians per kind (µs per operation, so every ratio sqlite/dict reads as
   "times the cost of a dict") and the throughput targets.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Protocol

from seclet.store.api import JSONObject, WatchEvent
from seclet.store.sqlite import SQLiteStore

CREATE_TARGET_PER_S = 2_000
GET_TARGET_PER_S = 10_000
WATCHER_COUNTS = (1, 10, 100)
FANOUT_WRITES = 200


class BenchStore(Protocol):
    """The part of ``seclet.store.api.Store`` the benchmark drives."""

    def create(self, resource: str, namespace: str, name: str, obj: JSONObject) -> JSONObject:
        """Store a new object."""
        ...

    def get(self, resource: str, namespace: str, name: str) -> JSONObject:
        """The current object."""
        ...

    def list_items(self, resource: str) -> int:
        """List every object of ``resource``; the count."""
        ...

    def watch_from_now(self, resource: str) -> AsyncIterator[WatchEvent]:
        """Live events of ``resource``."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...


class DictStore:
    """The floor: one dict, a counter, one unbounded queue per watcher."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], JSONObject] = {}
        self.rv = 0
        self.queues: list[asyncio.Queue[WatchEvent]] = []

    def create(self, resource: str, namespace: str, name: str, obj: JSONObject) -> JSONObject:
        key = (resource, namespace, name)
        if key in self.objects:
            raise KeyError(key)
        self.rv += 1
        out = dict(obj)
        out["metadata"] = {**obj["metadata"], "resourceVersion": str(self.rv)}
        self.objects[key] = out
        ev = WatchEvent("ADDED", out, self.rv)
        for q in self.queues:
            q.put_nowait(ev)
        return out

    def get(self, resource: str, namespace: str, name: str) -> JSONObject:
        return self.objects[(resource, namespace, name)]

    def list_items(self, resource: str) -> int:
        return len([self.objects[k] for k in sorted(self.objects) if k[0] == resource])

    async def _follow(self, q: asyncio.Queue[WatchEvent]) -> AsyncIterator[WatchEvent]:
        while True:
            yield await q.get()

    def watch_from_now(self, resource: str) -> AsyncIterator[WatchEvent]:
        q: asyncio.Queue[WatchEvent] = asyncio.Queue()
        self.queues.append(q)
        return self._follow(q)

    def close(self) -> None:
        self.queues.clear()


class SQLiteBench:
    """``SQLiteStore`` behind the benchmark's protocol."""

    def __init__(self, path: Path) -> None:
        self.store = SQLiteStore(path)

    def create(self, resource: str, namespace: str, name: str, obj: JSONObject) -> JSONObject:
        return self.store.create(resource, namespace, name, obj)

    def get(self, resource: str, namespace: str, name: str) -> JSONObject:
        return self.store.get(resource, namespace, name)

    def list_items(self, resource: str) -> int:
        return len(self.store.list(resource).items)

    def watch_from_now(self, resource: str) -> AsyncIterator[WatchEvent]:
        return self.store.watch(resource, None, self.store.current_resource_version())

    def close(self) -> None:
        self.store.close()


def pod(name: str) -> JSONObject:
    """A pod about the size kubectl creates from the page's examples (~1.5 KB JSON)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"7f1c2a9e-0000-4000-8000-{abs(hash(name)) % 10**12:012d}",
            "creationTimestamp": "2025-01-01T00:00:00Z",
            "labels": {"app": "demo", "tier": "bench"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}" * 40},
        },
        "spec": {
            "securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000},
            "volumes": [{"name": "sec-ctx-vol", "emptyDir": {}}],
            "containers": [
                {
                    "name": "sec-ctx-demo",
                    "image": "busybox:1.28",
                    "command": ["sh", "-c", "sleep 1h"],
                    "volumeMounts": [{"name": "sec-ctx-vol", "mountPath": "/data/demo"}],
                    "securityContext": {"allowPrivilegeEscalation": False},
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent",
                }
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "nodeName": "seclet",
            "schedulerName": "default-scheduler",
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
        },
        "status": {"phase": "Pending", "qosClass": "BestEffort"},
    }


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def crud_round(store: BenchStore, n: int, rng: random.Random) -> tuple[float, float, float]:
    """Step 2: seconds for n creates, n gets, and one list (median of 5)."""
    objs = [pod(f"p{i:06d}") for i in range(n)]
    t_create = timed(
        lambda: [store.create("pods", "default", o["metadata"]["name"], o) for o in objs]
    )
    names = [o["metadata"]["name"] for o in objs]
    rng.shuffle(names)
    t_get = timed(lambda: [store.get("pods", "default", name) for name in names])
    t_list = statistics.median(timed(lambda: store.list_items("pods")) for _ in range(5))
    return t_create, t_get, t_list


async def fanout(store: BenchStore, watchers: int, writes: int) -> list[float]:
    """Step 3: per write, seconds until the last of ``watchers`` has the event."""
    remaining = 0
    done = asyncio.Event()
    last = 0.0

    async def reader(it: AsyncIterator[WatchEvent]) -> None:
        nonlocal remaining, last
        async for _ in it:
            remaining -= 1
            if remaining == 0:
                last = time.perf_counter()
                done.set()

    its = [store.watch_from_now("pods") for _ in range(watchers)]
    tasks = [asyncio.create_task(reader(it)) for it in its]
    await asyncio.sleep(0)
    out: list[float] = []
    for i in range(writes):
        remaining = watchers
        done.clear()
        t0 = time.perf_counter()
        store.create("pods", "default", f"w{watchers}-{i}", pod(f"w{i}"))
        await done.wait()
        out.append(last - t0)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return out


def stores(tmp: Path, round_: int) -> Iterator[tuple[str, BenchStore]]:
    """Step 1: a fresh store of each kind."""
    yield "sqlite", SQLiteBench(tmp / f"r{round_}" / "store.db")
    yield "dict", DictStore()


def row(label: str, unit: str, a: float, b: float) -> str:
    return f"  {label:<22} {a:>12,.2f} {b:>12,.2f}   {a / b:7.1f}x  ({unit})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--objects", type=int, default=2000, help="objects per round")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(1)

    creates: dict[str, list[float]] = {"sqlite": [], "dict": []}
    gets: dict[str, list[float]] = {"sqlite": [], "dict": []}
    lists: dict[str, list[float]] = {"sqlite": [], "dict": []}
    lat: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="seclet-bench-store-") as d:
        for r in range(args.rounds):
            for kind, store in stores(Path(d), r):
                try:
                    c, g, li = crud_round(store, args.objects, rng)
                    creates[kind].append(c / args.objects * 1e6)
                    gets[kind].append(g / args.objects * 1e6)
                    lists[kind].append(li * 1e3)
                    if r == 0:
                        for w in WATCHER_COUNTS:
                            lat[(kind, w)] = asyncio.run(fanout(store, w, FANOUT_WRITES))
                finally:
                    store.close()

    med = statistics.median
    print(f"objects: {args.objects}  rounds: {args.rounds}  (medians; ratio = sqlite / dict)")
    print(f"  {'':<22} {'sqlite':>12} {'dict':>12}   ratio")
    print(row("create", "us/op", med(creates["sqlite"]), med(creates["dict"])))
    print(row("get", "us/op", med(gets["sqlite"]), med(gets["dict"])))
    print(row(f"list of {args.objects}", "ms", med(lists["sqlite"]), med(lists["dict"])))
    for w in WATCHER_COUNTS:
        a, b = med(lat[("sqlite", w)]) * 1e6, med(lat[("dict", w)]) * 1e6
        print(row(f"write -> {w} watcher(s)", "us until the last has it", a, b))
    per_s_c = 1e6 / med(creates["sqlite"])
    per_s_g = 1e6 / med(gets["sqlite"])
    ok_c, ok_g = per_s_c >= CREATE_TARGET_PER_S, per_s_g >= GET_TARGET_PER_S
    print(
        f"sqlite: {per_s_c:,.0f} creates/s (target {CREATE_TARGET_PER_S:,}: "
        f"{'meets' if ok_c else 'MISSES'}), {per_s_g:,.0f} gets/s "
        f"(target {GET_TARGET_PER_S:,}: {'meets' if ok_g else 'MISSES'})"
    )
    return 0 if ok_c and ok_g else 1


if __name__ == "__main__":
    raise SystemExit(main())
