"""containerd's default Linux spec (``populateDefaultUnixSpec`` + ``defaultMounts``).

Role: the starting point every container spec is built on, as fresh JSON-shaped
dicts (OCI field names) so that steps can change them without touching a shared
value: 14 default capabilities in B/P/E, NoNewPrivileges true, uid/gid 0,
RLIMIT_NOFILE 1024/1024, containerd's masked/readonly path lists, device cgroup
"deny all", new pid/ipc/uts/mount/network namespaces, and the seven default mounts.
Built from literals on every call: measured (``python -m bench.oci_build``) against a
cached template copied per container, the literal is ~4x cheaper than the fastest
copy (pickle) and ~10x cheaper than a recursive JSON copy.
``cri_container_base_spec`` is that spec with the four plan-independent steps that
open containerd's buildLinuxSpec already applied (``steps.FOLDED_STEPS``: no /run
mount, no default rlimits/AppArmor/seccomp, PATH in the environment, NNP off), so
the builder does not build values only to remove them; a test holds it equal, key
order included, to running those steps on ``default_unix_spec``.
Callers: seclet.runtime.oci.builder, seclet.runtime.runc.sandbox_spec.
"""

from __future__ import annotations

from typing import Any

from seclet.securitycontext.capabilities import DEFAULT_CAPABILITIES
from seclet.securitycontext.procmount import (
    CONTAINERD_DEFAULT_MASKED_PATHS,
    CONTAINERD_DEFAULT_READONLY_PATHS,
)

OCI_VERSION = "1.1.0"
"""runtime-spec version written to ``ociVersion``. containerd 2.x writes its vendored
specs.Version (1.3.0 at 301026e5); runc 1.1.5 does not check it, and 1.1.0 is the
newest spec release whose fields runc 1.1.5 implements, so that is what we claim."""

DEFAULT_ROOTFS_PATH = "rootfs"
DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _mounts_without_run() -> list[dict[str, Any]]:
    """containerd ``defaultMounts`` but the last, /run (what ``WithoutRunMount`` leaves)."""
    return [
        {
            "destination": "/proc",
            "type": "proc",
            "source": "proc",
            "options": ["nosuid", "noexec", "nodev"],
        },
        {
            "destination": "/dev",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
        },
        {
            "destination": "/dev/pts",
            "type": "devpts",
            "source": "devpts",
            "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
        },
        {
            "destination": "/dev/shm",  # noqa: S108
            "type": "tmpfs",
            "source": "shm",
            "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        },
        {
            "destination": "/dev/mqueue",
            "type": "mqueue",
            "source": "mqueue",
            "options": ["nosuid", "noexec", "nodev"],
        },
        {
            "destination": "/sys",
            "type": "sysfs",
            "source": "sysfs",
            "options": ["nosuid", "noexec", "nodev", "ro"],
        },
    ]


def default_mounts() -> list[dict[str, Any]]:
    """containerd ``defaultMounts``."""
    mounts = _mounts_without_run()
    mounts.append(
        {
            "destination": "/run",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
        }
    )
    return mounts


def _default_linux(namespace: str, container_id: str) -> dict[str, Any]:
    """The ``linux`` section of containerd's default spec."""
    return {
        "maskedPaths": list(CONTAINERD_DEFAULT_MASKED_PATHS),
        "readonlyPaths": list(CONTAINERD_DEFAULT_READONLY_PATHS),
        "cgroupsPath": "/" + namespace + "/" + container_id,
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        "namespaces": [
            {"type": "pid"},
            {"type": "ipc"},
            {"type": "uts"},
            {"type": "mount"},
            {"type": "network"},
        ],
    }


def default_unix_spec(namespace: str, container_id: str) -> dict[str, Any]:
    """containerd ``populateDefaultUnixSpec`` for containerd namespace ``namespace``."""
    return {
        "ociVersion": OCI_VERSION,
        "root": {"path": DEFAULT_ROOTFS_PATH},
        "process": {
            "cwd": "/",
            "noNewPrivileges": True,
            "user": {"uid": 0, "gid": 0},
            "capabilities": {
                "bounding": list(DEFAULT_CAPABILITIES),
                "permitted": list(DEFAULT_CAPABILITIES),
                "effective": list(DEFAULT_CAPABILITIES),
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        },
        "linux": _default_linux(namespace, container_id),
        "mounts": default_mounts(),
    }


def cri_container_base_spec(namespace: str, container_id: str) -> dict[str, Any]:
    """``default_unix_spec`` after ``steps.FOLDED_STEPS`` (see the module doc).

    ``process.args`` holds its place (``with_process_args`` always sets it, after
    ``capabilities`` and before ``env``), so the keys keep containerd's order.
    """
    mounts = _mounts_without_run()  # WithoutRunMount (/run is the last default mount)
    return {
        "ociVersion": OCI_VERSION,
        "root": {"path": DEFAULT_ROOTFS_PATH},
        "process": {
            "cwd": "/",
            "noNewPrivileges": False,
            "user": {"uid": 0, "gid": 0},
            "capabilities": {
                "bounding": list(DEFAULT_CAPABILITIES),
                "permitted": list(DEFAULT_CAPABILITIES),
                "effective": list(DEFAULT_CAPABILITIES),
            },
            "args": [],
            "env": [DEFAULT_PATH_ENV],
        },
        "linux": _default_linux(namespace, container_id),
        "mounts": mounts,
    }
