"""The storage controllers of ``seclet server``, wired together under one manager.

Role: what kube-controller-manager (``persistentvolume-binder-controller``,
``persistentvolume-protection-controller``,
``persistentvolumeclaim-protection-controller``) and k3s's bundled
local-path provisioner run for persistent volumes. Steps of ``start_storage``:
1. create the default ``local-path`` StorageClass if absent (k3s deploys its
   manifest at every start);
2. build the enabled controllers (``enabled(name)`` answers ``--controllers``; the
   provisioner always runs, as k3s's unless ``--disable local-storage``) with the
   storage root ``<data-dir>/storage`` (k3s: ``/var/lib/rancher/k3s/storage``);
3. start their manager (list, watch, resync every 15 s). ``ControllerManager.stop``
   ends them.
Callers: seclet.cli.server, tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from seclet.controllers.clock import Clock, SystemClock
from seclet.controllers.enabled import PV_BINDER, PV_PROTECTION, PVC_PROTECTION
from seclet.controllers.local_path import LocalPathProvisioner, ensure_default_class
from seclet.controllers.manager import Controller, ControllerManager
from seclet.controllers.protection import PVCProtectionController, PVProtectionController
from seclet.controllers.pv_binder import PersistentVolumeController
from seclet.store.api import Store

STORAGE_CONTROLLERS: frozenset[str] = frozenset({PV_BINDER, PV_PROTECTION, PVC_PROTECTION})
"""Upstream's names for ``--controllers`` (all on by default)."""


async def start_storage(
    store: Store,
    root: Path,
    node_name: str,
    enabled: Callable[[str], bool] = lambda _name: True,
    clock: Clock | None = None,
) -> ControllerManager:
    """The steps in the module docstring."""
    clock = clock or SystemClock()
    ensure_default_class(store, clock.now())
    controllers: list[Controller] = []
    if enabled(PV_BINDER):
        controllers.append(PersistentVolumeController(store, clock))
    controllers.append(LocalPathProvisioner(store, clock, root, node_name))
    if enabled(PVC_PROTECTION):
        controllers.append(PVCProtectionController(store))
    if enabled(PV_PROTECTION):
        controllers.append(PVProtectionController(store))
    manager = ControllerManager(store, clock, controllers)
    await manager.start()
    return manager
