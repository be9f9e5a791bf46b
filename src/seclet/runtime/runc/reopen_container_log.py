"""ReopenContainerLog: ask conmon to reopen the CRI log file (after log rotation).

Role: the CRI verb. conmon listens on the ``ctl`` FIFO in the bundle; a line
``2 0 0`` asks it to reopen its log file (``1 <h> <w>`` would resize a terminal).
containerd answers a container that is not running with
``container is not running``. conmon exits when it cannot create the new file
(``pexit``), which would orphan a running container, so a log whose directory is
gone is refused here with containerd's ``failed to create and open log file`` instead.
Callers: seclet.runtime.runc.service.
"""

from __future__ import annotations

import os
from pathlib import Path

from seclet.cri.errors import CRIError, FailedPreconditionError
from seclet.cri.types import ContainerState
from seclet.runtime.runc import records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.container_status import observe

_REOPEN_LOG = b"2 0 0\n"


async def reopen_container_log(config: RuntimeConfig, container_id: str) -> None:
    record = records.load_container(config, container_id)
    if (await observe(config, record)).state != ContainerState.CONTAINER_RUNNING:
        raise FailedPreconditionError("container is not running")
    if record.log_path and not Path(record.log_path).parent.is_dir():
        raise CRIError(
            f"failed to create and open log file: open {record.log_path}: "
            "no such file or directory"
        )
    ctl = config.container_dir(container_id) / "ctl"
    fd = os.open(ctl, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        os.write(fd, _REOPEN_LOG)
    finally:
        os.close(fd)
