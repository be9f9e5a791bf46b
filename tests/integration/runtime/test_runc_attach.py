"""``Attach`` on real runc + conmon: the container's own stdio through conmon's socket.

Role: a ``stdinOnce`` container reads what the attach sends, its stdin closes when the
attach's stdin ends, the output streams until it exits (stdout and stderr apart) and
its exit code and CRI log are still right; a terminal container echoes through its
pty and takes two resizes sent at once (the last one wins); a container without stdin streams output only and a detach
leaves it running; a new runtime on the same root attaches to a running container
(conmon keeps the socket); an exited container is refused with containerd's text.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from integration.runtime.conftest import Env
from integration.runtime.podkit import container_config, run, sandbox_config, simple_pod
from seclet.cri.errors import CRIError
from seclet.cri.streaming import ExecSession
from seclet.cri.types import AttachRequest, ContainerState
from seclet.runtime.runc.service import RuncRuntime


async def _start(env: Env, uid: str, container: dict[str, Any]) -> str:
    pod = simple_pod(f"p-{uid}", uid, container)
    sandbox_cfg = sandbox_config(pod, env.logs)
    sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
    config = dataclasses.replace(
        container_config(pod),
        stdin=bool(container.get("stdin")),
        stdin_once=bool(container.get("stdinOnce")),
    )
    cid = await env.runtime.create_container(sandbox_id, config, sandbox_cfg)
    await env.runtime.start_container(cid)
    return cid


async def _read_until(session: ExecSession, needle: bytes, within: float = 10.0) -> bytes:
    seen = b""
    async with asyncio.timeout(within):
        while needle not in seen:
            chunk = await session.read_stdout()
            if not chunk:
                break
            seen += chunk
    return seen


async def _drain(read: Any, within: float = 10.0) -> bytes:
    out = b""
    async with asyncio.timeout(within):
        while chunk := await read():
            out += chunk
    return out


async def _exited(env: Env, cid: str, within: float = 10.0) -> int:
    async with asyncio.timeout(within):
        while True:
            status = await env.runtime.container_status(cid)
            if status.state == ContainerState.CONTAINER_EXITED:
                return status.exit_code
            await asyncio.sleep(0.05)


def test_stdin_once_round_trip_exit_code_and_log(env: Env) -> None:
    async def body() -> None:
        cid = await _start(
            env,
            "uid-attach-once",
            {
                "command": ["sh", "-c", "read x; echo got $x; cat; echo err >&2; exit 3"],
                "stdin": True,
                "stdinOnce": True,
            },
        )
        session = await env.runtime.attach(AttachRequest(container_id=cid, stdin=True))
        assert not session.tty
        await session.write_stdin(b"hello\n")
        assert await _read_until(session, b"got hello\n") == b"got hello\n"
        await session.write_stdin(b"rest\n")
        await session.close_stdin()  # stdinOnce: the container's stdin closes, cat ends
        out, err = await asyncio.gather(_drain(session.read_stdout), _drain(session.read_stderr))
        assert (out, err) == (b"rest\n", b"err\n")
        assert await session.wait() == 0
        assert await _exited(env, cid) == 3
        log = (await env.runtime.container_status(cid)).log_path
        data = await asyncio.to_thread(Path(log).read_bytes)
        lines = [line.split(b" ", 3)[1:] for line in data.splitlines()]
        assert lines == [
            [b"stdout", b"F", b"got hello"],
            [b"stdout", b"F", b"rest"],
            [b"stderr", b"F", b"err"],
        ]

    run(body())


def test_terminal_echo_and_resize(env: Env) -> None:
    async def body() -> None:
        cid = await _start(
            env,
            "uid-attach-tty",
            {"command": ["sh"], "stdin": True, "stdinOnce": True, "tty": True},
        )
        session = await env.runtime.attach(AttachRequest(container_id=cid, stdin=True, tty=True))
        assert session.tty
        session.resize(92, 18)  # kubectl's redraw trick: one larger, then the size
        session.resize(91, 17)
        await asyncio.sleep(0.2)
        await session.write_stdin(b"stty size; exit 5\n")
        out = await _drain(session.read_stdout)
        assert b"17 91\r\n" in out, out
        assert await session.read_stderr() == b""
        assert await session.wait() == 0
        assert await _exited(env, cid) == 5

    run(body())


def test_no_stdin_streams_output_and_detach_leaves_it_running(env: Env) -> None:
    async def body() -> None:
        cid = await _start(
            env,
            "uid-attach-out",
            {
                "command": [
                    "sh",
                    "-c",
                    "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done",
                ]
            },
        )
        session = await env.runtime.attach(AttachRequest(container_id=cid, stdin=True))
        await session.write_stdin(b"ignored\n")  # no stdin: nothing to write to
        assert b"tick" in await _read_until(session, b"tick")
        await session.kill()
        assert await session.read_stdout() == b""
        await asyncio.sleep(0.3)
        status = await env.runtime.container_status(cid)
        assert status.state == ContainerState.CONTAINER_RUNNING
        # A seclet restart: a new runtime on the same root finds conmon's socket.
        again = RuncRuntime(env.root, env.images, env.runtime.node)
        session = await again.attach(AttachRequest(container_id=cid))
        assert b"tick" in await _read_until(session, b"tick")
        await session.kill()
        await env.runtime.stop_container(cid, 0)
        with pytest.raises(CRIError) as info:
            await env.runtime.attach(AttachRequest(container_id=cid))
        assert info.value.message == "container is in CONTAINER_EXITED state"

    run(body())


def test_output_only_attach_leaves_a_stdin_once_containers_stdin_open(env: Env) -> None:
    async def body() -> None:
        cid = await _start(
            env,
            "uid-attach-keep",
            {
                "command": [
                    "sh", "-c",
                    "echo waiting; while ! read -t 0.2 x; do echo tick; done; echo got $x; "
                    "sleep 0.5; printf 'no newline'; echo err >&2",
                ],
                "stdin": True,
                "stdinOnce": True,
            },
        )  # fmt: skip
        watcher = await env.runtime.attach(AttachRequest(container_id=cid))
        assert b"tick\n" in await _read_until(watcher, b"tick\n")
        await watcher.kill()  # an output-only detach: containerd leaves the stdin open
        assert await watcher.read_stdout() == b""
        watcher = await env.runtime.attach(AttachRequest(container_id=cid))
        typist = await env.runtime.attach(AttachRequest(container_id=cid, stdin=True))
        await typist.write_stdin(b"hello\n")
        assert b"got hello\n" in await _read_until(typist, b"got hello\n")
        seen = await _read_until(watcher, b"got hello\n")
        assert seen.endswith(b"got hello\n") and set(seen.split(b"\n")[:-2]) <= {b"tick"}
        out, err = await asyncio.gather(_drain(watcher.read_stdout), _drain(watcher.read_stderr))
        assert (out, err) == (b"no newline", b"err\n")  # a partial line as written
        assert await watcher.wait() == 0
        await typist.kill()
        assert await _exited(env, cid) == 0

    run(body())
