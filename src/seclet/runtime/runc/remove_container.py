"""RemoveContainer: force-stop, delete runc's state, unmount the rootfs, delete files.

Role: the CRI verb (containerd ``RemoveContainer``), idempotent: an unknown id is not
an error. The CRI log file stays (the kubelet removes logs).
Steps:
1. stop the container with no grace if it still runs;
2. ``runc delete --force``;
3. unmount the overlay rootfs;
4. delete conmon's exit file and the container directory (upper layer included).
Callers: seclet.runtime.runc.service, remove_pod_sandbox.
"""

from __future__ import annotations

import shutil

from seclet.runtime.runc import driver, mounts, records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.stop_container import stop_container


async def remove_container(config: RuntimeConfig, container_id: str) -> None:
    if records.find_container(config, container_id) is None:
        return
    # 1. stop
    await stop_container(config, container_id, 0)
    # 2. runc state
    await driver.runc_delete(config, container_id)
    # 3. rootfs
    directory = config.container_dir(container_id)
    mounts.unmount(directory / "rootfs")
    # 4. files
    config.exit_file(container_id).unlink(missing_ok=True)
    shutil.rmtree(directory, ignore_errors=True)
