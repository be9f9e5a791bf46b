"""The runtime's fast paths keep their answers: shallow record encoding, concurrent
steps that all finish, the cached exec process spec, the pidfd-woken exit wait.

Role: unit tests of ``records.to_json``, ``concurrently.gather_all``,
``exec_process`` (its process cache), ``exits.wait_exit`` and ``pause``; no root.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import time
from pathlib import Path

import pytest

from seclet.runtime.runc import exec_process, exits, pause, records
from seclet.runtime.runc.concurrently import gather_all
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.records import ContainerRecord

CID = "cd" * 32


def _container() -> ContainerRecord:
    return ContainerRecord(
        id=CID,
        sandbox_id="ab" * 32,
        name="c",
        attempt=0,
        created_at=1,
        image="busybox",
        image_ref="sha256:1",
        image_id="",
        log_path="",
        uid=1,
        gid=2,
        additional_gids=(3, 4),
        labels={"a": "b"},
    )


def test_to_json_matches_asdict() -> None:
    record = _container()
    assert json.dumps(records.to_json(record), sort_keys=True) == json.dumps(
        dataclasses.asdict(record), sort_keys=True
    )


def test_gather_all_finishes_every_step_then_raises_the_first() -> None:
    done: list[str] = []

    async def step(name: str, fail: bool) -> None:
        await asyncio.sleep(0.01)
        done.append(name)
        if fail:
            raise RuntimeError(name)

    with pytest.raises(RuntimeError, match=r"^b$"):
        asyncio.run(gather_all([step("a", False), step("b", True), step("c", True)]))
    assert sorted(done) == ["a", "b", "c"]


def test_exec_process_cached_until_config_changes(tmp_path: Path) -> None:
    config = RuntimeConfig(root=tmp_path)
    directory = config.container_dir(CID)
    directory.mkdir(parents=True)
    spec = directory / "config.json"
    spec.write_text(json.dumps({"process": {"args": ["sh"], "env": ["A=1"]}}))
    first = exec_process._container_process(spec)
    assert exec_process._container_process(spec) is first
    records.write_json_atomic(spec, {"process": {"args": ["sh"], "env": ["A=2"]}})
    assert exec_process._container_process(spec)["env"] == ["A=2"]
    exec_process.forget(config, CID)
    assert spec not in exec_process._PROCESS_CACHE


def test_wait_exit_wakes_when_conmon_exits(tmp_path: Path) -> None:
    config = RuntimeConfig(root=tmp_path, poll_seconds=60.0)
    config.exits_dir.mkdir()
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    monitor = subprocess.Popen(["sleep", "0.2"])
    (bundle / exits.CONMON_PID_FILE).write_text(str(monitor.pid))

    async def body() -> tuple[exits.Exit | None, float]:
        async def exit_then_quit() -> None:
            await asyncio.sleep(0.1)
            config.exit_file(CID).write_text("137")
            await asyncio.to_thread(monitor.wait)

        started = time.monotonic()
        task = asyncio.ensure_future(exit_then_quit())
        found = await exits.wait_exit(config, CID, 120.0, bundle)
        await task
        return found, time.monotonic() - started

    found, took = asyncio.run(body())
    assert found is not None and found.code == 137
    assert took < 20.0  # woken by the monitor's exit, not the 60 s poll (loose: a busy CI)
    assert not Path(f"/proc/{monitor.pid}").exists()


def test_pause_liveness_is_pid_and_start_time(tmp_path: Path) -> None:
    config = RuntimeConfig(root=tmp_path)
    proc = subprocess.Popen(["sleep", "30"])
    try:
        started = pause.start_time(proc.pid)
        assert started > 0
        base = records.SandboxRecord(
            id="ab" * 32,
            name="p",
            uid="u",
            namespace="default",
            attempt=0,
            created_at=1,
            hostname="p",
            host_network=False,
            host_pid=False,
            host_ipc=False,
            pid=proc.pid,
            pid_start_time=started,
        )
        assert not pause.exited(config, base)
        # the same pid with another start time is another process (a reused pid)
        assert pause.exited(config, dataclasses.replace(base, pid_start_time=started + 1))

        async def stop() -> tuple[bool, bool]:
            early = await pause.wait_exited(config, base, 0.05)
            pause.kill(base)
            return early, await pause.wait_exited(config, base, 5.0)

        assert asyncio.run(stop()) == (False, True)  # a zombie child counts as exited
        assert pause.exited(config, base)
    finally:
        proc.kill()
        proc.wait()


def test_record_cache_follows_the_file(tmp_path: Path) -> None:
    config = RuntimeConfig(root=tmp_path)
    directory = config.container_dir(CID)
    directory.mkdir(parents=True)
    record = _container()
    records.save(directory, record)
    assert records.load_container(config, CID) is record  # written through
    # another writer (a second seclet on the root, a test) replaces the file
    changed = dataclasses.replace(record, pid=4242)
    state = directory / records.STATE_FILE
    state.write_text(json.dumps(records.to_json(changed)))
    assert records.load_container(config, CID) == changed
    state.unlink()
    assert records.find_container(config, CID) is None
