"""``seclet server``: run the Kubernetes API server in the foreground.

Role: turn the server's flags (defined in ``seclet.cli.main``) into a ``ServerConfig``,
log to stderr, start the server (``seclet.apiserver.server.Server``), print the
kubeconfig path, and serve until SIGINT/SIGTERM. ``--feature-gates`` reach defaulting
and validation.
Callers: ``seclet.cli.main`` (the ``server`` subcommand).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from seclet.api.featuregates import FeatureGates
from seclet.apiserver.server import Server, ServerConfig


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


def run(args: argparse.Namespace, gates: FeatureGates) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = ServerConfig(
        data_dir=args.data_dir, bind=args.bind, port=args.port, kubeconfig=args.kubeconfig,
        store=args.store, gates=gates,
    )
    asyncio.run(_serve(config))
    return 0
