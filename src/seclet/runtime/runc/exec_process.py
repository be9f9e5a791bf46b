"""What ExecSync and Exec share: the exec'd process's spec and its start.

Role: containerd's ``execInternal`` preparation. The process spec is the container's
own ``process`` from config.json (user, additionalGids, capabilities,
noNewPrivileges, AppArmor/SELinux labels, rlimits, env, cwd — ``runc exec`` also
applies the container's seccomp filter) with ``args`` = the command and
``terminal`` = tty (plus ``TERM=xterm`` with a tty). Without a tty that is exactly
what ``runc exec <id> <cmd>`` builds from config.json itself, so no spec file is
written; a TTY exec gets one. Both live in the runtime's exec directory (tmpfs,
``RuntimeConfig.exec_dir``) with the ``--pid-file``. ``wait_started`` tells a
process that runc started (its pid file appears) from one runc could not start
(runc exits first), and words the latter as containerd does; a spec that cannot be
written is a ``CRIError`` for that exec. The container's ``process`` is parsed from
config.json once and kept per container (checked against the file's
inode/mtime/size on each exec; dropped by ``forget`` at RemoveContainer).
Callers: exec_sync, exec; remove_container (``forget``).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seclet.cri.errors import CRIError, FailedPreconditionError
from seclet.cri.types import ContainerState
from seclet.runtime.runc import records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.container_status import observe

_START_POLL = 0.002


@dataclass(frozen=True, slots=True)
class PreparedExec:
    exec_id: str
    process_json: Path | None
    """The TTY exec's process spec; None: runc builds it from config.json."""
    pid_file: Path
    cmd: tuple[str, ...] = ()

    def cleanup(self) -> None:
        if self.process_json is not None:
            self.process_json.unlink(missing_ok=True)
        self.pid_file.unlink(missing_ok=True)


async def prepare_exec(
    config: RuntimeConfig, container_id: str, cmd: tuple[str, ...], *, tty: bool
) -> PreparedExec:
    """Check the container runs; name the exec's files (a TTY exec's process spec
    written, atomically) in the exec directory."""
    record = records.load_container(config, container_id)
    seen = await observe(config, record)
    if seen.state != ContainerState.CONTAINER_RUNNING:
        raise FailedPreconditionError(f"container is in {seen.state.name} state")
    if not cmd:
        raise CRIError("exec command cannot be empty")
    exec_id = secrets.token_hex(32)
    base = config.exec_dir / f"{container_id}-{exec_id}"
    pid_file = base.with_name(base.name + ".pid")
    if not tty:
        return PreparedExec(exec_id, None, pid_file, cmd)
    directory = config.container_dir(container_id)
    process = dict(_container_process(directory / "config.json"))
    process["args"] = list(cmd)
    process["terminal"] = tty
    env = [e for e in process.get("env", []) if not e.startswith("TERM=")]
    process["env"] = [*env, "TERM=xterm"]
    process.pop("consoleSize", None)
    spec = base.with_name(base.name + ".json")
    prepared = PreparedExec(exec_id, spec, pid_file, cmd)
    try:
        records.write_json_atomic(spec, process)
    except OSError as exc:
        prepared.cleanup()
        reason = (exc.strerror or str(exc)).lower()
        raise CRIError(
            f'failed to exec in container: failed to create exec "{exec_id}": '
            f"write {spec}: {reason}"
        ) from None
    return prepared


_PROCESS_CACHE: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}
"""config.json path -> (its inode, mtime, size; its parsed ``process``)."""


def _container_process(config_json: Path) -> dict[str, Any]:
    """The container's ``process`` from config.json, parsed once per file version (a
    stat tells a rewritten or replaced file; the large spec is not re-read per exec).
    Treat the result as read-only."""
    st = config_json.stat()
    key = (st.st_ino, st.st_mtime_ns, st.st_size)
    cached = _PROCESS_CACHE.get(config_json)
    if cached is not None and cached[0] == key:
        return cached[1]
    process: dict[str, Any] = json.loads(config_json.read_bytes())["process"]
    _PROCESS_CACHE[config_json] = (key, process)
    return process


def forget(config: RuntimeConfig, container_id: str) -> None:
    """Drop the cached process spec of a removed container."""
    _PROCESS_CACHE.pop(config.container_dir(container_id) / "config.json", None)


def exec_failed(prepared: PreparedExec, runc_text: str) -> CRIError:
    """containerd's wording for an exec runc could not start."""
    return CRIError(
        f'failed to exec in container: failed to start exec "{prepared.exec_id}": '
        f"OCI runtime exec failed: {runc_text}: unknown"
    )


async def wait_started(exited: Awaitable[int], prepared: PreparedExec) -> bool:
    """True once runc wrote the pid file; False if runc exited (``exited`` done)
    without starting it. A future passed as ``exited`` is the caller's and is never
    cancelled here; a coroutine is run as a task and cancelled if left unfinished."""
    waiter = asyncio.ensure_future(exited)
    try:
        while True:
            if prepared.pid_file.exists():
                return True
            done, _ = await asyncio.wait({waiter}, timeout=_START_POLL)
            if done:
                return prepared.pid_file.exists()
    finally:
        if not waiter.done() and not isinstance(exited, asyncio.Future):
            waiter.cancel()


def exec_pid(prepared: PreparedExec) -> int:
    try:
        return int(prepared.pid_file.read_text().strip())
    except (OSError, ValueError):
        return 0
