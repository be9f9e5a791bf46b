"""StopContainer: the stop signal, a grace period, then SIGKILL.

Role: the CRI verb (containerd ``StopContainer``), idempotent.
Steps:
1. nothing to do unless the container was started and has not exited;
2. grace > 0: send the stop signal (``lifecycle.stopSignal`` or the image's
   StopSignal, recorded at create; SIGTERM by default) and wait up to ``grace``
   seconds for conmon's exit file;
3. still running: SIGKILL (``runc kill --all`` when the container shares a PID
   namespace, so no process outlives it) and wait for the exit file.
Callers: seclet.runtime.runc.service, stop_pod_sandbox, remove_container.
"""

from __future__ import annotations

from seclet.cri.errors import CRIError
from seclet.runtime.runc import driver, exits, records
from seclet.runtime.runc.config import RuntimeConfig

_KILL_WAIT = 10.0


async def stop_container(config: RuntimeConfig, container_id: str, grace_seconds: int) -> None:
    record = records.load_container(config, container_id)
    # 1. running?
    if not record.started_at or record.start_error:
        return
    if exits.read_exit(config, container_id) is not None:
        return
    # 2. stop signal + grace
    if grace_seconds > 0:
        await driver.runc_kill(config, container_id, record.stop_signal)
        if await exits.wait_exit(config, container_id, grace_seconds) is not None:
            return
    # 3. SIGKILL
    await driver.runc_kill(config, container_id, "KILL")
    if await exits.wait_exit(config, container_id, _KILL_WAIT) is None:
        raise CRIError(
            f'failed to stop container "{container_id}": '
            "an error occurs during waiting for container to be killed: wait container: "
            "context deadline exceeded"
        )
