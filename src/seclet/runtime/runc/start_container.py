"""StartContainer: conmon runs ``runc create``, then the container is started.

Role: the CRI verb. containerd creates the runc container (its "task") here, not in
CreateContainer, so runc's failures surface here, worded as containerd reports them:
``failed to create containerd task: failed to create shim task: OCI runtime create
failed: <runc's text>: unknown`` (and ``failed to start containerd task ...`` for
``runc start``); the container then shows as exited with reason ``StartError`` and
exit code 128, as containerd records a failed start.
Steps:
1. the container must be created and never started; its sandbox running;
2. mark the start in flight (``exec_fifo.mark_starting``: only a start that a dead
   seclet left is finished by ``container_status``), then conmon: ``runc create``
   with the CRI log file, exit file, persist dir (oom file);
3. start: the reader side of runc's exec fifo handshake (``exec_fifo``, what
   ``runc start`` does, without starting a runc process); ``runc start`` itself when
   the container has no fifo;
4. record ``started_at`` (taken just before ``runc start``: a short command may
   exit before runc returns) and the pid — or, on failure, the start error.
Callers: seclet.runtime.runc.service.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path

from seclet.cri.errors import CRIError, FailedPreconditionError
from seclet.cri.types import ContainerState
from seclet.runtime.runc import driver, exec_fifo, records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.container_status import observe


async def start_container(config: RuntimeConfig, container_id: str) -> None:
    # 1. state
    record = records.load_container(config, container_id)
    seen = await observe(config, record)
    if seen.state != ContainerState.CONTAINER_CREATED:
        raise FailedPreconditionError(
            f'failed to set starting state for container "{container_id}": '
            f"container is in {seen.state.name} state"
        )
    sandbox = records.load_sandbox(config, record.sandbox_id)
    if sandbox.stopped:
        raise FailedPreconditionError(f'sandbox container "{sandbox.id}" is not running')
    directory = config.container_dir(container_id)
    if record.log_path:
        _ensure_log_dir(record.log_path)
    # 2. + 3. create (conmon) and start
    exec_fifo.mark_starting(config, container_id)
    try:
        pid = await driver.start_conmon(
            config,
            driver.ConmonRequest(
                container_id=container_id,
                name=record.name,
                bundle=directory,
                log_path=record.log_path,
                persist_dir=directory,
                terminal=record.terminal,
                stdin=record.stdin,
                stdin_once=record.stdin_once,
            ),
        )
    except driver.RuncError as exc:
        message = (
            "failed to create containerd task: failed to create shim task: "
            f"OCI runtime create failed: {exc.message}: unknown"
        )
        await _record_failure(config, record, message)
        raise CRIError(message) from None
    started_at = time.time_ns()
    try:
        await exec_fifo.start_created(config, container_id, pid)
    except driver.RuncError as exc:
        message = f"failed to start containerd task {container_id!r}: {exc.message}: unknown"
        await _record_failure(config, record, message)
        raise CRIError(message) from None
    # 4. record
    records.save(directory, dataclasses.replace(record, started_at=started_at, pid=pid))
    exec_fifo.done_starting(config, container_id)


def _ensure_log_dir(log_path: str) -> None:
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)


async def _record_failure(
    config: RuntimeConfig, record: records.ContainerRecord, message: str
) -> None:
    with contextlib.suppress(driver.RuncError):
        await driver.runc_delete(config, record.id)
    records.save(
        config.container_dir(record.id),
        dataclasses.replace(record, start_error=message, finished_at=time.time_ns()),
    )
