"""conmon's exit files: has a container (or sandbox) exited, with which code, when.

Role: conmon writes ``<root>/exits/<id>`` (the exit code as text, 128+N for a signal)
once it has reaped the container's first process; the file's mtime is the finish
time. ``wait_exit`` waits for it event-driven where it can: conmon exits right after
writing the file, so the wait sleeps on a pidfd of that conmon (readable when it
exits; ``conmon.pid`` in the bundle), re-reading the file on each wake-up and at
least every ``RuntimeConfig.poll_seconds`` as a fallback (no pidfd support, conmon
already gone, or a conmon that outlives the exit). ``conmon_alive`` tells whether
the container's monitor (its init's parent) still runs.
Callers: container_status, stop_container, stop_pod_sandbox, pod_sandbox_status.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import select
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from seclet.runtime.runc.config import RuntimeConfig

CONMON_PID_FILE = "conmon.pid"


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


def conmon_pid(bundle: Path) -> int:
    """The pid conmon wrote for the container whose bundle is ``bundle`` (0 if none)."""
    try:
        return int((bundle / CONMON_PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return 0


def alive(pid: int) -> bool:
    """``kill(pid, 0)``: a process with that pid exists (zombies included)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def kill_conmon(bundle: Path, object_id: str, within: float) -> bool:
    """SIGKILL the conmon of ``bundle`` (its ``conmon.pid``) if it still runs, through a
    pidfd opened before its command line is checked to name ``object_id`` (so the
    signal cannot reach a process that reused the pid), and wait up to ``within``
    seconds for it to exit; True once no such conmon runs."""
    pid = conmon_pid(bundle)
    pidfd = _pidfd(pid)
    if pidfd is None:
        return not alive(pid) or not _runs_conmon_of(pid, object_id)
    try:
        if not _runs_conmon_of(pid, object_id):
            return True
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        deadline = time.monotonic() + within
        while not _exited(pidfd):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await _readable(pidfd, left)
        return True
    finally:
        os.close(pidfd)


def _runs_conmon_of(pid: int, object_id: str) -> bool:
    """Whether ``pid`` is a conmon started for ``object_id`` (``-c <id>``)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    wanted = object_id.encode()
    return any(a == b"-c" and b == wanted for a, b in itertools.pairwise(argv))


def _pidfd(pid: int) -> int | None:
    if pid <= 0:
        return None
    try:
        return os.pidfd_open(pid)
    except (OSError, AttributeError):
        return None


async def _readable(fd: int, seconds: float) -> None:
    """Return when ``fd`` is readable or ``seconds`` passed."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready, max(seconds, 0.0))
    finally:
        loop.remove_reader(fd)


async def wait_exit(
    config: RuntimeConfig, object_id: str, within: float, bundle: Path | None = None
) -> Exit | None:
    """Wait up to ``within`` seconds for the exit file; None if it did not come.
    With ``bundle``, sleep on its conmon's pidfd (woken when conmon exits)."""
    deadline = time.monotonic() + within
    found = read_exit(config, object_id)
    if found is not None:
        return found
    pidfd = _pidfd(conmon_pid(bundle)) if bundle is not None else None
    try:
        while True:
            found = read_exit(config, object_id)
            if found is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if pidfd is not None:
                await _readable(pidfd, min(left, max(config.poll_seconds, 0.05)))
                if _exited(pidfd):
                    # conmon is gone: its exit file is final (or never coming); one
                    # more look, then plain polling for what time is left
                    os.close(pidfd)
                    pidfd = None
            else:
                await asyncio.sleep(min(left, config.poll_seconds))
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _exited(pidfd: int) -> bool:
    """A pidfd is readable once its process has exited."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(0))
