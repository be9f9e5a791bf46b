"""An output-only attach that follows the container's CRI log instead of conmon's socket.

Role: conmon closes a container's stdin when *any* attach client goes away (unless
``--leave-stdin-open``), while containerd closes a ``stdinOnce`` container's stdin
only when an attach *with stdin* ends its stdin. So an attach without stdin to a
``stdinOnce`` container without a terminal (``kubectl attach`` without ``-i`` to a
pod made by ``kubectl run -i``) must not become a client of conmon's socket: it reads
what conmon writes to the CRI log from the log's current end on, as a stream of the
same bytes (``F`` lines end with a newline, ``P`` parts do not), stdout and stderr
apart, until the container has exited and its last lines are read. A log rotated
(``ReopenContainerLog``) is followed to the new file at the same path.
Steps (``follow_log``, then the session's reader):
1. open the log before the session is returned, at its end (the output from now
   on; after the line being written, if any);
2. read what was added, split whole lines into their stream's queue;
3. at the end of the file: a new file at the path is opened from its start; an
   exited container (conmon writes its exit file after the last log line) ends the
   stream after one more read; else wait ``poll`` seconds.
Callers: seclet.runtime.runc.attach.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

_READ: Final = 65536


def parse_log_line(line: bytes) -> tuple[str, bytes] | None:
    """One CRI log line (``<time> <stream> <P|F> <content>``, no newline) as (stream,
    bytes the process wrote); None for a line that is not one."""
    parts = line.split(b" ", 3)
    if len(parts) < 3 or parts[1] not in (b"stdout", b"stderr") or parts[2] not in (b"P", b"F"):
        return None
    content = parts[3] if len(parts) == 4 else b""
    return parts[1].decode(), content + (b"\n" if parts[2] == b"F" else b"")


class LogFollowSession:
    """``ExecSession`` of an output-only attach over the CRI log file."""

    def __init__(
        self,
        path: Path,
        log: _Log,
        mid_line: bool,
        exited: Callable[[], Awaitable[bool]],
        *,
        poll: float = 0.1,
    ) -> None:
        self._path = path
        self._log = log
        self._mid_line = mid_line
        self._exited = exited
        self._poll = poll
        self._stdout: asyncio.Queue[bytes] = asyncio.Queue()
        self._stderr: asyncio.Queue[bytes] = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._follow())

    @property
    def tty(self) -> bool:
        return False

    async def _follow(self) -> None:
        try:
            fh, mid_line = self._log, self._mid_line
            try:
                pending = b""
                last = False
                while True:
                    # 2. what was added
                    chunk = await asyncio.to_thread(fh.read, _READ)
                    if chunk and mid_line:  # the rest of a line begun before the attach
                        if b"\n" not in chunk:
                            continue
                        chunk = chunk.split(b"\n", 1)[1]
                        mid_line = False
                    if chunk:
                        pending = self._split(pending + chunk)
                        continue
                    # 3. the end of the file
                    if last:
                        return
                    renewed = await asyncio.to_thread(_reopened, self._path, fh)
                    if renewed is not None:
                        fh.close()
                        fh, pending, mid_line = renewed, b"", False
                        continue
                    if await self._exited():
                        last = True
                        continue
                    await asyncio.sleep(self._poll)
            finally:
                fh.close()
        except OSError:
            return
        finally:
            self._end()

    def _end(self) -> None:
        self._stdout.put_nowait(b"")
        self._stderr.put_nowait(b"")

    def _split(self, data: bytes) -> bytes:
        """Queue the whole lines of ``data``; return the unfinished rest."""
        *lines, rest = data.split(b"\n")
        for line in lines:
            parsed = parse_log_line(line)
            if parsed is not None and parsed[1]:
                (self._stdout if parsed[0] == "stdout" else self._stderr).put_nowait(parsed[1])
        return rest

    async def write_stdin(self, data: bytes) -> None:
        return None

    async def close_stdin(self) -> None:
        return None

    async def read_stdout(self) -> bytes:
        return await _next(self._stdout)

    async def read_stderr(self) -> bytes:
        return await _next(self._stderr)

    def resize(self, width: int, height: int) -> None:
        return None

    async def wait(self) -> int:
        await asyncio.wait({self._reader})
        return 0

    async def kill(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader
        self._end()  # a reader cancelled before it ran has not ended the streams


async def _next(queue: asyncio.Queue[bytes]) -> bytes:
    data = await queue.get()
    if not data:
        queue.put_nowait(b"")  # the end stays the end
    return data


async def follow_log(
    path: Path, exited: Callable[[], Awaitable[bool]], *, poll: float = 0.1
) -> LogFollowSession:
    """The session reading ``path`` from its end as it is now (``OSError`` when the
    log cannot be opened)."""
    # 1. the log's end
    log, mid_line = await asyncio.to_thread(_open_at_end, path)
    return LogFollowSession(path, log, mid_line, exited, poll=poll)


class _Log:
    """An open log file and its inode."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.inode = os.fstat(fd).st_ino

    def read(self, size: int) -> bytes:
        return os.read(self.fd, size)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _open_at_end(path: Path) -> tuple[_Log, bool]:
    """The log positioned at its end, and whether that end is inside a line."""
    log = _Log(os.open(path, os.O_RDONLY | os.O_CLOEXEC))
    size = os.lseek(log.fd, 0, os.SEEK_END)
    return log, bool(size) and os.pread(log.fd, 1, size - 1) != b"\n"


def _reopened(path: Path, log: _Log) -> _Log | None:
    """The file now at ``path`` when it is not the one ``log`` reads (rotated)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    if os.fstat(fd).st_ino == log.inode:
        os.close(fd)
        return None
    return _Log(fd)
