"""``seclet server``: the whole node in one foreground process.

Role: turn the server's flags (defined in ``seclet.cli.main``) into the frozen
configurations of each part, wire the parts together and serve until SIGINT/SIGTERM.

Steps of ``run`` and ``_serve``:
0. (``run``) check every flag, then start the child that makes the API server's
   certificates when the data directory lacks them (``pki.start_issuing``), and only
   then import the API server's modules: on two cores the keys are made meanwhile.
   aiohttp makes two client TLS contexts at import, each loading the system's CA
   certificates (about a tenth of start-up); that loading waits until the API
   listens (``_deferred_verify_paths``), done in a thread before anything could use
   aiohttp's client (image pulls, once the kubelet runs);
1. open the object store (SQLite under the data directory) once, for everyone, and
   wait for the certificates;
2. start the API server and print where it serves and where the kubeconfig is (it
   is ready before the node modules are even imported: they are imported in a
   thread, so the event loop answers requests, ``/readyz`` first, meanwhile);
3. unless ``--no-kubelet``: import the node's modules, probe the node's facts once,
   open the image store (``<data>/images``, pulling through the
   ``--registry-mirror``s, then the mirrors of ``--registries-conf``, see
   ``registry_hosts``), the runc runtime (``<data>/runtime``), build the kubelet on
   the CRI seam, start it (node registration, pod workers) and hand it to the API
   server as its ``NodeClient`` (logs, exec); then return the heap's free pages to
   the kernel (``_release_free_memory``; all threads share one malloc arena,
   ``_one_malloc_arena``, set in step 0);
4. (started right after step 2, whatever the node does) the controllers
   ``--controllers`` enables, by kube-controller-manager's rules: the
   selinux-warning-controller is off by default and needs the ``SELinuxChangePolicy``
   gate; its conflict metric goes to the API server's ``/metrics`` registry; and the
   storage controllers (``start_storage``: the default ``local-path`` class, the
   PV binder, the local-path provisioner under ``<data>/storage``, the pv/pvc
   protection controllers); and the object-lifecycle controllers (``start_core``: the
   ephemeral volume controller, the garbage collector, the root CA publisher with the
   CA certificate the API server serves with);
5. on a signal: stop the controllers and the kubelet (containers keep running, as
   when a kubelet restarts; the next start re-adopts them), then the API server,
   then the store.
Callers: ``seclet.cli.main`` (the ``server`` subcommand).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import logging
import os
import signal
import socket
import ssl
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seclet.api.featuregates import FeatureGates
from seclet.apiserver.pki import Issuing, start_issuing
from seclet.cli.main import DEFAULT_REGISTRIES_CONF
from seclet.controllers.enabled import (
    DISABLED_BY_DEFAULT,
    KNOWN_CONTROLLERS,
    SELINUX_WARNING,
    UnknownControllerError,
    canonical,
    controller_enabled,
    parse_controllers,
    validate_controllers,
)
from seclet.kubelet.config import KubeletConfig
from seclet.kubelet.logrotation import LogConfigError, parse_duration, parse_max_size, validate
from seclet.runtime.image.hosts import RegistryHosts, RegistryHostsError
from seclet.runtime.image.registries_conf import (
    RegistriesConfError,
    load_registries_conf,
    mirror_table,
)
from seclet.store.api import Store

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from seclet.apiserver.server import ServerConfig
    from seclet.controllers.manager import ControllerManager
    from seclet.kubelet.kubelet import Kubelet

log = logging.getLogger("seclet.server")
DEFAULT_POD_LOGS_DIR = Path("/var/log/pods")
"""The kubelet's own default: ``<ns>_<pod>_<uid>/<container>/<n>.log`` under it."""


class UsageError(ValueError):
    """A flag value that cannot be used (printed as ``seclet server: error: ...``)."""


def registries_conf_path(flag: str | None) -> Path | None:
    """``--registries-conf``: the file given; unset, the system file when it (or its
    drop-in directory) exists; ``''``, none."""
    if flag is None:
        default = DEFAULT_REGISTRIES_CONF
        present = default.exists() or (default.parent / "registries.conf.d").is_dir()
        return default if present else None
    if flag == "":
        return None
    path = Path(flag)
    if not path.is_file():
        raise UsageError(f"--registries-conf {flag}: not a readable file")
    return path


def registry_hosts(mirrors: Sequence[str], registries_conf: Path | None = None) -> RegistryHosts:
    """``--registry-mirror HOST=URL`` (repeatable; ``*`` for every other host), then
    for each registry the endpoints ``registries_conf`` names (after the flags' for
    a host both name)."""
    table: dict[str, list[str]] = {}
    for item in mirrors:
        host, sep, url = item.partition("=")
        if not sep or not host or not url:
            raise UsageError(f"--registry-mirror {item!r}: expected HOST=URL")
        table.setdefault(host, []).append(url)
    try:
        RegistryHosts.of(table)
    except RegistryHostsError as exc:
        raise UsageError(f"--registry-mirror: {exc}") from None
    if registries_conf is not None:
        try:
            conf = mirror_table(load_registries_conf(registries_conf))
        except RegistriesConfError as exc:
            raise UsageError(f"--registries-conf: {exc}") from None
        for host, urls in conf.items():
            have = table.setdefault(host, [])
            have.extend(u for u in urls if u not in have)
    try:
        return RegistryHosts.of(table)
    except RegistryHostsError as exc:
        raise UsageError(f"--registries-conf {registries_conf}: {exc}") from None


def _log_rotation(args: argparse.Namespace) -> tuple[int, float]:
    """``--container-log-max-size`` (bytes) and ``--container-log-monitor-interval``
    (seconds), refused as upstream's kubelet refuses them."""
    try:
        interval = parse_duration(args.container_log_monitor_interval)
    except LogConfigError as exc:
        raise UsageError(
            f'invalid argument "{args.container_log_monitor_interval}" for '
            f'"--container-log-monitor-interval" flag: {exc}'
        ) from None
    try:
        validate(args.container_log_max_files, interval, args.container_log_max_workers)
        return parse_max_size(args.container_log_max_size), interval
    except LogConfigError as exc:
        raise UsageError(str(exc)) from None


def kubelet_config(args: argparse.Namespace) -> KubeletConfig:
    data: Path = args.data_dir.absolute()
    root_dir = (args.root_dir or data / "kubelet").absolute()
    max_size, interval = _log_rotation(args)
    return KubeletConfig(
        node_name=args.node_name or socket.gethostname().lower(),
        root_dir=str(root_dir),
        pod_logs_dir=str((args.pod_logs_dir or DEFAULT_POD_LOGS_DIR).absolute()),
        seccomp_default=args.seccomp_default,
        allowed_unsafe_sysctls=tuple(
            s for s in ",".join(args.allowed_unsafe_sysctls).split(",") if s
        ),
        container_log_max_size=max_size,
        container_log_max_files=args.container_log_max_files,
        container_log_monitor_interval=interval,
        container_log_max_workers=args.container_log_max_workers,
        pod_pids_limit=args.pod_max_pids,
    )


_NODE_MODULES = (
    "seclet.host.probe",
    "seclet.kubelet.kubelet",
    "seclet.runtime.image.store",
    "seclet.runtime.runc.service",
)


def _import(modules: Sequence[str]) -> None:
    """Import ``modules`` (run in a thread: the event loop goes on serving)."""
    for name in modules:
        importlib.import_module(name)


async def _start_node(store: Store, config: ServerConfig, args: argparse.Namespace) -> Kubelet:
    """Probe the node, open the image store and the runtime, start the kubelet.

    Imported here, after the API listens, and in a thread: the kubelet and runtime
    modules are a good part of start-up time, and the API is useful (and ``/readyz``
    true) before them; an import in the loop's thread would hold its requests.
    """
    await asyncio.to_thread(_import, _NODE_MODULES)
    from seclet.host.probe import probe_node_facts  # noqa: PLC0415 - after the API listens
    from seclet.kubelet.kubelet import Kubelet  # noqa: PLC0415 - after the API listens
    from seclet.runtime.image.store import ImageStore  # noqa: PLC0415 - after the API listens
    from seclet.runtime.runc.service import RuncRuntime  # noqa: PLC0415 - after the API listens

    hosts = registry_hosts(args.registry_mirror, registries_conf_path(args.registries_conf))
    kcfg = replace(kubelet_config(args), feature_gates=config.gates)
    facts = await asyncio.to_thread(probe_node_facts)
    data = config.data_dir.absolute()
    images = ImageStore(data / "images", hosts)
    runtime = RuncRuntime(
        data / "runtime",
        images,
        facts,
        seccomp_root=Path(kcfg.root_dir) / "seccomp",
        seccomp_default=kcfg.seccomp_default,
    )
    kubelet = Kubelet(store, runtime, images, kcfg, facts)
    await kubelet.start()
    return kubelet


@contextlib.contextmanager
def _deferred_verify_paths() -> Iterator[list[ssl.SSLContext]]:
    """Within: ``SSLContext.set_default_verify_paths`` (loading the system's CA
    certificates, what ``ssl.create_default_context`` does) only records the context
    in the list yielded; ``_load_verify_paths`` makes the same calls later. For the
    aiohttp import only (nothing else runs meanwhile)."""
    contexts: list[ssl.SSLContext] = []

    def record(context: ssl.SSLContext) -> None:
        contexts.append(context)

    setattr(ssl.SSLContext, "set_default_verify_paths", record)  # noqa: B010
    try:
        yield contexts
    finally:
        delattr(ssl.SSLContext, "set_default_verify_paths")  # the inherited one again


def _load_verify_paths(contexts: Sequence[ssl.SSLContext]) -> None:
    for context in contexts:
        context.set_default_verify_paths()


_M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter for the most arenas (malloc.h)."""


def _libc() -> Any:
    """The C library's functions (``None`` where ctypes cannot load them)."""
    import ctypes  # noqa: PLC0415 - only for the two calls below (the node imports it anyway)

    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def _one_malloc_arena() -> None:
    """Let every thread allocate from glibc's main arena. By default each thread that
    allocates gets an arena of its own (up to eight per core): the thread importing
    the node's modules and the loop's ``to_thread`` workers would each keep one, about
    2.5 MB more RSS at idle (measured); Python threads take turns on the GIL anyway.
    Not glibc: nothing."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is not None:
        mallopt(_M_ARENA_MAX, 1)


def _release_free_memory() -> None:
    """Once start-up is over: give the heap's free pages back to the kernel (glibc's
    ``malloc_trim``); what the imports and the source compilation freed would
    otherwise stay in the RSS. (No ``gc.collect()`` first: it finds about five
    objects and holds the loop for 60-80 ms of CPU here.) Not glibc: nothing.
    Then ``gc.freeze()``: the start-up's objects (modules, schemas, tables) live as
    long as the process, so the cyclic collector stops walking them; an oldest-
    generation pass then looks at what the server made since (it held the loop for
    ~35 ms, now and then in the middle of a pod start or an exec)."""
    malloc_trim = getattr(_libc(), "malloc_trim", None)
    if malloc_trim is not None:
        malloc_trim(0)
    gc.freeze()


def controllers_flag(value: str) -> tuple[str, ...]:
    """``--controllers``, validated as kube-controller-manager validates it."""
    controllers = parse_controllers(value)
    try:
        validate_controllers(controllers, KNOWN_CONTROLLERS)
    except UnknownControllerError as exc:
        raise UsageError(f"--controllers: {exc}") from None
    return canonical(controllers)


def _start_controllers(
    store: Store,
    config: ServerConfig,
    args: argparse.Namespace,
    metrics: Callable[[], CollectorRegistry] | None = None,
) -> list[asyncio.Task[None]]:
    """Step 4: the enabled controllers, each a task (imported only when enabled).
    ``metrics`` gives the registry their metrics go to: the API server's
    (``Server.metrics``, served at ``/metrics``, made on first use); a private one
    when None."""
    tasks: list[asyncio.Task[None]] = []
    controllers = controllers_flag(args.controllers)
    if config.gates.SELinuxChangePolicy and controller_enabled(
        SELINUX_WARNING, controllers, DISABLED_BY_DEFAULT
    ):
        from prometheus_client import CollectorRegistry  # noqa: PLC0415 - only when enabled

        from seclet.controllers.selinux_warning import (  # noqa: PLC0415 - only when enabled
            SELinuxWarningController,
        )

        registry = metrics() if metrics is not None else CollectorRegistry()
        selinux = SELinuxWarningController(store, config.gates, registry)
        tasks.append(asyncio.create_task(selinux.run(), name=SELINUX_WARNING))
    return tasks


async def _start_storage(
    store: Store, config: ServerConfig, args: argparse.Namespace
) -> ControllerManager:
    """Step 4, storage: the controllers of persistent volumes (their ``--controllers``
    names) and the local-path provisioner, with the storage root ``<data>/storage``."""
    await asyncio.to_thread(_import, ("seclet.controllers.storage",))
    from seclet.controllers.storage import start_storage  # noqa: PLC0415 - after the API listens

    controllers = controllers_flag(args.controllers)
    return await start_storage(
        store,
        config.data_dir.absolute() / "storage",
        args.node_name or socket.gethostname().lower(),
        lambda name: controller_enabled(name, controllers, DISABLED_BY_DEFAULT),
    )


async def _start_core(
    store: Store, args: argparse.Namespace, root_ca: str
) -> ControllerManager | None:
    """Step 4, the object-lifecycle controllers (``root_ca``: the CA certificate's PEM)."""
    await asyncio.to_thread(_import, ("seclet.controllers.core",))
    from seclet.controllers.core import start_core  # noqa: PLC0415 - after the API listens

    controllers = controllers_flag(args.controllers)
    return await start_core(
        store, root_ca, lambda name: controller_enabled(name, controllers, DISABLED_BY_DEFAULT)
    )


async def _serve(
    config: ServerConfig,
    args: argparse.Namespace,
    issuing: Issuing | None = None,
    ca_contexts: Sequence[ssl.SSLContext] = (),
) -> int:
    """The steps in the module docstring."""
    from seclet.apiserver.server import Server, open_store  # noqa: PLC0415 - see run

    if sys.version_info < (3, 12) and hasattr(os, "pidfd_open"):
        # 3.11's default child watcher starts a thread per subprocess (runc, conmon:
        # about nine per pod create and delete); a pidfd watcher waits in the loop.
        # 3.12 and later use pidfds by default.
        watcher = asyncio.PidfdChildWatcher()
        watcher.attach_loop(asyncio.get_running_loop())
        asyncio.set_child_watcher(watcher)
    store = open_store(config)
    if issuing is not None:
        issuing.wait()
    server = Server(config, store=store)
    await server.start()
    print(
        f"seclet: serving {server.url}; kubeconfig: {config.kubeconfig}",
        file=sys.stderr,
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await asyncio.to_thread(_load_verify_paths, ca_contexts)
    kubelet: Kubelet | None = None
    controller_tasks = _start_controllers(store, config, args, lambda: server.metrics)
    storage = await _start_storage(store, config, args)
    root_ca = server.credentials.ca_cert.read_text() if server.credentials else ""
    core = await _start_core(store, args, root_ca)
    try:
        if args.kubelet:
            try:
                kubelet = await _start_node(store, config, args)
            except (OSError, ValueError) as exc:
                print(f"seclet server: error: the node did not start: {exc}", file=sys.stderr)
                return 1
            server.node_client = kubelet.node_client
            log.info("kubelet started for node %s", kubelet.config.node_name)
        _release_free_memory()
        await stop.wait()
        return 0
    finally:
        for task in controller_tasks:
            task.cancel()
        await asyncio.gather(*controller_tasks, return_exceptions=True)
        await storage.stop()
        if core is not None:
            await core.stop()
        if kubelet is not None:
            await kubelet.stop()
        await server.stop()


def run(args: argparse.Namespace, gates: FeatureGates) -> int:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        registry_hosts(args.registry_mirror, registries_conf_path(args.registries_conf))
        controllers_flag(args.controllers)
        if args.kubelet:
            kubelet_config(args)
    except UsageError as exc:
        print(f"seclet server: error: {exc}", file=sys.stderr)
        return 2
    _one_malloc_arena()
    issuing = start_issuing(args.data_dir, args.bind)
    # The API server's modules (aiohttp, the API types: most of start-up) only now,
    # while the child makes the certificates on the other core.
    with _deferred_verify_paths() as ca_contexts:
        import aiohttp  # noqa: F401, PLC0415 - its client's TLS contexts, see the docstring
    from seclet.apiserver.server import ServerConfig  # noqa: PLC0415 - after start_issuing

    config = ServerConfig(
        data_dir=args.data_dir,
        bind=args.bind,
        port=args.port,
        kubeconfig=args.kubeconfig,
        store=args.store,
        gates=gates,
    )
    return asyncio.run(_serve(config, args, issuing, ca_contexts))
