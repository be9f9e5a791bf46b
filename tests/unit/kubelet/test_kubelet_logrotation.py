"""Container log rotation as upstream's container log manager: the pure decisions
(left-overs, excess files, which to compress, the rotated name), the flag parsing and
validation texts, one manager round on the fake runtime, and ``follow_log`` across a
rotation. Callers: pytest."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import logging
from pathlib import Path

import pytest

from seclet.api import models
from seclet.cri.errors import FailedPreconditionError, NotFoundError
from seclet.cri.fake import FakeRuntime
from seclet.cri.types import (
    ContainerConfig,
    ContainerMetadata,
    ContainerStatus,
    ImageSpec,
    PodSandboxConfig,
    PodSandboxMetadata,
)
from seclet.kubelet.clock import SystemClock
from seclet.kubelet.logrotation import (
    ContainerLogManager,
    LogConfigError,
    LogRotatePolicy,
    all_logs,
    filter_unused,
    parse_duration,
    parse_max_size,
    plan_rotation,
    remove_container_logs,
    rotated_name,
    validate,
)
from seclet.kubelet.logs import _Follower, follow_log, parse_log, render

LOG = "/var/log/pods/ns_p_u/c/0.log"
NOW = datetime.datetime(2026, 11, 28, 7, 30, 5).timestamp()
"""Local time, as Go's ``clock.Now().Format``."""


def test_rotated_name_uses_gos_20060102_150405_layout() -> None:
    assert rotated_name(LOG, NOW) == LOG + ".20261128-073005"


def test_unused_are_tmp_files_and_files_beside_their_gz() -> None:
    logs = [LOG + ".1", LOG + ".1.gz", LOG + ".2.gz", LOG + ".3", LOG + ".3.gz.tmp"]
    inuse, unused = filter_unused(logs)
    assert inuse == [LOG + ".1.gz", LOG + ".2.gz", LOG + ".3"]
    assert unused == [LOG + ".1", LOG + ".3.gz.tmp"]
    assert all_logs(LOG, logs) == [LOG + ".1.gz", LOG + ".2.gz", LOG + ".3", LOG]


@pytest.mark.parametrize(
    ("max_files", "rotated", "remove", "compress"),
    [
        # nothing rotated yet
        (5, [], [], []),
        # MaxFiles 5: current + newest rotated + 3 older compressed; the newest of the
        # existing ones gets compressed now (it is no longer the newest)
        (5, [".20261128-070000"], [], [".20261128-070000"]),
        (
            5,
            [
                ".20261128-070000.gz",
                ".20261128-070100.gz",
                ".20261128-070200.gz",
                ".20261128-070300",
            ],
            [".20261128-070000.gz"],
            [".20261128-070300"],
        ),
        # MaxFiles 2: only the current and the one renamed now are left
        (
            2,
            [".20261128-070000.gz", ".20261128-070100"],
            [".20261128-070000.gz", ".20261128-070100"],
            [],
        ),
        # left-overs of an interrupted compression go first
        (
            3,
            [".20261128-070000", ".20261128-070000.gz", ".20261128-070100.tmp"],
            [".20261128-070000", ".20261128-070100.tmp"],
            [],
        ),
    ],
)
def test_plan_rotation(
    max_files: int, rotated: list[str], remove: list[str], compress: list[str]
) -> None:
    plan = plan_rotation(LOG, [LOG + r for r in rotated], LogRotatePolicy(1024, max_files), NOW)
    assert list(plan.remove) == [LOG + r for r in remove]
    assert list(plan.compress) == [LOG + r for r in compress]
    assert plan.rotate_to == LOG + ".20261128-073005"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10Mi", 10485760), ("1Ki", 1024), ("200", 200), ("-1", -1), ("1M", 10**6)],
)
def test_parse_max_size(text: str, expected: int) -> None:
    assert parse_max_size(text) == expected


def test_parse_max_size_refusals() -> None:
    with pytest.raises(LogConfigError) as exc:
        parse_max_size("1.5")
    assert str(exc.value) == 'failed to parse container log max size "1.5": invalid max log size'
    with pytest.raises(LogConfigError) as exc:
        parse_max_size("ten")
    assert str(exc.value) == (
        'failed to parse container log max size "ten": quantities must match the regular '
        "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


def test_validation_texts() -> None:
    validate(2, 3.0)
    with pytest.raises(LogConfigError) as exc:
        validate(5, 10.0, 0)
    assert str(exc.value) == (
        "invalid configuration: containerLogMaxWorkers must be greater than or equal to 1"
    )
    with pytest.raises(LogConfigError) as exc:
        validate(1, 10.0)
    assert str(exc.value) == "invalid configuration: containerLogMaxFiles must be greater than 1"
    with pytest.raises(LogConfigError) as exc:
        validate(5, 2.5)
    assert str(exc.value) == (
        "invalid configuration: containerLogMonitorInterval must be a positive time "
        "duration greater than or equal to 3s"
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10.0), ("1m30s", 90.0), ("1.5h", 5400.0), ("250ms", 0.25), ("0", 0.0)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "s", "10x", "1m30"])
def test_parse_duration_refusals(text: str) -> None:
    with pytest.raises(LogConfigError) as exc:
        parse_duration(text)
    assert str(exc.value) == f'time: invalid duration "{text}"'


async def _running_container(runtime: FakeRuntime, log_dir: Path) -> str:
    runtime.add_image("busybox:1.28")
    pod = models.Pod(metadata=models.ObjectMeta(name="p", namespace="ns", uid="u"))
    sandbox = PodSandboxConfig(
        metadata=PodSandboxMetadata(name="p", uid="u", namespace="ns"),
        pod=pod,
        log_directory=str(log_dir),
    )
    sid = await runtime.run_pod_sandbox(sandbox)
    cid = await runtime.create_container(
        sid,
        ContainerConfig(
            metadata=ContainerMetadata(name="c"),
            image=ImageSpec(image="busybox:1.28"),
            pod=pod,
            container=models.Container(name="c", image="busybox:1.28"),
            log_path="c/0.log",
        ),
        sandbox,
    )
    (log_dir / "c").mkdir(parents=True, exist_ok=True)
    await runtime.start_container(cid)
    return cid


def _line(n: int) -> bytes:
    return f"2026-11-28T07:00:00.{n:09d}Z stdout F line {n:04d}\n".encode()


class _StepClock:
    """One second later at every ``now()``: each rotation gets its own name."""

    def __init__(self) -> None:
        self.t = NOW

    def now(self) -> float:
        self.t += 1
        return self.t

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


def test_manager_round_keeps_max_files(tmp_path: Path) -> None:
    async def body() -> None:
        runtime = FakeRuntime()
        cid = await _running_container(runtime, tmp_path)
        log = tmp_path / "c" / "0.log"
        manager = ContainerLogManager(runtime, LogRotatePolicy(100, 3), _StepClock(), 10.0)
        for i in range(6):
            log.write_bytes(b"".join(_line(i * 10 + k) for k in range(4)))
            await manager.process_container(cid)
            await manager.process_container(cid)  # under MaxSize now: nothing
        assert manager.rotations == 6
        files = sorted(p.name for p in (tmp_path / "c").iterdir())
        # MaxFiles 3: the current (reopened, empty), the newest rotated, one .gz
        assert files == ["0.log", "0.log.20261128-073010.gz", "0.log.20261128-073011"]
        assert log.read_bytes() == b""
        with gzip.open(tmp_path / "c" / "0.log.20261128-073010.gz") as f:
            assert f.read() == b"".join(_line(40 + k) for k in range(4))
        assert (tmp_path / "c" / "0.log.20261128-073011").read_bytes() == b"".join(
            _line(50 + k) for k in range(4)
        )
        assert runtime.verbs().count("ReopenContainerLog") == 6
        remove_container_logs(str(log))
        assert list((tmp_path / "c").iterdir()) == []

    asyncio.run(body())


def test_small_log_is_left_and_missing_log_reopened(tmp_path: Path) -> None:
    async def body() -> None:
        runtime = FakeRuntime()
        cid = await _running_container(runtime, tmp_path)
        log = tmp_path / "c" / "0.log"
        log.write_bytes(_line(1))
        manager = ContainerLogManager(runtime, LogRotatePolicy(1024, 5), SystemClock(), 10.0)
        await manager.process_container(cid)
        assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["0.log"]
        assert "ReopenContainerLog" not in runtime.verbs()
        log.unlink()
        await manager.process_container(cid)
        assert log.exists()
        assert runtime.verbs().count("ReopenContainerLog") == 1

    asyncio.run(body())


def test_failed_reopen_renames_the_log_back(tmp_path: Path) -> None:
    async def body() -> None:
        runtime = FakeRuntime()
        cid = await _running_container(runtime, tmp_path)
        log = tmp_path / "c" / "0.log"
        log.write_bytes(_line(1) * 20)
        await runtime.stop_container(cid, 0)
        manager = ContainerLogManager(runtime, LogRotatePolicy(100, 5), SystemClock(), 10.0)
        with pytest.raises(FailedPreconditionError):
            await manager.process_container(cid)
        assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["0.log"]
        assert manager.rotations == 0
        # a round skips containers that are not running
        await manager.rotate_logs()

    asyncio.run(body())


def test_follow_reads_across_a_rotation(tmp_path: Path) -> None:
    async def body() -> None:
        log = tmp_path / "0.log"
        log.write_bytes(_line(1))
        state = {"polls": 0}

        async def exited() -> bool:
            return state["polls"] >= 3

        async def poll() -> None:
            state["polls"] += 1
            if state["polls"] == 1:
                with log.open("ab") as f:
                    f.write(_line(2))  # after the reader's offset, then rotated
                log.rename(str(log) + ".20261128-070000")
                log.write_bytes(_line(3))
            elif state["polls"] == 2:
                with log.open("ab") as f:
                    f.write(_line(4))

        out = b""
        async for batch in follow_log(str(log), len(_line(1)), exited, poll):
            out += render(batch, timestamps=False)
        assert out == b"line 0002\nline 0003\nline 0004\n"
        assert parse_log(log.read_bytes())[-1].message == b"line 0004"

    asyncio.run(body())


class _GoneRuntime(FakeRuntime):
    """Lists a running container that is removed before its status is asked."""

    async def container_status(self, container_id: str) -> ContainerStatus:
        raise NotFoundError(f'an error occurred when try to find container "{container_id}"')


def test_a_container_removed_meanwhile_is_skipped_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        runtime = _GoneRuntime()
        await _running_container(runtime, tmp_path)
        manager = ContainerLogManager(runtime, LogRotatePolicy(100, 5), SystemClock(), 10.0)
        await manager.rotate_logs()

    with caplog.at_level(logging.ERROR):
        asyncio.run(body())
    assert caplog.records == []


def test_follow_keeps_reading_the_renamed_file_until_it_stops_growing(tmp_path: Path) -> None:
    """conmon opens the new 0.log before its last write to the renamed one: the
    follower takes that write before any of the new file."""
    log = tmp_path / "0.log"
    log.write_bytes(b"a\n")
    follower = _Follower(str(log), 0)
    assert follower.read() == b"a\n"
    old = tmp_path / "0.log.20261128-120000"
    log.rename(old)
    log.write_bytes(b"c\n")  # the new file appears ...
    with old.open("ab") as f:
        f.write(b"b\n")  # ... while the old one still gets the last line
    assert follower.read() == b"b\n"
    assert follower.read() == b""  # nothing more once: wait a poll
    assert follower.read() == b"c\n"  # still nothing: the new file
    follower.close()
