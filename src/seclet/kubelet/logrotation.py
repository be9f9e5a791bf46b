"""Container log rotation by size, as upstream's kubelet container log manager.

Role: upstream's ``pkg/kubelet/logs/container_log_manager.go``. The runtime (conmon)
appends to ``<n>.log``; the kubelet watches its size and, past
``containerLogMaxSize``, renames it to ``<n>.log.<YYYYMMDD-hhmmss>`` (Go layout
``20060102-150405``, local time) and asks the runtime to reopen the log
(``ReopenContainerLog``), so at most ``containerLogMaxFiles`` files exist per
container: the current one, the newest rotated one (uncompressed, so a reader still at
its end can finish) and ``MaxFiles - 2`` older ones compressed to ``.gz``.

Pure decisions (tested by tables):
- ``parse_max_size``: ``resource.ParseQuantity`` + ``AsInt64`` (negative: rotation off);
- ``filter_unused``: ``.tmp`` files and files already compressed beside their ``.gz``
  are left-overs of an interrupted rotation (``filterUnusedLogs``);
- ``plan_rotation``: which files to remove (left-overs, then the oldest beyond
  ``MaxFiles - 2``, oldest first so a running ``kubectl logs`` is not cut), which to
  compress, and the name the current log is renamed to.

I/O shell, ``ContainerLogManager.run``: every ``monitor_interval`` seconds (upstream
``containerLogMonitorInterval``, 10 s) list the running containers; for each
(``containerLogMaxWorkers`` at a time, upstream's default 1):
1. ``ContainerStatus`` -> the log path; a missing log is reopened first;
2. smaller than ``max_size``: nothing to do;
3. remove left-overs and excess files, compress all but the newest rotated one
   (through ``<file>.tmp``, then rename to ``<file>.gz``, then remove ``<file>``);
4. rename the log to its rotated name and ``ReopenContainerLog``; when the reopen
   fails, rename it back so the next round tries again.
``remove_container_logs`` removes a container's log with its rotated files
(upstream's ``Clean``).
Callers: seclet.kubelet.kubelet (starts the manager), seclet.kubelet.worker (container
GC), seclet.cli.server (parses the flags), tests.
"""

from __future__ import annotations

import asyncio
import datetime
import glob
import gzip
import logging
import os
import re
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from seclet.cri.errors import CRIError, NotFoundError
from seclet.cri.services import RuntimeService
from seclet.cri.types import ContainerFilter, ContainerState
from seclet.kubelet.clock import Clock

log = logging.getLogger(__name__)

TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S"
"""Go's ``20060102-150405``: the rotated file's suffix."""
COMPRESS_SUFFIX = ".gz"
TMP_SUFFIX = ".tmp"

DEFAULT_MONITOR_INTERVAL = 10.0
MIN_MONITOR_INTERVAL = 3.0
"""Upstream's validation: ``containerLogMonitorInterval`` must be at least 3 s."""


@dataclass(frozen=True, slots=True)
class LogRotatePolicy:
    max_size: int
    """Bytes; the current log is rotated once it reaches this size."""
    max_files: int
    """At most this many files per container log (current + rotated)."""


class LogConfigError(ValueError):
    """A log rotation setting upstream's kubelet refuses; the text is upstream's."""


def parse_max_size(text: str) -> int:
    """``containerLogMaxSize`` in bytes (``resource.ParseQuantity`` then ``AsInt64``)."""
    from seclet.validation.containers import parse_quantity  # noqa: PLC0415 - cold path

    quantity = parse_quantity(text)
    if quantity is None:
        raise LogConfigError(
            f'failed to parse container log max size "{text}": quantities must match '
            "the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        )
    if not isinstance(quantity, Fraction) or quantity.denominator != 1:
        raise LogConfigError(
            f'failed to parse container log max size "{text}": invalid max log size'
        )
    return int(quantity)


def validate(max_files: int, monitor_interval: float, max_workers: int = 1) -> None:
    """Upstream's ``ValidateKubeletConfiguration`` checks of these settings, in its
    order."""
    if max_workers < 1:
        raise LogConfigError(
            "invalid configuration: containerLogMaxWorkers must be greater than or equal to 1"
        )
    if monitor_interval < MIN_MONITOR_INTERVAL:
        raise LogConfigError(
            "invalid configuration: containerLogMonitorInterval must be a positive time "
            "duration greater than or equal to 3s"
        )
    if max_files <= 1:
        raise LogConfigError("invalid configuration: containerLogMaxFiles must be greater than 1")


_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,
    "\u03bcs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` (seconds): ``10s``, ``1m30s``, ``1.5h``, ``0``."""
    body = text.removeprefix("-").removeprefix("+")
    sign = -1.0 if text.startswith("-") else 1.0
    if body == "0":
        return 0.0
    total = 0.0
    pos = 0
    while pos < len(body):
        match = _DURATION.match(body, pos)
        if match is None or match.group(1) in ("", "."):
            raise LogConfigError(f'time: invalid duration "{text}"')
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if not body:
        raise LogConfigError(f'time: invalid duration "{text}"')
    return sign * total


def rotated_name(log_path: str, now: float) -> str:
    stamp = datetime.datetime.fromtimestamp(now).strftime(TIMESTAMP_FORMAT)
    return f"{log_path}.{stamp}"


def _in_use(name: str, names: set[str]) -> bool:
    if name.endswith(TMP_SUFFIX):
        return False
    if name.endswith(COMPRESS_SUFFIX):
        return True
    return name + COMPRESS_SUFFIX not in names


def filter_unused(logs: list[str]) -> tuple[list[str], list[str]]:
    """(in use, unused) among the rotated files of one log."""
    names = set(logs)
    inuse = [name for name in logs if _in_use(name, names)]
    unused = [name for name in logs if not _in_use(name, names)]
    return inuse, unused


def all_logs(log_path: str, rotated: list[str]) -> list[str]:
    """upstream ``GetAllLogs``: the rotated files in use, oldest first, then the log."""
    inuse, _ = filter_unused(rotated)
    return [*sorted(inuse), log_path]


@dataclass(frozen=True, slots=True)
class RotationPlan:
    remove: tuple[str, ...]
    """Left-overs, then the oldest rotated files beyond ``max_files - 2``."""
    compress: tuple[str, ...]
    """Kept rotated files not yet compressed (all but the one renamed now)."""
    rotate_to: str
    """The current log's new name."""


def plan_rotation(
    log_path: str, rotated: list[str], policy: LogRotatePolicy, now: float
) -> RotationPlan:
    """What ``rotateLog`` does to ``log_path`` whose rotated files are ``rotated``."""
    inuse, unused = filter_unused(rotated)
    inuse.sort()
    keep = max(policy.max_files - 2, 0)
    excess = inuse[: len(inuse) - keep] if len(inuse) > keep else []
    kept = inuse[len(excess) :]
    return RotationPlan(
        remove=(*unused, *excess),
        compress=tuple(n for n in kept if not n.endswith(COMPRESS_SUFFIX)),
        rotate_to=rotated_name(log_path, now),
    )


def rotated_files(log_path: str) -> list[str]:
    path = Path(log_path)
    return [str(p) for p in path.parent.glob(glob.escape(path.name) + ".*")]


def compress_log(name: str) -> None:
    """``<name>`` -> ``<name>.gz`` through ``<name>.tmp`` (same mode), then remove it."""
    path = Path(name)
    tmp = Path(name + TMP_SUFFIX)
    mode = path.stat().st_mode & 0o7777
    try:
        with path.open("rb") as src:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
                shutil.copyfileobj(src, out)
        tmp.rename(name + COMPRESS_SUFFIX)
    finally:
        tmp.unlink(missing_ok=True)
    path.unlink()


def prepare_rotation(log_path: str, policy: LogRotatePolicy, now: float) -> str:
    """Step 3 and the rename of step 4; returns the rotated name."""
    plan = plan_rotation(log_path, rotated_files(log_path), policy, now)
    for name in plan.remove:
        Path(name).unlink(missing_ok=True)
    for name in plan.compress:
        compress_log(name)
    Path(log_path).rename(plan.rotate_to)
    return plan.rotate_to


def undo_rotation(rotated: str, log_path: str) -> None:
    Path(rotated).rename(log_path)


def remove_container_logs(log_path: str) -> None:
    """upstream ``Clean``: the log and every file that starts with its name."""
    if not log_path:
        return
    for name in [log_path, *rotated_files(log_path)]:
        Path(name).unlink(missing_ok=True)


def _size(path: str) -> int | None:
    try:
        return Path(path).stat().st_size
    except FileNotFoundError:
        return None


class ContainerLogManager:
    def __init__(
        self,
        runtime: RuntimeService,
        policy: LogRotatePolicy,
        clock: Clock,
        monitor_interval: float = DEFAULT_MONITOR_INTERVAL,
        max_workers: int = 1,
    ) -> None:
        self.runtime = runtime
        self.policy = policy
        self.clock = clock
        self.monitor_interval = monitor_interval
        self.max_workers = max(max_workers, 1)
        self.rotations = 0
        """Logs rotated so far (tests and figures)."""

    async def run(self) -> None:
        while True:
            await self.clock.sleep(self.monitor_interval)
            try:
                await self.rotate_logs()
            except Exception:
                log.exception("Failed to rotate container logs")

    async def rotate_logs(self) -> None:
        """One round over the running containers, ``max_workers`` at a time."""
        running = ContainerFilter(state=ContainerState.CONTAINER_RUNNING)
        queue = [
            c.id
            for c in await self.runtime.list_containers(running)
            if c.state == ContainerState.CONTAINER_RUNNING
        ]

        async def worker() -> None:
            while queue:
                container_id = queue.pop(0)
                try:
                    await self.process_container(container_id)
                except NotFoundError:
                    continue  # removed since the list (its pod was deleted): nothing to do
                except (CRIError, OSError) as exc:
                    # one line per failure, as upstream's klog.ErrorS (a full disk
                    # would otherwise print a traceback every round)
                    log.error("Failed to rotate log for container %s: %s", container_id, exc)

        await asyncio.gather(*(worker() for _ in range(min(self.max_workers, len(queue)))))

    async def process_container(self, container_id: str) -> None:
        """Steps 1-4 of the module docstring for one container."""
        path = (await self.runtime.container_status(container_id)).log_path
        if not path:
            return
        size = await asyncio.to_thread(_size, path)
        if size is None:
            await self.runtime.reopen_container_log(container_id)
            size = await asyncio.to_thread(_size, path)
            if size is None:
                return
        if size < self.policy.max_size:
            return
        rotated = await asyncio.to_thread(prepare_rotation, path, self.policy, self.clock.now())
        try:
            await self.runtime.reopen_container_log(container_id)
        except CRIError:
            await asyncio.to_thread(undo_rotation, rotated, path)
            raise
        self.rotations += 1
