"""Exec: a command in a running container as an ``ExecSession`` (kubectl exec).

Role: the CRI verb, in process. Without a TTY, ``runc exec`` runs in the foreground
with pipes for stdin/stdout/stderr (runc hands its stdio to the process), spawned by
``posix_spawn`` and served by the event loop directly: the pipes' ends through
readers and writers, runc's exit through a pidfd (``driver.spawn_exec_pipes``). With a TTY,
as containerd: ``runc exec --detach --tty --console-socket`` allocates the
container's pty and sends its master side over a Unix socket (``socket.recv_fds``);
the session reads and writes that master and resizes it with TIOCSWINSZ. runc runs
under a small subreaper helper (``driver.spawn_exec_tty``) that outlives it and
reports the process's exit status. (runc's foreground TTY relay is not used: it
clears ONLCR on the pty while the process already runs, so ``\r\n`` vs
``\r\r\n`` would depend on timing.)
Steps of ``exec``:
1. prepare the process spec (container's process, args = cmd, terminal = tty);
2. spawn runc (pipes; or detached with a console socket, receiving the pty);
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
import socket
import struct
import termios

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


class _Pipe:
    """One non-blocking end — of a pipe, or a pty's master side, read and written at
    once — served by the event loop; ``close`` also wakes a read or write waiting on
    it (which then sees end of file)."""

    def __init__(self, fd: int | None) -> None:
        self.fd = -1 if fd is None else fd
        self._waiters: dict[bool, asyncio.Future[None]] = {}
        """writing -> the wait for the fd to be ready that way."""

    async def _ready(self, writing: bool) -> None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not waiter.done():
                waiter.set_result(None)

        (loop.add_writer if writing else loop.add_reader)(self.fd, wake)
        self._waiters[writing] = waiter
        try:
            await waiter
        finally:
            del self._waiters[writing]
            if self.fd >= 0:
                (loop.remove_writer if writing else loop.remove_reader)(self.fd)

    async def read(self) -> bytes:
        """The next chunk; b"" at end of file (the end is then closed). EIO is the end
        of a pty's master side: every slave fd closed, runc has exited."""
        while self.fd >= 0:
            try:
                data = os.read(self.fd, _CHUNK)
            except BlockingIOError:
                await self._ready(writing=False)
                continue
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                self.close()
            return data
        return b""

    async def write(self, data: bytes) -> None:
        """All of ``data``, unless the reader has gone (then the rest is dropped)."""
        view = memoryview(data)
        while view and self.fd >= 0:
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                await self._ready(writing=True)
            except OSError:
                return

    def close(self) -> None:
        if self.fd < 0:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self.fd)
        loop.remove_writer(self.fd)
        os.close(self.fd)
        self.fd = -1
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_result(None)


class PipeExecSession:
    """A non-TTY exec: separate stdout and stderr pipes of a ``runc exec`` spawned by
    ``driver.spawn_exec_pipes``; its exit is reaped as soon as its pidfd is readable,
    whether or not anyone waits."""

    def __init__(
        self, proc: driver.ExecProcess, prepared: PreparedExec, *, stderr: bool = True
    ) -> None:
        self._proc = proc
        self._prepared = prepared
        self._stderr = stderr
        self._stdin = _Pipe(proc.stdin)
        self._stdout = _Pipe(proc.stdout)
        self._stderr_pipe = _Pipe(proc.stderr)
        loop = asyncio.get_running_loop()
        self._exit: asyncio.Future[int] = loop.create_future()
        loop.add_reader(proc.pidfd, self._reap)

    def _reap(self) -> None:
        """The pidfd is readable: runc has exited; its status is the exec's (asyncio's
        convention: -N when runc itself was killed by signal N)."""
        try:
            pid, status = os.waitpid(self._proc.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = self._proc.pid, 255 << 8
        if pid == 0:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._proc.pidfd)
        os.close(self._proc.pidfd)
        if not self._exit.done():
            self._exit.set_result(os.waitstatus_to_exitcode(status))

    @property
    def exited(self) -> asyncio.Future[int]:
        """Done with the exit status once runc has exited."""
        return self._exit

    @property
    def tty(self) -> bool:
        return False

    async def write_stdin(self, data: bytes) -> None:
        await self._stdin.write(data)

    async def close_stdin(self) -> None:
        self._stdin.close()

    async def read_stdout(self) -> bytes:
        return await self._stdout.read()

    async def read_stderr(self) -> bytes:
        """Next stderr chunk; without ``stderr`` asked for, the stream is read and
        dropped so the process never blocks on a full pipe."""
        chunk = await self._stderr_pipe.read()
        while chunk and not self._stderr:
            chunk = await self._stderr_pipe.read()
        return chunk

    async def read_all_stderr(self) -> bytes:
        """stderr to its end (runc's own error text when it could not start)."""
        out = b""
        while chunk := await self._stderr_pipe.read():
            out += chunk
        return out

    def resize(self, width: int, height: int) -> None:
        return None

    async def wait(self) -> int:
        code = await asyncio.shield(self._exit)
        self._stdin.close()
        self._prepared.cleanup()
        return code

    async def kill(self) -> None:
        self._signal_all()
        await self.wait()
        self._stdout.close()
        self._stderr_pipe.close()

    def abandon(self) -> None:
        """``kill`` for a start cut short (cancelled): nothing awaited; the pidfd's
        reader still reaps runc when it has gone."""
        self._signal_all()
        for pipe in (self._stdin, self._stdout, self._stderr_pipe):
            pipe.close()

    def _signal_all(self) -> None:
        """SIGKILL to the exec'd process, whose exit runc then reports (128+9); to runc
        itself while it has started none (no pid file yet)."""
        pid = exec_pid(self._prepared)
        if pid:
            driver.signal_pid(pid, signal.SIGKILL)
        elif not self._exit.done():
            driver.signal_pid(self._proc.pid, signal.SIGKILL)


def set_window_size(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


class TtyExecSession:
    """A TTY exec: one terminal stream through our pty's master side."""

    def __init__(
        self, proc: asyncio.subprocess.Process, prepared: PreparedExec, master: int, stdin: bool
    ) -> None:
        self._proc = proc
        self._prepared = prepared
        self._master = _Pipe(master)
        self._stdin = stdin

    @property
    def tty(self) -> bool:
        return True

    async def write_stdin(self, data: bytes) -> None:
        if self._stdin:
            await self._master.write(data)

    async def close_stdin(self) -> None:
        """End of input on a terminal: send EOF (^D), as a terminal's user does."""
        await self.write_stdin(b"\x04")

    async def read_stdout(self) -> bytes:
        return await self._master.read()

    async def read_stderr(self) -> bytes:
        return b""

    def resize(self, width: int, height: int) -> None:
        """TIOCSWINSZ on the master; the kernel sends SIGWINCH to the terminal's
        foreground process group."""
        if self._master.fd >= 0:
            set_window_size(self._master.fd, width, height)

    async def wait(self) -> int:
        code = await self._proc.wait()
        self._prepared.cleanup()
        return code

    async def kill(self) -> None:
        pid = exec_pid(self._prepared)
        if pid:
            driver.signal_pid(pid, signal.SIGKILL)
        await self.wait()
        self._master.close()


async def exec(config: RuntimeConfig, request: ExecRequest) -> ExecSession:
    # 1. spec
    prepared = await prepare_exec(config, request.container_id, request.cmd, tty=request.tty)
    session: PipeExecSession | None = None
    try:
        if request.tty:
            return await _start_tty(config, request, prepared)
        # 2. + 3. pipes
        session = PipeExecSession(
            driver.spawn_exec_pipes(
                config,
                request.container_id,
                prepared.pid_file,
                stdin=request.stdin,
                stdout=request.stdout,
                cmd=prepared.cmd,
            ),
            prepared,
            stderr=request.stderr,
        )
        if not await wait_started(session.exited, prepared):
            err = await session.read_all_stderr()
            await session.kill()
            raise exec_failed(prepared, driver.runc_error_text(err))
        # 4. session
        return session
    except BaseException:
        if session is not None:
            session.abandon()
        prepared.cleanup()
        raise


async def _start_tty(
    config: RuntimeConfig, request: ExecRequest, prepared: PreparedExec
) -> ExecSession:
    # 2. a console socket (bound through /proc/self/fd so the path stays short) and
    #    runc --detach --tty under the reaper helper
    loop = asyncio.get_running_loop()
    dirfd = os.open(config.sockets_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    name = f"{prepared.exec_id[:16]}.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(f"/proc/self/fd/{dirfd}/{name}")
        listener.listen(1)
        listener.setblocking(False)
        assert prepared.process_json is not None  # a TTY exec always has its spec
        proc = await driver.spawn_exec_tty(
            config,
            request.container_id,
            prepared.process_json,
            prepared.pid_file,
            console_socket=f"/proc/{os.getpid()}/fd/{dirfd}/{name}",
        )
        accepting = asyncio.ensure_future(loop.sock_accept(listener))
        exited = asyncio.ensure_future(proc.wait())
        await asyncio.wait({accepting, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not accepting.done():
            accepting.cancel()
            err = await proc.stderr.read() if proc.stderr is not None else b""
            raise exec_failed(prepared, driver.runc_error_text(err))
        exited.cancel()
        conn, _ = accepting.result()
        with conn:
            conn.setblocking(True)
            _, fds, _, _ = await asyncio.to_thread(socket.recv_fds, conn, 4096, 1)
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=dirfd)
        os.close(dirfd)
    if not fds:
        raise exec_failed(prepared, "console socket: no pty received")
    master = fds[0]
    os.set_blocking(master, False)
    # 3. started? (runc --detach returns once the process runs; its pid file is there)
    if not await wait_started(proc.wait(), prepared):
        os.close(master)
        err = await proc.stderr.read() if proc.stderr is not None else b""
        raise exec_failed(prepared, driver.runc_error_text(err))
    # 4. session
    return TtyExecSession(proc, prepared, master, request.stdin)
