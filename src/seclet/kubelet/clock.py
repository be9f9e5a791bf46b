"""The kubelet's sense of time: the shared clock, a fast test clock, and Go's spellings.

Role: every timestamp the kubelet writes (status, events, node heartbeats) and every
wait it makes (sync period, back-offs, grace periods) goes through one ``Clock``
value passed in. The ``Clock`` protocol, ``SystemClock`` and the ``metav1`` time
spellings are shared with the controllers in ``seclet.clock`` and named here for the
kubelet; this module adds ``ScaledClock`` (runs many times faster than real time, so
tests run the same code), CRI nanosecond and RFC 3339 parsing helpers, and Go's
``time.Duration.String`` (``1m20s``) for back-off messages.
Callers: seclet.kubelet.* , tests (ScaledClock), seclet.cri.fake (time source).
"""

from __future__ import annotations

import asyncio
import datetime
import time

from seclet.clock import Clock, SystemClock, rfc3339, rfc3339_micro

__all__ = [
    "Clock",
    "ScaledClock",
    "SystemClock",
    "go_duration",
    "parse_rfc3339",
    "rfc3339",
    "rfc3339_micro",
    "rfc3339_ns",
]


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


def rfc3339_ns(ns: int) -> str:
    """``metav1.Time`` of a CRI nanosecond timestamp (truncated to seconds)."""
    return rfc3339(ns // 1_000_000_000)


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
