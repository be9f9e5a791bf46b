"""The one place that looks at the machine: probe it once, return ``NodeFacts``.

Role: reads ``/proc/self/status`` (capability sets), ``/proc/sys/kernel/cap_last_cap``,
``uname``, ``/sys/kernel/security/lsm`` (when securityfs is mounted; else
``/sys/module/apparmor/parameters/enabled`` and ``/sys/fs/selinux``), seccomp
support (``Seccomp:`` in status and ``/proc/sys/kernel/seccomp/actions_avail``),
user namespace support (``/proc/self/ns/user`` and ``max_user_namespaces``), the
cgroup layout (``/sys/fs/cgroup/cgroup.controllers`` = v2; ``/sys/fs/cgroup/unified``
= hybrid; else v1), ``/proc/self/uid_map`` (are we in a user namespace) and the hard
rlimits. Roots are parameters so tests can point it at a fake tree.
Callers: ``seclet server`` / the CLI at start-up; never the pure layers.
"""

from __future__ import annotations

import os
import resource
import socket
from pathlib import Path

from seclet.host.facts import NodeFacts

_RLIMITS = (
    "RLIMIT_AS",
    "RLIMIT_CORE",
    "RLIMIT_CPU",
    "RLIMIT_DATA",
    "RLIMIT_FSIZE",
    "RLIMIT_LOCKS",
    "RLIMIT_MEMLOCK",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_NOFILE",
    "RLIMIT_NPROC",
    "RLIMIT_RSS",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
    "RLIMIT_SIGPENDING",
    "RLIMIT_STACK",
)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def parse_status(text: str) -> dict[str, str]:
    """``/proc/PID/status`` as a key -> value map."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _hard_rlimits() -> tuple[tuple[str, int | None], ...]:
    out: list[tuple[str, int | None]] = []
    for name in _RLIMITS:
        res = getattr(resource, name, None)
        if res is None:
            continue
        _soft, hard = resource.getrlimit(res)
        out.append((name, None if hard == resource.RLIM_INFINITY else hard))
    return tuple(out)


def probe_node_facts(proc: Path = Path("/proc"), sys: Path = Path("/sys")) -> NodeFacts:
    """Look at this machine once."""
    status = parse_status(_read(proc / "self/status") or "")
    cap_bnd = int(status.get("CapBnd", "0"), 16)
    cap_eff = int(status.get("CapEff", "0"), 16)
    last_cap_text = _read(proc / "sys/kernel/cap_last_cap")
    cap_last_cap = int(last_cap_text) if last_cap_text and last_cap_text.strip().isdigit() else 40
    uname = os.uname()
    lsm_text = _read(sys / "kernel/security/lsm")
    if lsm_text is not None:
        lsms = tuple(x for x in lsm_text.strip().split(",") if x)
        apparmor = "apparmor" in lsms
        selinux = "selinux" in lsms
    else:
        lsms = ()
        apparmor = (_read(sys / "module/apparmor/parameters/enabled") or "").startswith("Y")
        selinux = (sys / "fs/selinux/enforce").exists()
    seccomp = "Seccomp" in status and (proc / "sys/kernel/seccomp/actions_avail").exists()
    max_userns = (_read(proc / "sys/user/max_user_namespaces") or "0").strip()
    userns = (proc / "self/ns/user").exists() and max_userns.isdigit() and int(max_userns) > 0
    cgroot = sys / "fs/cgroup"
    if (cgroot / "cgroup.controllers").exists():
        cgroup_mode = "v2"
    elif (cgroot / "unified").is_dir():
        cgroup_mode = "hybrid"
    else:
        cgroup_mode = "v1"
    uid_map = (_read(proc / "self/uid_map") or "").split()
    in_userns = uid_map[:3] != ["0", "0", "4294967295"] and bool(uid_map)
    return NodeFacts(
        arch=uname.machine,
        kernel_release=uname.release,
        cap_bounding=cap_bnd,
        cap_effective=cap_eff,
        cap_last_cap=cap_last_cap,
        lsms=lsms,
        apparmor_enabled=apparmor,
        apparmor_parser=Path("/sbin/apparmor_parser").exists(),
        selinux_enabled=selinux,
        seccomp_available=seccomp,
        user_namespaces=userns,
        cgroup_mode=cgroup_mode,
        rlimits_hard=_hard_rlimits(),
        hostname=socket.gethostname(),
        in_user_namespace=in_userns,
    )
