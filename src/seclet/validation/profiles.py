"""seccompProfile and appArmorProfile field checks, and ``validateLocalDescendingPath``.

Role: ``validateSeccompProfileField``, ``validateSeccompProfileType``,
``ValidateAppArmorProfileField``, ``validateLocalDescendingPath`` and
``validatePathNoBacksteps`` from ``k/k pkg/apis/core/validation/validation.go``,
used for both pod- and container-level profiles and for annotation paths.
Callers: ``securitycontext``, ``podsecuritycontext``, ``annotations``, ``volumes``,
``containers``.
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.field import ErrorList, JSONValue, Path, invalid, not_supported, required, too_long

_PROFILE_TYPES = ("Localhost", "RuntimeDefault", "Unconfined")
_PLAIN_SECCOMP_TYPES = ("RuntimeDefault", "Unconfined")
MAX_APPARMOR_LOCALHOST_PROFILE = 4095  # PATH_MAX - 1


def validate_path_no_backsteps(target: str, path: Path) -> ErrorList:
    """No ``..`` element (one error at most)."""
    if ".." in target.split("/"):  # filepath.ToSlash is a no-op on Linux
        return ErrorList([invalid(path, target, "must not contain '..'")])
    return ErrorList()


def validate_local_descending_path(target: str, path: Path) -> ErrorList:
    """Relative and without ``..`` elements."""
    errs = ErrorList()
    if target.startswith("/"):
        errs.append(invalid(path, target, "must be a relative path"))
    errs.extend(validate_path_no_backsteps(target, path))
    return errs


def validate_local_non_reserved_path(target: str, path: Path) -> ErrorList:
    """``ValidateLocalNonReservedPath``: descending, and not starting with ``..``."""
    errs = validate_local_descending_path(target, path)
    if target.startswith("..") and not target.startswith("../"):
        errs.append(invalid(path, target, "must not start with '..'"))
    return errs


def seccomp_profile_json(sp: models.SeccompProfile) -> dict[str, object]:
    """json.Marshal of the internal ``core.SeccompProfile`` (Go field names)."""
    return {"Type": sp.type or "", "LocalhostProfile": sp.localhostProfile}


def plain_seccomp_profile(sp: models.SeccompProfile) -> bool:
    """The common valid profile, ``RuntimeDefault`` or ``Unconfined`` without a
    localhostProfile: ``validate_seccomp_profile_field`` reports nothing for it, so
    callers skip the call (and its path)."""
    return sp.localhostProfile is None and sp.type in _PLAIN_SECCOMP_TYPES


def validate_seccomp_profile_field(sp: models.SeccompProfile | None, path: Path) -> ErrorList:
    errs = ErrorList()
    if sp is None:
        return errs
    typ = sp.type or ""
    if typ == "":
        errs.append(required(path.child("type"), "type is required when seccompProfile is set"))
    elif typ not in _PROFILE_TYPES:
        errs.append(not_supported(path.child("type"), JSONValue(typ), _PROFILE_TYPES))
    if typ == "Localhost":
        if sp.localhostProfile is None:
            errs.append(
                required(
                    path.child("localhostProfile"), "must be set when seccomp type is Localhost"
                )
            )
        else:
            errs.extend(
                validate_local_descending_path(sp.localhostProfile, path.child("localhostProfile"))
            )
    elif sp.localhostProfile is not None:
        errs.append(
            invalid(
                path.child("localhostProfile"),
                JSONValue(seccomp_profile_json(sp)),
                "can only be set when seccomp type is Localhost",
            )
        )
    return errs


def validate_apparmor_profile_field(
    profile: models.AppArmorProfile | None, path: Path
) -> ErrorList:
    errs = ErrorList()
    if profile is None:
        return errs
    typ = profile.type or ""
    lp = profile.localhostProfile
    if typ == "Localhost":
        if lp is None:
            errs.append(
                required(
                    path.child("localhostProfile"), "must be set when AppArmor type is Localhost"
                )
            )
        else:
            stripped = lp.strip(" \t\n\r\v\f\x85\xa0")
            if stripped != lp:
                errs.append(
                    invalid(
                        path.child("localhostProfile"), lp, "must not be padded with whitespace"
                    )
                )
            elif stripped == "":
                errs.append(
                    required(
                        path.child("localhostProfile"),
                        "must be set when AppArmor type is Localhost",
                    )
                )
            if len(lp.encode()) > MAX_APPARMOR_LOCALHOST_PROFILE:
                errs.append(
                    too_long(path.child("localhostProfile"), MAX_APPARMOR_LOCALHOST_PROFILE)
                )
    elif typ in ("RuntimeDefault", "Unconfined"):
        if lp is not None:
            errs.append(
                invalid(
                    path.child("localhostProfile"),
                    JSONValue(lp),
                    "can only be set when AppArmor type is Localhost",
                )
            )
    elif typ == "":
        errs.append(required(path.child("type"), "type is required when appArmorProfile is set"))
    else:
        errs.append(not_supported(path.child("type"), JSONValue(typ), _PROFILE_TYPES))
    return errs
