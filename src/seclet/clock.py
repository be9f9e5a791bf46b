"""The one sense of time the kubelet and the controllers share: readings, sleeps, spellings.

Role: every timestamp a component writes (status, events, creationTimestamp,
deletionTimestamp, heartbeats) and every wait it makes (sync and resync periods,
back-offs, grace periods) goes through one ``Clock`` value passed in, so tests run the
same code on a fast or fixed clock; ``SystemClock`` is real time. Also the two
``metav1`` time spellings: ``Time`` (RFC 3339, whole seconds) and ``MicroTime``.
It sits in the lowest layer so that the kubelet and the controllers (which may not
import each other) and the event recorder below them share it.
Callers: seclet.kubelet.clock and seclet.controllers.clock (which re-export it),
seclet.record.
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
    """``metav1.Time`` JSON: UTC, whole seconds (``2026-11-28T05:10:00Z``)."""
    t = datetime.datetime.fromtimestamp(int(seconds), datetime.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(seconds: float) -> str:
    """``metav1.MicroTime`` JSON (``2026-11-28T05:10:00.123456Z``)."""
    t = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
