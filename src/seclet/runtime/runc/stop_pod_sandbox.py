"""StopPodSandbox: stop every container of the pod, then the pause process.

Role: the CRI verb (containerd ``StopPodSandbox``), idempotent.
Steps:
1. stop each container of the sandbox with no grace (SIGKILL), as containerd does,
   all at once;
2. SIGKILL the pause process (``pause.kill``; one an older seclet started under
   conmon: ``stop_container.kill_init``) and wait for it to exit;
   A sandbox without one (``pinns``) skips this;
3. unmount the pod's ``/dev/shm`` (containerd ``unmountSandboxFiles``; in a thread,
   off the event loop) and the namespace pins (CRI-O removes its managed namespaces
   when the sandbox stops);
4. mark the record stopped.
Callers: seclet.runtime.runc.service, remove_pod_sandbox.
"""

from __future__ import annotations

import asyncio
import dataclasses

from seclet.runtime.runc import driver, mounts, pause, pinns, records
from seclet.runtime.runc.concurrently import gather_all
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.stop_container import kill_init, stop_container

_PAUSE_EXIT_WAIT = 10.0


async def stop_pod_sandbox(config: RuntimeConfig, sandbox_id: str) -> None:
    record = records.load_sandbox(config, sandbox_id)
    directory = config.sandbox_dir(sandbox_id)
    # 1. containers
    await gather_all(
        stop_container(config, container.id, 0)
        for container in records.all_containers(config)
        if container.sandbox_id == sandbox_id
    )
    # 2. pause
    if not record.drop_infra and not pause.exited(config, record):
        if record.pid_start_time:
            pause.kill(record)
        else:
            await kill_init(config, sandbox_id, record.pid, directory)
        if not await pause.wait_exited(config, record, _PAUSE_EXIT_WAIT):
            state = await driver.runc_state(config, sandbox_id)
            if state is not None and state.get("status") == "running":
                raise driver.RuncError(
                    f'failed to stop sandbox container "{sandbox_id}" in "SANDBOX_READY" '
                    "state: context deadline exceeded"
                )
    # 3. /dev/shm
    if record.shm_mounted:
        await asyncio.to_thread(mounts.unmount, directory / "shm")
    if record.pinned_namespaces:
        await asyncio.to_thread(pinns.unpin, record.pinned_namespaces)
    # 4. record
    records.save(directory, dataclasses.replace(record, stopped=True, shm_mounted=False))
