"""The one module that starts runc and conmon processes.

Role: thin async wrappers, each one command line: ``runc state/start/kill/delete``,
``runc run --detach`` (the pause process, which needs no monitor),
``runc exec`` (with pipes or with a terminal), ``runc --version`` and ``conmon``
(which runs ``runc create`` and then stays as the container's monitor: stdio, CRI
log file, exit file, attach socket). runc always gets ``--root <state root>`` and JSON logging so
its error text can be kept verbatim: a failure raises ``RuncError`` whose message is
runc's own words (``runc create failed: unable to start container process: ...``).
Callers: the verb modules of seclet.runtime.runc; nothing else spawns these tools.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seclet.cri.errors import CRIError
from seclet.runtime.runc.config import RuntimeConfig


class RuncError(CRIError):
    """runc (or conmon) failed; ``message`` is the tool's own error text. A
    ``CRIError``, so a failure no verb rewords still reaches the user as runc's words."""


@dataclass(frozen=True, slots=True)
class RuncResult:
    returncode: int
    stdout: bytes
    stderr: bytes


def _runc_argv(config: RuntimeConfig, *args: str) -> list[str]:
    return [config.runc, "--root", str(config.runc_root), "--log-format", "json", *args]


def runc_error_text(stderr: bytes) -> str:
    """The last error runc logged (``msg`` of its JSON log lines), else its raw stderr."""
    text = stderr.decode("utf-8", errors="replace")
    last = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            last = line
            continue
        if isinstance(entry, dict) and entry.get("level") in ("error", "fatal"):
            last = str(entry.get("msg", ""))
    return last or text.strip()


async def run_runc(config: RuntimeConfig, *args: str) -> RuncResult:
    """Run one runc command to completion, capturing its output."""
    proc = await asyncio.create_subprocess_exec(
        *_runc_argv(config, *args),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return RuncResult(proc.returncode or 0, out, err)


async def runc_state(config: RuntimeConfig, container_id: str) -> dict[str, Any] | None:
    """``runc state``: the JSON state, or None when runc does not know the container."""
    result = await run_runc(config, "state", container_id)
    if result.returncode != 0:
        return None
    state: dict[str, Any] = json.loads(result.stdout)
    return state


async def runc_start(config: RuntimeConfig, container_id: str) -> None:
    result = await run_runc(config, "start", container_id)
    if result.returncode != 0:
        raise RuncError(runc_error_text(result.stderr))


async def runc_kill(
    config: RuntimeConfig, container_id: str, sig: str, *, all: bool = False
) -> None:
    """``runc kill [--all] <id> <signal>``; errors (already stopped) are ignored."""
    args = ["kill", *(["--all"] if all else []), container_id, sig]
    await run_runc(config, *args)


async def runc_delete(config: RuntimeConfig, container_id: str) -> None:
    """``runc delete --force``; a container runc does not know is already deleted."""
    result = await run_runc(config, "delete", "--force", container_id)
    if result.returncode != 0:
        text = runc_error_text(result.stderr)
        if "does not exist" not in text:
            raise RuncError(text)


async def runc_run_detached(config: RuntimeConfig, container_id: str, bundle: Path) -> int:
    """``runc run -d --pid-file`` (create and start in one process, no monitor); return
    the container's init pid. stdio is /dev/null (the detached process inherits it: a
    pipe would stay open), so runc logs to ``<bundle>/log.json`` and a failure raises
    ``RuncError`` with its text, worded ``runc create failed: ...`` as when create and
    start are separate commands (containerd's steps)."""
    pid_file = bundle / "pidfile"
    log = bundle / "log.json"
    proc = await asyncio.create_subprocess_exec(
        *_runc_argv(config, "--log", str(log), "run", "--detach", "--pid-file", str(pid_file)),
        "--bundle",
        str(bundle),
        container_id,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    rc = await proc.wait()
    if rc == 0:
        try:
            return int(pid_file.read_text().strip())
        except (OSError, ValueError):
            pass
    text = _runc_log_error(log) or f"runc run exited with status {rc}"
    raise RuncError(text.replace("runc run failed: ", "runc create failed: ", 1))


async def runc_version(config: RuntimeConfig) -> str:
    """``runc --version`` first line's version (``1.1.5+ds1``)."""
    proc = await asyncio.create_subprocess_exec(
        config.runc,
        "--version",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await proc.communicate()
    first = out.decode(errors="replace").splitlines()[0] if out else ""
    return first.removeprefix("runc version ").strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConmonRequest:
    """One ``conmon`` invocation: create container ``container_id`` from ``bundle``."""

    container_id: str
    name: str
    bundle: Path
    log_path: str
    """Absolute path of the CRI-format log file (k8s-file driver); "" = no log."""
    persist_dir: Path
    terminal: bool = False
    stdin: bool = False
    """The container's stdin is a pipe fed from the attach socket (``-i``), not
    /dev/null; with ``terminal`` the pty is its stdin already."""
    stdin_once: bool = False
    """The first attach client to detach closes that pipe (without it, conmon gets
    ``--leave-stdin-open``)."""


def conmon_stdio_args(request: ConmonRequest) -> list[str]:
    """The stdio options, as CRI-O's ``createContainer`` passes them: ``-t`` for a
    terminal (its pty is the stdin), else ``-i`` for an open stdin, preceded by
    ``--leave-stdin-open`` unless ``stdin_once``."""
    if request.terminal:
        return ["-t"]
    if request.stdin:
        return [*([] if request.stdin_once else ["--leave-stdin-open"]), "-i"]
    return []


_CONMON_ANSWER_SECONDS = 60.0
"""How long ``runc create`` under conmon may take before StartContainer gives up."""


async def _read_sync_pipe(fd: int) -> bytes:
    """Conmon's sync pipe up to the first newline (or EOF), read by the event loop when
    it becomes readable (a reading thread would add a hand-off between threads to the
    moment the container is created); ``fd`` is closed after, also when cancelled."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[bytes] = loop.create_future()
    data = bytearray()

    def readable() -> None:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        data.extend(chunk)
        if (not chunk or b"\n" in data) and not answer.done():
            answer.set_result(bytes(data))

    try:
        os.set_blocking(fd, False)
        loop.add_reader(fd, readable)
        try:
            return await answer
        finally:
            loop.remove_reader(fd)
    finally:
        os.close(fd)


async def start_conmon(config: RuntimeConfig, request: ConmonRequest) -> int:
    """Start conmon, which runs ``runc create``; return the container's init pid.

    Steps:
    1. open the sync pipe (``_OCI_SYNCPIPE``), on which conmon answers
       ``{"data": <pid>}`` or ``{"data": -1, "message": "<runc's stderr>"}``;
    2. spawn conmon in the bundle directory (it writes its ``oom`` file relative to
       its working directory as well as in the persist dir) — it forks into the
       background and its first process exits at once;
    3. read the answer (conmon writes it after ``runc create`` returns);
    4. a pid > 0 is the answer; else raise ``RuncError`` with runc's text.
    """
    read_fd, write_fd = os.pipe()
    os.set_inheritable(write_fd, True)
    bundle = request.bundle
    argv = [
        config.conmon,
        "--api-version",
        "1",
        "-c",
        request.container_id,
        "-u",
        request.container_id,
        "-r",
        config.runc,
        "-b",
        str(bundle),
        "-p",
        str(bundle / "pidfile"),
        "-P",
        str(bundle / "conmon.pid"),
        "-n",
        request.name,
        "--exit-dir",
        str(config.exits_dir),
        "-0",
        str(request.persist_dir),
        "-l",
        f"k8s-file:{request.log_path}" if request.log_path else "none:",
        "--socket-dir-path",
        str(config.sockets_dir),
        "--runtime-arg",
        f"--root={config.runc_root}",
        "--runtime-arg",
        "--log-format=json",
        "--runtime-arg",
        f"--log={bundle / 'log.json'}",
    ]
    argv += conmon_stdio_args(request)
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
    env["_OCI_SYNCPIPE"] = str(write_fd)
    try:
        with (bundle / "conmon.out").open("ab") as out:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                pass_fds=(write_fd,),
                env=env,
                cwd=bundle,
            )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    try:
        rc = await proc.wait()
    except BaseException:
        os.close(read_fd)
        raise
    try:
        answer = await asyncio.wait_for(_read_sync_pipe(read_fd), _CONMON_ANSWER_SECONDS)
    except TimeoutError:
        raise RuncError(
            f"conmon gave no answer within {_CONMON_ANSWER_SECONDS:g}s "
            f"(see {bundle / 'conmon.out'})"
        ) from None
    try:
        data = json.loads(answer.splitlines()[0]) if answer.strip() else {}
    except ValueError:
        data = {}
    pid = data.get("data", -1) if isinstance(data, dict) else -1
    if isinstance(pid, int) and pid > 0:
        return pid
    message = str(data.get("message", "")).strip() if isinstance(data, dict) else ""
    if not message:
        message = _runc_log_error(bundle / "log.json") or _tail(bundle / "conmon.out")
    if not message:
        message = f"conmon exited with status {rc}"
    raise RuncError(message)


def _runc_log_error(path: Path) -> str:
    try:
        return runc_error_text(path.read_bytes())
    except OSError:
        return ""


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""


def _process_argv(
    config: RuntimeConfig,
    container_id: str,
    process_json: Path | None,
    pid_file: Path,
    tty: bool,
    cmd: tuple[str, ...] = (),
) -> list[str]:
    """``runc exec`` with a process spec file, or (``process_json`` None) the
    container's own process from its config.json with ``cmd`` as the args."""
    argv = _runc_argv(config, "exec")
    if process_json is not None:
        argv += ["--process", str(process_json)]
    argv += ["--pid-file", str(pid_file)]
    if tty:
        argv.append("--tty")
    argv.append(container_id)
    if process_json is None:
        argv += cmd
    return argv


async def spawn_exec(
    config: RuntimeConfig,
    container_id: str,
    process_json: Path | None,
    pid_file: Path,
    *,
    stdin: bool,
    stdout: bool = True,
    cmd: tuple[str, ...] = (),
) -> asyncio.subprocess.Process:
    """``runc exec`` in the foreground with pipes (runc hands its stdio to the
    process): ``--process`` a spec file, or without one the container's own process
    running ``cmd`` (what a non-TTY exec asks for: runc takes args, terminal false);
    the exit status of runc is the process's (128+N when killed by N).
    stderr is always a pipe: runc's own errors arrive there before the process runs."""
    return await asyncio.create_subprocess_exec(
        *_process_argv(config, container_id, process_json, pid_file, tty=False, cmd=cmd),
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE if stdout else asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@dataclass(frozen=True, slots=True)
class ExecProcess:
    """A foreground ``runc exec`` from ``spawn_exec_pipes``: its pid, a pidfd that
    becomes readable when it exits, and this side of its pipes (non-blocking, close on
    exec; ``stdin``/``stdout`` None where the process has /dev/null)."""

    pid: int
    pidfd: int
    stdin: int | None
    stdout: int | None
    stderr: int


def spawn_exec_pipes(
    config: RuntimeConfig,
    container_id: str,
    pid_file: Path,
    *,
    stdin: bool,
    stdout: bool,
    cmd: tuple[str, ...],
) -> ExecProcess:
    """``runc exec <id> <cmd>`` (no spec file: a non-TTY exec) by ``posix_spawn``, for
    an exec session: the caller reads and writes the pipes and waits on the pidfd
    itself. asyncio's subprocess transport (``spawn_exec``) costs about a millisecond
    more per exec on this path: a ``Popen``, three pipe transports and protocols, and
    the child watcher's hop before the exit is seen. stderr is always a pipe: runc's
    own errors arrive there before the process runs.

    Steps: the pipes (close on exec on both ends: ``dup2`` onto 0/1/2 clears the
    flag on the child's copies only), /dev/null for what is not piped; spawn; close
    the child's ends; a pidfd for the exit. Any failure closes what was opened."""
    argv = _process_argv(config, container_id, None, pid_file, tty=False, cmd=cmd)
    ours: list[int] = []
    theirs: list[int] = []
    try:
        ends: list[int | None] = []
        actions = []
        for target, piped in ((0, stdin), (1, stdout), (2, True)):
            if piped:
                read_end, write_end = os.pipe2(os.O_CLOEXEC)
                mine, child = (write_end, read_end) if target == 0 else (read_end, write_end)
                ours.append(mine)
                ends.append(mine)
            else:
                child = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
                ends.append(None)
            theirs.append(child)
            actions.append((os.POSIX_SPAWN_DUP2, child, target))
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    except BaseException:
        for fd in ours:
            os.close(fd)
        raise
    finally:
        for fd in theirs:
            os.close(fd)
    for fd in ours:
        os.set_blocking(fd, False)
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        # a kernel without pidfds (< 5.3): stop runc before it starts anything
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        for fd in ours:
            os.close(fd)
        raise
    stdin_fd, stdout_fd, stderr_fd = ends
    assert stderr_fd is not None  # always a pipe
    return ExecProcess(pid, pidfd, stdin_fd, stdout_fd, stderr_fd)


_EXEC_REAPER = """
import ctypes, os, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
null = os.open("/dev/null", os.O_RDWR)
runc = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ,
                      file_actions=[(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1)])
pid = -1
while True:
    try:
        got, status = os.waitpid(-1, 0)
    except ChildProcessError:
        os._exit(255)
    code = os.waitstatus_to_exitcode(status)
    code = 128 - code if code < 0 else code
    if got == runc:
        try:
            pid = int(open(sys.argv[1]).read())
        except (OSError, ValueError):
            os._exit(code or 255)
    if got == pid:
        os._exit(code)
"""
"""The parent of a TTY exec: a child subreaper (PR_SET_CHILD_SUBREAPER = 36) that runs
``runc exec --detach``; the exec'd process, orphaned when runc returns, becomes its
child, and its exit status (128+N for signal N) becomes the helper's, as
containerd's shim (also a subreaper) reports it."""


async def spawn_exec_tty(
    config: RuntimeConfig,
    container_id: str,
    process_json: Path,
    pid_file: Path,
    *,
    console_socket: str,
) -> asyncio.subprocess.Process:
    """``runc exec --detach --tty --console-socket``, as containerd runs a TTY exec:
    runc sends the master side of the container's new pty to ``console_socket`` and
    leaves that pty's settings alone (its foreground mode would clear ONLCR on it
    while the process already runs, so output would depend on timing). runc runs
    under the ``_EXEC_REAPER`` helper, whose exit status is the process's; runc's own
    errors arrive on the helper's stderr."""
    argv = _process_argv(config, container_id, process_json, pid_file, tty=True)
    argv[argv.index("exec") + 1 : argv.index("exec") + 1] = [
        "--detach",
        "--console-socket",
        console_socket,
    ]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",
        "-S",
        "-c",
        _EXEC_REAPER,
        str(pid_file),
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


def signal_pid(pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to a host pid; a process already gone is fine."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
