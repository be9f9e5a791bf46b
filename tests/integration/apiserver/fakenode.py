"""A fake kubelet for the API server's tests: canned logs and exec in local processes.

Role: implements ``seclet.nodeapi.NodeClient`` without containers: ``container_logs``
yields the chunks a test put in ``logs`` (or raises the ``NodeError`` put in
``errors``) and records the options it was asked with; ``exec`` (and ``attach``, of ``attach_command``) runs the command as a
local subprocess (pipes, or a pseudo-terminal with ``tty``) behind an ``ExecSession``.
Callers: tests/integration/apiserver (conftest wires it into the in-process server).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import struct
import termios
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from seclet.nodeapi import LogOptions, NodeError

Key = tuple[str, str, str]


class ProcessSession:
    """``ExecSession`` over a local subprocess."""

    def __init__(self, proc: asyncio.subprocess.Process, tty: bool, master: int | None) -> None:
        self.proc = proc
        self._tty = tty
        self._master = master
        self.sizes: list[tuple[int, int]] = []

    @property
    def tty(self) -> bool:
        return self._tty

    async def write_stdin(self, data: bytes) -> None:
        if self._master is not None:
            os.write(self._master, data)
            return
        if self.proc.stdin is not None:
            self.proc.stdin.write(data)
            with contextlib.suppress(ConnectionError):
                await self.proc.stdin.drain()

    async def close_stdin(self) -> None:
        if self._master is not None:
            os.write(self._master, b"\x04")
        elif self.proc.stdin is not None:
            self.proc.stdin.close()

    async def read_stdout(self) -> bytes:
        if self._master is not None:
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(None, os.read, self._master, 4096)
            except OSError:
                return b""
        assert self.proc.stdout is not None
        return await self.proc.stdout.read(4096)

    async def read_stderr(self) -> bytes:
        if self.proc.stderr is None:
            return b""
        return await self.proc.stderr.read(4096)

    def resize(self, width: int, height: int) -> None:
        self.sizes.append((width, height))
        if self._master is not None:
            fcntl.ioctl(self._master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    async def wait(self) -> int:
        code = await self.proc.wait()
        if self._master is not None:
            os.close(self._master)
            self._master = None
        return 128 - code if code < 0 else code

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()


@dataclass
class FakeNode:
    """Logs by (namespace, pod, container); ``previous`` ones apart; refusals."""

    logs: dict[Key, list[bytes]] = field(default_factory=dict)
    previous: dict[Key, list[bytes]] = field(default_factory=dict)
    errors: dict[Key, NodeError] = field(default_factory=dict)
    exec_errors: dict[Key, NodeError] = field(default_factory=dict)
    asked: list[tuple[Key, LogOptions]] = field(default_factory=list)
    sessions: list[ProcessSession] = field(default_factory=list)
    follow_delay: float = 0.05
    attach_command: tuple[str, ...] = ("sh", "-c", "echo attached")

    async def container_logs(
        self, namespace: str, pod: str, options: LogOptions
    ) -> AsyncIterator[bytes]:
        key = (namespace, pod, options.container)
        self.asked.append((key, options))
        if key in self.errors:
            raise self.errors[key]
        chunks = (self.previous if options.previous else self.logs).get(key, [])
        if options.tail_lines is not None:
            lines = b"".join(chunks).splitlines(keepends=True)
            chunks = lines[len(lines) - options.tail_lines :] if options.tail_lines else []
        stamp = b"2026-01-01T00:00:00.000000000Z " if options.timestamps else b""
        for chunk in chunks:
            yield stamp + chunk
            if options.follow:
                await asyncio.sleep(self.follow_delay)

    async def exec(
        self,
        namespace: str,
        pod: str,
        container: str,
        command: tuple[str, ...],
        *,
        stdin: bool,
        tty: bool,
    ) -> ProcessSession:
        key = (namespace, pod, container)
        if key in self.exec_errors:
            raise self.exec_errors[key]
        master: int | None = None
        if tty:
            master, slave = pty.openpty()
            proc = await asyncio.create_subprocess_exec(
                *command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
            )
            os.close(slave)
        else:
            proc = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        session = ProcessSession(proc, tty, master)
        self.sessions.append(session)
        return session

    async def attach(
        self, namespace: str, pod: str, container: str, *, stdin: bool, tty: bool
    ) -> ProcessSession:
        """The container's "main process": ``attach_command``, started on attach."""
        return await self.exec(namespace, pod, container, self.attach_command, stdin=stdin, tty=tty)
