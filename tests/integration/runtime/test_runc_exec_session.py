"""``Exec`` sessions on real runc: pipes and a terminal, as ``kubectl exec`` uses them.

Role: stdin/stdout/stderr round trips without a TTY; with a TTY a shell prompt, an
echo, the window size after ``resize`` (``stty size``), the page's ``id`` line and
the exit code; runc's error for a missing binary.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from integration.runtime.conftest import Env
from integration.runtime.podkit import container_config, load_example, run, sandbox_config
from seclet.cri.errors import CRIError
from seclet.cri.streaming import ExecSession
from seclet.cri.types import ExecRequest
from seclet.runtime.runc.exec import PipeExecSession


async def _page_pod(env: Env, uid: str) -> str:
    pod = load_example("security-context.yaml", uid)
    sandbox_cfg = sandbox_config(pod, env.logs)
    sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
    cid = await env.runtime.create_container(sandbox_id, container_config(pod), sandbox_cfg)
    await env.runtime.start_container(cid)
    return cid


async def _read_until(session: ExecSession, needle: bytes, within: float = 5.0) -> bytes:
    seen = b""
    async with asyncio.timeout(within):
        while needle not in seen:
            chunk = await session.read_stdout()
            if not chunk:
                break
            seen += chunk
    return seen


async def _drain(session: ExecSession) -> bytes:
    out = b""
    while chunk := await session.read_stdout():
        out += chunk
    return out


def test_pipe_exec_round_trip(env: Env) -> None:
    async def body() -> None:
        cid = await _page_pod(env, "uid-exec-pipe")
        session = await env.runtime.exec(
            ExecRequest(container_id=cid, cmd=("sh", "-c", "cat; echo err >&2; exit 4"), stdin=True)
        )
        assert not session.tty
        await session.write_stdin(b"hello\n")
        await session.close_stdin()
        out = await _drain(session)
        err = b""
        while chunk := await session.read_stderr():
            err += chunk
        assert (out, err) == (b"hello\n", b"err\n")
        assert await session.wait() == 4

    run(body())


def test_tty_exec_round_trip(env: Env) -> None:
    async def body() -> None:
        cid = await _page_pod(env, "uid-exec-tty")
        session = await env.runtime.exec(
            ExecRequest(container_id=cid, cmd=("sh",), tty=True, stdin=True, stderr=False)
        )
        assert session.tty
        session.resize(100, 40)
        await session.write_stdin(b"id\n")
        seen = await _read_until(session, b"groups=2000,3000,4000")
        assert b"uid=1000 gid=3000 groups=2000,3000,4000\r\n" in seen
        await session.write_stdin(b"stty size; echo $TERM\n")
        seen = await _read_until(session, b"xterm\r\n")
        assert b"40 100\r\n" in seen
        await session.write_stdin(b"exit 3\n")
        await _drain(session)
        assert await session.wait() == 3
        assert await session.read_stderr() == b""

    run(body())


def test_exec_of_missing_binary_fails_with_runc_text(env: Env) -> None:
    async def body() -> None:
        cid = await _page_pod(env, "uid-exec-missing")
        for tty in (False, True):
            with pytest.raises(CRIError) as info:
                await env.runtime.exec(ExecRequest(container_id=cid, cmd=("nosuch",), tty=tty))
            assert info.value.message.startswith(
                "failed to exec in container: failed to start exec"
            )
            assert info.value.message.endswith(
                "OCI runtime exec failed: exec failed: unable to start container process: "
                'exec: "nosuch": executable file not found in $PATH: unknown'
            ), info.value.message

    run(body())


def test_exec_kill(env: Env) -> None:
    async def body() -> None:
        cid = await _page_pod(env, "uid-exec-kill")
        for tty in (False, True):
            session = await env.runtime.exec(
                ExecRequest(container_id=cid, cmd=("sleep", "60"), tty=tty)
            )
            await session.kill()
            assert await session.wait() == 137
        assert list((env.root / "sockets").glob("*.sock")) == []

    run(body())


def _zombie_children() -> list[int]:
    """This process's children that have exited and not been reaped."""
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z" and fields[1] == me:
            found.append(int(entry.name))
    return found


def _open_fds() -> set[str]:
    return {p.name for p in Path("/proc/self/fd").iterdir()}


def test_pipe_exec_is_reaped_without_a_wait_and_leaves_no_fd(env: Env) -> None:
    """A non-TTY exec nobody waits for: runc is reaped once it exits (its pidfd is
    watched from the start), and reading to the end closes the pipes."""

    async def body() -> None:
        cid = await _page_pod(env, "uid-exec-reap")
        await (await env.runtime.exec(ExecRequest(container_id=cid, cmd=("true",)))).wait()
        before = _open_fds()
        session = await env.runtime.exec(
            ExecRequest(container_id=cid, cmd=("sh", "-c", "echo out; echo err >&2"))
        )
        assert await _drain(session) == b"out\n"
        assert await session.read_stderr() == b"err\n"
        assert await session.read_stderr() == b""
        assert isinstance(session, PipeExecSession)
        await asyncio.wait_for(asyncio.shield(session.exited), 5)
        assert _zombie_children() == []
        assert await session.wait() == 0
        assert _open_fds() == before

    run(body())
