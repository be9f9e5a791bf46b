"""Pod status checks: ``validateContainerStatusUsers`` of ``ValidatePodStatusUpdate``.

Role: ``status.{containerStatuses,initContainerStatuses,ephemeralContainerStatuses}[i].user``:
a Linux pod's ``user.linux`` uid/gid/supplementalGroups must be valid IDs; a Windows
pod may not report ``user.linux``. (The other status-update rules — conditions,
IPs, state transitions — are the API server's concern and not reproduced here.)
Callers: the API server's status subresource, the kubelet's status manager tests.
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.field import ErrorList, Path, forbidden, invalid
from seclet.validation.names import ID_RANGE_MSG, is_valid_id


def validate_container_status_users(
    statuses: tuple[models.ContainerStatus, ...], path: Path, pod_os: models.PodOS | None
) -> ErrorList:
    errs = ErrorList()
    os_name = pod_os.name if pod_os is not None else "linux"
    for i, status in enumerate(statuses):
        user = status.user
        if user is None:
            continue
        lpath = path.index(i).child("linux")
        if os_name == "windows":
            if user.linux is not None:
                errs.append(forbidden(lpath, "cannot be set for a windows pod"))
        elif os_name == "linux" and user.linux is not None:
            linux = user.linux
            uid = linux.uid or 0
            gid = linux.gid or 0
            if is_valid_id(uid):
                errs.append(invalid(lpath.child("uid"), uid, ID_RANGE_MSG))
            if is_valid_id(gid):
                errs.append(invalid(lpath.child("gid"), gid, ID_RANGE_MSG))
            for g, sg in enumerate(linux.supplementalGroups):
                if is_valid_id(sg):
                    errs.append(
                        invalid(lpath.child("supplementalGroups").index(g), sg, ID_RANGE_MSG)
                    )
    return errs


def validate_pod_status_update(new: models.Pod, old: models.Pod) -> ErrorList:
    """The security-relevant part of ``ValidatePodStatusUpdate`` (user identities)."""
    del old
    status = new.status or models.PodStatus()
    pod_os = new.spec.os if new.spec is not None else None
    root = Path.root("status")
    errs = validate_container_status_users(
        status.containerStatuses, root.child("containerStatuses"), pod_os
    )
    errs.extend(
        validate_container_status_users(
            status.initContainerStatuses, root.child("initContainerStatuses"), pod_os
        )
    )
    errs.extend(
        validate_container_status_users(
            status.ephemeralContainerStatuses, root.child("ephemeralContainerStatuses"), pod_os
        )
    )
    return errs
