"""Run several runtime steps at once, each to its end, as the sequential loop did.

Role: ``gather_all`` awaits coroutines together (``asyncio.gather``) but, unlike a
plain gather, lets every one finish even when one fails, then raises the first
failure in the given order — what a ``for`` loop of awaits that had carried on past
errors would report. Used where the steps are independent (stopping or removing the
containers of one sandbox).
Callers: stop_pod_sandbox, remove_pod_sandbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any


async def gather_all(steps: Iterable[Coroutine[Any, Any, Any]]) -> None:
    results = await asyncio.gather(*steps, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
