"""Attach: the container's own process as an ``ExecSession`` (kubectl attach, run -i).

Role: the CRI verb, in process. conmon, the container's monitor, listens on
``<container dir>/attach`` (a ``SOCK_SEQPACKET`` socket; conmon binds it through the
``<sockets dir>/<id>`` symlink to keep the path short, and keeps it across a seclet
restart). Its protocol (conmon ``conn_sock.c``/``ctr_stdio.c``; CRI-O's
``AttachContainer`` speaks it):
- every packet conmon sends is one read of the container's output, prefixed by one
  stream byte: 2 stdout, 3 stderr (with a terminal all output is the pty's, 2);
- every packet a client sends is written to the container's stdin (conmon reads at
  most 32768 bytes a packet, so stdin goes in chunks no larger);
- a client that ends its writing half (or goes away) makes conmon close the
  container's stdin, unless it runs with ``--leave-stdin-open`` (the container is not
  ``stdinOnce``) or the stdin is a terminal;
- when the container exits conmon sends the rest of the output, then closes every
  client: the end of the stream;
- a terminal resize is ``1 <height> <width>\\n`` written to the ``ctl`` FIFO; conmon
  passes it on as ``<height> <width>\\n`` through its ``winsz`` FIFO. conmon before
  2a1dda8 (2025; Debian's 2.1.6 among them) applies only the first line of each read
  of those FIFOs, as often as the read holds lines, so a second resize sent at once
  (kubectl sends the size plus one, then the size, to make the program redraw) would
  be lost: the session writes one resize at a time and the next only once both FIFOs
  are read empty (``FIONREAD``).
What a detach means follows containerd's ``ContainerIO.Attach``: when the client's
stdin ends, a ``stdinOnce`` container without a terminal gets its stdin closed and
the output keeps streaming until it exits; any other container's attach ends there
(the client detaches, the process keeps running). Stdin is passed on only when the
container has one (``stdin: true``); ``kill`` detaches, never stops the container.
An attach without stdin to a ``stdinOnce`` container without a terminal follows its
CRI log instead (``attach_log``): as a client of conmon's socket its going away
would close the container's stdin, which containerd leaves open.
Steps of ``attach``:
1. the container must be running — else containerd's ``container is in
   CONTAINER_EXITED state``;
2. output only, to a ``stdinOnce`` container without a terminal: the log follower;
3. connect to conmon's attach socket (through an ``O_PATH`` descriptor of the
   container directory, so the path's length never matters);
4. return the session, whose reader task sorts packets into stdout and stderr.
Callers: seclet.runtime.runc.service.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import os
import socket
import struct
import termios
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from seclet.cri.errors import CRIError, FailedPreconditionError
from seclet.cri.streaming import ExecSession
from seclet.cri.types import AttachRequest, ContainerState
from seclet.runtime.runc import records
from seclet.runtime.runc.attach_log import follow_log
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.container_status import observe

STDOUT_PIPE: Final = 2
STDERR_PIPE: Final = 3
"""conmon's ``stdpipe_t`` values, the first byte of each packet it sends."""
CONN_SOCK_BUF_SIZE: Final = 32768
"""The largest packet conmon reads from an attach client (a longer one is cut)."""
RECV_SIZE: Final = 65536
"""Our receive buffer: larger than any packet conmon sends (8192 + 1 bytes)."""
WIN_RESIZE_EVENT: Final = 1
_FIFO_READ_WAIT: Final = 1.0
"""How long a resize waits for conmon to read the previous one before sending anyway."""
_FIFO_POLL: Final = 0.005
_QUEUE_PACKETS: Final = 64


def split_packet(packet: bytes) -> tuple[int, bytes]:
    """A packet from conmon as (stream byte, data); an empty packet is (0, b"")."""
    if not packet:
        return 0, b""
    return packet[0], packet[1:]


def resize_message(width: int, height: int) -> bytes:
    """The ``ctl`` FIFO line that resizes the container's pty (height first)."""
    return f"{WIN_RESIZE_EVENT} {height} {width}\n".encode()


def stdin_packets(data: bytes, size: int = CONN_SOCK_BUF_SIZE) -> Iterator[bytes]:
    """``data`` as packets conmon reads whole."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def follows_log(record: records.ContainerRecord, *, stdin: bool) -> bool:
    """An attach without stdin to a ``stdinOnce`` container without a terminal (and
    with a log) reads the log: conmon would close that stdin when it detaches."""
    return (
        not stdin
        and record.stdin
        and record.stdin_once
        and not record.terminal
        and bool(record.log_path)
    )


def detach_on_stdin_end(*, tty: bool, stdin_once: bool) -> bool:
    """containerd: the end of the client's stdin ends the attach, except for a
    ``stdinOnce`` container without a terminal, whose stdin is closed instead."""
    return tty or not stdin_once


class AttachSession:
    """One client on conmon's attach socket."""

    def __init__(
        self,
        sock: socket.socket,
        ctl: Path,
        *,
        tty: bool,
        stdin: bool,
        stdin_once: bool,
    ) -> None:
        self._sock = sock
        self._ctl = ctl
        self._tty = tty
        self._stdin = stdin
        self._stdin_once = stdin_once
        self._stdout: asyncio.Queue[bytes] = asyncio.Queue(_QUEUE_PACKETS)
        self._stderr: asyncio.Queue[bytes] = asyncio.Queue(_QUEUE_PACKETS)
        self._writing = True
        self._detached = False
        self._sizes: collections.deque[tuple[int, int]] = collections.deque()
        self._resizer: asyncio.Task[None] | None = None
        self._ended = False
        self._reader = asyncio.ensure_future(self._read())

    @property
    def tty(self) -> bool:
        return self._tty

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    packet = await loop.sock_recv(self._sock, RECV_SIZE)
                except OSError:
                    break
                if not packet:
                    break
                stream, data = split_packet(packet)
                if not data:
                    continue
                if stream == STDOUT_PIPE:
                    await self._stdout.put(data)
                elif stream == STDERR_PIPE and not self._tty:
                    await self._stderr.put(data)
        finally:
            self._end_streams()

    def _end_streams(self) -> None:
        if self._ended:
            return
        self._ended = True
        for queue in (self._stdout, self._stderr):
            if not queue.full():  # a full queue has no reader waiting; see ``_next``
                queue.put_nowait(b"")

    async def write_stdin(self, data: bytes) -> None:
        if not self._stdin or not self._writing:
            return
        loop = asyncio.get_running_loop()
        for packet in stdin_packets(data):
            try:
                await loop.sock_sendall(self._sock, packet)
            except OSError:
                self._writing = False  # conmon closed the container's stdin
                return

    async def close_stdin(self) -> None:
        """The client's stdin ended: close the container's (a ``stdinOnce`` one
        without a terminal) or detach."""
        if not self._stdin:
            return
        if detach_on_stdin_end(tty=self._tty, stdin_once=self._stdin_once):
            await self.kill()
            return
        if self._writing:
            self._writing = False
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_WR)

    async def read_stdout(self) -> bytes:
        return await self._next(self._stdout)

    async def read_stderr(self) -> bytes:
        if self._tty:
            return b""
        return await self._next(self._stderr)

    async def _next(self, queue: asyncio.Queue[bytes]) -> bytes:
        if self._ended and queue.empty():
            return b""
        return await queue.get()

    def resize(self, width: int, height: int) -> None:
        """Queue a line for conmon's ``ctl`` FIFO (only a terminal has a size)."""
        if not self._tty or self._detached:
            return
        self._sizes.append((width, height))
        if self._resizer is None or self._resizer.done():
            self._resizer = asyncio.ensure_future(self._send_sizes())

    async def _send_sizes(self) -> None:
        while self._sizes and not self._detached:
            width, height = self._sizes.popleft()
            if not _write_fifo(self._ctl, resize_message(width, height)):
                return  # conmon is gone: the container has exited
            await self._fifos_read()

    async def _fifos_read(self) -> None:
        """Until conmon has read ``ctl`` and then ``winsz`` empty (or a second passed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _FIFO_READ_WAIT
        for fifo in (self._ctl, self._ctl.with_name("winsz")):
            while True:
                await asyncio.sleep(_FIFO_POLL)
                if not _unread(fifo) or loop.time() >= deadline:
                    break

    async def wait(self) -> int:
        """The stream's end; an attach has no exit code of its own (0)."""
        await asyncio.wait({self._reader})
        self._close()
        return 0

    async def kill(self) -> None:
        """Detach: leave the container running."""
        self._detached = True
        self._writing = False
        self._reader.cancel()
        if self._resizer is not None:
            self._resizer.cancel()
        with contextlib.suppress(BaseException):
            await self._reader
        self._end_streams()  # a reader cancelled before it ran never ended them
        self._close()

    def _close(self) -> None:
        if self._sock.fileno() != -1:
            self._sock.close()


def _write_fifo(path: Path, data: bytes) -> bool:
    """Write ``data`` to a FIFO conmon reads; False when nobody reads it any more."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        os.write(fd, data)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _unread(path: Path) -> int:
    """Bytes waiting in a FIFO (0 when it has no reader or does not exist)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return 0
    try:
        raw = fcntl.ioctl(fd, termios.FIONREAD, struct.pack("i", 0))
        count: int = struct.unpack("i", raw)[0]
        return count
    except OSError:
        return 0
    finally:
        os.close(fd)


async def attach(config: RuntimeConfig, request: AttachRequest) -> ExecSession:
    # 1. running?
    record = records.load_container(config, request.container_id)
    seen = await observe(config, record)
    if seen.state != ContainerState.CONTAINER_RUNNING:
        raise FailedPreconditionError(f"container is in {seen.state.name} state")
    # 2. output only, where conmon would close the stdin on detach
    if follows_log(record, stdin=request.stdin):

        async def exited() -> bool:
            try:
                now = await observe(config, records.load_container(config, record.id))
            except CRIError:
                return True
            return now.state != ContainerState.CONTAINER_RUNNING

        try:
            return await follow_log(Path(record.log_path), exited)
        except OSError as exc:
            raise CRIError(f"failed to open container {record.id} log: {exc}") from None
    # 3. conmon's attach socket
    directory = config.container_dir(record.id)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    try:
        dirfd = os.open(directory, os.O_PATH | os.O_CLOEXEC)
        try:
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, f"/proc/self/fd/{dirfd}/attach")
        finally:
            os.close(dirfd)
    except OSError as exc:
        sock.close()
        raise CRIError(
            f"failed to connect to container {record.id} attach socket: {exc.strerror or exc}"
        ) from None
    # 4. session
    return AttachSession(
        sock,
        directory / "ctl",
        tty=record.terminal,
        stdin=request.stdin and record.stdin,
        stdin_once=record.stdin_once,
    )
