"""Things a user should be told about a container's security, though nothing failed.

Role: pure checks over the plan and the finished spec: image ``/etc/group``
memberships merged implicitly (supplementalGroupsPolicy Merge), fsGroup without
``OnRootMismatch`` on volumes that get recursive ownership changes, a shared SELinux
MCS level or ignored seLinuxOptions, ``CAP_``-prefixed or unknown capability names
that runc silently ignores, capabilities the node cannot grant (runc fails), and
``capabilities.add`` on a non-root process (ambient is cleared, so it has no effect).
Callers: seclet.runtime.oci.builder.
"""

from __future__ import annotations

from typing import Any

from seclet.api import models
from seclet.runtime.oci.explain import EffectiveProcess
from seclet.runtime.oci.plan import SpecPlan
from seclet.securitycontext.capabilities import CAPABILITY_BITS

_OWNERSHIP_VOLUME_KINDS = (
    "emptyDir",
    "configMap",
    "secret",
    "projected",
    "downwardAPI",
    "persistentVolumeClaim",
    "ephemeral",
    "csi",
)


def _fs_group_volumes(spec: models.PodSpec) -> list[str]:
    return [
        v.name or ""
        for v in spec.volumes
        if any(getattr(v, kind) is not None for kind in _OWNERSHIP_VOLUME_KINDS)
    ]


def container_warnings(
    plan: SpecPlan, spec: dict[str, Any], process: EffectiveProcess
) -> tuple[str, ...]:
    """All warnings for one container, in a fixed order."""
    out: list[str] = []
    user = plan.user
    if user.image_groups:
        groups = ",".join(str(g) for g in user.image_groups)
        out.append(
            f"supplementalGroupsPolicy Merge: groups {groups} come from the image's /etc/group "
            f'membership of user "{user.group_lookup_user}"; they are invisible in the '
            "pod spec (set supplementalGroupsPolicy: Strict to leave them out)"
        )
    pod_spec = plan.inputs.pod.spec or models.PodSpec()
    psc = pod_spec.securityContext
    if psc is not None and psc.fsGroup is not None and psc.fsGroupChangePolicy != "OnRootMismatch":
        vols = _fs_group_volumes(pod_spec)
        if vols:
            out.append(
                f"fsGroup {psc.fsGroup} without fsGroupChangePolicy: OnRootMismatch: every start "
                f"recursively changes ownership and permissions of volumes {', '.join(vols)}"
            )
    out.extend(plan.selinux.warnings)
    for name in process.unknown_capabilities:
        if name.startswith("CAP_CAP_"):
            out.append(
                f"capability {name[4:]} is spelled with the CAP_ prefix; the runtime asks for "
                f"{name}, which runc ignores (write {name[8:]})"
            )
        else:
            out.append(f"unknown capability {name} is ignored by runc")
    grantable = process.cap_bnd.mask & ~plan.inputs.node.cap_bounding
    if grantable:
        missing = [n for n, b in CAPABILITY_BITS.items() if grantable >> b & 1]
        out.append(
            f"capabilities {', '.join(missing)} are not in this node's bounding set; "
            "runc cannot grant them and the container will fail to start"
        )
    caps = plan.cri.capabilities
    if caps is not None and caps.add and process.uid != 0 and not plan.cri.privileged:
        out.append(
            f"capabilities.add has no effect for uid {process.uid}: the runtime clears the "
            "ambient set, so a non-root process keeps no capabilities after exec"
        )
    return tuple(out)
