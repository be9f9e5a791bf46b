"""Pod namespaces without a pause process: made once, pinned by bind mounts (CRI-O's pinns).

Role: CRI-O's ``drop_infra_ctr`` (default true since CRI-O 1.24): a pod that needs no
process of its own to hold its namespaces — no shared PID namespace (the pause
process is PID 1 there and reaps), no user namespace (``hostUsers: false``: the
namespaces must be owned by the pod's user namespace, which only a process inside it
can create) — gets its network, IPC and UTS namespaces from ``pinns``: created,
configured, and kept alive by bind-mounting ``/proc/<tid>/ns/<kind>`` onto a file,
which containers then join by path in their OCI spec. That saves the pause
container's ``runc run`` (≈ 45 ms) before the pod's first container can start.
Here the same is done in-process, by the calling thread, which then goes back to
its own namespaces (as vishvananda/netns callers do with ``netns.Set(origns)``):
namespaces are per thread, so nothing else of the process moves, and no thread is
started: on this kind of machine a hand-off to another thread costs more (waking an
idle CPU) than the namespaces themselves (≈ 1 ms);
0. the thread's own network/IPC/UTS namespaces are held open (``/proc/thread-self/ns``);
1. ``unshare(CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS)`` for the kinds the pod owns;
2. the hostname (UTS), loopback up (runc does it for a new network namespace of a
   container, the ``loopback`` network ``specconv`` adds), then the sandbox's
   sysctls written under ``/proc/sys`` (``.`` → ``/``, as runc's
   ``writeSystemProperty``; its error text too), in runc's order;
3. each namespace bind-mounted onto ``<sandbox>/ns/<kind>`` (an empty file made
   first; ``/proc/thread-self/ns/<kind>``);
4. whatever happened, ``setns`` back into step 0's namespaces; a thread that cannot
   go back would open every later socket in the pod's network namespace, so the
   process ends there (it never happens to a root process holding the fds).
``unpin`` lazily unmounts the files (stop and removal; "not mounted" is done).
``pinned`` tells whether every pin is still a mount point (a sandbox whose pins are
gone, e.g. after a reboot, is not ready). ``join_pinned`` points a container's spec
at the pins.
Callers: run_pod_sandbox (``pin``), stop_pod_sandbox / remove_pod_sandbox (``unpin``),
pod_sandbox_status and pause (``pinned``), create_container (``join_pinned``).
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import socket
import struct
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from seclet.runtime.runc import mounts

log = logging.getLogger(__name__)

CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
_IFREQ = struct.Struct("16sH14x")

NETWORK, IPC, UTS = "network", "ipc", "uts"
"""OCI ``linux.namespaces[].type`` names, the keys of ``SandboxRecord.pinned_namespaces``."""
_FLAGS = {NETWORK: CLONE_NEWNET, IPC: CLONE_NEWIPC, UTS: CLONE_NEWUTS}
_PROC_NAME = {NETWORK: "net", IPC: "ipc", UTS: "uts"}
PIN_DIR = "ns"
"""Under the sandbox directory: one file per pinned namespace, named as in /proc."""


class PinError(OSError):
    """A namespace could not be made, configured or pinned; the text is runc's wording
    for the same step where runc has one."""


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _go_errno(err: int) -> str:
    """Go's text for an errno: strerror's, lower-cased first (``syscall.Errno``)."""
    text = os.strerror(err)
    return text[:1].lower() + text[1:]


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise PinError(err, f"{what}: {_go_errno(err)}")


def pin_paths(directory: Path, kinds: tuple[str, ...]) -> dict[str, str]:
    """Where each of ``kinds`` is pinned under the sandbox ``directory``."""
    return {kind: str(directory / PIN_DIR / _PROC_NAME[kind]) for kind in kinds}


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        got = fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, _IFREQ.pack(b"lo", 0))
        flags = _IFREQ.unpack(got)[1]
        fcntl.ioctl(sock.fileno(), SIOCSIFFLAGS, _IFREQ.pack(b"lo", flags | IFF_UP))


def _go_error(op: str, path: str, err: int) -> PinError:
    """A Go ``*PathError`` text (``open <path>: <errno text>``)."""
    return PinError(err, f"{op} {path}: {_go_errno(err)}")


def _write_sysctl(key: str, value: str) -> None:
    # runc writeSystemProperty (os.WriteFile): every "." becomes "/" (so no ".." can
    # survive a key)
    path = "/proc/sys/" + key.replace(".", "/")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise _go_error("open", path, exc.errno or 0) from None
    try:
        os.write(fd, value.encode())
    except OSError as exc:
        raise _go_error("write", path, exc.errno or 0) from None
    finally:
        os.close(fd)


def pin(pins: Mapping[str, str], hostname: str, sysctls: Mapping[str, str]) -> None:
    """Make, configure and pin the namespaces named in ``pins`` (kind -> file), in the
    calling thread (steps in the module docstring); ``PinError`` when a step fails.
    What was pinned before a failure stays for ``unpin``."""
    if not pins:
        return
    own: dict[str, int] = {}
    try:
        for kind in pins:
            own[kind] = os.open(
                f"/proc/thread-self/ns/{_PROC_NAME[kind]}", os.O_RDONLY | os.O_CLOEXEC
            )
    except OSError as exc:
        for fd in own.values():
            os.close(fd)
        raise PinError(exc.errno or 0, f"open namespace: {_go_errno(exc.errno or 0)}") from None
    try:
        _pin_here(pins, hostname, sysctls)
    finally:
        _go_back(own)


def _go_back(own: Mapping[str, int]) -> None:
    """Step 4: back into the thread's own namespaces, or the process ends."""
    try:
        for kind, fd in own.items():
            _check(_libc().setns(ctypes.c_int(fd), ctypes.c_int(_FLAGS[kind])), "setns")
    except PinError as exc:
        log.critical("cannot return to the node's %s namespaces: %s", ", ".join(own), exc)
        os._exit(70)
    finally:
        for fd in own.values():
            os.close(fd)


def _pin_here(pins: Mapping[str, str], hostname: str, sysctls: Mapping[str, str]) -> None:
    """Steps 1-3 in the calling thread (left in the new namespaces: ``pin`` goes back)."""
    flags = 0
    for kind in pins:
        flags |= _FLAGS[kind]
    _check(_libc().unshare(ctypes.c_int(flags)), "unshare")
    if UTS in pins:
        name = hostname.encode()
        _check(_libc().sethostname(name, ctypes.c_size_t(len(name))), "sethostname")
    if NETWORK in pins:
        try:
            _loopback_up()
        except OSError as exc:
            err = exc.errno or 0
            raise PinError(err, f"unable to bring up loopback: {_go_errno(err)}") from None
    for key, value in sysctls.items():
        _write_sysctl(key, value)
    for kind, target in pins.items():
        path = Path(target)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.touch(mode=0o400)
        source = f"/proc/thread-self/ns/{_PROC_NAME[kind]}"
        rc = _libc().mount(source.encode(), os.fsencode(path), None, ctypes.c_ulong(MS_BIND), None)
        _check(rc, f"bind {source} on {path}")


def unpin(pins: Mapping[str, str]) -> None:
    """Unmount every pin (the namespace goes once nothing else holds it)."""
    for target in pins.values():
        mounts.unmount(Path(target))


def pinned(pins: Mapping[str, str]) -> bool:
    """Is every pin still a mount (of nsfs, so not on its directory's device)? One
    ``stat`` per pin and per directory (the pins of a sandbox share one)."""
    devices: dict[Path, int] = {}
    for target in pins.values():
        path = Path(target)
        try:
            if path.parent not in devices:
                devices[path.parent] = path.parent.stat().st_dev
            if path.stat().st_dev == devices[path.parent]:
                return False
        except OSError:
            return False
    return True


def join_pinned(spec: dict[str, Any], pins: Mapping[str, str]) -> None:
    """Point the spec's namespaces of the pinned kinds at their pins (replacing a fresh
    one or adding it); a container joining the pod's UTS namespace sets no hostname
    of its own (the pin holds it), as when it joins a pause process's."""
    namespaces: list[dict[str, str]] = spec["linux"]["namespaces"]
    for kind, target in pins.items():
        entry = {"type": kind, "path": target}
        for i, ns in enumerate(namespaces):
            if ns["type"] == kind:
                namespaces[i] = entry
                break
        else:
            namespaces.append(entry)
    if UTS in pins:
        spec.pop("hostname", None)
