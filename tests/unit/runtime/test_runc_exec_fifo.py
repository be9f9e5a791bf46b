"""The exec fifo handshake ends as ``runc start`` ends it.

Role: unit tests of ``seclet.runtime.runc.exec_fifo`` against a real fifo and a real
"init" process playing runc init's side (open for writing, blocking; write ``0``;
close at exec or exit): the start returns once the writer closed and removes the
fifo (runc's ``running``), a missing fifo defers to ``runc start``, and an init that
dies without the handshake, or a fifo drained before, get runc's texts.
Real end-to-end starts run in every e2e and runtime integration test.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seclet.runtime.runc import exec_fifo
from seclet.runtime.runc.config import RuntimeConfig

CID = "ef" * 32

# runc init's side: a blocking open for writing, "0", then close (exec) and keep
# running or exit.
_WRITER = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, b"0")
time.sleep(float(sys.argv[2]))
os.close(fd)
time.sleep(float(sys.argv[3]))
"""


def _fifo(tmp_path: Path) -> tuple[RuntimeConfig, Path]:
    config = RuntimeConfig(root=tmp_path)
    path = exec_fifo.fifo_path(config, CID)
    path.parent.mkdir(parents=True)
    os.mkfifo(path, 0o622)
    return config, path


def _as_runc_init(directory: Path, script: str, *args: str) -> subprocess.Popen[bytes]:
    """A process whose command line reads ``runc init`` (runc create's re-exec) until
    it "execs": python runs the script file named ``init`` with argv[0] ``runc``."""
    (directory / "init").write_text(script)
    return subprocess.Popen(["runc", "init", *args], executable=sys.executable, cwd=directory)


def _init(path: Path, hold: float, live: float) -> subprocess.Popen[bytes]:
    return _as_runc_init(path.parent, _WRITER, str(path), str(hold), str(live))


def test_start_waits_for_the_writer_to_close_and_removes_the_fifo(tmp_path: Path) -> None:
    config, path = _fifo(tmp_path)
    proc = _init(path, 0.3, 5)
    try:
        t0 = time.monotonic()
        asyncio.run(exec_fifo.start(config, CID, proc.pid))
        assert time.monotonic() - t0 >= 0.25  # ReadAll: until the exec closes the fifo
        assert not path.exists()
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def test_a_process_that_exits_at_once_is_started(tmp_path: Path) -> None:
    config, path = _fifo(tmp_path)
    proc = _init(path, 0, 0)
    try:
        asyncio.run(exec_fifo.start(config, CID, proc.pid))
        assert not path.exists()
    finally:
        proc.wait()


def test_without_a_fifo_runc_start_decides(tmp_path: Path) -> None:
    config = RuntimeConfig(root=tmp_path)
    with pytest.raises(exec_fifo.FifoMissingError):
        asyncio.run(exec_fifo.start(config, CID, os.getpid()))


def test_an_init_that_dies_before_the_handshake(tmp_path: Path) -> None:
    config, path = _fifo(tmp_path)
    proc = _as_runc_init(path.parent, "import time; time.sleep(0.2)")
    try:
        with pytest.raises(exec_fifo.FifoStartError) as err:
            asyncio.run(exec_fifo.start(config, CID, proc.pid))
        assert str(err.value) == "container process is already dead"
        assert path.exists()  # runc leaves it too: the container stays "created"
    finally:
        proc.wait()


def test_a_dead_init_already_reaped(tmp_path: Path) -> None:
    config, _ = _fifo(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    with pytest.raises(exec_fifo.FifoStartError) as err:
        asyncio.run(exec_fifo.start(config, CID, proc.pid))
    assert str(err.value) == "container process is already dead"


def test_a_fifo_drained_before_while_init_lives(tmp_path: Path) -> None:
    config, path = _fifo(tmp_path)
    # a writer that opens and closes without a byte: what a second reader sees
    script = f"import os, time; os.close(os.open({str(path)!r}, os.O_WRONLY)); time.sleep(5)"
    writer = _as_runc_init(path.parent, script)
    try:
        with pytest.raises(exec_fifo.FifoStartError) as err:
            asyncio.run(asyncio.wait_for(exec_fifo.start(config, CID, writer.pid), 5))
        assert str(err.value) == "cannot start an already running container"
    finally:
        writer.kill()
        writer.wait()


def test_an_init_past_its_exec_is_started_without_waiting(tmp_path: Path) -> None:
    """seclet died between init's exec and removing the fifo: the fifo is still
    there, nobody will ever write to it, and the process runs - finish the start."""
    config, path = _fifo(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        asyncio.run(asyncio.wait_for(exec_fifo.start(config, CID, proc.pid), 5))
        assert not path.exists()
    finally:
        proc.kill()
        proc.wait()


def test_a_start_in_flight_is_told_from_one_a_dead_process_left(tmp_path: Path) -> None:
    config = RuntimeConfig(root=tmp_path, run_root=tmp_path / "run")
    config.starting_dir.mkdir(parents=True)
    marker = config.starting_dir / CID
    assert not exec_fifo.start_in_flight(config, CID)
    exec_fifo.mark_starting(config, CID)
    assert exec_fifo.start_in_flight(config, CID)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    marker.write_text(f"{dead.pid} 12345")
    assert not exec_fifo.start_in_flight(config, CID)
    marker.write_text(f"{os.getpid()} 1")  # pid reused
    assert not exec_fifo.start_in_flight(config, CID)
    exec_fifo.done_starting(config, CID)
    assert not marker.exists()
