"""RemoveContainer: force-stop, delete runc's state, unmount the rootfs, delete files.

Role: the CRI verb (containerd ``RemoveContainer``), idempotent: an unknown id is not
an error. The CRI log file stays (the kubelet removes logs).
Steps:
1. stop the container with no grace if it still runs;
2. ``runc delete --force``;
3. + 4. in a thread (off the event loop: a bundle's upper layer takes tens of
   milliseconds to delete): unmount the overlay rootfs, delete conmon's exit file and
   the container directory (upper layer included).
Callers: seclet.runtime.runc.service, remove_pod_sandbox.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from seclet.runtime.runc import driver, exec_process, mounts, records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.stop_container import stop_container


def _discard_files(directory: Path, exit_file: Path) -> None:
    mounts.unmount(directory / "rootfs")
    exit_file.unlink(missing_ok=True)
    shutil.rmtree(directory, ignore_errors=True)


async def remove_container(config: RuntimeConfig, container_id: str) -> None:
    if records.find_container(config, container_id) is None:
        return
    # 1. stop
    await stop_container(config, container_id, 0)
    # 2. runc state
    await driver.runc_delete(config, container_id)
    # 3. + 4. rootfs, files
    exec_process.forget(config, container_id)
    await asyncio.to_thread(
        _discard_files, config.container_dir(container_id), config.exit_file(container_id)
    )
