"""The controllers' sense of time: the shared ``seclet.clock``.

Role: every timestamp a controller writes (events, creationTimestamp of the objects
it creates, deletionTimestamp) and every wait (resync period) goes through one
``Clock`` value passed in, so tests run on a fast or fixed clock. The clock, its real
implementation and the API time spellings are the kubelet's too, so they live in
``seclet.clock`` (controllers may not import the kubelet); this module names them for
the controllers.
Callers: seclet.controllers.*, tests.
"""

from __future__ import annotations

from seclet.clock import Clock, SystemClock, rfc3339, rfc3339_micro

__all__ = ["Clock", "SystemClock", "rfc3339", "rfc3339_micro"]
