"""What the node object says about the machine, probed once (the only I/O for it).

Role: reads ``/etc/os-release`` (PRETTY_NAME), ``/etc/machine-id``,
``/proc/sys/kernel/random/boot_id``, ``/sys/class/dmi/id/product_uuid`` (when
readable), ``/proc/meminfo`` (MemTotal), the CPU count and the size of the
filesystem under the kubelet's root dir, into a frozen ``HostInfo``. Roots are
parameters so tests can point it at a fake tree.
Callers: seclet.kubelet.kubelet (at start), tests.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True, kw_only=True)
class HostInfo:
    os_image: str = "Linux"
    machine_id: str = ""
    boot_id: str = ""
    system_uuid: str = ""
    cpus: int = 1
    memory_bytes: int = 0
    ephemeral_storage_bytes: int = 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _os_image(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("PRETTY_NAME="):
            value = line.split("=", 1)[1]
            try:
                parts = shlex.split(value)
            except ValueError:
                return value.strip("\"'")
            return parts[0] if parts else ""
    return "Linux"


def _mem_total(text: str) -> int:
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            fields = line.split()
            return int(fields[1]) * 1024
    return 0


def probe_host_info(root_dir: str, fs_root: str = "/") -> HostInfo:
    """Read the machine once; unreadable facts are left empty."""
    base = Path(fs_root)
    try:
        st = os.statvfs(root_dir if Path(root_dir).exists() else fs_root)
        storage = st.f_blocks * st.f_frsize
    except OSError:
        storage = 0
    return HostInfo(
        os_image=_os_image(_read(base / "etc/os-release")),
        machine_id=_read(base / "etc/machine-id"),
        boot_id=_read(base / "proc/sys/kernel/random/boot_id"),
        system_uuid=_read(base / "sys/class/dmi/id/product_uuid").lower(),
        cpus=os.cpu_count() or 1,
        memory_bytes=_mem_total(_read(base / "proc/meminfo")),
        ephemeral_storage_bytes=storage,
    )
