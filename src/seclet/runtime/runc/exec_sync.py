"""ExecSync: run a command in a running container and collect its output.

Role: the CRI verb (containerd ``ExecSync``). Steps:
1. prepare the process spec (``exec_process.prepare_exec``);
2. ``runc exec --process`` with pipes, reading stdout and stderr to the end;
3. a timeout (> 0 s) SIGKILLs the process and fails with containerd's
   ``timeout <N>s exceeded: context deadline exceeded``;
4. runc exited without starting the process: containerd's exec error with runc's
   text; else the exit code (128+N for a signal).
Callers: seclet.runtime.runc.service.
"""

from __future__ import annotations

import asyncio
import signal

from seclet.cri.errors import CRIError
from seclet.cri.types import ExecSyncResponse
from seclet.runtime.runc import driver
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.exec_process import exec_failed, exec_pid, prepare_exec


async def exec_sync(
    config: RuntimeConfig, container_id: str, cmd: tuple[str, ...], timeout_seconds: int = 0
) -> ExecSyncResponse:
    # 1. spec
    prepared = await prepare_exec(config, container_id, cmd, tty=False)
    try:
        # 2. run
        proc = await driver.spawn_exec(
            config,
            container_id,
            prepared.process_json,
            prepared.pid_file,
            stdin=False,
            cmd=prepared.cmd,
        )
        try:
            if timeout_seconds > 0:
                out, err = await asyncio.wait_for(proc.communicate(), timeout_seconds)
            else:
                out, err = await proc.communicate()
        except TimeoutError:
            # 3. timeout
            pid = exec_pid(prepared)
            if pid:
                driver.signal_pid(pid, signal.SIGKILL)
            await proc.wait()
            raise CRIError(
                f"timeout {timeout_seconds}s exceeded: context deadline exceeded"
            ) from None
        # 4. result
        started = prepared.pid_file.exists()
        if not started:
            raise exec_failed(prepared, driver.runc_error_text(err))
        return ExecSyncResponse(stdout=out, stderr=err, exit_code=proc.returncode or 0)
    finally:
        prepared.cleanup()
