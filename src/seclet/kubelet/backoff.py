"""Per-key exponential back-off, as client-go's ``flowcontrol.Backoff``.

Role: the arithmetic behind CrashLoopBackOff (key ``<pod>_<ns>_<uid>_<container>``)
and ImagePullBackOff (key ``<uid>_<image>``). Pure: the caller passes ``now``.
- ``next(key, now)``: first failure (or one more than ``2 x max`` after the last
  update) -> ``initial``; else double, capped at ``max``; remember ``now``.
- ``in_backoff_since(key, event_time, now)``: ``now - event_time < backoff`` unless
  the entry expired (``event_time - last_update > 2 x max``): CrashLoopBackOff uses
  the container's finish time.
- ``in_backoff_since_update(key, now)``: ``now - last_update < backoff``
  (image pulls).
Callers: seclet.kubelet.worker, seclet.kubelet.images, tests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Entry:
    backoff: float
    last_update: float


class Backoff:
    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self._entries: dict[str, _Entry] = {}

    def _expired(self, event_time: float, last_update: float) -> bool:
        return event_time - last_update > 2 * self.maximum

    def get(self, key: str) -> float:
        entry = self._entries.get(key)
        return entry.backoff if entry else 0.0

    def next(self, key: str, now: float, event_time: float | None = None) -> float:
        """One more failure of ``key`` at ``event_time`` (default ``now``); the entry
        restarts at ``initial`` when ``event_time`` is over ``2 x max`` after the last
        update (a container that ran ten minutes starts over at 10 s)."""
        entry = self._entries.get(key)
        if entry is None or self._expired(
            now if event_time is None else event_time, entry.last_update
        ):
            entry = _Entry(self.initial, now)
            self._entries[key] = entry
        else:
            entry.backoff = min(entry.backoff * 2, self.maximum)
            entry.last_update = now
        return entry.backoff

    def in_backoff_since(self, key: str, event_time: float, now: float) -> bool:
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry.last_update):
            return False
        return now - event_time < entry.backoff

    def in_backoff_since_update(self, key: str, now: float) -> bool:
        entry = self._entries.get(key)
        if entry is None or self._expired(now, entry.last_update):
            return False
        return now - entry.last_update < entry.backoff

    def remaining(self, key: str, event_time: float, now: float) -> float:
        """Seconds until ``in_backoff_since`` turns false (0 when not backing off)."""
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        return max(0.0, entry.backoff - (now - event_time))

    def last_update(self, key: str) -> float:
        entry = self._entries.get(key)
        return entry.last_update if entry else 0.0

    def forget(self, prefix: str) -> None:
        for key in [k for k in self._entries if k.startswith(prefix)]:
            del self._entries[key]
