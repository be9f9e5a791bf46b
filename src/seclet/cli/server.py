"""``seclet server``: the whole node in one foreground process.

Role: turn the server's flags (defined in ``seclet.cli.main``) into the frozen
configurations of each part, wire the parts together and serve until SIGINT/SIGTERM.

Steps of ``_serve``:
1. open the object store (SQLite under the data directory) once, for everyone;
2. with ``--kubelet`` (the default): probe the node's facts once, open the image
   store (``<data>/images``, pulling through the ``--registry-mirror``s, then the
   mirrors of ``--registries-conf``, see ``registry_hosts``), start the runc
   runtime (``<data>/runtime``) and build the kubelet on the CRI seam;
3. start the API server with the kubelet as its ``NodeClient`` (logs, exec) and print
   where it serves and where the kubeconfig is;
4. start the kubelet (node registration, pod workers);
5. on a signal: stop the kubelet (containers keep running, as when a kubelet
   restarts; the next start re-adopts them), then the API server, then the store.
Callers: ``seclet.cli.main`` (the ``server`` subcommand).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from seclet.api.featuregates import FeatureGates
from seclet.apiserver.server import Server, ServerConfig, open_store
from seclet.cli.main import DEFAULT_REGISTRIES_CONF
from seclet.host.probe import probe_node_facts
from seclet.kubelet.config import KubeletConfig
from seclet.kubelet.kubelet import Kubelet
from seclet.runtime.image.hosts import RegistryHosts, RegistryHostsError
from seclet.runtime.image.registries_conf import (
    RegistriesConfError,
    load_registries_conf,
    mirror_table,
)
from seclet.runtime.image.store import ImageStore
from seclet.runtime.runc.service import RuncRuntime

log = logging.getLogger("seclet.server")


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


def kubelet_config(args: argparse.Namespace) -> KubeletConfig:
    data: Path = args.data_dir.absolute()
    root_dir = (args.root_dir or data / "kubelet").absolute()
    return KubeletConfig(
        node_name=args.node_name or socket.gethostname().lower(),
        root_dir=str(root_dir),
        pod_logs_dir=str((args.pod_logs_dir or data / "pod-logs").absolute()),
        seccomp_default=args.seccomp_default,
        allowed_unsafe_sysctls=tuple(
            s for s in ",".join(args.allowed_unsafe_sysctls).split(",") if s
        ),
    )


async def _serve(config: ServerConfig, args: argparse.Namespace) -> None:
    """The steps in the module docstring."""
    store = open_store(config)
    kubelet: Kubelet | None = None
    if args.kubelet:
        hosts = registry_hosts(args.registry_mirror, registries_conf_path(args.registries_conf))
        kcfg = kubelet_config(args)
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
    server = Server(config, store=store, node_client=kubelet.node_client if kubelet else None)
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
    try:
        if kubelet is not None:
            await kubelet.start()
            log.info("kubelet started for node %s", kubelet.config.node_name)
        await stop.wait()
    finally:
        if kubelet is not None:
            await kubelet.stop()
        await server.stop()


def run(args: argparse.Namespace, gates: FeatureGates) -> int:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = ServerConfig(
        data_dir=args.data_dir,
        bind=args.bind,
        port=args.port,
        kubeconfig=args.kubeconfig,
        store=args.store,
        gates=gates,
    )
    try:
        registry_hosts(args.registry_mirror, registries_conf_path(args.registries_conf))
    except UsageError as exc:
        print(f"seclet server: error: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_serve(config, args))
    return 0
