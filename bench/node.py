"""Benchmark: the whole node (``seclet server``) beside raw runc, in one run.

Role: issue #3's node targets, measured side by side so a noisy machine moves both
columns alike — create → Running within 2x a raw ``runc run -d`` of the same busybox
rootfs, an exec round trip within 1.5x ``runc exec`` into the same container, the
server's idle RSS at most 60 MB, and the API ready within 1 s of the process's exec.
Beside them, for information, podman (when it is on PATH): ``podman kube play`` of
the same pod manifest, ``podman exec`` and ``podman pod rm``, against the same raw runc
baseline (the targets stay those against runc).
Callers: developers and reviewers by hand (root, with runc, conmon, catatonit, skopeo
and docker-registry installed, as for the e2e tests; podman optional). Not part of the
test command.
Run: ``.venv/bin/python -m bench.node [--rounds N] [--execs N] [--json] [--no-podman]
[--workdir DIR] [--settle-ms MS]`` (the run's files under ``/var/tmp`` by default: see ``WORKDIR``).

Steps:
1. start a local docker-registry with the stand-in test images
   (``tests/registry.py``) and build a raw OCI bundle (``runc spec``, non-terminal,
   ``sleep 3600``) whose rootfs is the busybox image's own layer; with podman, write
   its configuration under the run's directory (see Podman below), pull the busybox
   image into it from that registry and build its pause image;
2. start ``seclet server`` on a fresh data directory as ``tests/e2e/node.py`` does and
   time, from the process's exec, the first ``/readyz`` 200 (and the server's CPU
   seconds then: steadier than the time on a busy machine), the first authenticated
   ``GET /api`` 200 and the Node ``Ready``, beside a bare ``python -c`` importing
   what the server imports before it listens (``seclet.cli.main``,
   ``seclet.cli.server``, aiohttp with its CA loading deferred as the server does,
   ``seclet.apiserver.server``: the import floor, its time, RSS and PSS); read the
   server's RSS and PSS once the node is ready;
3. pull the image once with a warm-up pod, then per round, in alternating order:
   ``runc run -d`` + ``runc delete -f`` of the raw bundle, and a pod created through
   the API (raw HTTPS with the kubeconfig's token) until a watch sees it Running with
   its container started, then deleted until the watch sees it gone and its runc
   containers are gone; in each round's pod, exec ``true`` through the API websocket
   (``v5.channel.k8s.io``, connect to exit Status) with a plain blocking TLS
   websocket client (as kubectl's Go client: the target's row) and with aiohttp's
   client (for information), interleaved with ``runc exec`` of the same container,
   ``kubectl exec`` (kubectl's own start-up included, for information) and ``runc
   exec`` into the raw container; with podman, in the same
   rounds, ``podman kube play --network none`` of the same manifest (checked running
   with ``podman ps``), ``podman exec <ctr> true`` beside each exec pair and ``podman
   pod rm -f -t 0``; each round rotates the order of runc, seclet and podman, the
   creates, the execs and the deletes alike, so noise hits every column, and every
   measured step starts after 50 ms of quiet (``SETTLE_S``, ``--settle-ms``);
4. the server's and conmon's RSS/PSS with 1 and 10 idle pods, then the 10 deleted;
5. two warm restarts of the server (same data directory): ready times again;
6. print medians, min–max, ratios and the targets (``--json``: the same as JSON, each
   row's ``value`` and whose it is, ``subject``; ``podman``: its version or why its
   rows were skipped);
   everything started (pods, server, registry, runc containers, podman's pods, cgroups
   and state, temp dirs) is removed, also on failure; a host interface podman made
   (``podman0``, ``cni-podman0``) is removed and fails the run.
Bytecode: by default every seclet process of the run (the floor, the server, its
certificate child) reads and writes compiled bytecode under the run's temporary
directory (``PYTHONPYCACHEPREFIX``), warmed by one import of all the server's modules
first, so the figures are those of an installed package, whose bytecode ``pip
install`` compiles; ``--no-bytecode-cache`` sets ``PYTHONDONTWRITEBYTECODE=1`` and no
prefix instead: with the editable install, the sources (about 110 modules, 840 KB,
before the API listens) are compiled at every start, as in an environment that sets
that variable.
Notes: the pods set ``terminationGracePeriodSeconds: 0``, so the API removes a bound
pod at once (upstream's ``CheckGracefulDelete``) and the kubelet tears it down after;
"runc state gone" (its sandbox's and container's directories leave ``<data>/runtime/runc``)
is the figure to hold against ``runc delete -f``. Every exec opens a new TLS connection,
as kubectl and the Python client do; "fresh TLS GET" is that connection's floor.
Server CPU figures come from /proc/<pid>/stat (10 ms ticks). The ready and memory
targets are absolute, so their rows also show the import floor as a ratio.
Podman: rootful, with storage root, runroot, libpod tmp dir, volume path, network
configuration and file locks under the run's temporary directory (``--root``,
``--runroot``, ``--tmpdir``, ``CONTAINERS_CONF``, ``CONTAINERS_STORAGE_CONF``,
``CONTAINERS_REGISTRIES_CONF``, ``TMPDIR``), the overlay driver, the ``cgroupfs``
cgroup manager (no systemd here), the same runc binary, events to a file, and no
network at all: ``--network none`` on every pod and ``netns = "none"`` as the default,
so its bridge (``podman0``, 10.88.0.0/16) is never made. Docker Hub is rewritten to
the local registry, so nothing but loopback is reached. Its runc state is runc's
default ``/run/runc`` (podman 4.3 leaves stopped state behind under a ``--root``
runtime flag). It writes containers/image's blob-info cache
``/var/lib/containers/cache`` whatever its root when it pulls or builds, so the pull
and the pause-image build run in a private mount namespace with a tmpfs over it;
later plays neither pull nor build. Its cgroupfs manager leaves each pod's directory
under ``libpod_parent`` in the named ``systemd`` and the ``unified`` hierarchies: the
directories the run made are removed. ``terminationGracePeriodSeconds: 0`` does not
become podman's stop timeout (10 s), so the delete is ``pod rm -f -t 0``; on cgroup v1
it often spends 2–4 s more in "Removing pod cgroup" (its debug log), where
containers/common retries ``rmdir`` on EBUSY every 10 ms for up to 5 s. The pods'
RLIMIT_NOFILE/NPROC are set within this machine's hard limits (podman asks for
1048576 by default for root, which ``setrlimit`` refuses here).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import http.client
import importlib.util
import json
import os
import resource
import shlex
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import aiohttp
import yaml

from seclet.runtime.runc.service import default_run_root

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from registry import MIRRORED_HOSTS, LocalRegistry, free_port, push_test_images  # noqa: E402

SECLET = Path(sys.prefix) / "bin" / "seclet"
KUBECTL = Path(sys.prefix) / "bin" / "kubectl"
IMAGE = "busybox:1.28"
NAMESPACE = "default"
WORKDIR = Path("/var/tmp")
"""Where a run's data directory, raw bundle, registry and podman storage live: on the
disk a node's ``/var/lib`` is on. Not ``/tmp``: on this machine creating a file or a
directory there costs about 1.2 ms against 0.04 ms elsewhere on the same filesystem
(measured), which a node's data directory never pays and which both sides of every
row would pay for each file they make."""
CREATE_RATIO_TARGET = 2.0
EXEC_RATIO_TARGET = 1.5
RSS_TARGET_MB = 60.0
READY_TARGET_S = 1.0
IDLE_SETTLE_S = 2.0
SETTLE_S = 0.05
"""Quiet before each measured step of the pod rounds (a create, an exec, a delete, of
any engine): each step starts from the same resting node, as a command typed at a
prompt does. Back to back, a step ran on CPUs the previous step had just woken and
beside that step's trailing work (the kubelet's events and follow-up sync after a
start, a websocket's close), so which engine went second changed its figure: on this
2-core VM ``runc exec`` took 25-30 ms right after seclet's exec and 33-35 ms after
50 ms of quiet (an idle vCPU wakes slowly). ``--settle-ms 0`` measures back to back."""
"""Seconds the node is left alone before its memory is read (``--idle``)."""
POLL_S = 0.002

JSONObject = dict[str, Any]


class BenchError(RuntimeError):
    """Something the benchmark needs did not happen."""


# -- samples -------------------------------------------------------------------------


@dataclass
class Samples:
    """Named lists of seconds (or MB, for memory)."""

    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def median(self, name: str) -> float | None:
        got = self.values.get(name)
        return statistics.median(got) if got else None

    def spread(self, name: str) -> tuple[float, float] | None:
        got = self.values.get(name)
        return (min(got), max(got)) if got else None


def timed_run(argv: list[str], *, check: bool = True, env: dict[str, str] | None = None) -> float:
    """Seconds ``argv`` took. Its stdio is /dev/null and a file, never a pipe: a
    detached container inherits runc's and would hold a pipe open."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        code = subprocess.call(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env
        )
        elapsed = time.perf_counter() - t0
        if check and code != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")[-2000:]
            raise BenchError(f"{' '.join(argv)} -> {code}: {text}")
    return elapsed


# -- the raw runc baseline -----------------------------------------------------------


def _build_tool() -> Any:
    """``tools/build_test_images.py`` as a module (the stand-in images' layers)."""
    path = REPO / "tools" / "build_test_images.py"
    spec = importlib.util.spec_from_file_location("seclet_bench_build_test_images", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class RawRunc:
    """A bundle of the busybox image's layer and a runc state root of its own."""

    bundle: Path
    root: Path
    started: set[str] = field(default_factory=set)

    @classmethod
    def prepare(cls, directory: Path) -> RawRunc:
        tool = _build_tool()
        busybox = next(i for i in tool.stand_in_images() if i.repository == "library/busybox")
        rootfs = directory / "bundle" / "rootfs"
        rootfs.mkdir(parents=True)
        for entries in busybox.layers:
            tar_path = directory / "layer.tar"
            tar_path.write_bytes(cast(bytes, tool.layer_tar(entries)))
            with tarfile.open(tar_path) as tar:
                tar.extractall(rootfs, filter="fully_trusted")
            tar_path.unlink()
        bundle = rootfs.parent
        subprocess.run(["runc", "spec", "--bundle", str(bundle)], check=True)
        config_path = bundle / "config.json"
        spec_doc = json.loads(config_path.read_text())
        spec_doc["process"]["terminal"] = False
        spec_doc["process"]["args"] = ["sleep", "3600"]
        spec_doc["process"]["env"] = [json.loads(busybox.config)["Env"][0]]
        config_path.write_text(json.dumps(spec_doc))
        root = directory / "runc-root"
        root.mkdir()
        return cls(bundle, root)

    def argv(self, *args: str) -> list[str]:
        return ["runc", "--root", str(self.root), *args]

    def run(self, container_id: str) -> float:
        """``runc run -d``: returns once the container's process runs."""
        self.started.add(container_id)
        return timed_run(self.argv("run", "-d", "--bundle", str(self.bundle), container_id))

    def delete(self, container_id: str) -> float:
        elapsed = timed_run(self.argv("delete", "-f", container_id))
        self.started.discard(container_id)
        return elapsed

    def exec(self, container_id: str) -> float:
        return timed_run(self.argv("exec", container_id, "true"))

    def cleanup(self) -> None:
        for cid in list(self.started):
            subprocess.run(self.argv("delete", "-f", cid), capture_output=True, check=False)
        self.started.clear()


# -- memory --------------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return float(line.split()[1])
    return 0.0


def _pss_kb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return float(line.split()[1])
    return 0.0


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, PSS) of ``pid`` in MB."""
    return _status_kb(pid, "VmRSS") / 1024, _pss_kb(pid) / 1024


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) ``pid`` has used itself."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def conmons(data_dir: Path) -> list[int]:
    """Pids of the conmon processes of this node (their command line names its data)."""
    found = []
    needle = str(data_dir).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() != "conmon":
                continue
            if needle in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


_IMPORT_ONLY = (
    "import seclet.cli.main, seclet.cli.server\n"
    "with seclet.cli.server._deferred_verify_paths():\n"
    "    import aiohttp\n"
    "import seclet.apiserver.server\n"
    "from pathlib import Path\n"
    "s = Path('/proc/self/status').read_text().splitlines()\n"
    "r = Path('/proc/self/smaps_rollup').read_text().splitlines()\n"
    "print(*(l.split()[1] for l in s if l.startswith('VmRSS:')),"
    " *(l.split()[1] for l in r if l.startswith('Pss:')))\n"
)


_ALL_MODULES = (
    "import seclet.cli.main, seclet.cli.server, seclet.apiserver.server, seclet.apiserver.certs,"
    " seclet.controllers.storage, seclet.host.probe, seclet.kubelet.kubelet,"
    " seclet.runtime.image.store, seclet.runtime.runc.service"
)
"""What a server imports in all (the bytecode warm-up)."""


def seclet_env(tmp: Path, bytecode_cache: bool) -> dict[str, str]:
    """The environment of the run's seclet processes (see Bytecode in the docstring);
    with the cache, warmed by one import of every module a server imports."""
    env = dict(os.environ)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if not bytecode_cache:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    subprocess.run([sys.executable, "-c", _ALL_MODULES], env=env, check=True)
    return env


def import_floor(samples: Samples, env: dict[str, str] | None = None) -> None:
    """What the server pays before it listens: a Python process importing what it
    imports until then (its time from exec, and its RSS/PSS then)."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_ONLY], capture_output=True, text=True, check=True, env=env
    )
    samples.add("import_s", time.perf_counter() - t0)
    rss_kb, pss_kb = out.stdout.split()
    samples.add("import_rss", float(rss_kb) / 1024)
    samples.add("import_pss", float(pss_kb) / 1024)


# -- the node ------------------------------------------------------------------------


def _https(
    port: int, path: str, *, token: str | None, context: ssl.SSLContext, timeout: float = 2
) -> tuple[int, bytes]:
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass
class ReadyTimes:
    readyz: float
    readyz_cpu: float
    """The server's CPU seconds (its own threads) at the first ``/readyz`` 200."""
    api: float
    node: float


@dataclass
class Server:
    """``seclet server`` as a process (the flags of tests/e2e/node.py, a fixed port)."""

    data_dir: Path
    kubeconfig: Path
    mirrors: tuple[str, ...]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    token: str = ""
    ca_pem: str = ""
    env: dict[str, str] | None = None
    """The server's environment (None: this process's)."""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.ca_pem)

    def start(self, timeout: float = 30.0) -> ReadyTimes:
        """Start and time (from just before the exec) /readyz, GET /api, Node Ready."""
        self.port = free_port()
        args = [str(SECLET), "server", "--data-dir", str(self.data_dir), "--port"]
        args += [str(self.port), "--kubeconfig", str(self.kubeconfig)]
        for mirror in self.mirrors:
            args += ["--registry-mirror", mirror]
        if self.kubeconfig.exists():
            self.kubeconfig.unlink()
        insecure = _unverified()
        with self.log_path.open("ab") as log:
            t0 = time.perf_counter()
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=self.env
            )
        deadline = t0 + timeout

        def poll(probe: Callable[[], bool]) -> float:
            while time.perf_counter() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise BenchError(f"seclet server exited:\n{self.log()}")
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if probe():
                        return time.perf_counter() - t0
                time.sleep(POLL_S)
            raise BenchError(f"seclet server not ready in {timeout}s:\n{self.log()}")

        readyz = poll(lambda: _https(self.port, "/readyz", token=None, context=insecure)[0] == 200)
        readyz_cpu = cpu_s(self.pid)

        def api_ok() -> bool:
            if not self.token:
                if not self.kubeconfig.exists():
                    return False
                self._read_kubeconfig()
            return _https(self.port, "/api", token=self.token, context=self.ssl_context())[0] == 200

        api = poll(api_ok)

        def node_ready() -> bool:
            code, body = _https(
                self.port, "/api/v1/nodes", token=self.token, context=self.ssl_context()
            )
            if code != 200:
                return False
            for item in json.loads(body).get("items", []):
                for cond in item.get("status", {}).get("conditions", []):
                    if cond.get("type") == "Ready" and cond.get("status") == "True":
                        return True
            return False

        node = poll(node_ready)
        return ReadyTimes(readyz, readyz_cpu, api, node)

    def _read_kubeconfig(self) -> None:
        doc = yaml.safe_load(self.kubeconfig.read_text())
        self.token = doc["users"][0]["user"]["token"]
        ca = doc["clusters"][0]["cluster"]["certificate-authority-data"]
        self.ca_pem = base64.b64decode(ca).decode()

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-5000:]
        return ""

    def stop(self) -> float:
        """SIGTERM and wait (kill after 30 s); seconds to exit."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        t0 = time.perf_counter()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.token = ""
        return time.perf_counter() - t0


def _runc_ids(runc_root: Path) -> set[str]:
    """The containers in a runc state root (one directory each)."""
    with contextlib.suppress(FileNotFoundError):
        return {p.name for p in runc_root.iterdir()}
    return set()


def pod_manifest(name: str) -> JSONObject:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "main", "image": IMAGE, "command": ["sleep", "3600"]}],
        },
    }


def _started(pod: JSONObject) -> str | None:
    """The container's runc id once the pod is Running with every container started."""
    status = pod.get("status") or {}
    if status.get("phase") != "Running":
        return None
    statuses = status.get("containerStatuses") or []
    if not statuses or not all("running" in (cs.get("state") or {}) for cs in statuses):
        return None
    return str(statuses[0].get("containerID", "")).partition("://")[2] or None


class PodWatch:
    """One watch on the namespace's pods; futures for Running and for gone, stamped
    with ``perf_counter`` as the event is read."""

    def __init__(self) -> None:
        self.running: dict[str, asyncio.Future[tuple[float, str]]] = {}
        self.gone: dict[str, asyncio.Future[float]] = {}
        self.task: asyncio.Task[None] | None = None

    def expect(self, name: str) -> None:
        loop = asyncio.get_running_loop()
        self.running[name] = loop.create_future()
        self.gone[name] = loop.create_future()

    async def start(self, session: aiohttp.ClientSession, base: str) -> None:
        async with session.get(f"{base}/api/v1/namespaces/{NAMESPACE}/pods") as resp:
            resp.raise_for_status()
            rv = (await resp.json())["metadata"]["resourceVersion"]
        self.task = asyncio.create_task(self._run(session, base, rv))

    async def _run(self, session: aiohttp.ClientSession, base: str, rv: str) -> None:
        params = {"watch": "1", "resourceVersion": rv}
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        url = f"{base}/api/v1/namespaces/{NAMESPACE}/pods"
        async with session.get(url, params=params, timeout=timeout) as resp:
            resp.raise_for_status()
            async for line in resp.content:
                now = time.perf_counter()
                if not line.strip():
                    continue
                event = json.loads(line)
                obj = event.get("object") or {}
                name = (obj.get("metadata") or {}).get("name", "")
                if event.get("type") == "DELETED":
                    gone = self.gone.get(name)
                    if gone is not None and not gone.done():
                        gone.set_result(now)
                    continue
                running = self.running.get(name)
                if running is not None and not running.done():
                    cid = _started(obj)
                    if cid is not None:
                        running.set_result((now, cid))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


@dataclass
class Client:
    """Raw HTTPS to the API server with the kubeconfig's token."""

    server: Server
    session: aiohttp.ClientSession
    watch: PodWatch
    runc_root: Path
    exec_session: aiohttp.ClientSession
    """A new TLS connection per exec, as kubectl and the Python client make."""
    created: set[str] = field(default_factory=set)

    @property
    def base(self) -> str:
        return self.server.url

    def _runc_ids(self) -> set[str]:
        return _runc_ids(self.runc_root)

    async def create(self, name: str, limit_s: float = 60) -> tuple[float, str, set[str]]:
        """Seconds from the POST to the watch's Running; the container's id; the pod's
        runc ids (sandbox and container)."""
        self.watch.expect(name)
        before = self._runc_ids()
        t0 = time.perf_counter()
        async with self.session.post(
            f"{self.base}/api/v1/namespaces/{NAMESPACE}/pods", json=pod_manifest(name)
        ) as resp:
            if resp.status != 201:
                raise BenchError(f"create {name}: {resp.status} {await resp.text()}")
        self.created.add(name)
        try:
            t1, cid = await asyncio.wait_for(self.watch.running[name], limit_s)
        except TimeoutError:
            pod = await self.get(name)
            raise BenchError(
                f"pod {name} not Running in {limit_s}s: {json.dumps(pod.get('status'))}\n"
                f"{self.server.log()}"
            ) from None
        return t1 - t0, cid, self._runc_ids() - before

    async def get(self, name: str) -> JSONObject:
        async with self.session.get(f"{self.base}/api/v1/namespaces/{NAMESPACE}/pods/{name}") as r:
            return cast(JSONObject, await r.json())

    async def delete(
        self, name: str, runc_ids: set[str], limit_s: float = 60
    ) -> tuple[float, float]:
        """Seconds from the DELETE to the watch's DELETED, and to its runc containers gone."""
        t0 = time.perf_counter()
        async with self.session.delete(f"{self.base}/api/v1/namespaces/{NAMESPACE}/pods/{name}"):
            pass
        t_api = await asyncio.wait_for(self.watch.gone[name], limit_s) - t0
        self.created.discard(name)
        deadline = t0 + limit_s
        while self._runc_ids() & runc_ids:
            if time.perf_counter() > deadline:
                raise BenchError(f"runc containers of {name} still there after {limit_s}s")
            await asyncio.sleep(POLL_S)
        return t_api, time.perf_counter() - t0

    async def exec_ws(self, name: str) -> float:
        """Seconds from the websocket request to the exec's exit Status (``true``)."""
        query = urllib.parse.urlencode(
            [("command", "true"), ("stdout", "true"), ("stderr", "true")]
        )
        url = f"{self.base}/api/v1/namespaces/{NAMESPACE}/pods/{name}/exec?{query}"
        t0 = time.perf_counter()
        async with self.exec_session.ws_connect(
            url, protocols=("v5.channel.k8s.io", "v4.channel.k8s.io"), autoping=False
        ) as ws:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.BINARY or not msg.data:
                    continue
                if msg.data[0] == 3:
                    elapsed = time.perf_counter() - t0
                    status = json.loads(msg.data[1:])
                    if status.get("status") != "Success":
                        raise BenchError(f"exec in {name}: {status}")
                    return elapsed
        raise BenchError(f"exec in {name}: no status")

    async def get_fresh(self, name: str) -> float:
        """A GET of the pod on a new TLS connection (what every exec pays first)."""
        connector = aiohttp.TCPConnector(ssl=self.server.ssl_context(), force_close=True)
        headers = {"Authorization": f"Bearer {self.server.token}"}
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
            t0 = time.perf_counter()
            url = f"{self.base}/api/v1/namespaces/{NAMESPACE}/pods/{name}"
            async with session.get(url) as resp:
                await resp.read()
            return time.perf_counter() - t0

    async def delete_all(self) -> None:
        for name in list(self.created):
            with contextlib.suppress(Exception):
                async with self.session.delete(
                    f"{self.base}/api/v1/namespaces/{NAMESPACE}/pods/{name}"
                ):
                    pass
            self.created.discard(name)


def exec_blocking(server: Server, name: str) -> float:
    """Seconds from connecting to the exec's exit Status (``true``), with a plain
    blocking client: a TLS socket speaking RFC 6455 itself (upgrade request, then
    frames read until the error channel's Status; a masked close frame to end), as
    kubectl's Go client (net/http, gorilla/websocket) does with no event loop in
    between. ``exec_ws`` is the same request through aiohttp's client, whose own
    asyncio TLS and websocket layers add their cost to its figure."""
    query = urllib.parse.urlencode([("command", "true"), ("stdout", "true"), ("stderr", "true")])
    path = f"/api/v1/namespaces/{NAMESPACE}/pods/{name}/exec?{query}"
    host = "127.0.0.1"
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{server.port}\r\n"
        f"Authorization: Bearer {server.token}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: v5.channel.k8s.io, v4.channel.k8s.io\r\n\r\n"
    ).encode()
    context = server.ssl_context()
    t0 = time.perf_counter()
    raw = socket.create_connection((host, server.port))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with raw, context.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(request)
        buffer = b""

        def need(n: int) -> None:
            nonlocal buffer
            while len(buffer) < n:
                chunk = tls.recv(65536)
                if not chunk:
                    raise BenchError(f"exec in {name}: connection closed")
                buffer += chunk

        while b"\r\n\r\n" not in buffer:
            need(len(buffer) + 1)
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise BenchError(f"exec in {name}: {head.decode(errors='replace')}")
        while True:
            need(2)
            opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                need(4)
                length, offset = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                need(10)
                length, offset = int.from_bytes(buffer[2:10], "big"), 10
            need(offset + length)
            payload, buffer = buffer[offset : offset + length], buffer[offset + length :]
            if opcode == 0x8:
                raise BenchError(f"exec in {name}: closed before the Status")
            if opcode == 0x2 and payload[:1] == b"\x03":
                elapsed = time.perf_counter() - t0
                status = json.loads(payload[1:])
                if status.get("status") != "Success":
                    raise BenchError(f"exec in {name}: {status}")
                mask = os.urandom(4)
                code = (1000).to_bytes(2, "big")
                tls.sendall(
                    bytes((0x88, 0x82)) + mask + bytes(c ^ mask[i] for i, c in enumerate(code))
                )
                return elapsed


def kubectl_exec(server: Server, name: str) -> float:
    env = {**os.environ, "KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "true"}
    t0 = time.perf_counter()
    subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(server.kubeconfig), "exec", name, "--", "true"],
        check=True,
        capture_output=True,
        env=env,
    )
    return time.perf_counter() - t0


# -- podman, for comparison ----------------------------------------------------------

PODMAN_SHARED_CACHE = Path("/var/lib/containers/cache")
"""containers/image's blob-info cache for root: written by every pull and image build,
whatever podman's ``--root`` (covered by a tmpfs while the run pulls and builds)."""
PODMAN_CGROUP_PARENT = "libpod_parent"
"""Where podman's cgroupfs manager puts pods, in every hierarchy."""
RUNC_DEFAULT_ROOT = Path("/run/runc")
"""runc's state root for root when no ``--root`` is given (podman's containers)."""
PODMAN_DEFAULT_RLIMIT = 1048576
"""What podman gives a root container's RLIMIT_NOFILE and RLIMIT_NPROC unless told."""
FORBIDDEN_LINK_PREFIXES = ("podman", "cni")
"""Host interfaces of podman's bridge networks (``podman0`` with netavark,
``cni-podman0`` with CNI): the run allows none."""
PODMAN_RUNROOT_MAX = 50
"""podman refuses a longer runroot ("the specified runroot is longer than 50 characters")."""
PODMAN_CONTAINER = "main"
"""The container's name in the manifest; podman names it ``<pod>-main``."""


def podman_ulimits(nofile: tuple[int, int], nproc: tuple[int, int], pid_max: int) -> list[str]:
    """containers.conf ``default_ulimits``: podman's 1048576 for root, lowered to the
    hard limit this process has (``setrlimit`` refuses more without CAP_SYS_RESOURCE)
    and RLIMIT_NPROC to the kernel's ``pid_max`` too (podman runs with its own
    RLIMIT_NPROC hard limit lowered to that; a negative value is RLIM_INFINITY)."""

    def cap(limit: int, *others: int) -> int:
        values = [PODMAN_DEFAULT_RLIMIT, *(v for v in (limit, *others) if v >= 0)]
        return min(values)

    files = cap(nofile[1])
    procs = cap(nproc[1], pid_max)
    return [f"nofile={files}:{files}", f"nproc={procs}:{procs}"]


def _toml(value: str | list[str]) -> str:
    """A TOML basic string (or array of them): JSON's escapes are TOML's."""
    return json.dumps(value)


def podman_configs(directory: Path, registry: str, ulimits: list[str]) -> dict[str, str]:
    """The files podman reads (named by CONTAINERS_STORAGE_CONF, CONTAINERS_CONF and
    CONTAINERS_REGISTRIES_CONF): everything it keeps is under ``directory``, containers
    get no network by default, locks are files (not /dev/shm), and docker.io is the
    local ``registry`` (``host:port``, plain HTTP), so a pull never leaves loopback."""
    libpod = directory / "libpod"
    storage = (
        "[storage]\n"
        'driver = "overlay"\n'
        f"graphroot = {_toml(str(directory / 'root'))}\n"
        f"runroot = {_toml(str(directory / 'run'))}\n"
    )
    containers = (
        "[containers]\n"
        'netns = "none"\n'
        f"default_ulimits = {_toml(ulimits)}\n"
        "[engine]\n"
        'cgroup_manager = "cgroupfs"\n'
        'events_logger = "file"\n'
        f"events_logfile_path = {_toml(str(libpod / 'events.log'))}\n"
        'lock_type = "file"\n'
        f"tmp_dir = {_toml(str(libpod))}\n"
        f"static_dir = {_toml(str(directory / 'root' / 'libpod'))}\n"
        f"volume_path = {_toml(str(directory / 'volumes'))}\n"
        f"image_copy_tmp_dir = {_toml(str(directory / 'tmp'))}\n"
        "[network]\n"
        f"network_config_dir = {_toml(str(directory / 'networks'))}\n"
    )
    registries = (
        'unqualified-search-registries = ["docker.io"]\n'
        'short-name-mode = "permissive"\n'
        "[[registry]]\n"
        'prefix = "docker.io"\n'
        f"location = {_toml(registry)}\n"
        "insecure = true\n"
        "[[registry]]\n"
        f"location = {_toml(registry)}\n"
        "insecure = true\n"
    )
    return {"storage.conf": storage, "containers.conf": containers, "registries.conf": registries}


def shadow_point(path: Path, is_dir: Callable[[Path], bool]) -> Path:
    """The deepest existing directory of ``path`` and its parents, no higher than two
    levels below ``/`` (``/var/lib`` for the cache): what the tmpfs covers."""
    for candidate in (path, *path.parents)[: max(len(path.parts) - 2, 1)]:
        if is_dir(candidate):
            return candidate
    raise BenchError(f"no directory to cover for {path}")


def interface_names(ip_link: str) -> set[str]:
    """The names in ``ip -o link`` output (``N: name[@peer]: <FLAGS> ...``)."""
    names = set()
    for line in ip_link.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[0].strip().isdigit():
            names.add(parts[1].strip().partition("@")[0])
    return names


def forbidden_links(names: set[str]) -> list[str]:
    """The podman or CNI bridge interfaces among ``names``."""
    return sorted(n for n in names if n.startswith(FORBIDDEN_LINK_PREFIXES))


def new_dirs(before: set[Path], after: set[Path]) -> list[Path]:
    """Directories in ``after`` only, deepest first (the order ``rmdir`` needs)."""
    return sorted(after - before, key=lambda p: (-len(p.parts), str(p)))


def _host_links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True)
    return interface_names(out.stdout)


def _cgroup_mounts() -> list[Path]:
    """Mount points of every cgroup hierarchy (v1 and v2)."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        head, _, tail = line.partition(" - ")
        if tail.split()[0] in ("cgroup", "cgroup2"):
            points.append(Path(head.split()[4]))
    return points


def _podman_cgroups() -> set[Path]:
    """Every directory under ``libpod_parent`` in every hierarchy, itself included."""
    found: set[Path] = set()
    for mount in _cgroup_mounts():
        parent = mount / PODMAN_CGROUP_PARENT
        if parent.is_dir():
            found.add(parent)
            for top, dirs, _ in os.walk(parent):
                found.update(Path(top) / d for d in dirs)
    return found


@dataclass
class Podman:
    """Rootful podman whose state is all under ``directory`` (see Podman in the module
    docstring); ``cgroups_before`` and ``links_before`` are what the host had."""

    directory: Path
    env: dict[str, str]
    cgroups_before: set[Path]
    links_before: set[str]
    pods: set[str] = field(default_factory=set)
    version: str = ""

    @classmethod
    def create(cls, directory: Path, registry: str) -> Podman:
        """Write the configuration and note the host's cgroups and interfaces."""
        if len(str(directory / "run")) > PODMAN_RUNROOT_MAX:
            raise BenchError(
                f"{directory / 'run'}: podman refuses a runroot longer than"
                f" {PODMAN_RUNROOT_MAX} characters (a shorter TMPDIR helps)"
            )
        for sub in ("root", "run", "libpod", "volumes", "networks", "tmp", "pods"):
            (directory / sub).mkdir(parents=True)
        ulimits = podman_ulimits(
            resource.getrlimit(resource.RLIMIT_NOFILE),
            resource.getrlimit(resource.RLIMIT_NPROC),
            int(Path("/proc/sys/kernel/pid_max").read_text()),
        )
        for name, text in podman_configs(directory, registry, ulimits).items():
            (directory / name).write_text(text)
        env = {
            **os.environ,
            "CONTAINERS_CONF": str(directory / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(directory / "storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": str(directory / "registries.conf"),
            "TMPDIR": str(directory / "tmp"),
        }
        return cls(directory, env, _podman_cgroups(), _host_links())

    def argv(self, *args: str) -> list[str]:
        runc = shutil.which("runc") or "runc"
        d = self.directory
        return [
            "podman",
            "--root", str(d / "root"),
            "--runroot", str(d / "run"),
            "--tmpdir", str(d / "libpod"),
            "--volumepath", str(d / "volumes"),
            "--network-config-dir", str(d / "networks"),
            "--storage-driver", "overlay",
            "--cgroup-manager", "cgroupfs",
            "--events-backend", "file",
            "--runtime", runc,
            *args,
        ]  # fmt: skip

    def _run(self, *args: str, timeout: float = 120) -> str:
        out = subprocess.run(
            self.argv(*args),
            check=False,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if out.returncode != 0:
            raise BenchError(f"podman {' '.join(args)} -> {out.returncode}: {out.stderr[-2000:]}")
        return out.stdout

    def setup(self, registry: str) -> None:
        """Pull busybox from the local registry (as docker.io's name) and build the
        pause image (a pod created and removed), under a tmpfs over the blob-info cache."""
        self.version = subprocess.run(
            ["podman", "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        source = f"{registry}/library/busybox:1.28"
        setup_pod = "bench-podman-setup"
        shadow = shadow_point(PODMAN_SHARED_CACHE, Path.is_dir)
        steps = [
            ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "seclet-bench", str(shadow)],
            self.argv("pull", "--quiet", "--tls-verify=false", source),
            self.argv("tag", source, f"docker.io/library/{IMAGE}"),
            self.argv("pod", "create", "--name", setup_pod, "--network", "none"),
            self.argv("pod", "rm", "--force", "--time", "0", setup_pod),
        ]
        script = " && ".join(shlex.join(step) for step in steps)
        out = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script],
            check=False,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        if out.returncode != 0:
            raise BenchError(f"podman setup -> {out.returncode}: {out.stderr[-2000:]}")

    def manifest(self, name: str) -> Path:
        path = self.directory / "pods" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(pod_manifest(name)))
        return path

    def play(self, name: str) -> float:
        """``podman kube play --network none``: it returns once the containers run
        (then checked with ``podman ps``)."""
        manifest = self.manifest(name)
        self.pods.add(name)
        elapsed = timed_run(
            self.argv("kube", "play", "--network", "none", str(manifest)), env=self.env
        )
        running = self._run(
            "ps", "--filter", f"pod={name}", "--filter", "status=running", "--format", "{{.Names}}"
        ).split()
        if f"{name}-{PODMAN_CONTAINER}" not in running:
            raise BenchError(f"podman pod {name}: {name}-{PODMAN_CONTAINER} not running: {running}")
        return elapsed

    def exec(self, name: str) -> float:
        return timed_run(self.argv("exec", f"{name}-{PODMAN_CONTAINER}", "true"), env=self.env)

    def rm(self, name: str) -> float:
        """``podman pod rm -f -t 0`` (the manifest's grace period of 0)."""
        elapsed = timed_run(self.argv("pod", "rm", "--force", "--time", "0", name), env=self.env)
        self.pods.discard(name)
        return elapsed

    def check_network(self) -> None:
        """Fail when a bridge interface appeared on the host (cleanup removes it)."""
        made = forbidden_links(_host_links() - self.links_before)
        if made:
            raise BenchError(f"podman made host interface(s) {', '.join(made)}")

    def cleanup(self) -> list[str]:
        """Remove every pod and container, their runc state, conmons and cgroups, and any
        bridge interface podman made (returned). Mounts and files go with the temp dir."""
        ids: set[str] = set()
        with contextlib.suppress(FileNotFoundError):
            ids = {p.name for p in (self.directory / "root" / "overlay-containers").iterdir()}
        for args in (
            ("pod", "rm", "--all", "--force", "--time", "0"),
            ("rm", "--all", "--force", "--time", "0"),
        ):
            with contextlib.suppress(BenchError, subprocess.TimeoutExpired):
                self._run(*args)
        self.pods.clear()
        for cid in ids:
            if (RUNC_DEFAULT_ROOT / cid).is_dir():
                subprocess.run(
                    ["runc", "delete", "-f", cid], capture_output=True, check=False, timeout=60
                )
        for pid in conmons(self.directory):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            left = new_dirs(self.cgroups_before, _podman_cgroups())
            for directory in left:
                with contextlib.suppress(OSError):
                    directory.rmdir()
            if not left:
                break
            time.sleep(0.1)
        made = forbidden_links(_host_links() - self.links_before)
        for link in made:
            subprocess.run(["ip", "link", "delete", link], capture_output=True, check=False)
        return made


# -- the run -------------------------------------------------------------------------


def rotation(items: tuple[str, ...], k: int) -> tuple[str, ...]:
    """``items`` rotated left by ``k``: round ``k``'s order, so over ``len(items)``
    rounds every item runs once in every position."""
    shift = k % len(items)
    return items[shift:] + items[:shift]


def record_memory(samples: Samples, label: str, server: Server) -> None:
    rss, pss = rss_mb(server.pid)
    samples.add(f"rss_{label}", rss)
    samples.add(f"pss_{label}", pss)
    pids = conmons(server.data_dir)
    if pids:
        each = [rss_mb(p) for p in pids]
        samples.add(f"conmon_count_{label}", len(pids))
        samples.add(f"conmon_rss_each_{label}", statistics.median(r for r, _ in each))
        samples.add(f"conmon_rss_sum_{label}", sum(r for r, _ in each))
        samples.add(f"conmon_pss_sum_{label}", sum(p for _, p in each))


async def pod_phase(
    server: Server,
    raw: RawRunc,
    podman: Podman | None,
    samples: Samples,
    rounds: int,
    execs: int,
    idle_s: float,
    settle_s: float,
) -> None:
    headers = {"Authorization": f"Bearer {server.token}"}
    connector = aiohttp.TCPConnector(ssl=server.ssl_context())
    runc_root = server.data_dir / "runtime" / "runc"
    fresh = aiohttp.TCPConnector(ssl=server.ssl_context(), force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector, headers=headers) as session,
        aiohttp.ClientSession(connector=fresh, headers=headers) as exec_session,
    ):
        watch = PodWatch()
        await watch.start(session, server.url)
        client = Client(server, session, watch, runc_root, exec_session)
        try:
            await _pod_rounds(client, server, raw, podman, samples, rounds, execs, idle_s, settle_s)
        finally:
            await client.delete_all()
            await watch.stop()
            await _wait_runc_empty(runc_root)


async def _pod_rounds(
    client: Client,
    server: Server,
    raw: RawRunc,
    podman: Podman | None,
    samples: Samples,
    rounds: int,
    execs: int,
    idle_s: float,
    settle_s: float,
) -> None:
    """Step 3 (and 4): every measured step starts after ``settle_s`` of quiet (see
    ``SETTLE_S``)."""

    async def settle() -> None:
        await asyncio.sleep(settle_s)

    # warm-up: the image pull, the first sandbox, the first exec, and runc's own caches
    t, cid, ids = await client.create("bench-warmup", limit_s=120)
    samples.add("first_pod_running_with_pull", t)
    seclet_root = ["runc", "--root", str(client.runc_root)]
    await client.exec_ws("bench-warmup")
    exec_blocking(server, "bench-warmup")
    timed_run([*seclet_root, "exec", cid, "true"])
    await client.delete("bench-warmup", ids)
    raw.run("bench-raw-warmup")
    raw.exec("bench-raw-warmup")
    raw.delete("bench-raw-warmup")

    if podman is not None:
        podman.play("bench-podman-warmup")
        podman.exec("bench-podman-warmup")
        podman.rm("bench-podman-warmup")
        podman.check_network()

    raw_exec_id = "bench-raw-exec"
    raw.run(raw_exec_id)
    engines = ("seclet", "runc") if podman is None else ("seclet", "runc", "podman")
    for i in range(rounds):
        name = f"bench-{i}"
        raw_id = f"bench-raw-{i}"
        podman_pod = f"bench-podman-{i}"
        order = rotation(engines, i)
        cid, ids = "", set[str]()
        for engine in order:
            await settle()
            if engine == "runc":
                samples.add("runc_run", raw.run(raw_id))
            elif engine == "podman":
                assert podman is not None
                samples.add("podman_play", podman.play(podman_pod))
            else:
                cpu0 = cpu_s(server.pid)
                t, cid, ids = await client.create(name)
                samples.add("create_running", t)
                samples.add("create_cpu", cpu_s(server.pid) - cpu0)
        for j in range(execs):
            for engine in rotation(engines, i + j):
                await settle()
                if engine == "runc":
                    samples.add("runc_exec_same", timed_run([*seclet_root, "exec", cid, "true"]))
                elif engine == "podman":
                    assert podman is not None
                    samples.add("podman_exec", podman.exec(podman_pod))
                else:
                    cpu0 = cpu_s(server.pid)
                    samples.add("exec_api", exec_blocking(server, name))
                    samples.add("exec_cpu", cpu_s(server.pid) - cpu0)
                    await settle()
                    samples.add("exec_ws", await client.exec_ws(name))
            await settle()
            samples.add("runc_exec_raw", raw.exec(raw_exec_id))
        await settle()
        samples.add("https_get_fresh", await client.get_fresh(name))
        await settle()
        samples.add("kubectl_exec", kubectl_exec(server, name))
        for engine in order:
            await settle()
            if engine == "runc":
                samples.add("runc_delete", raw.delete(raw_id))
            elif engine == "podman":
                assert podman is not None
                samples.add("podman_rm", podman.rm(podman_pod))
            else:
                cpu0 = cpu_s(server.pid)
                t_api, t_gone = await client.delete(name, ids)
                samples.add("delete_cpu", cpu_s(server.pid) - cpu0)
                samples.add("delete_api", t_api)
                samples.add("delete_runc_gone", t_gone)
    raw.delete(raw_exec_id)

    # idle memory with 1 and 10 pods
    created: dict[str, set[str]] = {}
    _, _, created["bench-idle-0"] = await client.create("bench-idle-0")
    await asyncio.sleep(idle_s)
    record_memory(samples, "1pod", server)
    t0 = time.perf_counter()
    results = await asyncio.gather(*(client.create(f"bench-idle-{k}") for k in range(1, 10)))
    samples.add("create_9_concurrent", time.perf_counter() - t0)
    for k, (_, _, ids) in enumerate(results, start=1):
        created[f"bench-idle-{k}"] = ids
    await asyncio.sleep(idle_s)
    record_memory(samples, "10pods", server)
    t0 = time.perf_counter()
    await asyncio.gather(*(client.delete(n, ids) for n, ids in created.items()))
    samples.add("delete_10_concurrent", time.perf_counter() - t0)
    await asyncio.sleep(idle_s)
    record_memory(samples, "after", server)


async def _wait_runc_empty(runc_root: Path, limit_s: float = 30) -> None:
    deadline = time.perf_counter() + limit_s
    while time.perf_counter() < deadline:
        if not _runc_ids(runc_root):
            return
        await asyncio.sleep(0.05)


# -- clean-up ------------------------------------------------------------------------


def _mounts_under(directory: Path) -> list[str]:
    prefix = str(directory) + "/"
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point.startswith(prefix):
            points.append(point)
    return points


def force_cleanup(tmp: Path, server: Server | None, podman: Podman | None = None) -> list[str]:
    """What a failed run may leave: podman's pods, runc containers, conmons, cgroups,
    mounts, files. Returns the bridge interfaces podman made (removed), if any."""
    made = podman.cleanup() if podman is not None else []
    if made:
        print(f"bench.node: removed host interface(s) podman made: {made}", file=sys.stderr)
    if server is not None:
        runc_root = server.data_dir / "runtime" / "runc"
        with contextlib.suppress(FileNotFoundError):
            for entry in runc_root.iterdir():
                subprocess.run(
                    ["runc", "--root", str(runc_root), "delete", "-f", entry.name],
                    capture_output=True,
                    check=False,
                )
        for pid in conmons(server.data_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    for point in sorted(_mounts_under(tmp), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    if server is not None:  # the node's volatile state on /run (exec files, start markers)
        run_root = default_run_root((server.data_dir / "runtime").absolute())
        if run_root is not None:
            shutil.rmtree(run_root, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return made


# -- the report ----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    metric: str
    baseline: str | None = None
    baseline_label: str = ""
    ratio_target: float | None = None
    abs_target: float | None = None
    unit: str = "ms"
    subject: str = "seclet"
    """Whose figure the row's value is (``seclet`` or ``podman``)."""


ROWS = (
    Row("create → Running", "create_running", "runc_run", "runc run -d", CREATE_RATIO_TARGET),
    Row("exec true, API websocket", "exec_api", "runc_exec_same", "runc exec", EXEC_RATIO_TARGET),
    Row("  create → Running vs podman (info)", "create_running", "podman_play", "podman kube play"),
    Row("  server CPU per create (info)", "create_cpu"),
    Row("  exec true vs podman exec (info)", "exec_api", "podman_exec", "podman exec"),
    Row("  server CPU per exec (info)", "exec_cpu"),
    Row("  exec true, aiohttp client (info)", "exec_ws", "runc_exec_same", "runc exec"),
    Row("  kubectl exec (info)", "kubectl_exec", "runc_exec_same", "runc exec"),
    Row("  fresh TLS GET pod (info)", "https_get_fresh"),
    Row("  runc exec, raw bundle (info)", "runc_exec_raw"),
    Row("delete → gone from API", "delete_api", "runc_delete", "runc delete -f"),
    Row("delete → runc state gone", "delete_runc_gone", "runc_delete", "runc delete -f"),
    Row(
        "  delete → runc state gone vs podman (info)",
        "delete_runc_gone",
        "podman_rm",
        "podman pod rm",
    ),
    Row("  server CPU per delete (info)", "delete_cpu"),
    Row(
        "podman kube play → running",
        "podman_play",
        "runc_run",
        "runc run -d",
        subject="podman",
    ),
    Row("podman exec true", "podman_exec", "runc_exec_same", "runc exec", subject="podman"),
    Row("podman pod rm", "podman_rm", "runc_delete", "runc delete -f", subject="podman"),
    Row("first pod, with pull", "first_pod_running_with_pull"),
    Row("9 pods at once → Running", "create_9_concurrent"),
    Row("10 pods at once → gone", "delete_10_concurrent"),
    Row(
        "ready /readyz, cold",
        "ready_readyz_cold",
        "import_s",
        "import only",
        abs_target=READY_TARGET_S,
    ),
    Row(
        "ready GET /api, cold",
        "ready_api_cold",
        "import_s",
        "import only",
        abs_target=READY_TARGET_S,
    ),
    Row("  server CPU to /readyz, cold (info)", "ready_cpu_cold"),
    Row("  Node Ready, cold (info)", "ready_node_cold"),
    Row(
        "ready /readyz, warm",
        "ready_readyz_warm",
        "import_s",
        "import only",
        abs_target=READY_TARGET_S,
    ),
    Row(
        "ready GET /api, warm",
        "ready_api_warm",
        "import_s",
        "import only",
        abs_target=READY_TARGET_S,
    ),
    Row("  server CPU to /readyz, warm (info)", "ready_cpu_warm"),
    Row("  Node Ready, warm (info)", "ready_node_warm"),
    Row("  SIGTERM → exit (info)", "stop"),
    Row(
        "server RSS, idle start",
        "rss_start",
        "import_rss",
        "import only",
        abs_target=RSS_TARGET_MB,
        unit="MB",
    ),
    Row("server PSS, idle start", "pss_start", "import_pss", "import only", unit="MB"),
    Row(
        "server RSS, 1 pod",
        "rss_1pod",
        "import_rss",
        "import only",
        abs_target=RSS_TARGET_MB,
        unit="MB",
    ),
    Row(
        "server RSS, 10 pods",
        "rss_10pods",
        "import_rss",
        "import only",
        abs_target=RSS_TARGET_MB,
        unit="MB",
    ),
    Row("server PSS, 10 pods", "pss_10pods", "import_pss", "import only", unit="MB"),
    Row("server RSS, after run", "rss_after", unit="MB"),
    Row("conmon processes, 10 pods", "conmon_count_10pods", unit="n"),
    Row("conmon RSS each, 10 pods", "conmon_rss_each_10pods", unit="MB"),
    Row("conmon RSS sum, 10 pods", "conmon_rss_sum_10pods", unit="MB"),
    Row("conmon PSS sum, 10 pods", "conmon_pss_sum_10pods", unit="MB"),
)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value * 1000:.1f}"
    if unit == "n":
        return f"{value:.0f}"
    return f"{value:.1f}"


def report(samples: Samples) -> list[JSONObject]:
    out: list[JSONObject] = []
    for row in ROWS:
        med = samples.median(row.metric)
        if med is None:
            continue
        spread = samples.spread(row.metric)
        base = samples.median(row.baseline) if row.baseline else None
        ratio = med / base if base else None
        target = ""
        met: bool | None = None
        if row.ratio_target is not None and ratio is not None:
            target, met = f"≤ {row.ratio_target:g}x", ratio <= row.ratio_target
        elif row.abs_target is not None:
            shown = row.abs_target * 1000 if row.unit == "ms" else row.abs_target
            target, met = f"≤ {shown:g} {row.unit}", med <= row.abs_target
        out.append(
            {
                "metric": row.label.strip(),
                "subject": row.subject,
                "unit": row.unit,
                "value": med * 1000 if row.unit == "ms" else med,
                "min": (spread[0] * 1000 if row.unit == "ms" else spread[0]) if spread else None,
                "max": (spread[1] * 1000 if row.unit == "ms" else spread[1]) if spread else None,
                "n": len(samples.values[row.metric]),
                "baseline": (base * 1000 if row.unit == "ms" else base) if base else None,
                "baseline_name": row.baseline_label,
                "ratio": ratio,
                "target": target,
                "met": met,
                "_row": row,
            }
        )
    return out


def print_table(rows: list[JSONObject]) -> None:
    head = ("metric", "unit", "value (min–max)", "n", "baseline", "ratio", "target", "met?")
    lines = [head]
    for r in rows:
        row: Row = r["_row"]
        spread = f"{_fmt(r['value'] / (1000 if row.unit == 'ms' else 1), row.unit)}"
        if r["n"] > 1:
            lo, hi = r["min"], r["max"]
            spread += f" ({lo:.1f}–{hi:.1f})"
        base = f"{r['baseline']:.1f} {row.baseline_label}" if r["baseline"] is not None else ""
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
        met = "" if r["met"] is None else ("yes" if r["met"] else "NO")
        lines.append((row.label, row.unit, spread, str(r["n"]), base, ratio, r["target"], met))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


# -- main ----------------------------------------------------------------------------


def _missing() -> list[str]:
    missing = [n for n in ("runc", "conmon", "catatonit", "skopeo") if shutil.which(n) is None]
    missing += [
        str(p) for p in (SECLET, KUBECTL, Path("/usr/bin/docker-registry")) if not p.exists()
    ]
    if os.geteuid() != 0:
        missing.append("root")
    return missing


def podman_note(wanted: bool) -> str | None:
    """Why the podman rows are skipped (None: they are measured)."""
    if not wanted:
        return "podman rows skipped (--no-podman)"
    if shutil.which("podman") is None:
        return "podman not on PATH: its rows skipped"
    missing = [n for n in ("unshare", "ip") if shutil.which(n) is None]
    if missing:
        return f"podman rows skipped: {', '.join(missing)} not on PATH"
    return None


def run(args: argparse.Namespace, samples: Samples) -> str:
    """The whole run (steps 1–5); returns podman's version, or why it was skipped."""
    tmp = Path(tempfile.mkdtemp(prefix="seclet-bench-node-", dir=args.workdir))
    reg: LocalRegistry | None = None
    raw: RawRunc | None = None
    server: Server | None = None
    podman: Podman | None = None
    skipped = podman_note(args.podman)
    try:
        reg = LocalRegistry.start(tmp / "registry")
        push_test_images(reg)
        raw = RawRunc.prepare(tmp / "raw")
        if skipped is None:
            podman = Podman.create(tmp / "podman", reg.netloc)
            podman.setup(reg.netloc)
        node_dir = tmp / "node"
        node_dir.mkdir()
        env = seclet_env(tmp, args.bytecode_cache)
        server = Server(
            data_dir=node_dir / "data",
            kubeconfig=node_dir / "kubeconfig.yaml",
            mirrors=tuple(f"{host}={reg.url}" for host in MIRRORED_HOSTS),
            log_path=node_dir / "seclet-server.log",
            env=env,
        )
        import_floor(samples, env)
        ready = server.start()
        samples.add("ready_readyz_cold", ready.readyz)
        samples.add("ready_cpu_cold", ready.readyz_cpu)
        samples.add("ready_api_cold", ready.api)
        samples.add("ready_node_cold", ready.node)
        time.sleep(args.idle)
        record_memory(samples, "start", server)
        asyncio.run(
            pod_phase(
                server,
                raw,
                podman,
                samples,
                args.rounds,
                args.execs,
                args.idle,
                args.settle_ms / 1000,
            )
        )
        for _ in range(args.restarts):
            samples.add("stop", server.stop())
            import_floor(samples, env)
            ready = server.start()
            samples.add("ready_readyz_warm", ready.readyz)
            samples.add("ready_cpu_warm", ready.readyz_cpu)
            samples.add("ready_api_warm", ready.api)
            samples.add("ready_node_warm", ready.node)
        if args.keep_log is not None:
            shutil.copy(server.log_path, args.keep_log)
    finally:
        if raw is not None:
            raw.cleanup()
        if server is not None:
            server.stop()
        if reg is not None:
            reg.stop()
        made = force_cleanup(tmp, server, podman)
    if made:
        raise BenchError(
            f"podman made host interface(s) {', '.join(made)} (removed): its network flags"
            " need fixing"
        )
    if podman is not None:
        return podman.version
    assert skipped is not None
    return skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.node", description=__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="pods created and deleted")
    parser.add_argument("--execs", type=int, default=3, help="exec pairs per pod")
    parser.add_argument("--restarts", type=int, default=2, help="warm restarts timed")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--keep-log", type=Path, help="copy the server's log here")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=WORKDIR,
        help=f"where the run's files go (default {WORKDIR}, see the module docstring)",
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=IDLE_SETTLE_S,
        help=f"seconds idle before memory is read ({IDLE_SETTLE_S:g})",
    )
    parser.add_argument(
        "--settle-ms",
        type=float,
        default=SETTLE_S * 1000,
        help=f"quiet before each measured pod step, ms ({SETTLE_S * 1000:g}; see SETTLE_S)",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        dest="bytecode_cache",
        action="store_false",
        help="compile seclet's sources at every start (see the docstring)",
    )
    parser.add_argument(
        "--no-podman",
        dest="podman",
        action="store_false",
        help="skip the podman rows even when podman is on PATH",
    )
    args = parser.parse_args(argv)
    missing = _missing()
    if missing:
        print(f"bench.node needs: {', '.join(missing)}", file=sys.stderr)
        return 2
    samples = Samples()
    t0 = time.perf_counter()
    podman = run(args, samples)
    rows = report(samples)
    if args.json:
        for r in rows:
            del r["_row"]
        doc = {
            "rows": rows,
            "samples": samples.values,
            "seconds": time.perf_counter() - t0,
            "bytecode_cache": args.bytecode_cache,
            "podman": podman,
        }
        print(json.dumps(doc, indent=1))
    else:
        print_table(rows)
        bytecode = "cached" if args.bytecode_cache else "compiled at every start"
        print(
            f"({time.perf_counter() - t0:.0f} s; ms medians over rounds, MB for memory;"
            f" bytecode {bytecode}; memory read after {args.idle:g} s idle)"
        )
        print(f"({podman})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
