"""The one place that looks at the machine: probe it once, return ``NodeFacts``.

Role: reads ``/proc/self/status`` (capability sets), ``/proc/sys/kernel/cap_last_cap``,
``uname``, ``/sys/kernel/security/lsm`` (when securityfs is mounted; else
``/sys/module/apparmor/parameters/enabled`` and ``/sys/fs/selinux``), seccomp
support (``Seccomp:`` in status and ``/proc/sys/kernel/seccomp/actions_avail``),
user namespace support (``/proc/self/ns/user`` and ``max_user_namespaces``), the
cgroup layout (``/sys/fs/cgroup/cgroup.controllers`` = v2; ``/sys/fs/cgroup/unified``
= hybrid; else v1), ``/proc/self/uid_map`` (are we in a user namespace), the hard
rlimits, ``MemTotal`` of ``/proc/meminfo``, ``/proc/self/oom_score_adj`` (the floor
when CAP_SYS_RESOURCE is not in the effective set: this host's bounding set lacks
it), the swap controller (v1 ``memory/memory.memsw.limit_in_bytes``, v2
``<own cgroup>/memory.swap.max``, as kubelet and containerd look) and
``/sys/kernel/mm/hugepages``. Roots are parameters so tests can point it at a fake
tree.
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


CAP_SYS_RESOURCE = 24
_HUGEPAGE_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def hugepage_size_name(dirname: str) -> str | None:
    """libcontainer ``HugePageSizes`` naming: ``hugepages-2048kB`` -> ``2MB``."""
    value = dirname.removeprefix("hugepages-")
    if value == dirname or not value.endswith("kB") or not value[:-2].isdigit():
        return None
    size = float(int(value[:-2]) << 10)
    unit = 0
    while size >= 1024 and unit < len(_HUGEPAGE_UNITS) - 1:
        size /= 1024
        unit += 1
    number = str(int(size)) if size.is_integer() else repr(size)
    return number + _HUGEPAGE_UNITS[unit]


def _hugepage_sizes(sys: Path) -> tuple[str, ...]:
    try:
        names = sorted(p.name for p in (sys / "kernel/mm/hugepages").iterdir())
    except OSError:
        return ()
    return tuple(n for n in map(hugepage_size_name, names) if n is not None)


def _memory_capacity(proc: Path) -> int:
    for line in (_read(proc / "meminfo") or "").splitlines():
        key, _, rest = line.partition(":")
        if key == "MemTotal":
            fields = rest.split()
            if fields and fields[0].isdigit():
                return int(fields[0]) * 1024
    return 0


def _oom_score_adj_floor(proc: Path, cap_eff: int) -> int | None:
    if cap_eff & (1 << CAP_SYS_RESOURCE):
        return None
    text = (_read(proc / "self/oom_score_adj") or "").strip()
    try:
        return int(text)
    except ValueError:
        return 0


def _swap_controller(proc: Path, sys: Path, cgroup_mode: str) -> bool:
    if cgroup_mode != "v2":
        return (sys / "fs/cgroup/memory/memory.memsw.limit_in_bytes").exists()
    for line in (_read(proc / "self/cgroup") or "").splitlines():
        if line.startswith("0::"):
            own = line[3:].lstrip("/")
            return (sys / "fs/cgroup" / own / "memory.swap.max").exists()
    return False


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
        memory_capacity=_memory_capacity(proc),
        oom_score_adj_floor=_oom_score_adj_floor(proc, cap_eff),
        swap_controller=_swap_controller(proc, sys, cgroup_mode),
        hugepage_sizes=_hugepage_sizes(sys),
    )
