"""Back-off arithmetic (flowcontrol.Backoff) and Go duration spelling. Callers: pytest."""

from __future__ import annotations

import pytest

from seclet.kubelet.backoff import Backoff
from seclet.kubelet.clock import go_duration


def test_crash_loop_doubles_to_five_minutes() -> None:
    b = Backoff(10, 300)
    delays = [b.next("k", now=t * 100.0) for t in range(7)]
    assert delays == [10, 20, 40, 80, 160, 300, 300]


def test_in_backoff_since_finish_time() -> None:
    b = Backoff(10, 300)
    b.next("k", now=100.0)
    assert b.in_backoff_since("k", event_time=105.0, now=110.0)
    assert not b.in_backoff_since("k", event_time=105.0, now=115.0)
    assert b.remaining("k", 105.0, 110.0) == 5.0
    assert not b.in_backoff_since("other", 105.0, 106.0)


def test_reset_after_ten_minutes_without_failure() -> None:
    b = Backoff(10, 300)
    for t in range(4):
        b.next("k", now=float(t))
    assert b.get("k") == 80
    # a container that ran for more than 2 x max after the last restart starts over
    assert b.next("k", now=1000.0, event_time=3.0 + 601) == 10
    assert not b.in_backoff_since("k", event_time=1000.0 + 601 + 601, now=1000.0 + 1202.5)


def test_image_backoff_since_update() -> None:
    b = Backoff(10, 300)
    assert not b.in_backoff_since_update("img", 0.0)
    b.next("img", now=50.0)
    assert b.in_backoff_since_update("img", 59.0)
    assert not b.in_backoff_since_update("img", 60.0)
    b.forget("im")
    assert b.get("img") == 0.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (10, "10s"),
        (20, "20s"),
        (80, "1m20s"),
        (160, "2m40s"),
        (300, "5m0s"),
        (1.234, "1.234s"),
        (0.35, "350ms"),
        (0, "0s"),
        (3600, "1h0m0s"),
        (0.0015, "1.5ms"),
    ],
)
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text
