"""ContainerStatus and ListContainers: what state a container is in, and why.

Role: the CRI verbs. The state is derived each time, never cached, so it is right
after a seclet restart: a start error recorded by StartContainer (``StartError``,
exit code 128); not started (``CONTAINER_CREATED``; but a start that seclet's death
interrupted after runc started the container counts as started, and the record is
completed from runc's state; one it interrupted before is undone, the container
staying created); conmon's exit file (exited:
code, finish time = the file's mtime, reason ``OOMKilled`` when conmon left its
``oom`` file or the memory cgroup counted a kill (module ``oom``), else
``Completed`` for 0 and ``Error``); conmon alive (running); else runc's own state
(conmon gone: ``CONTAINER_UNKNOWN`` unless runc says running).
``user`` is the first process's identity from config.json (``process.user``).
The image fields are containerd's (``ContainerStatus``): the image the container
was created from is looked up again at status time; when it is still stored,
``image`` is its first repo tag (``docker.io/library/busybox:1.28``, not the
``sha256:`` id the kubelet put in the config) and the digest reference is its first
repo digest; when it is gone (or untagged/undigested), the config's image and the
image id stand in. As in CRI, ``image_ref`` is the digest reference (the kubelet's
``imageID``) and ``image_id`` the image id.
ListContainers reports the config's image and the image id, as containerd does
(no image lookup there).
Callers: seclet.runtime.runc.service, exec_sync, exec.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import time
from dataclasses import dataclass

from seclet.api.schema import FrozenMap
from seclet.cri.types import (
    Container,
    ContainerFilter,
    ContainerMetadata,
    ContainerState,
    ContainerStatus,
    ImageSpec,
    LinuxContainerUser,
)
from seclet.runtime.image.stored import ImageLookup, StoredImage
from seclet.runtime.runc import driver, exec_fifo, exits, records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.oom import oom_killed
from seclet.runtime.runc.records import ContainerRecord


@dataclass(frozen=True, slots=True)
class Observed:
    state: ContainerState
    exit_code: int = 0
    finished_at: int = 0
    reason: str = ""
    message: str = ""
    pid: int = 0


async def observe(config: RuntimeConfig, record: ContainerRecord) -> Observed:
    """The container's state now (see the module docstring for the order)."""
    if record.start_error:
        return Observed(
            ContainerState.CONTAINER_EXITED,
            exit_code=128,
            finished_at=record.finished_at,
            reason="StartError",
            message=record.start_error,
        )
    if not record.started_at:
        record = await _interrupted_start(config, record)
        if not record.started_at:
            return Observed(ContainerState.CONTAINER_CREATED)
    found = exits.read_exit(config, record.id)
    if found is None and not exits.alive(exits.conmon_pid(config.container_dir(record.id))):
        state = await driver.runc_state(config, record.id)
        if state is not None and state.get("status") == "running":
            return Observed(ContainerState.CONTAINER_RUNNING, pid=int(state.get("pid", 0)))
        found = exits.read_exit(config, record.id)
        if found is None:
            return Observed(ContainerState.CONTAINER_UNKNOWN)
    if found is None:
        return Observed(ContainerState.CONTAINER_RUNNING, pid=record.pid)
    if found.code != 0 and oom_killed(config.container_dir(record.id), record.cgroups_path):
        reason = "OOMKilled"
    elif found.code == 0:
        reason = "Completed"
    else:
        reason = "Error"
    return Observed(
        ContainerState.CONTAINER_EXITED,
        exit_code=found.code,
        # file times come from the kernel's coarse clock: never before the start
        finished_at=max(found.finished_at, record.started_at),
        reason=reason,
    )


def _go_time_ns(text: str) -> int:
    """Nanoseconds of runc's RFC3339Nano ``created`` time (0 when unreadable)."""
    main, _, rest = text.partition(".")
    digits = "".join(ch for ch in rest if ch.isdigit())[:9]
    try:
        seconds = datetime.datetime.fromisoformat(main.removesuffix("Z") + "+00:00")
    except ValueError:
        return 0
    return int(seconds.timestamp()) * 1_000_000_000 + int(digits.ljust(9, "0") or 0)


async def _interrupted_start(config: RuntimeConfig, record: ContainerRecord) -> ContainerRecord:
    """A record never marked started whose StartContainer spawned conmon (its pid file
    is in the bundle) before seclet died: when runc ran the container (running or
    stopped), it was started — record that (runc's create time, its pid), so the
    container is adopted rather than created and started a second time. One runc
    still holds as created whose init has passed the start handshake (seclet died
    between the handshake and removing the fifo) runs the container's process: that
    StartContainer is finished. One whose init still waits in ``runc init`` never ran
    anything: it is discarded (``_discard_unstarted``) and the container stays
    created, as it is when seclet died before conmon."""
    directory = config.container_dir(record.id)
    if not (directory / exits.CONMON_PID_FILE).exists():
        return record
    state = await driver.runc_state(config, record.id)
    if (
        state is not None
        and state.get("status") == "created"
        and not exec_fifo.start_in_flight(config, record.id)
    ):
        init_pid = int(state.get("pid", 0))
        if exec_fifo.in_runc_init(init_pid):
            await _discard_unstarted(config, record)
            return record
        with contextlib.suppress(driver.RuncError):
            await exec_fifo.start_created(config, record.id, init_pid)
        state = await driver.runc_state(config, record.id)
    if state is None or state.get("status") not in ("running", "stopped"):
        return record
    started = _go_time_ns(str(state.get("created", ""))) or time.time_ns()
    repaired = dataclasses.replace(record, started_at=started, pid=int(state.get("pid", 0)))
    records.save(directory, repaired)
    return repaired


_CONMON_KILL_SECONDS = 5.0


async def _discard_unstarted(config: RuntimeConfig, record: ContainerRecord) -> None:
    """Undo what a StartContainer cut short by seclet's death did before the start
    handshake: its conmon cannot be trusted — it answers the dead seclet on a pipe
    nobody reads any more, and conmon before 2.1.10 exits when that write fails
    (containers/conmon#438), leaving a container whose output nobody logs and whose
    exit nobody records — so conmon is killed, the runc container deleted (its init
    never left ``runc init``) and the files of that start removed: the record is
    created and never started again, and the kubelet starts a new attempt (as upstream
    does for a container left created). ``conmon.pid`` goes last: while it is there,
    the next look tries again."""
    directory = config.container_dir(record.id)
    if not await exits.kill_conmon(directory, record.id, _CONMON_KILL_SECONDS):
        return
    try:
        await driver.runc_delete(config, record.id)
    except driver.RuncError:
        return
    config.exit_file(record.id).unlink(missing_ok=True)
    (directory / "pidfile").unlink(missing_ok=True)
    exec_fifo.done_starting(config, record.id)
    (directory / exits.CONMON_PID_FILE).unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class StatusImage:
    """The image fields of a ContainerStatus."""

    image: str
    """``ImageSpec.image``: the image's first repo tag, else the config's image."""
    image_ref: str
    """The first repo digest (``docker.io/library/busybox@sha256:...``), else the id."""
    image_id: str
    """The image id (``sha256:<config digest>``)."""


def status_image(record: ContainerRecord, stored: StoredImage | None) -> StatusImage:
    """containerd ``ContainerStatus``: ``repoTags[0]`` and ``repoDigests[0]`` of the
    image as stored now, the config's image and the image id otherwise."""
    image, digest_ref = record.image, record.image_ref
    if stored is not None:
        if stored.image.repo_tags:
            image = stored.image.repo_tags[0]
        if stored.image.repo_digests:
            digest_ref = stored.image.repo_digests[0]
    return StatusImage(image=image, image_ref=digest_ref, image_id=record.image_ref)


async def container_status(
    config: RuntimeConfig, images: ImageLookup, container_id: str
) -> ContainerStatus:
    record = records.load_container(config, container_id)
    seen = await observe(config, record)
    if not record.started_at and seen.state != ContainerState.CONTAINER_CREATED:
        record = records.load_container(config, container_id)  # an interrupted start, repaired
    shown = status_image(record, images.lookup(record.image_ref) if record.image_ref else None)
    return ContainerStatus(
        id=record.id,
        metadata=ContainerMetadata(name=record.name, attempt=record.attempt),
        state=seen.state,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=seen.finished_at,
        exit_code=seen.exit_code,
        image=ImageSpec(image=shown.image),
        image_ref=shown.image_ref,
        image_id=shown.image_id,
        reason=seen.reason,
        message=seen.message,
        labels=FrozenMap(record.labels),
        annotations=FrozenMap(record.annotations),
        log_path=record.log_path,
        user=LinuxContainerUser(
            uid=record.uid, gid=record.gid, supplemental_groups=record.additional_gids
        ),
        pid=seen.pid if seen.state == ContainerState.CONTAINER_RUNNING else 0,
    )


def _selected(record: ContainerRecord, flt: ContainerFilter) -> bool:
    if flt.id and record.id != flt.id:
        return False
    if flt.pod_sandbox_id and record.sandbox_id != flt.pod_sandbox_id:
        return False
    return all(record.labels.get(k) == v for k, v in flt.label_selector.items())


async def list_containers(
    config: RuntimeConfig, flt: ContainerFilter | None = None
) -> tuple[Container, ...]:
    flt = flt or ContainerFilter()
    out: list[Container] = []
    for record in records.all_containers(config):
        if not _selected(record, flt):
            continue
        seen = await observe(config, record)
        if flt.state is not None and seen.state != flt.state:
            continue
        out.append(
            Container(
                id=record.id,
                pod_sandbox_id=record.sandbox_id,
                metadata=ContainerMetadata(name=record.name, attempt=record.attempt),
                image=ImageSpec(image=record.image),
                image_ref=record.image_ref,
                state=seen.state,
                created_at=record.created_at,
                labels=FrozenMap(record.labels),
                annotations=FrozenMap(record.annotations),
            )
        )
    return tuple(out)
