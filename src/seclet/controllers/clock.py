"""The controllers' sense of time: readings, sleeps and the two API time spellings.

Role: every timestamp a controller writes (events, creationTimestamp of the objects
it creates, deletionTimestamp) and every wait (resync period) goes through one
``Clock`` value passed in, so tests run on a fast or fixed clock. Structurally the
same Protocol as the kubelet's clock (which controllers may not import): a
``seclet.kubelet.clock.ScaledClock`` satisfies it.
Callers: seclet.controllers.*, tests.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (wall clock)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


def rfc3339(seconds: float) -> str:
    """``metav1.Time`` JSON: UTC, whole seconds."""
    t = datetime.datetime.fromtimestamp(int(seconds), datetime.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(seconds: float) -> str:
    """``metav1.MicroTime`` JSON (microseconds)."""
    t = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
