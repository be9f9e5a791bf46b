"""conmon's attach protocol and the attach session against a fake conmon.

Role: unit tests of the pure parts of ``seclet.runtime.runc.attach`` (the stream byte
of conmon's packets, the ``ctl`` resize line, stdin cut into packets conmon reads
whole, containerd's detach rule), of ``driver.conmon_stdio_args`` (CRI-O's conmon
options for ``tty``/``stdin``/``stdinOnce``) and of the kubelet's ``container_tty``;
then ``AttachSession`` over a ``SOCK_SEQPACKET`` socketpair whose other end plays
conmon: output sorted by stream, stdin packets, the half-close of a ``stdinOnce``
attach, a detach, the end of the stream when conmon closes, and resizes sent one
at a time (conmon 2.1.6 applies only the first line of a read); the output-only
attach over the CRI log (which attach takes it, its line parsing, starting at the
end and after a line being written, a rotated log, the end once exited).
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from seclet.kubelet.server import container_tty
from seclet.runtime.runc import attach, attach_log
from seclet.runtime.runc.driver import ConmonRequest, conmon_stdio_args
from seclet.runtime.runc.records import ContainerRecord


def test_split_packet() -> None:
    assert attach.split_packet(b"\x02hello") == (2, b"hello")
    assert attach.split_packet(b"\x03err\n") == (3, b"err\n")
    assert attach.split_packet(b"\x02") == (2, b"")
    assert attach.split_packet(b"") == (0, b"")


def test_resize_message_is_height_then_width() -> None:
    assert attach.resize_message(80, 24) == b"1 24 80\n"


def test_stdin_packets_fit_conmons_buffer() -> None:
    data = bytes(range(256)) * 300  # 76800 bytes
    packets = list(attach.stdin_packets(data))
    assert [len(p) for p in packets] == [32768, 32768, 11264]
    assert b"".join(packets) == data
    assert list(attach.stdin_packets(b"")) == []


@pytest.mark.parametrize(
    ("tty", "stdin_once", "detach"),
    [(False, True, False), (False, False, True), (True, True, True), (True, False, True)],
)
def test_detach_on_stdin_end(tty: bool, stdin_once: bool, detach: bool) -> None:
    assert attach.detach_on_stdin_end(tty=tty, stdin_once=stdin_once) is detach


def _request(**kw: bool) -> ConmonRequest:
    return ConmonRequest(
        container_id="c", name="c", bundle=Path("/b"), log_path="", persist_dir=Path("/b"), **kw
    )


def test_conmon_stdio_args_as_cri_o() -> None:
    assert conmon_stdio_args(_request()) == []
    assert conmon_stdio_args(_request(stdin=True, stdin_once=True)) == ["-i"]
    assert conmon_stdio_args(_request(stdin=True)) == ["--leave-stdin-open", "-i"]
    assert conmon_stdio_args(_request(terminal=True, stdin=True)) == ["-t"]
    assert conmon_stdio_args(_request(terminal=True)) == ["-t"]


def test_container_tty_from_the_spec() -> None:
    pod = {
        "spec": {
            "containers": [{"name": "a", "tty": True}, {"name": "b"}],
            "initContainers": [{"name": "i", "tty": True}],
        }
    }
    assert container_tty(pod, "a") is True
    assert container_tty(pod, "b") is False
    assert container_tty(pod, "i") is True
    assert container_tty(pod, "x") is False


def _pair() -> tuple[socket.socket, socket.socket]:
    ours, conmon = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ours.setblocking(False)
    return ours, conmon


async def _drain(session: attach.AttachSession) -> tuple[bytes, bytes]:
    async def all_of(read: Callable[[], Awaitable[bytes]]) -> bytes:
        out = b""
        while chunk := await read():
            out += chunk
        return out

    out, err = await asyncio.gather(all_of(session.read_stdout), all_of(session.read_stderr))
    return out, err


def test_session_sorts_streams_and_half_closes_stdin_once(tmp_path: Path) -> None:
    async def body() -> None:
        ours, conmon = _pair()
        session = attach.AttachSession(
            ours, tmp_path / "ctl", tty=False, stdin=True, stdin_once=True
        )
        await session.write_stdin(b"x" * 40000)
        assert conmon.recv(65536) == b"x" * 32768
        assert conmon.recv(65536) == b"x" * 7232
        await session.close_stdin()
        assert conmon.recv(65536) == b""  # conmon sees the end of the client's stdin
        await session.write_stdin(b"late")  # after the end: dropped
        for packet in (b"\x02out1 ", b"\x03err1", b"\x02", b"\x02out2", b"\x09junk"):
            conmon.send(packet)
        conmon.close()  # the container exited: conmon closes its clients
        assert await _drain(session) == (b"out1 out2", b"err1")
        assert await session.read_stdout() == b""
        assert await session.wait() == 0

    asyncio.run(body())


def test_session_detaches_when_stdin_ends_without_stdin_once(tmp_path: Path) -> None:
    async def body() -> None:
        ours, conmon = _pair()
        session = attach.AttachSession(
            ours, tmp_path / "ctl", tty=False, stdin=True, stdin_once=False
        )
        await session.close_stdin()
        assert await session.read_stdout() == b""
        assert await session.read_stderr() == b""
        assert await session.wait() == 0
        assert conmon.recv(10) == b""  # the connection is closed: conmon forgets us
        conmon.close()

    asyncio.run(body())


def test_tty_session_one_stream_and_resize_on_ctl(tmp_path: Path) -> None:
    async def body() -> None:
        ctl = tmp_path / "ctl"
        os.mkfifo(ctl)
        reader = os.open(ctl, os.O_RDONLY | os.O_NONBLOCK)
        ours, conmon = _pair()
        session = attach.AttachSession(ours, ctl, tty=True, stdin=True, stdin_once=True)
        session.resize(133, 44)  # kubectl's redraw: the size plus one, then the size
        session.resize(132, 43)
        await asyncio.sleep(0.1)
        # One line at a time: the next waits until conmon read the FIFO empty.
        assert os.read(reader, 100) == b"1 44 133\n"
        await asyncio.sleep(0.1)
        assert os.read(reader, 100) == b"1 43 132\n"
        conmon.send(b"\x02/ # ")
        conmon.send(b"\x03runc says")  # a terminal has no separate stderr
        assert await session.read_stdout() == b"/ # "
        assert await session.read_stderr() == b""
        await session.kill()  # detach
        assert await session.read_stdout() == b""
        session.resize(1, 1)  # after a detach: nothing written
        await asyncio.sleep(0.05)
        assert os.read(reader, 100) == b""  # no writer, nothing left in the FIFO
        os.close(reader)
        conmon.close()

    asyncio.run(body())


def test_session_without_stdin_writes_nothing(tmp_path: Path) -> None:
    async def body() -> None:
        ours, conmon = _pair()
        conmon.setblocking(False)
        session = attach.AttachSession(
            ours, tmp_path / "ctl", tty=False, stdin=False, stdin_once=True
        )
        await session.write_stdin(b"typed")
        await session.close_stdin()  # no stdin: neither a half-close nor a detach
        with pytest.raises(BlockingIOError):
            conmon.recv(10)
        conmon.send(b"\x02still here")
        assert await session.read_stdout() == b"still here"
        await session.kill()
        conmon.close()

    asyncio.run(body())


def _record(
    *,
    stdin: bool = False,
    stdin_once: bool = False,
    terminal: bool = False,
    log_path: str = "/l/c/0.log",
) -> ContainerRecord:
    return dataclasses.replace(
        ContainerRecord(
            id="c", sandbox_id="s", name="c", attempt=0, created_at=0, image="i",
            image_ref="i", image_id="i", log_path="/l/c/0.log", uid=0, gid=0,
            additional_gids=(),
        ),
        stdin=stdin, stdin_once=stdin_once, terminal=terminal, log_path=log_path,
    )  # fmt: skip


def test_follows_log_only_for_output_only_attach_to_stdin_once_without_terminal() -> None:
    once = _record(stdin=True, stdin_once=True)
    assert attach.follows_log(once, stdin=False) is True
    assert attach.follows_log(once, stdin=True) is False
    assert attach.follows_log(_record(stdin=True), stdin=False) is False  # --leave-stdin-open
    assert (
        attach.follows_log(_record(stdin=True, stdin_once=True, terminal=True), stdin=False)
        is False
    )
    assert attach.follows_log(_record(), stdin=False) is False  # no stdin: nothing to close
    assert (
        attach.follows_log(_record(stdin=True, stdin_once=True, log_path=""), stdin=False) is False
    )


def test_parse_log_line() -> None:
    stamp = b"2026-11-28T08:19:55.784840943+00:00"
    assert attach_log.parse_log_line(stamp + b" stdout F hello world") == (
        "stdout",
        b"hello world\n",
    )
    assert attach_log.parse_log_line(stamp + b" stderr P part") == ("stderr", b"part")
    assert attach_log.parse_log_line(stamp + b" stdout F ") == ("stdout", b"\n")
    assert attach_log.parse_log_line(stamp + b" stdout F") == ("stdout", b"\n")
    assert attach_log.parse_log_line(b"garbage") is None
    assert attach_log.parse_log_line(stamp + b" stdin F x") is None
    assert attach_log.parse_log_line(stamp + b" stdout X x") is None


def test_log_follow_session(tmp_path: Path) -> None:
    async def body() -> None:
        path = tmp_path / "0.log"
        path.write_bytes(b"T stdout F before\nT stdout P being wri")
        done = False

        async def exited() -> bool:
            return done

        session = await attach_log.follow_log(path, exited, poll=0.01)
        assert not session.tty
        with path.open("ab") as f:
            f.write(b"tten\nT stdout F one\nT stderr F e1\nT stdout F tw")
        assert await session.read_stdout() == b"one\n"
        assert await session.read_stderr() == b"e1\n"
        with path.open("ab") as f:
            f.write(b"o\n")  # the rest of a line arrives later
        assert await session.read_stdout() == b"two\n"
        path.rename(tmp_path / "0.log.20261128-081955")  # rotated; conmon reopens the path
        path.write_bytes(b"T stdout F after rotation\n")
        assert await session.read_stdout() == b"after rotation\n"
        with path.open("ab") as f:
            f.write(b"T stdout F last\n")
        done = True
        assert await session.read_stdout() == b"last\n"
        assert await session.read_stdout() == b""
        assert await session.read_stderr() == b""
        assert await session.wait() == 0

        detached = await attach_log.follow_log(path, exited, poll=0.01)
        await detached.kill()
        assert await detached.read_stdout() == b""

    asyncio.run(body())
