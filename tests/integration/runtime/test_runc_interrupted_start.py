"""A StartContainer that seclet's death cut off after ``runc create`` is undone once.

Role: real runc and conmon. StartContainer is replayed up to the point where a
``kill -9`` of seclet would leave it — conmon has run ``runc create`` (runc says
``created``, its init waits on the exec fifo) and the start marker names a process
that is gone — and the next look at the container (what a restarted seclet does
first) undoes that start rather than finishing it with that conmon (which, after a
real kill, answers a seclet that is gone and, before conmon 2.1.10, exits then,
leaving a container nobody logs): the conmon killed, the runc container deleted,
the container created as before; a StartContainer then starts it with a conmon of
its own, its output logged. While the marker names a live process (a start in
flight in this seclet) the container is left to that start.
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from integration.runtime.conftest import Env
from integration.runtime.podkit import container_config, pod_from_obj, run, sandbox_config
from seclet.api import models
from seclet.cri.types import ContainerState
from seclet.runtime.runc import driver, exec_fifo, exits, pause, records


def _pod(name: str) -> models.Pod:
    return pod_from_obj(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "busybox:1.28",
                        "command": ["sh", "-c", "echo started; exec sleep 3600"],
                    }
                ]
            },
        },
        f"uid-{name}",
    )


async def _created_by_conmon(env: Env, name: str) -> tuple[str, str, int]:
    """Sandbox id, container id and init pid of a container runc has created and
    nobody started (conmon ran ``runc create``, as StartContainer's step 2)."""
    pod = _pod(name)
    sandbox_cfg = sandbox_config(pod, env.logs)
    sandbox_id = await env.runtime.run_pod_sandbox(sandbox_cfg)
    cid = await env.runtime.create_container(sandbox_id, container_config(pod), sandbox_cfg)
    config = env.runtime.config
    record = records.load_container(config, cid)
    directory = config.container_dir(cid)
    Path(record.log_path).parent.mkdir(parents=True, exist_ok=True)
    exec_fifo.mark_starting(config, cid)
    pid = await driver.start_conmon(
        config,
        driver.ConmonRequest(
            container_id=cid,
            name=record.name,
            bundle=directory,
            log_path=record.log_path,
            persist_dir=directory,
        ),
    )
    state = await driver.runc_state(config, cid)
    assert state is not None and state["status"] == "created"
    return sandbox_id, cid, pid


def _logged(log: Path, within: float = 10) -> bytes:
    """The log once it holds the container's line (or what it holds after ``within``)."""
    deadline = time.monotonic() + within
    while b"started" not in log.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.05)
    return log.read_bytes()


def test_a_start_cut_off_after_runc_create_is_undone_on_the_next_look(env: Env) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # a seclet that is gone
    dead.wait()

    async def body() -> None:
        sandbox_id, cid, _ = await _created_by_conmon(env, "cut")
        config = env.runtime.config
        directory = config.container_dir(cid)
        conmon = exits.conmon_pid(directory)
        assert pause.live(conmon)
        marker = config.starting_dir / cid
        marker.write_text(f"{dead.pid} 12345")
        status = await env.runtime.container_status(cid)
        assert (status.state, status.started_at) == (ContainerState.CONTAINER_CREATED, 0)
        assert await driver.runc_state(config, cid) is None
        assert not pause.live(conmon)  # killed (a zombie until its parent reaps it)
        assert not (directory / exits.CONMON_PID_FILE).exists()
        assert not marker.exists()
        assert exits.read_exit(config, cid) is None
        # looking again changes nothing
        again = await env.runtime.container_status(cid)
        assert (again.state, again.started_at) == (ContainerState.CONTAINER_CREATED, 0)
        # started afresh, with a conmon that logs its output
        await env.runtime.start_container(cid)
        status = await env.runtime.container_status(cid)
        assert status.state == ContainerState.CONTAINER_RUNNING
        logged = await asyncio.to_thread(_logged, Path(status.log_path))
        assert logged.endswith(b" stdout F started\n")
        await env.runtime.stop_container(cid, 0)
        await env.runtime.remove_pod_sandbox(sandbox_id)

    run(body())


def test_a_start_in_flight_is_left_to_it(env: Env) -> None:
    async def body() -> None:
        sandbox_id, cid, pid = await _created_by_conmon(env, "inflight")
        status = await env.runtime.container_status(cid)  # the marker names this process
        assert status.state == ContainerState.CONTAINER_CREATED
        state = await driver.runc_state(env.runtime.config, cid)
        assert state is not None and state["status"] == "created"
        await exec_fifo.start_created(env.runtime.config, cid, pid)  # the start goes on
        state = await driver.runc_state(env.runtime.config, cid)
        assert state is not None and state["status"] == "running"
        await env.runtime.remove_pod_sandbox(sandbox_id)

    run(body())
