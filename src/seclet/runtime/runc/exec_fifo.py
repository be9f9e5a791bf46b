"""Start a created runc container through its exec fifo, as ``runc start`` does.

Role: ``runc create`` leaves the container's init blocked opening
``<runc root>/<id>/exec.fifo`` for writing; ``runc start`` is nothing but the reader
side of that handshake (runc 1.1 ``libcontainer/container_linux.go``: ``exec``,
``awaitFifoOpen``, ``handleFifoResult``, ``readFromExecFifo``): open the fifo for
reading, read until end of file — init writes ``"0"`` and the fifo closes when it
execs the container's process —, then remove the fifo, whose absence is what makes
``runc state`` say ``running`` (``runType``). Doing it here instead of spawning
``runc start`` saves a Go process start on every container start (about a tenth of
create → Running on this machine).
Steps of ``start``:
1. open the fifo non-blocking for reading (absent: ``FifoMissingError``;
   ``start_created`` then runs ``runc start``, for a runtime that keeps no fifo);
2. an init that is no longer ``runc init`` has passed the handshake already (seclet
   died between it and step 4): go to step 4. Otherwise wait until the fifo is
   readable (data or the writer gone) or the init process has exited (its pidfd),
   as runc's loop looks at the init pid every 100 ms;
3. read to end of file: no byte at all means runc's errors (the process died before
   the handshake: ``container process is already dead``; the fifo was drained
   before: ``cannot start an already running container``);
4. remove the fifo.
Callers: seclet.runtime.runc.start_container; container_status (a start that seclet's
death interrupted after the handshake is finished when the container is next seen;
``in_runc_init`` tells one interrupted before it, which is undone).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from pathlib import Path

from seclet.runtime.runc import driver, pause
from seclet.runtime.runc.config import RuntimeConfig

EXEC_FIFO = "exec.fifo"
"""runc's ``execFifoFilename`` in the container's state directory."""


_DEAD = "container process is already dead"
_RUNNING = "cannot start an already running container"


class FifoMissingError(Exception):
    """The container has no exec fifo: let ``runc start`` decide."""


class FifoStartError(Exception):
    """The handshake failed; the text is runc's own for the same case."""


def fifo_path(config: RuntimeConfig, container_id: str) -> Path:
    return config.runc_root / container_id / EXEC_FIFO


async def start(config: RuntimeConfig, container_id: str, init_pid: int) -> None:
    path = fifo_path(config, container_id)
    # 1. open
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise FifoMissingError(str(path)) from None
    try:
        # 2.-3. wait and read to end of file
        if pause.live(init_pid) and not in_runc_init(init_pid):
            data = b"0"
        else:
            data = await _read_to_eof(fd, init_pid)
    finally:
        os.close(fd)
    if not data:
        raise FifoStartError(_RUNNING if pause.live(init_pid) else _DEAD)
    # 4. remove
    path.unlink(missing_ok=True)


async def start_created(config: RuntimeConfig, container_id: str, init_pid: int) -> None:
    """Start a container runc has created: the fifo handshake, else ``runc start``;
    failures raise ``driver.RuncError`` with runc's text."""
    try:
        await start(config, container_id, init_pid)
    except FifoMissingError:
        await driver.runc_start(config, container_id)
    except FifoStartError as exc:
        raise driver.RuncError(str(exc)) from None


def mark_starting(config: RuntimeConfig, container_id: str) -> None:
    """Say that this process (``<pid> <start time>``, on the run root's tmpfs, whose
    ``starting`` directory the runtime made at start) is starting the container, so
    only a start that a dead seclet left is finished."""
    me = os.getpid()
    (config.starting_dir / container_id).write_text(f"{me} {pause.start_time(me)}")


def done_starting(config: RuntimeConfig, container_id: str) -> None:
    (config.starting_dir / container_id).unlink(missing_ok=True)


def start_in_flight(config: RuntimeConfig, container_id: str) -> bool:
    """Whether a live process (this one, normally) is starting the container now."""
    try:
        text = (config.starting_dir / container_id).read_text()
        pid_text, _, started = text.partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return False
    return pause.start_time(pid) == int(started or 0) != 0


def in_runc_init(pid: int) -> bool:
    """Whether ``pid`` still runs runc's init (``<runc> init``, re-executed by runc
    create), i.e. has not yet exec'd the container's process."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return len(argv) >= 2 and argv[1] == b"init" and argv[0].rsplit(b"/", 1)[-1] == b"runc"


async def _read_to_eof(fd: int, init_pid: int) -> bytes:
    """Everything written to the fifo until its writer closed it, or what was there
    when the init process exited without closing it."""
    loop = asyncio.get_running_loop()
    pidfd = -1
    with contextlib.suppress(OSError):
        pidfd = os.pidfd_open(init_pid)
    if pidfd < 0 and not pause.live(init_pid):
        return _drain(fd)[0]
    data = b""
    woken = False
    try:
        while True:
            chunk, eof = _drain(fd)
            data += chunk
            if eof and (data or woken):
                return data
            wake: asyncio.Future[str] = loop.create_future()

            def ready(what: str, wake: asyncio.Future[str] = wake) -> None:
                if not wake.done():
                    wake.set_result(what)

            loop.add_reader(fd, ready, "fifo")
            if pidfd >= 0:
                loop.add_reader(pidfd, ready, "exit")
            try:
                what = await wake
            finally:
                loop.remove_reader(fd)
                if pidfd >= 0:
                    loop.remove_reader(pidfd)
            if what == "exit":
                return data + _drain(fd)[0]
            woken = True
    finally:
        if pidfd >= 0:
            os.close(pidfd)


def _drain(fd: int) -> tuple[bytes, bool]:
    """Read what is there: (bytes, end of file). Before any writer has opened the
    fifo a read also returns b"" (and poll stays quiet): the caller trusts end of
    file only once the fifo has woken it."""
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            return out, False
        except OSError as exc:
            if exc.errno == errno.EINTR:
                continue
            raise
        if not chunk:
            return out, True
        out += chunk
