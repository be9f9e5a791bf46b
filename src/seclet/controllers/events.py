"""Events of kube-controller-manager's controllers, as core v1 ``events`` in the store.

Role: client-go's ``record.EventRecorder`` as a controller gets it from
``NewBroadcaster().NewRecorder(scheme, EventSource{Component: ...})``: the shared
``seclet.record.EventRecorder`` with ``source.component`` set and no host, so
``reportingInstance`` is empty, and upstream's EventCorrelator LRU of 4096 keys (a
repeat bumps ``count``/``lastTimestamp``; kubectl shows ``(x3 over 40s)``).
Callers: seclet.controllers.pv_binder, .local_path, .protection, .selinux_warning.
"""

from __future__ import annotations

from seclet import record
from seclet.clock import Clock
from seclet.record import NORMAL, WARNING, object_reference
from seclet.store.api import Store

__all__ = ["MAX_LRU_CACHE_ENTRIES", "NORMAL", "WARNING", "EventRecorder", "object_reference"]

MAX_LRU_CACHE_ENTRIES = record.MAX_LRU_CACHE_ENTRIES
"""The EventCorrelator's cache size (``maxLruCacheEntries``): older keys are forgotten."""


class EventRecorder(record.EventRecorder):
    """Records core v1 events from ``component`` (no host)."""

    def __init__(self, store: Store, clock: Clock, component: str) -> None:
        super().__init__(store, clock, component, cache_entries=MAX_LRU_CACHE_ENTRIES)
