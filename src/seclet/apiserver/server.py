"""Start and stop the API server: credentials, store, registry, TLS listener.

Role: the I/O shell around ``http.make_app``: ensure the data directory's credentials
(``pki``), open the store (SQLite under the data directory when available, else the
in-memory store), create the system namespaces, listen with TLS on ``bind:port``,
write the kubeconfig, and finish Terminating namespaces once the kubelet has deleted
their last pod (the namespace controller's wait). ``Server.metrics`` is the
Prometheus registry of ``/metrics``, shared with the components that run beside it.
``Server`` is usable in-process (tests) and by ``seclet server``.
Callers: ``seclet.cli.server``, tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from seclet.api.featuregates import DEFAULT_GATES, FeatureGates
from seclet.apiserver.http import make_app
from seclet.apiserver.metrics import RequestCounter, new_registry
from seclet.apiserver.pki import Credentials, ensure_credentials, server_url, write_kubeconfig
from seclet.apiserver.registry import Registry
from seclet.nodeapi import NodeClient
from seclet.store.api import Store
from seclet.store.memory import MemoryStore
from seclet.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

log = logging.getLogger("seclet.apiserver")


@dataclass
class ServerConfig:
    data_dir: Path
    bind: str = "127.0.0.1"
    port: int = 6443
    kubeconfig: Path | None = None
    store: str = "auto"
    """``auto`` or ``sqlite`` (SQLite under ``data_dir``), or ``memory``."""
    gates: FeatureGates = DEFAULT_GATES
    """Kubernetes feature gates for defaulting and validation (``--feature-gates``)."""


def open_store(config: ServerConfig) -> Store:
    """The configured store: SQLite under the data directory (``auto``, ``sqlite``), or
    in memory (``memory``)."""
    if config.store == "memory":
        return MemoryStore()
    return SQLiteStore(config.data_dir / "store.db")


def tls_context(creds: Credentials) -> ssl.SSLContext:
    """The serving context: TLS 1.2 or 1.3, HTTP/1.1, no TLS 1.3 session tickets.

    kubectl (client-go's transport sets no ``ClientSessionCache``) and the Python
    client never resume a session, so the two tickets OpenSSL would encrypt and send
    after every handshake only cost the server CPU and a write per connection — and
    every exec is a new connection."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(creds.cert), str(creds.key))
    ctx.set_alpn_protocols(["http/1.1"])
    ctx.num_tickets = 0
    return ctx


@dataclass
class Server:
    """A running API server (``start``/``stop``); ``url`` and ``port`` once started."""

    config: ServerConfig
    store: Store | None = None
    credentials: Credentials | None = None
    url: str = ""
    port: int = 0
    registry: Registry | None = None
    node_client: NodeClient | None = None
    """The kubelet serving ``pods/log``, ``exec``, ``attach`` (None: none reachable);
    may be set after ``start``."""
    _metrics: CollectorRegistry | None = field(default=None, repr=False)
    _requests: RequestCounter = field(default_factory=RequestCounter, repr=False)
    _runner: web.AppRunner | None = field(default=None, repr=False)
    _finalizer: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def metrics(self) -> CollectorRegistry:
        """The registry ``/metrics`` exposes: the API server's ``apiserver_request_total``
        and whatever other components (controllers) register on it, before or after
        ``start``. Made on first use (prometheus_client is not imported before)."""
        if self._metrics is None:
            self._metrics = new_registry()
            self._metrics.register(self._requests)
        return self._metrics

    async def start(self) -> None:
        cfg = self.config
        self.credentials = ensure_credentials(cfg.data_dir, cfg.bind)
        if self.store is None:
            self.store = open_store(cfg)
        self.registry = Registry(self.store, gates=cfg.gates)
        self.registry.bootstrap()
        app = make_app(
            self.registry,
            self.credentials.token,
            lambda: f"{cfg.bind}:{self.port}",
            node_client_source=lambda: self.node_client,
            metrics_source=lambda: self.metrics,
            request_counter=self._requests,
        )
        self._runner = web.AppRunner(
            app, access_log=log, handle_signals=False, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            cfg.bind,
            cfg.port,
            ssl_context=tls_context(self.credentials),
            reuse_address=True,
        )
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else cfg.port
        self.url = server_url(cfg.bind, self.port)
        if cfg.kubeconfig is not None:
            write_kubeconfig(cfg.kubeconfig, self.credentials, self.url)
        self._finalizer = asyncio.ensure_future(self._finish_namespaces())
        log.info("seclet apiserver listening on %s", self.url)

    async def _finish_namespaces(self) -> None:
        """The namespace controller's wait: a Terminating namespace goes once the
        kubelet has deleted its last pod."""
        store, registry = self.store, self.registry
        assert store is not None and registry is not None
        async for event in store.watch("pods", None, store.current_resource_version()):
            if event.type == "DELETED":
                namespace = (event.object.get("metadata") or {}).get("namespace", "")
                try:
                    registry.finish_namespace(namespace)
                except Exception:  # keep watching: one failure must not stop the rest
                    log.exception("finishing namespace %s failed", namespace)

    async def stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._finalizer
            self._finalizer = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.store is not None:
            self.store.close()
