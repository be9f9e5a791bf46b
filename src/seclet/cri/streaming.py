"""A running exec or attach session: the streams of CRI's Exec, in process.

Role: upstream's CRI ``Exec`` and ``Attach`` return a URL of the runtime's streaming
server, which the apiserver proxies to. seclet keeps the runtime in process, so they
hand back an ``ExecSession`` the apiserver's websocket handler pumps directly:
stdin in, stdout and stderr out (one merged stream with a TTY, as a terminal has),
terminal resize, and the exit code.
Callers: seclet.runtime.runc (implements), seclet.cri.fake, seclet.kubelet (passes
it on), seclet.apiserver (the ``v5.channel.k8s.io`` websocket).
"""

from __future__ import annotations

from typing import Protocol


class ExecSession(Protocol):
    """One exec'd process. ``read_stdout``/``read_stderr`` return ``b""`` at end of
    stream; with ``tty`` there is no separate stderr (``read_stderr`` returns ``b""``
    at once)."""

    @property
    def tty(self) -> bool: ...

    async def write_stdin(self, data: bytes) -> None:
        """Send bytes to the process's stdin (ignored when stdin was not asked for)."""
        ...

    async def close_stdin(self) -> None:
        """End of input (the client closed its stdin)."""
        ...

    async def read_stdout(self) -> bytes:
        """Next chunk of stdout (with a TTY: the terminal's output); ``b""`` at EOF."""
        ...

    async def read_stderr(self) -> bytes:
        """Next chunk of stderr; ``b""`` at EOF."""
        ...

    def resize(self, width: int, height: int) -> None:
        """The client's terminal size changed (TTY only; ignored otherwise)."""
        ...

    async def wait(self) -> int:
        """The process's exit code (128+N when killed by signal N); an attach, which
        has no exit code of its own, answers 0 when its stream ends."""
        ...

    async def kill(self) -> None:
        """Stop the process (the client went away); an attach detaches instead and
        leaves the container running."""
        ...
