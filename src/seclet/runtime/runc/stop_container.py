"""StopContainer: the stop signal, a grace period, then SIGKILL.

Role: the CRI verb (containerd ``StopContainer``), idempotent.
Steps:
1. nothing to do unless the container was started and has not exited;
2. grace > 0: send the stop signal and wait up to ``grace`` seconds for conmon's
   exit file. The signal is the one recorded at create, as containerd's container
   metadata: ``lifecycle.stopSignal``, else the image's ``StopSignal``, else
   SIGTERM; parsed as moby's ``signal.ParseSignal`` (a number, or a name with or
   without ``SIG`` in any case, ``RTMIN+n``/``RTMAX-n`` included) and sent to runc
   as a number; an unknown one is containerd's ``failed to parse stop signal``;
3. still running: SIGKILL to the container's init and wait for the exit file
   (``exits.wait_exit``, woken by conmon's exit). While conmon runs and has written
   no exit file, the init (conmon's child) cannot have been reaped, so the recorded
   pid is still it and the signal goes straight to it (``kill_init``) — what
   ``runc kill <id> KILL`` does, without starting a runc process; with conmon gone,
   ``runc kill`` as before.
Callers: seclet.runtime.runc.service, stop_pod_sandbox, remove_container.
"""

from __future__ import annotations

import signal
from pathlib import Path

from seclet.cri.errors import CRIError
from seclet.runtime.runc import driver, exits, records
from seclet.runtime.runc.config import RuntimeConfig

_KILL_WAIT = 10.0
DEFAULT_STOP_SIGNAL = "SIGTERM"
_SIGRTMIN = 34
_SIGRTMAX = 64
SIGNALS: dict[str, int] = {
    "ABRT": 6, "ALRM": 14, "BUS": 7, "CHLD": 17, "CLD": 17, "CONT": 18, "FPE": 8,
    "HUP": 1, "ILL": 4, "INT": 2, "IO": 29, "IOT": 6, "KILL": 9, "PIPE": 13,
    "POLL": 29, "PROF": 27, "PWR": 30, "QUIT": 3, "SEGV": 11, "STKFLT": 16,
    "STOP": 19, "SYS": 31, "TERM": 15, "TRAP": 5, "TSTP": 20, "TTIN": 21, "TTOU": 22,
    "URG": 23, "USR1": 10, "USR2": 12, "VTALRM": 26, "WINCH": 28, "XCPU": 24,
    "XFSZ": 25, "RTMIN": _SIGRTMIN, "RTMAX": _SIGRTMAX,
    **{f"RTMIN+{n}": _SIGRTMIN + n for n in range(1, 16)},
    **{f"RTMAX-{n}": _SIGRTMAX - n for n in range(1, 15)},
}  # fmt: skip
"""moby/sys/signal ``SignalMap`` (Linux): names without ``SIG`` -> numbers."""


class SignalError(ValueError):
    """Not a signal ``ParseSignal`` knows."""


def parse_signal(raw: str) -> int:
    """moby/sys/signal ``ParseSignal``: ``"9"``, ``"KILL"``, ``"sigkill"`` -> 9."""
    if raw.isascii() and raw.isdigit():
        number = int(raw)
        if 0 < number <= 255:
            return number
        raise SignalError(f"invalid signal: {raw}")
    name = raw.upper()
    found = SIGNALS.get(name.removeprefix("SIG"))
    if found is None:
        raise SignalError(f"invalid signal: {raw}")
    return found


def stop_signal(lifecycle_signal: str | None, image_signal: str) -> str:
    """The container's stop signal as containerd records it at create:
    ``lifecycle.stopSignal`` > image ``StopSignal`` > SIGTERM."""
    return lifecycle_signal or image_signal or DEFAULT_STOP_SIGNAL


async def stop_container(config: RuntimeConfig, container_id: str, grace_seconds: int) -> None:
    record = records.load_container(config, container_id)
    # 1. running?
    if not record.started_at or record.start_error:
        return
    if exits.read_exit(config, container_id) is not None:
        return
    bundle = config.container_dir(container_id)
    # 2. stop signal + grace
    if grace_seconds > 0:
        raw = record.stop_signal or DEFAULT_STOP_SIGNAL
        try:
            number = parse_signal(raw)
        except SignalError as exc:
            raise CRIError(f'failed to parse stop signal "{raw}": {exc}') from None
        await driver.runc_kill(config, container_id, str(number))
        if await exits.wait_exit(config, container_id, grace_seconds, bundle) is not None:
            return
    # 3. SIGKILL
    await kill_init(config, container_id, record.pid, bundle)
    if await exits.wait_exit(config, container_id, _KILL_WAIT, bundle) is None:
        raise CRIError(
            f'failed to stop container "{container_id}": '
            "an error occurs during waiting for container to be killed: wait container: "
            "context deadline exceeded"
        )


async def kill_init(config: RuntimeConfig, object_id: str, pid: int, bundle: Path) -> None:
    """SIGKILL the init of a container (or sandbox) that has no exit file yet: straight
    to ``pid`` while its conmon lives (see step 3), else ``runc kill <id> KILL``."""
    if (
        pid > 0
        and exits.alive(exits.conmon_pid(bundle))
        and exits.read_exit(config, object_id) is None
    ):
        driver.signal_pid(pid, signal.SIGKILL)
        return
    await driver.runc_kill(config, object_id, "KILL")
