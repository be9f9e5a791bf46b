"""The pause process without a monitor: started by ``runc run -d``, watched by pid.

Role: the sandbox's catatonit holds the pod's namespaces and nothing else — no
stdio, no log, no exit code anyone reports — so it runs without conmon: one
``runc run -d --pid-file`` (``driver.runc_run_detached``) instead of conmon +
``runc create`` + ``runc start`` (measured on a 2-vCPU box: 48–60 ms against
74–78 ms, medians of 12 starts; one process fewer per pod).
Its liveness is its host pid together with that process's start time (field 22 of
``/proc/<pid>/stat``, kept in ``SandboxRecord.pid_start_time``), so a reused pid is
never taken for it, also after a seclet restart; a zombie counts as exited. Waiting
for it to exit sleeps on a pidfd (readable when it exits). Sandboxes recorded
without a start time (started under conmon by an older seclet) keep using conmon's
exit file.
Callers: run_pod_sandbox (start time), pod_sandbox_status, stop_pod_sandbox (``kill``,
``wait_exited``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

from seclet.runtime.runc import exits, pinns
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.records import SandboxRecord

_POLL = 0.05
"""Fallback re-check interval while waiting (no pidfd support)."""


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of ``pid``, or None if there is none."""
    if pid <= 0:
        return None
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2 :].split()
    try:
        return fields[0].decode(), int(fields[19])
    except (IndexError, ValueError):
        return None


def start_time(pid: int) -> int:
    """The start time of process ``pid`` (0 if it does not exist)."""
    found = _stat(pid)
    return found[1] if found is not None else 0


def live(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (not a zombie or dead)."""
    found = _stat(pid)
    return found is not None and found[0] not in ("Z", "X")


def _running(record: SandboxRecord) -> bool:
    found = _stat(record.pid)
    return found is not None and found[0] != "Z" and found[1] == record.pid_start_time


def kill(record: SandboxRecord) -> None:
    """SIGKILL the pause process if it still runs (through a pidfd opened before the
    check, so the signal cannot reach a process that reused its pid)."""
    try:
        pidfd = os.pidfd_open(record.pid)
    except (OSError, AttributeError):
        if _running(record):
            with contextlib.suppress(ProcessLookupError):
                os.kill(record.pid, signal.SIGKILL)
        return
    try:
        if _running(record):
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    finally:
        os.close(pidfd)


def exited(config: RuntimeConfig, record: SandboxRecord) -> bool:
    """Has the sandbox's pause process exited (or never started)? A sandbox without
    one (``pinns``) counts as exited once its namespace pins are gone."""
    if record.drop_infra:
        return not pinns.pinned(record.pinned_namespaces)
    if record.pid_start_time:
        return not _running(record)
    return exits.read_exit(config, record.id) is not None


async def wait_exited(config: RuntimeConfig, record: SandboxRecord, within: float) -> bool:
    """Wait up to ``within`` seconds for the pause process to exit; True once it has."""
    if not record.pid_start_time:
        found = await exits.wait_exit(config, record.id, within, config.sandbox_dir(record.id))
        return found is not None
    deadline = time.monotonic() + within
    pidfd: int | None = None
    with contextlib.suppress(OSError, AttributeError):
        pidfd = os.pidfd_open(record.pid)
    try:
        loop = asyncio.get_running_loop()
        while _running(record):  # checked after the pidfd opened: it is this process
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if pidfd is None:
                await asyncio.sleep(min(left, config.poll_seconds))
                continue
            ready = loop.create_future()

            def wake(ready: asyncio.Future[None] = ready) -> None:
                if not ready.done():
                    ready.set_result(None)

            loop.add_reader(pidfd, wake)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ready, min(left, _POLL))
            finally:
                loop.remove_reader(pidfd)
        return True
    finally:
        if pidfd is not None:
            os.close(pidfd)
