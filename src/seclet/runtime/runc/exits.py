"""conmon's exit files: has a container (or sandbox) exited, with which code, when.

Role: conmon writes ``<root>/exits/<id>`` (the exit code as text, 128+N for a signal)
once it has reaped the container's first process; the file's mtime is the finish
time. ``wait_exit`` polls for it (asyncio sleeps, ``RuntimeConfig.poll_seconds``).
Callers: container_status, stop_container, stop_pod_sandbox, pod_sandbox_status.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from seclet.runtime.runc.config import RuntimeConfig


@dataclass(frozen=True, slots=True)
class Exit:
    code: int
    finished_at: int
    """Nanoseconds since the epoch."""


def read_exit(config: RuntimeConfig, object_id: str) -> Exit | None:
    """The exit conmon recorded, or None while the process runs (or never ran)."""
    path = config.exit_file(object_id)
    try:
        text = path.read_text().strip()
        st = path.stat()
    except FileNotFoundError:
        return None
    try:
        code = int(text)
    except ValueError:
        return None
    return Exit(code, st.st_mtime_ns)


async def wait_exit(config: RuntimeConfig, object_id: str, within: float) -> Exit | None:
    """Wait up to ``within`` seconds for the exit file; None if it did not come."""
    deadline = time.monotonic() + within
    while True:
        found = read_exit(config, object_id)
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(config.poll_seconds)
