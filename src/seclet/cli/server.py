"""``seclet server``: run the Kubernetes API server in the foreground.

Role: parse the server's flags into a ``ServerConfig``, log to stderr, start the
server (``seclet.apiserver.server.Server``), print the kubeconfig path, and serve
until SIGINT/SIGTERM.
Callers: ``seclet.cli.main`` (the ``server`` subcommand).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from seclet.apiserver.server import Server, ServerConfig

DEFAULT_DATA_DIR = Path("/var/lib/seclet")
DEFAULT_KUBECONFIG = Path("/etc/seclet/kubeconfig.yaml")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("server", help="serve the Kubernetes API for kubectl (foreground)")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                   help=f"state directory (default {DEFAULT_DATA_DIR})")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=6443, help="HTTPS port (6443; 0: any free)")
    p.add_argument("--kubeconfig", type=Path, default=DEFAULT_KUBECONFIG,
                   help=f"where to write the kubeconfig (default {DEFAULT_KUBECONFIG})")
    p.add_argument("--store", choices=("auto", "sqlite", "memory"), default="auto",
                   help="object store (auto: SQLite under the data directory)")


async def _serve(config: ServerConfig) -> None:
    server = Server(config)
    await server.start()
    print(f"seclet: serving {server.url}; kubeconfig: {config.kubeconfig}", file=sys.stderr,
          flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = ServerConfig(
        data_dir=args.data_dir, bind=args.bind, port=args.port, kubeconfig=args.kubeconfig,
        store=args.store,
    )
    asyncio.run(_serve(config))
    return 0
