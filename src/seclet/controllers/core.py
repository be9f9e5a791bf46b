"""The object-lifecycle controllers of ``seclet server``, wired together under one manager.

Role: what kube-controller-manager runs besides the storage controllers for a
single node's objects: ``ephemeral-volume-controller`` (claims of generic ephemeral
volumes), ``garbage-collector-controller`` (dependents of deleted owners) and
``root-ca-certificate-publisher-controller`` (``kube-root-ca.crt`` in every
namespace), ``node-lifecycle-controller`` (cordon and conditions as NoSchedule
taints) and ``taint-eviction-controller`` (pods off a node's NoExecute taints), all on
by default upstream. Steps of ``start_core``: 1. build the enabled
ones (``enabled(name)`` answers ``--controllers``), the publisher with the API
server's CA certificate (PEM text, passed in); 2. start their manager (list, watch;
the resync re-queues only what failed). ``ControllerManager.stop`` ends them; None
when none is enabled.
Callers: seclet.cli.server, tests.
"""

from __future__ import annotations

from collections.abc import Callable

from seclet.controllers.clock import Clock, SystemClock
from seclet.controllers.enabled import (
    EPHEMERAL_VOLUME,
    GARBAGE_COLLECTOR,
    NODE_LIFECYCLE,
    ROOT_CA_PUBLISHER,
    TAINT_EVICTION,
)
from seclet.controllers.ephemeral import EphemeralVolumeController
from seclet.controllers.garbagecollector import GarbageCollector
from seclet.controllers.manager import Controller, ControllerManager
from seclet.controllers.nodelifecycle import NodeLifecycleController
from seclet.controllers.rootca import RootCACertPublisher
from seclet.controllers.tainteviction import TaintEvictionController
from seclet.store.api import Store

CORE_CONTROLLERS: frozenset[str] = frozenset(
    {EPHEMERAL_VOLUME, GARBAGE_COLLECTOR, ROOT_CA_PUBLISHER, NODE_LIFECYCLE, TAINT_EVICTION}
)
"""Upstream's names for ``--controllers`` (all on by default)."""


async def start_core(
    store: Store,
    root_ca: str,
    enabled: Callable[[str], bool] = lambda _name: True,
    clock: Clock | None = None,
) -> ControllerManager | None:
    """The steps in the module docstring."""
    clock = clock or SystemClock()
    controllers: list[Controller] = []
    if enabled(EPHEMERAL_VOLUME):
        controllers.append(EphemeralVolumeController(store, clock))
    if enabled(GARBAGE_COLLECTOR):
        controllers.append(GarbageCollector(store, clock))
    if enabled(ROOT_CA_PUBLISHER):
        controllers.append(RootCACertPublisher(store, clock, root_ca))
    if enabled(NODE_LIFECYCLE):
        controllers.append(NodeLifecycleController(store, clock))
    if enabled(TAINT_EVICTION):
        controllers.append(TaintEvictionController(store, clock))
    if not controllers:
        return None
    manager = ControllerManager(store, clock, controllers)
    await manager.start()
    return manager
