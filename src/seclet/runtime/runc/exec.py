"""Exec: a command in a running container as an ``ExecSession`` (kubectl exec).

Role: the CRI verb, in process. Without a TTY, ``runc exec`` runs in the foreground
with pipes for stdin/stdout/stderr. With a TTY, runc allocates the container's pty
and, running in the foreground, relays it to its own stdio — here the slave side of
a pty seclet opens; the session reads and writes the master side. A resize sets the
master's window size (TIOCSWINSZ) and sends SIGWINCH to runc, which copies the size
to the container's pty. (runc's ``--console-socket`` hand-over needs ``--detach``,
which would leave the exec'd process without a parent seclet could wait for; the
foreground relay keeps the exit code exact without making seclet a subreaper.)
Steps of ``exec``:
1. prepare the process spec (container's process, args = cmd, terminal = tty);
2. spawn runc (pipes, or our pty's slave);
3. wait until runc has started the process (pid file) — else containerd's error
   with runc's text;
4. return the session.
Callers: seclet.runtime.runc.service.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import signal
import struct
import termios
import tty

from seclet.cri.streaming import ExecSession
from seclet.cri.types import ExecRequest
from seclet.runtime.runc import driver
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.exec_process import (
    PreparedExec,
    exec_failed,
    exec_pid,
    prepare_exec,
    wait_started,
)

_CHUNK = 32768


class PipeExecSession:
    """A non-TTY exec: separate stdout and stderr pipes."""

    def __init__(self, proc: asyncio.subprocess.Process, prepared: PreparedExec) -> None:
        self._proc = proc
        self._prepared = prepared

    @property
    def tty(self) -> bool:
        return False

    async def write_stdin(self, data: bytes) -> None:
        stdin = self._proc.stdin
        if stdin is None or stdin.is_closing():
            return
        stdin.write(data)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            await stdin.drain()

    async def close_stdin(self) -> None:
        stdin = self._proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()

    async def read_stdout(self) -> bytes:
        out = self._proc.stdout
        return await out.read(_CHUNK) if out is not None else b""

    async def read_stderr(self) -> bytes:
        err = self._proc.stderr
        return await err.read(_CHUNK) if err is not None else b""

    def resize(self, width: int, height: int) -> None:
        return None

    async def wait(self) -> int:
        code = await self._proc.wait()
        self._prepared.cleanup()
        return code

    async def kill(self) -> None:
        pid = exec_pid(self._prepared)
        if pid:
            driver.signal_pid(pid, signal.SIGKILL)
        await self.wait()


def set_window_size(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


class TtyExecSession:
    """A TTY exec: one terminal stream through our pty's master side."""

    def __init__(
        self, proc: asyncio.subprocess.Process, prepared: PreparedExec, master: int, stdin: bool
    ) -> None:
        self._proc = proc
        self._prepared = prepared
        self._master = master
        self._stdin = stdin
        self._closed = False

    @property
    def tty(self) -> bool:
        return True

    async def write_stdin(self, data: bytes) -> None:
        if not self._stdin or self._closed:
            return
        loop = asyncio.get_running_loop()
        view = memoryview(data)
        while view:
            try:
                n = os.write(self._master, view)
            except BlockingIOError:
                ready = loop.create_future()
                loop.add_writer(self._master, ready.set_result, None)
                try:
                    await ready
                finally:
                    loop.remove_writer(self._master)
                continue
            except OSError:
                return
            view = view[n:]

    async def close_stdin(self) -> None:
        """End of input on a terminal: send EOF (^D), as a terminal's user does."""
        await self.write_stdin(b"\x04")

    async def read_stdout(self) -> bytes:
        if self._closed:
            return b""
        loop = asyncio.get_running_loop()
        while True:
            try:
                return os.read(self._master, _CHUNK) or self._eof()
            except BlockingIOError:
                pass
            except OSError as exc:
                if exc.errno == errno.EIO:  # every slave fd closed: runc has exited
                    return self._eof()
                raise
            ready = loop.create_future()
            loop.add_reader(self._master, ready.set_result, None)
            try:
                await ready
            finally:
                loop.remove_reader(self._master)

    def _eof(self) -> bytes:
        self._close()
        return b""

    async def read_stderr(self) -> bytes:
        return b""

    def resize(self, width: int, height: int) -> None:
        if self._closed:
            return
        set_window_size(self._master, width, height)
        if self._proc.returncode is None:
            self._proc.send_signal(signal.SIGWINCH)

    async def wait(self) -> int:
        code = await self._proc.wait()
        self._prepared.cleanup()
        return code

    async def kill(self) -> None:
        pid = exec_pid(self._prepared)
        if pid:
            driver.signal_pid(pid, signal.SIGKILL)
        await self.wait()
        self._close()

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            os.close(self._master)


async def exec(config: RuntimeConfig, request: ExecRequest) -> ExecSession:
    # 1. spec
    prepared = await prepare_exec(config, request.container_id, request.cmd, tty=request.tty)
    try:
        if request.tty:
            return await _start_tty(config, request, prepared)
        # 2. + 3. pipes
        proc = await driver.spawn_exec(
            config,
            request.container_id,
            prepared.process_json,
            prepared.pid_file,
            stdin=request.stdin,
        )
        if not await wait_started(proc, prepared):
            _, err = await proc.communicate()
            raise exec_failed(prepared, driver.runc_error_text(err))
        # 4. session
        return PipeExecSession(proc, prepared)
    except BaseException:
        prepared.cleanup()
        raise


async def _start_tty(
    config: RuntimeConfig, request: ExecRequest, prepared: PreparedExec
) -> ExecSession:
    # 2. our pty; runc relays the container's pty to its slave side
    master, slave = os.openpty()
    try:
        # raw before runc starts: runc sets it too, but only once it holds the
        # container's pty, and output written before that would get a second \r
        tty.setraw(slave)
        set_window_size(master, 80, 24)
        proc = await driver.spawn_exec_tty(
            config,
            request.container_id,
            prepared.process_json,
            prepared.pid_file,
            terminal_fd=slave,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    os.set_blocking(master, False)
    # 3. started?
    if not await wait_started(proc, prepared):
        text = b""
        with contextlib.suppress(OSError):
            text = os.read(master, 65536)
        os.close(master)
        raise exec_failed(prepared, driver.runc_error_text(text))
    return TtyExecSession(proc, prepared, master, request.stdin)
