"""``validateHostUsers``: user namespaces (``hostUsers: false``) exclude host namespaces.

Role: with ``spec.hostUsers: false``, forbid hostNetwork (unless
``UserNamespacesHostNetworkSupport``), hostPID and hostIPC. The paths really are
``spec.hostNetwork``, ``spec.HostPID`` and ``spec.HostIPC`` (upstream's spelling).
The message text is the one confirmed for 1.31–1.34; whether 1.35 rewords it to
"when `hostUsers` is false" is unconfirmed.
Callers: ``podspec.validate_pod_spec``.
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.field import ErrorList, Path, forbidden
from seclet.validation.options import PodValidationOptions

_DETAIL = "when `pod.Spec.HostUsers` is false"


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
    return errs
