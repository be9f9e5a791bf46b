"""Restricted check ``procMount_restricted``: default /proc masks even in a user namespace.

Upstream: ``policy/check_procMount_restricted.go``, ID ``procMount_restricted``, level
restricted, overriding baseline ``procMount``. Revision: v1.35 only, using the baseline v1.0
rule (``securityContext.procMount`` unset or ``Default``) with no ``hostUsers: false``
relaxation; same reason and detail texts as ``procMount``.
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy import check_proc_mount
from seclet.podsecurity.policy.checks import Check, VersionedCheck

ID: Final = "procMount_restricted"

CHECK: Final[Check] = Check(
    ID,
    Level.RESTRICTED,
    (VersionedCheck(Version(1, 35), check_proc_mount.proc_mount_1_0, (check_proc_mount.ID,)),),
)
