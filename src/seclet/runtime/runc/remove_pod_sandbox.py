"""RemovePodSandbox: stop it if needed, remove its containers, delete the pause.

Role: the CRI verb (containerd ``RemovePodSandbox``), idempotent: an unknown id is
not an error. Steps:
1. stop the sandbox (kills containers and pause, unmounts /dev/shm);
2. remove every container of the sandbox, all at once, while runc deletes the pause
   container (``runc delete --force`` of each is independent of the others; a
   sandbox without one has nothing in runc);
3. ``discard_sandbox_dir``: ``runc delete --force`` (unless step 2 did), then in a
   thread (off the event loop): unmount leftovers (the pod's /dev/shm, namespace
   pins), delete the exit file and the
   sandbox directory, and the pod cgroup when seclet chose it (``pod_cgroup``).
Callers: seclet.runtime.runc.service; run_pod_sandbox (undo on failure).
"""

from __future__ import annotations

import asyncio
import shutil

from seclet.runtime.runc import driver, mounts, pinns, records
from seclet.runtime.runc.concurrently import gather_all
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.pod_cgroup import remove_pod_cgroup
from seclet.runtime.runc.records import SandboxRecord
from seclet.runtime.runc.remove_container import remove_container
from seclet.runtime.runc.stop_pod_sandbox import stop_pod_sandbox


def _discard_files(config: RuntimeConfig, sandbox_id: str, record: SandboxRecord | None) -> None:
    directory = config.sandbox_dir(sandbox_id)
    mounts.unmount(directory / "shm")
    if record is not None:
        pinns.unpin(record.pinned_namespaces)
    config.exit_file(sandbox_id).unlink(missing_ok=True)
    shutil.rmtree(directory, ignore_errors=True)
    if record is not None and record.pod_cgroup_owned and record.cgroup_parent:
        remove_pod_cgroup(record.cgroup_parent)


async def discard_sandbox_dir(
    config: RuntimeConfig, sandbox_id: str, *, runc_deleted: bool = False
) -> None:
    """Delete the pause container in runc (unless ``runc_deleted``) and everything
    under its directory."""
    record = records.find_sandbox(config, sandbox_id)
    if not runc_deleted and not (record is not None and record.drop_infra):
        await driver.runc_delete(config, sandbox_id)
    await asyncio.to_thread(_discard_files, config, sandbox_id, record)


async def remove_pod_sandbox(config: RuntimeConfig, sandbox_id: str) -> None:
    record = records.find_sandbox(config, sandbox_id)
    if record is None:
        return
    # 1. stop
    await stop_pod_sandbox(config, sandbox_id)
    # 2. containers, and runc's pause container beside them
    await gather_all(
        [
            *(
                remove_container(config, container.id)
                for container in records.all_containers(config)
                if container.sandbox_id == sandbox_id
            ),
            *(() if record.drop_infra else (driver.runc_delete(config, sandbox_id),)),
        ]
    )
    # 3. pause + directory
    await discard_sandbox_dir(config, sandbox_id, runc_deleted=True)
