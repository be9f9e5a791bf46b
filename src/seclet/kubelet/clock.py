"""The kubelet's sense of time: wall-clock readings, sleeps, and their spellings.

Role: every timestamp the kubelet writes (status, events, node heartbeats) and every
wait it makes (sync period, back-offs, grace periods) goes through one ``Clock``
value passed in, so tests run the same code on a ``ScaledClock`` that runs many
times faster than real time. Also the two time spellings the API uses: RFC 3339
seconds (``metav1.Time``) and Go's ``time.Duration.String`` (``1m20s``) for
back-off messages.
Callers: seclet.kubelet.* , tests (ScaledClock), seclet.cri.fake (time source).
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


class ScaledClock:
    """Time that runs ``speed`` times faster than real time, from ``start``.

    ``now()`` and ``sleep()`` agree, so a 10 s back-off takes 10/speed real seconds and
    every timestamp still reads as if 10 s had passed."""

    def __init__(self, speed: float = 100.0, start: float | None = None) -> None:
        self.speed = speed
        self._start = time.time() if start is None else start
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return self._start + (time.monotonic() - self._mono0) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self.speed)

    def time_ns(self) -> int:
        return int(self.now() * 1e9)


def rfc3339(seconds: float) -> str:
    """``metav1.Time`` JSON: UTC, whole seconds (``2026-11-28T05:10:00Z``)."""
    t = datetime.datetime.fromtimestamp(int(seconds), datetime.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_ns(ns: int) -> str:
    """``metav1.Time`` of a CRI nanosecond timestamp (truncated to seconds)."""
    return rfc3339(ns // 1_000_000_000)


def rfc3339_micro(seconds: float) -> str:
    """``metav1.MicroTime`` JSON (``2026-11-28T05:10:00.123456Z``)."""
    t = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(text: str) -> float:
    """Seconds since the epoch of an RFC 3339 timestamp (``Z`` or an offset)."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.datetime.fromisoformat(text).timestamp()


def go_duration(seconds: float) -> str:
    """Go ``time.Duration.String`` for the durations the kubelet prints.

    ``10s``, ``1m20s``, ``5m0s``, ``1.234s``, ``350ms``, ``0s``."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _fraction(ns, size) + unit
    hours, rest = divmod(ns, 3600 * 1_000_000_000)
    minutes, rest = divmod(rest, 60 * 1_000_000_000)
    secs = _fraction(rest, 1_000_000_000) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}"
    if minutes:
        return f"{sign}{minutes}m{secs}"
    return sign + secs


def _fraction(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{str(frac).rjust(digits, '0').rstrip('0')}"
