"""``validateHostUsers``: user namespaces (``hostUsers: false``) exclude host namespaces.

Role: with ``spec.hostUsers: false``, forbid hostNetwork (unless
``UserNamespacesHostNetworkSupport``), hostPID and hostIPC, then (unless
``AllowUserNamespacesWithVolumeDevices``, false on create) every container with
``volumeDevices``, visited init, regular, ephemeral. The paths really are
``spec.hostNetwork``, ``spec.HostPID`` and ``spec.HostIPC`` (upstream's spelling);
1.35 words the detail "when `hostUsers` is false" (k/k pkg/apis/core/validation/
validation.go ``validateHostUsers``, 1.35 development line).
Callers: ``podspec.validate_pod_spec``.
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.field import ErrorList, Path, forbidden
from seclet.validation.options import PodValidationOptions
from seclet.validation.windows import container_lists

_DETAIL = "when `hostUsers` is false"


def validate_host_users(spec: models.PodSpec, path: Path, opts: PodValidationOptions) -> ErrorList:
    errs = ErrorList()
    if spec.hostUsers is None or spec.hostUsers:
        return errs
    if spec.hostNetwork and not opts.allow_user_namespaces_host_network_support:
        errs.append(forbidden(path.child("hostNetwork"), _DETAIL))
    if spec.hostPID:
        errs.append(forbidden(path.child("HostPID"), _DETAIL))
    if spec.hostIPC:
        errs.append(forbidden(path.child("HostIPC"), _DETAIL))
    if not opts.allow_user_namespaces_with_volume_devices:
        for field, ctrs in container_lists(spec):
            for i, ctr in enumerate(ctrs):
                if ctr.volumeDevices:
                    errs.append(
                        forbidden(path.child(field).index(i).child("volumeDevices"), _DETAIL)
                    )
    return errs
