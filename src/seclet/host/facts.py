"""What this node can do, as one frozen value.

Role: ``NodeFacts`` is the single description of the machine that the pure layers
(securitycontext, runtime.oci) consult: architecture, kernel release, the
capabilities a container can be granted, which LSMs are on, seccomp and user
namespace support, cgroup layout, the hard rlimits, and what resource translation
needs: memory capacity, the lowest oom_score_adj runc may set (containerd's
``restrict_oom_score_adj`` when the host lacks CAP_SYS_RESOURCE), the swap controller
and the huge page sizes. It is produced once by
``seclet.host.probe.probe_node_facts`` (the only I/O) and passed in as a value;
nothing reads it from a global. ``NodeFacts.reference()`` is a fixed value modelled
on the project's build machine so that golden files are deterministic.
Callers: seclet.host.probe (builds it), seclet.securitycontext.*, seclet.runtime.oci.*,
tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from seclet.securitycontext.capabilities import mask_to_names

_KERNEL_RE = re.compile(r"^(\d+)\.(\d+)")


@lru_cache(maxsize=64)
def _grantable(cap_bounding: int) -> tuple[str, ...]:
    return mask_to_names(cap_bounding)


@lru_cache(maxsize=64)
def _kernel_version(release: str) -> tuple[int, int]:
    m = _KERNEL_RE.match(release)
    if m is None:
        return (0, 0)
    return (int(m.group(1)), int(m.group(2)))


@lru_cache(maxsize=64)
def _rlimit_table(rlimits_hard: tuple[tuple[str, int | None], ...]) -> dict[str, int | None]:
    table: dict[str, int | None] = {}
    for key, value in rlimits_hard:
        table.setdefault(key, value)
    return table


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeFacts:
    """Facts about the node that change what a container spec may ask for.

    ``cap_bounding`` is the capability bounding set of the seclet process (as
    ``/proc/self/status`` CapBnd): the most a privileged container can be granted.
    ``cap_effective`` is kept for reference (containerd uses its own CapEff for
    ``add: [ALL]`` and privileged; for a root daemon both are equal).
    ``rlimits_hard`` maps ``RLIMIT_*`` names to the hard limit (``None`` = unlimited).
    """

    arch: str = "x86_64"
    """``uname -m`` spelling (x86_64, aarch64, s390x, ppc64le, riscv64, ...)."""
    kernel_release: str = "6.18.0"
    cap_bounding: int = 0x000001FFFEFFFFFF
    cap_effective: int = 0x000001FFFEFFFFFF
    cap_last_cap: int = 40
    lsms: tuple[str, ...] = ("lockdown", "capability", "landlock", "bpf")
    apparmor_enabled: bool = False
    """Kernel AppArmor on (``/sys/module/apparmor/parameters/enabled`` = Y)."""
    apparmor_parser: bool = False
    """``/sbin/apparmor_parser`` exists (containerd also requires it)."""
    selinux_enabled: bool = False
    seccomp_available: bool = True
    user_namespaces: bool = True
    cgroup_mode: str = "hybrid"
    """``v1``, ``hybrid`` (v1 controllers + cgroup2 at /sys/fs/cgroup/unified) or ``v2``."""
    rlimits_hard: tuple[tuple[str, int | None], ...] = field(default=())
    hostname: str = "seclet-node"
    in_user_namespace: bool = False
    """seclet itself runs inside a non-initial user namespace (rootless)."""
    memory_capacity: int = 25_276_063_744
    """Bytes of RAM as cadvisor's ``MachineInfo.MemoryCapacity`` (``MemTotal`` x 1024):
    the denominator of a Burstable container's oom_score_adj."""
    oom_score_adj_floor: int | None = 0
    """The lowest ``process.oomScoreAdj`` runc can set here, or None for no floor.
    Without CAP_SYS_RESOURCE no process may lower an oom_score_adj below its own,
    so ``runc create`` would fail on -997 (Guaranteed); seclet then behaves as
    containerd with ``restrict_oom_score_adj = true``: a lower value becomes the
    daemon's own ``/proc/self/oom_score_adj``. None when the capability is there."""
    swap_controller: bool = True
    """The memory cgroup accounts swap (v1 ``memory.memsw.limit_in_bytes``; v2
    ``memory.swap.max``): kubelet and containerd then pin swap to the memory limit."""
    hugepage_sizes: tuple[str, ...] = ("1GB", "2MB")
    """``/sys/kernel/mm/hugepages`` sizes as libcontainer names them, in directory order."""

    @classmethod
    def reference(cls) -> NodeFacts:
        """The fixed facts of the project's build/test VM (see host-notes.md).

        Debian 12 x86_64, kernel 6.18, bounding set ``000001fffeffffff`` (no
        CAP_SYS_RESOURCE), no AppArmor, no SELinux, seccomp and user namespaces
        available, cgroup v1 hybrid, hard rlimits nofile 20000 / nproc 96365,
        MemTotal 24683656 kB, seclet's oom_score_adj 0 (the floor, as CAP_SYS_RESOURCE
        is missing), swap accounting on, 1 GB and 2 MB huge pages.
        """
        return cls(
            arch="x86_64",
            kernel_release="6.18.0",
            cap_bounding=0x000001FFFEFFFFFF,
            cap_effective=0x000001FFFEFFFFFF,
            cap_last_cap=40,
            lsms=("lockdown", "capability", "landlock", "bpf"),
            apparmor_enabled=False,
            apparmor_parser=False,
            selinux_enabled=False,
            seccomp_available=True,
            user_namespaces=True,
            cgroup_mode="hybrid",
            rlimits_hard=(
                ("RLIMIT_AS", None),
                ("RLIMIT_CORE", None),
                ("RLIMIT_CPU", None),
                ("RLIMIT_DATA", None),
                ("RLIMIT_FSIZE", None),
                ("RLIMIT_LOCKS", None),
                ("RLIMIT_MEMLOCK", 8388608),
                ("RLIMIT_MSGQUEUE", 819200),
                ("RLIMIT_NICE", 0),
                ("RLIMIT_NOFILE", 20000),
                ("RLIMIT_NPROC", 96365),
                ("RLIMIT_RSS", None),
                ("RLIMIT_RTPRIO", 0),
                ("RLIMIT_RTTIME", None),
                ("RLIMIT_SIGPENDING", 96365),
                ("RLIMIT_STACK", None),
            ),
            hostname="seclet-node",
            in_user_namespace=False,
            memory_capacity=25_276_063_744,
            oom_score_adj_floor=0,
            swap_controller=True,
            hugepage_sizes=("1GB", "2MB"),
        )

    # The derived tables below are memoised on the (frozen, hashable) field values
    # they come from, never on the NodeFacts object: hashing an int or a str is free.

    @property
    def grantable_capabilities(self) -> tuple[str, ...]:
        """Names (``CAP_*``) of the capabilities this node can grant, in bit order."""
        return _grantable(self.cap_bounding)

    @property
    def kernel_version(self) -> tuple[int, int]:
        """(major, minor) of the kernel release; (0, 0) when unparsable."""
        return _kernel_version(self.kernel_release)

    @property
    def unified_cgroups(self) -> bool:
        """True only on a pure cgroup v2 host (containerd's ``isUnifiedCgroupsMode``)."""
        return self.cgroup_mode == "v2"

    def rlimit_hard(self, name: str) -> int | None:
        """Hard limit for ``RLIMIT_<NAME>``; ``None`` when unlimited or unknown."""
        return _rlimit_table(self.rlimits_hard).get(name)
