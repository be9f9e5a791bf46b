"""SELinux labels: what containerd puts in ``process.selinuxLabel``/``linux.mountLabel``.

Role: containerd ``buildLinuxSpec`` + go-selinux ``label.InitLabels``. On a host
without SELinux both labels are "" and seLinuxOptions are silently ignored (a
warning is produced so ``explain`` can say so). With SELinux on, the container's
options (else the pod's, as the sandbox label) become ``user:role:type:level`` with
containerd's defaults (``system_u``/``system_r``/``container_t``, file type
``container_file_t``); an unset level is an MCS pair the runtime allocates at
create time (I/O, left to the shell: the label is returned with ``level == ""``).
Callers: seclet.runtime.oci.steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from seclet.api import models

DEFAULT_USER = "system_u"
DEFAULT_ROLE = "system_r"
DEFAULT_TYPE = "container_t"
DEFAULT_FILE_ROLE = "object_r"
DEFAULT_FILE_TYPE = "container_file_t"


@dataclass(frozen=True, slots=True)
class SELinuxLabels:
    """The process and mount labels, and whether the runtime must allocate a level."""

    process: str = ""
    mount: str = ""
    needs_mcs_allocation: bool = False
    warnings: tuple[str, ...] = ()


_NO_LABELS = SELinuxLabels()
_IGNORED = SELinuxLabels(
    warnings=("seLinuxOptions are ignored: SELinux is not enabled on this node",)
)


def selinux_labels(options: models.SELinuxOptions | None, *, enabled: bool) -> SELinuxLabels:
    """Labels for the effective seLinuxOptions on a host where SELinux is ``enabled``."""
    if not enabled:
        if options is not None and (options.user or options.role or options.type or options.level):
            return _IGNORED
        return _NO_LABELS
    o = options or models.SELinuxOptions()
    level = o.level or ""
    process = f"{o.user or DEFAULT_USER}:{o.role or DEFAULT_ROLE}:{o.type or DEFAULT_TYPE}"
    mount = f"{o.user or DEFAULT_USER}:{DEFAULT_FILE_ROLE}:{DEFAULT_FILE_TYPE}"
    warnings: tuple[str, ...] = ()
    if level:
        process += ":" + level
        mount += ":" + level
        warnings = (
            f'SELinux level "{level}" is set explicitly: every pod with this level shares one '
            "MCS label and can read and write the others' labelled files",
        )
    return SELinuxLabels(process, mount, needs_mcs_allocation=not level, warnings=warnings)
