"""Container ``securityContext`` validation: ``ValidateSecurityContext(sc, path, hostUsers)``.

Role: the per-container rules, in upstream's order: privileged vs cluster policy,
runAsUser/runAsGroup ranges, procMount value and its hostUsers requirement,
seccompProfile, allowPrivilegeEscalation=false conflicts (privileged, literal
``CAP_SYS_ADMIN`` in ``capabilities.add``), windowsOptions, appArmorProfile.
Conflicts print the whole container securityContext as upstream's json.Marshal of
the internal ``core.SecurityContext`` (Go field names, Go field order).
Callers: ``containers.validate_container_common``.
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.field import ErrorList, JSONValue, Path, forbidden, invalid, not_supported
from seclet.validation.names import ID_RANGE_MSG, is_valid_id
from seclet.validation.options import PodValidationOptions
from seclet.validation.profiles import (
    plain_seccomp_profile,
    seccomp_profile_json,
    validate_apparmor_profile_field,
    validate_seccomp_profile_field,
)
from seclet.validation.windows import validate_windows_options

_PROC_MOUNT_TYPES = ("Default", "Unmasked")


def _list_or_null(items: tuple[str, ...]) -> list[str] | None:
    return list(items) if items else None


def internal_security_context_json(sc: models.SecurityContext) -> dict[str, object]:
    """json.Marshal of internal ``core.SecurityContext`` (field order of pkg/apis/core).

    The internal order (the v1 struct's, unchanged from k8s.io/api v0.34.0 to v0.35.0;
    the internal pkg/apis/core/types.go itself was not read at 1.35) is
    Capabilities, Privileged, SELinuxOptions, WindowsOptions, RunAsUser, RunAsGroup,
    RunAsNonRoot, ReadOnlyRootFilesystem, AllowPrivilegeEscalation, ProcMount,
    SeccompProfile, AppArmorProfile. Empty lists cannot be told from absent ones
    after decoding and print as ``null``.
    """
    caps = sc.capabilities
    se = sc.seLinuxOptions
    win = sc.windowsOptions
    return {
        "Capabilities": None
        if caps is None
        else {"Add": _list_or_null(caps.add), "Drop": _list_or_null(caps.drop)},
        "Privileged": sc.privileged,
        "SELinuxOptions": None
        if se is None
        else {
            "User": se.user or "",
            "Role": se.role or "",
            "Type": se.type or "",
            "Level": se.level or "",
        },
        "WindowsOptions": None
        if win is None
        else {
            "GMSACredentialSpecName": win.gmsaCredentialSpecName,
            "GMSACredentialSpec": win.gmsaCredentialSpec,
            "RunAsUserName": win.runAsUserName,
            "HostProcess": win.hostProcess,
        },
        "RunAsUser": sc.runAsUser,
        "RunAsGroup": sc.runAsGroup,
        "RunAsNonRoot": sc.runAsNonRoot,
        "ReadOnlyRootFilesystem": sc.readOnlyRootFilesystem,
        "AllowPrivilegeEscalation": sc.allowPrivilegeEscalation,
        "ProcMount": sc.procMount,
        "SeccompProfile": None
        if sc.seccompProfile is None
        else seccomp_profile_json(sc.seccompProfile),
        "AppArmorProfile": None
        if sc.appArmorProfile is None
        else {
            "Type": sc.appArmorProfile.type or "",
            "LocalhostProfile": sc.appArmorProfile.localhostProfile,
        },
    }


def validate_security_context(
    sc: models.SecurityContext | None,
    path: Path,
    host_users: bool,
    opts: PodValidationOptions,
) -> ErrorList:
    """``ValidateSecurityContext``; steps as listed in the module docstring."""
    errs = ErrorList()
    if sc is None:
        return errs
    if sc.privileged is True and not opts.allow_privileged:
        errs.append(forbidden(path.child("privileged"), "disallowed by cluster policy"))
    if sc.runAsUser is not None and is_valid_id(sc.runAsUser):
        errs.append(invalid(path.child("runAsUser"), sc.runAsUser, ID_RANGE_MSG))
    if sc.runAsGroup is not None and is_valid_id(sc.runAsGroup):
        errs.append(invalid(path.child("runAsGroup"), sc.runAsGroup, ID_RANGE_MSG))
    if sc.procMount is not None:
        if sc.procMount not in _PROC_MOUNT_TYPES:
            errs.append(
                not_supported(path.child("procMount"), JSONValue(sc.procMount), _PROC_MOUNT_TYPES)
            )
        if host_users and sc.procMount == "Unmasked":
            errs.append(
                invalid(
                    path.child("procMount"),
                    JSONValue(sc.procMount),
                    "`hostUsers` must be false to use `Unmasked`",
                )
            )
    if sc.seccompProfile is not None and not plain_seccomp_profile(sc.seccompProfile):
        errs.extend(validate_seccomp_profile_field(sc.seccompProfile, path.child("seccompProfile")))
    if sc.allowPrivilegeEscalation is False:
        if sc.privileged is True:
            errs.append(
                invalid(
                    path,
                    JSONValue(internal_security_context_json(sc)),
                    "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
                )
            )
        if sc.capabilities is not None:
            for cap in sc.capabilities.add:
                if cap == "CAP_SYS_ADMIN":
                    errs.append(
                        invalid(
                            path,
                            JSONValue(internal_security_context_json(sc)),
                            "cannot set `allowPrivilegeEscalation` to false and "
                            "`capabilities.Add` CAP_SYS_ADMIN",
                        )
                    )
    if sc.windowsOptions is not None:
        errs.extend(validate_windows_options(sc.windowsOptions, path.child("windowsOptions")))
    if sc.appArmorProfile is not None:
        errs.extend(
            validate_apparmor_profile_field(sc.appArmorProfile, path.child("appArmorProfile"))
        )
    return errs
