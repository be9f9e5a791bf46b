"""Masked and read-only /proc and /sys paths for a procMount value.

Role: k/k ``pkg/securitycontext/util.go`` ``ConvertToRuntimeMaskedPaths`` /
``ConvertToRuntimeReadonlyPaths`` (recent revision: 11 masked, 5 read-only; "must be
kept in sync with moby"), and containerd's own ``populateDefaultUnixSpec`` lists
(same paths, different order) used only for specs built without a kubelet.
``Unmasked`` gives two empty lists. Privileged containers get none (decided in
seclet.runtime.oci.steps). Newer kubelets may add per-CPU thermal_throttle paths
(unconfirmed upstream); they are not added here.
Callers: seclet.securitycontext.linux_context, seclet.runtime.oci.base.
"""

from __future__ import annotations

PROC_MOUNT_DEFAULT = "Default"
PROC_MOUNT_UNMASKED = "Unmasked"

KUBELET_MASKED_PATHS: tuple[str, ...] = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
KUBELET_READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)

CONTAINERD_DEFAULT_MASKED_PATHS: tuple[str, ...] = (
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    "/proc/scsi",
)
CONTAINERD_DEFAULT_READONLY_PATHS: tuple[str, ...] = KUBELET_READONLY_PATHS


def masked_paths(proc_mount: str | None) -> tuple[str, ...]:
    """CRI ``masked_paths`` for the effective procMount."""
    if proc_mount == PROC_MOUNT_UNMASKED:
        return ()
    return KUBELET_MASKED_PATHS


def readonly_paths(proc_mount: str | None) -> tuple[str, ...]:
    """CRI ``readonly_paths`` for the effective procMount."""
    if proc_mount == PROC_MOUNT_UNMASKED:
        return ()
    return KUBELET_READONLY_PATHS
