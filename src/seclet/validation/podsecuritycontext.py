"""Pod ``securityContext`` validation: ``validatePodSpecSecurityContext`` and sysctls.

Role: pod-level rules in upstream's order: fsGroup, runAsUser, runAsGroup,
supplementalGroups ranges; shareProcessNamespace vs hostPID; sysctls (name syntax,
duplicates, namespaced sysctls with hostNetwork/hostIPC); fsGroupChangePolicy;
seccompProfile; windowsOptions; appArmorProfile; supplementalGroupsPolicy;
seLinuxChangePolicy (with ``AllowOnlyRecursiveSELinuxChangePolicy``).
v1 keeps hostNetwork/hostPID/hostIPC/shareProcessNamespace on the PodSpec; the
internal API upstream validates keeps them in the PodSecurityContext, so they are
read from the spec here while paths stay upstream's.
Callers: ``podspec.validate_pod_spec``.
"""

from __future__ import annotations

import re

from seclet.api import models
from seclet.api.field import (
    ErrorList,
    FieldError,
    JSONValue,
    Path,
    duplicate,
    invalid,
    not_supported,
    required,
)
from seclet.validation.names import ID_RANGE_MSG, is_valid_id
from seclet.validation.options import PodValidationOptions
from seclet.validation.profiles import (
    plain_seccomp_profile,
    validate_apparmor_profile_field,
    validate_seccomp_profile_field,
)
from seclet.validation.windows import validate_windows_options

SYSCTL_SEGMENT_FMT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
SYSCTL_CONTAIN_SLASH_FMT = "(" + SYSCTL_SEGMENT_FMT + "[\\./])*" + SYSCTL_SEGMENT_FMT
SYSCTL_MAX_LENGTH = 253
_SYSCTL_RE = re.compile(SYSCTL_CONTAIN_SLASH_FMT)
_SYSCTL_MSG = (
    f"must have at most {SYSCTL_MAX_LENGTH} characters and match regex ^{SYSCTL_CONTAIN_SLASH_FMT}$"
)

_FS_GROUP_CHANGE_POLICIES = ("Always", "OnRootMismatch")
_SUPPLEMENTAL_GROUPS_POLICIES = ("Merge", "Strict")
_SELINUX_CHANGE_POLICIES = ("MountOption", "Recursive")

# k8s.io/component-helpers/node/util/sysctl GetNamespace tables.
_IPC_NAMES = frozenset({"kernel.sem"})
_UTS_NAMES = frozenset({"kernel.hostname", "kernel.domainname"})
_PREFIXES = (("kernel.shm", "ipc"), ("kernel.msg", "ipc"), ("fs.mqueue.", "ipc"), ("net.", "net"))


def is_valid_sysctl_name(name: str) -> bool:
    """``IsValidSysctlName``."""
    return len(name.encode()) <= SYSCTL_MAX_LENGTH and _SYSCTL_RE.fullmatch(name) is not None


def normalize_sysctl_name(name: str) -> str:
    """``sysctl.NormalizeName``: a ``/``-separated name becomes ``.``-separated."""
    first_sep = re.search(r"[./]", name)
    if first_sep is None or first_sep.group() != "/":
        return name
    return name.translate(str.maketrans("./", "/."))


def sysctl_namespace(name: str) -> str:
    """``sysctl.GetNamespace``: ``ipc``, ``net``, ``uts`` or ``""`` (not namespaced)."""
    name = normalize_sysctl_name(name)
    if name in _IPC_NAMES:
        return "ipc"
    if name in _UTS_NAMES:
        return "uts"
    for prefix, ns in _PREFIXES:
        if name.startswith(prefix):
            return ns
    return ""


def validate_host_sysctl(name: str, spec: models.PodSpec, path: Path) -> FieldError | None:
    """``ValidateHostSysctl``."""
    ns = sysctl_namespace(name)
    if spec.hostNetwork and ns == "net":
        return invalid(path, name, "may not be specified when 'hostNetwork' is true")
    if spec.hostIPC and ns == "ipc":
        return invalid(path, name, "may not be specified when 'hostIPC' is true")
    return None


def validate_sysctls(
    sysctls: tuple[models.Sysctl, ...],
    spec: models.PodSpec,
    path: Path,
    opts: PodValidationOptions,
) -> ErrorList:
    errs = ErrorList()
    names: set[str] = set()
    for i, s in enumerate(sysctls):
        name = s.name or ""
        npath = path.index(i).child("name")
        if not name:
            errs.append(required(npath))
        elif not is_valid_sysctl_name(name):
            errs.append(invalid(npath, name, _SYSCTL_MSG))
        elif name in names:
            errs.append(duplicate(npath, name))
        if not opts.allow_namespaced_sysctls_for_host_net_and_host_ipc:
            err = validate_host_sysctl(name, spec, npath)
            if err is not None:
                errs.append(err)
        names.add(name)
    return errs


def validate_pod_security_context(
    spec: models.PodSpec, spec_path: Path, opts: PodValidationOptions
) -> ErrorList:
    """``validatePodSpecSecurityContext``; steps as in the module docstring.

    Paths are built only for a field in error or a struct that is set (and not
    plainly valid).
    """
    errs = ErrorList()
    sc = spec.securityContext
    if sc is None:
        if spec.shareProcessNamespace is True and spec.hostPID is True:
            errs.append(_share_process_namespace_error(spec_path))
        return errs
    if sc.fsGroup is not None and is_valid_id(sc.fsGroup):
        errs.append(invalid(_sc_field(spec_path, "fsGroup"), sc.fsGroup, ID_RANGE_MSG))
    if sc.runAsUser is not None and is_valid_id(sc.runAsUser):
        errs.append(invalid(_sc_field(spec_path, "runAsUser"), sc.runAsUser, ID_RANGE_MSG))
    if sc.runAsGroup is not None and is_valid_id(sc.runAsGroup):
        errs.append(invalid(_sc_field(spec_path, "runAsGroup"), sc.runAsGroup, ID_RANGE_MSG))
    for g, gid in enumerate(sc.supplementalGroups):
        if is_valid_id(gid):
            errs.append(
                invalid(_sc_field(spec_path, "supplementalGroups").index(g), gid, ID_RANGE_MSG)
            )
    if spec.shareProcessNamespace is True and spec.hostPID is True:
        errs.append(_share_process_namespace_error(spec_path))
    if sc.sysctls:
        errs.extend(validate_sysctls(sc.sysctls, spec, _sc_field(spec_path, "sysctls"), opts))
    if (
        sc.fsGroupChangePolicy is not None
        and sc.fsGroupChangePolicy not in _FS_GROUP_CHANGE_POLICIES
    ):
        errs.append(
            not_supported(
                _sc_field(spec_path, "fsGroupChangePolicy"),
                JSONValue(sc.fsGroupChangePolicy),
                _FS_GROUP_CHANGE_POLICIES,
            )
        )
    if sc.seccompProfile is not None and not plain_seccomp_profile(sc.seccompProfile):
        errs.extend(
            validate_seccomp_profile_field(
                sc.seccompProfile, _sc_field(spec_path, "seccompProfile")
            )
        )
    if sc.windowsOptions is not None:
        errs.extend(
            validate_windows_options(sc.windowsOptions, _sc_field(spec_path, "windowsOptions"))
        )
    if sc.appArmorProfile is not None:
        errs.extend(
            validate_apparmor_profile_field(
                sc.appArmorProfile, _sc_field(spec_path, "appArmorProfile")
            )
        )
    if (
        sc.supplementalGroupsPolicy is not None
        and sc.supplementalGroupsPolicy not in _SUPPLEMENTAL_GROUPS_POLICIES
    ):
        errs.append(
            not_supported(
                _sc_field(spec_path, "supplementalGroupsPolicy"),
                JSONValue(sc.supplementalGroupsPolicy),
                _SUPPLEMENTAL_GROUPS_POLICIES,
            )
        )
    if sc.seLinuxChangePolicy is not None:
        errs.extend(
            validate_selinux_change_policy(
                sc.seLinuxChangePolicy, _sc_field(spec_path, "seLinuxChangePolicy"), opts
            )
        )
    return errs


def _sc_field(spec_path: Path, name: str) -> Path:
    """``spec.securityContext.<name>``, built only when reported or descended into."""
    return spec_path.child("securityContext", name)


def _share_process_namespace_error(spec_path: Path) -> FieldError:
    return invalid(
        spec_path.child("securityContext", "shareProcessNamespace"),
        True,
        "ShareProcessNamespace and HostPID cannot both be enabled",
    )


def validate_selinux_change_policy(value: str, path: Path, opts: PodValidationOptions) -> ErrorList:
    """``validateSELinuxChangePolicy``: only Recursive while SELinuxMount is off."""
    if opts.allow_only_recursive_selinux_change_policy:
        if value != "Recursive":
            return ErrorList([not_supported(path, JSONValue(value), ("Recursive",))])
    elif value not in _SELINUX_CHANGE_POLICIES:
        return ErrorList([not_supported(path, JSONValue(value), _SELINUX_CHANGE_POLICIES)])
    return ErrorList()
