"""PodSandboxStatus and ListPodSandbox: is the pause process there.

Role: the CRI verbs. Ready = not stopped and the pause process has not exited
(``pause.exited``; without a pause process: its namespace pins still hold, and the
pid is 0). The pod IP is "" (a pod's own network namespace has only loopback,
reached as 127.0.0.1 from inside the pod) except for hostNetwork pods, which report
the node's address (``RuntimeConfig.host_ip``, 127.0.0.1 by default).
Callers: seclet.runtime.runc.service.
"""

from __future__ import annotations

from seclet.api.schema import FrozenMap
from seclet.cri.types import (
    PodSandboxFilter,
    PodSandboxMetadata,
    PodSandboxState,
    PodSandboxStatus,
)
from seclet.runtime.runc import pause, records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.records import SandboxRecord


def _status(config: RuntimeConfig, record: SandboxRecord) -> PodSandboxStatus:
    ready = not record.stopped and not pause.exited(config, record)
    return PodSandboxStatus(
        id=record.id,
        metadata=PodSandboxMetadata(
            name=record.name, uid=record.uid, namespace=record.namespace, attempt=record.attempt
        ),
        state=PodSandboxState.SANDBOX_READY if ready else PodSandboxState.SANDBOX_NOTREADY,
        created_at=record.created_at,
        ip=config.host_ip if record.host_network else "",
        pid=record.pid if ready else 0,
        labels=FrozenMap(record.labels),
        annotations=FrozenMap(record.annotations),
    )


async def pod_sandbox_status(config: RuntimeConfig, pod_sandbox_id: str) -> PodSandboxStatus:
    return _status(config, records.load_sandbox(config, pod_sandbox_id))


async def list_pod_sandbox(
    config: RuntimeConfig, flt: PodSandboxFilter | None = None
) -> tuple[PodSandboxStatus, ...]:
    flt = flt or PodSandboxFilter()
    out: list[PodSandboxStatus] = []
    for record in records.all_sandboxes(config):
        if flt.id and record.id != flt.id:
            continue
        if not all(record.labels.get(k) == v for k, v in flt.label_selector.items()):
            continue
        status = _status(config, record)
        if flt.state is not None and status.state != flt.state:
            continue
        out.append(status)
    return tuple(out)
