"""containerd's RuntimeDefault seccomp profile, as data plus its generator.

Role: a Python port of containerd ``contrib/seccomp/seccomp_default.go``
``DefaultProfile`` (containerd 301026e5): an unconditional allow list of 363 syscalls
(moby's 361 + ``lsm_get_self_attr``/``lsm_list_modules``/``lsm_set_self_attr``, which
moby gates on CAP_SYS_ADMIN; ``riscv_hwprobe`` moves to the riscv64 rule), socket
allowed except AF_ALG/AF_VSOCK, five personality values, ptrace & co. on kernels >= 4.8,
per-arch extras, per-capability extras walked in the spec's *Bounding* order, and
without CAP_SYS_ADMIN a namespace-masked ``clone`` plus ``clone3`` -> ENOSYS.
No ``defaultErrnoRet`` (runc then uses EPERM). Output uses OCI JSON field names with
Go ``omitempty`` semantics. Pure; ``default_profile`` is cached per (arch, kernel, caps)
and copied per call; ``shared_default_profile`` hands out the cached value itself,
built from read-only containers (seclet.securitycontext.readonly).
Callers: seclet.securitycontext.seccomp.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from seclet.securitycontext.readonly import freeze

ALLOW = "SCMP_ACT_ALLOW"
ERRNO = "SCMP_ACT_ERRNO"
ENOSYS = 38
AF_ALG = 38
AF_VSOCK = 40
CLONE_NAMESPACE_FLAGS = 0x7E020000
"""CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
CLONE_NEWNET | CLONE_NEWCGROUP."""

UNCONDITIONAL: tuple[str, ...] = (
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "cachestat",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_requeue",
    "futex_time64",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "getxattrat",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listmount",
    "listxattr",
    "listxattrat",
    "llistxattr",
    "_llseek",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lsm_get_self_attr",
    "lsm_list_modules",
    "lsm_set_self_attr",
    "lstat",
    "lstat64",
    "madvise",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "map_shadow_stack",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "mseal",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "_newselect",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "removexattrat",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setuid32",
    "setxattr",
    "setxattrat",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statmount",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "uretprobe",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
)

GOARCH_BY_MACHINE: dict[str, str] = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i386": "386",
    "i686": "386",
    "armv7l": "arm",
    "armv6l": "arm",
    "arm": "arm",
    "s390x": "s390x",
    "s390": "s390",
    "ppc64le": "ppc64le",
    "riscv64": "riscv64",
    "loongarch64": "loong64",
    "mips64": "mips64",
    "mips64el": "mipsel64",
}
"""``uname -m`` -> Go ``runtime.GOARCH`` (what containerd's switch statements test)."""

_ARCHES: dict[str, tuple[str, ...]] = {
    "amd64": ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
    "arm64": ("SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64"),
    "mips64": ("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32"),
    "mips64n32": ("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32"),
    "mipsel64": ("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32"),
    "mipsel64n32": ("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32"),
    "s390x": ("SCMP_ARCH_S390", "SCMP_ARCH_S390X"),
    "riscv64": ("SCMP_ARCH_RISCV64",),
    "loong64": ("SCMP_ARCH_LOONGARCH64",),
}

_ARCH_RULES: dict[str, tuple[str, ...]] = {
    "ppc64le": ("sync_file_range2", "swapcontext"),
    "arm": (
        "arm_fadvise64_64",
        "arm_sync_file_range",
        "sync_file_range2",
        "breakpoint",
        "cacheflush",
        "set_tls",
    ),
    "arm64": (
        "arm_fadvise64_64",
        "arm_sync_file_range",
        "sync_file_range2",
        "breakpoint",
        "cacheflush",
        "set_tls",
    ),
    "amd64": ("arch_prctl", "modify_ldt"),
    "386": ("modify_ldt",),
    "s390": ("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
    "s390x": ("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
    "riscv64": ("riscv_flush_icache", "riscv_hwprobe"),
}

_CAP_RULES: dict[str, tuple[str, ...]] = {
    "CAP_DAC_READ_SEARCH": ("open_by_handle_at",),
    "CAP_SYS_ADMIN": (
        "bpf",
        "clone",
        "clone3",
        "fanotify_init",
        "fsconfig",
        "fsmount",
        "fsopen",
        "fspick",
        "lookup_dcookie",
        "mount",
        "mount_setattr",
        "move_mount",
        "open_tree",
        "perf_event_open",
        "quotactl",
        "quotactl_fd",
        "setdomainname",
        "sethostname",
        "setns",
        "syslog",
        "umount",
        "umount2",
        "unshare",
    ),
    "CAP_SYS_BOOT": ("reboot",),
    "CAP_SYS_CHROOT": ("chroot",),
    "CAP_SYS_MODULE": ("delete_module", "init_module", "finit_module"),
    "CAP_SYS_PACCT": ("acct",),
    "CAP_SYS_PTRACE": (
        "kcmp",
        "pidfd_getfd",
        "process_madvise",
        "process_vm_readv",
        "process_vm_writev",
        "ptrace",
    ),
    "CAP_SYS_RAWIO": ("iopl", "ioperm"),
    "CAP_SYS_TIME": ("settimeofday", "stime", "clock_settime", "clock_settime64"),
    "CAP_SYS_TTY_CONFIG": ("vhangup",),
    "CAP_SYS_NICE": ("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
    "CAP_SYSLOG": ("syslog",),
    "CAP_BPF": ("bpf",),
    "CAP_PERFMON": ("perf_event_open",),
}


def goarch(machine: str) -> str:
    """Go GOARCH for a ``uname -m`` machine name (unknown names pass through)."""
    return GOARCH_BY_MACHINE.get(machine, machine)


def _allow(names: tuple[str, ...]) -> dict[str, Any]:
    return {"names": list(names), "action": ALLOW}


def _arg_rule(name: str, index: int, value: int, op: str) -> dict[str, Any]:
    return {
        "names": [name],
        "action": ALLOW,
        "args": [{"index": index, "value": value, "op": op}],
    }


@lru_cache(maxsize=64)
def _profile(arch: str, kernel: tuple[int, int], bounding: tuple[str, ...]) -> dict[str, Any]:
    syscalls: list[dict[str, Any]] = [
        _allow(UNCONDITIONAL),
        _arg_rule("socket", 0, AF_ALG, "SCMP_CMP_LT"),
        _arg_rule("socket", 0, AF_ALG + 1, "SCMP_CMP_EQ"),
        _arg_rule("socket", 0, AF_VSOCK, "SCMP_CMP_GT"),
        _arg_rule("personality", 0, 0x0, "SCMP_CMP_EQ"),
        _arg_rule("personality", 0, 0x0008, "SCMP_CMP_EQ"),
        _arg_rule("personality", 0, 0x20000, "SCMP_CMP_EQ"),
        _arg_rule("personality", 0, 0x20008, "SCMP_CMP_EQ"),
        _arg_rule("personality", 0, 0xFFFFFFFF, "SCMP_CMP_EQ"),
    ]
    if kernel >= (4, 8):
        syscalls.append(_allow(("process_vm_readv", "process_vm_writev", "ptrace")))
    if arch in _ARCH_RULES:
        syscalls.append(_allow(_ARCH_RULES[arch]))
    admin = False
    for cap in bounding:
        names = _CAP_RULES.get(cap)
        if names is None:
            continue
        if cap == "CAP_SYS_ADMIN":
            admin = True
        syscalls.append(_allow(names))
    if not admin:
        index = 1 if arch in ("s390", "s390x") else 0
        syscalls.append(_arg_rule("clone", index, CLONE_NAMESPACE_FLAGS, "SCMP_CMP_MASKED_EQ"))
        syscalls.append({"names": ["clone3"], "action": ERRNO, "errnoRet": ENOSYS})
    profile: dict[str, Any] = {"defaultAction": ERRNO, "syscalls": syscalls}
    arches = _ARCHES.get(arch, ())
    if arches:
        profile["architectures"] = list(arches)
    return profile


def _copy_rule(rule: dict[str, Any]) -> dict[str, Any]:
    out = dict(rule)
    out["names"] = list(rule["names"])
    if "args" in rule:
        out["args"] = [dict(a) for a in rule["args"]]
    return out


def default_profile(
    machine: str, kernel: tuple[int, int], bounding: tuple[str, ...]
) -> dict[str, Any]:
    """containerd ``DefaultProfile`` for a spec whose Bounding set is ``bounding``.

    Returns a fresh OCI ``linux.seccomp`` object (callers may mutate it).
    """
    cached = _profile(goarch(machine), kernel, tuple(bounding))
    out = dict(cached)
    out["syscalls"] = [_copy_rule(r) for r in cached["syscalls"]]
    if "architectures" in cached:
        out["architectures"] = list(cached["architectures"])
    return out


@lru_cache(maxsize=64)
def _shared_profile(
    arch: str, kernel: tuple[int, int], bounding: tuple[str, ...]
) -> dict[str, Any]:
    frozen: dict[str, Any] = freeze(_profile(arch, kernel, bounding))
    return frozen


def shared_default_profile(
    machine: str, kernel: tuple[int, int], bounding: tuple[str, ...]
) -> dict[str, Any]:
    """``default_profile`` as one cached, read-only value (no copy).

    The same object is returned for the same (arch, kernel, bounding); every dict and
    list in it refuses changes (``TypeError``) and ``copy.deepcopy`` gives a plain,
    mutable copy. JSON output is identical to ``default_profile``'s.
    """
    if type(bounding) is not tuple:
        bounding = tuple(bounding)
    return _shared_profile(GOARCH_BY_MACHINE.get(machine, machine), kernel, bounding)
