"""OS-specific Pod rules: ``validateOS``, ``validateLinux``, ``validateWindows``.

Role: ``spec.os.name`` must be ``linux`` or ``windows``; a linux pod may not set
windowsOptions anywhere; a windows pod may not set the Linux-only pod and container
securityContext fields (and hostUsers/hostPID/hostIPC/shareProcessNamespace).
Callers: ``podspec.validate_pod_spec`` (last step, only when ``spec.os`` is set).
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.field import ErrorList, JSONValue, Path, forbidden, not_supported, required
from seclet.validation.windows import container_lists, visit_containers

_VALID_OS = ("linux", "windows")
_WIN = "cannot be set for a windows pod"
_LINUX = "windows options cannot be set for a linux pod"


def validate_os(spec: models.PodSpec, path: Path) -> ErrorList:
    """``validateOS`` (``path`` is ``spec.os``); 1.35's Required carries no detail."""
    os_ = spec.os
    if os_ is None:
        return ErrorList()
    name = os_.name or ""
    if not name:
        return ErrorList([required(path.child("name"))])
    if name not in _VALID_OS:
        return ErrorList([not_supported(path, JSONValue(name), _VALID_OS)])
    return ErrorList()


def validate_linux(spec: models.PodSpec, path: Path) -> ErrorList:
    errs = ErrorList()
    if spec.securityContext is not None and spec.securityContext.windowsOptions is not None:
        errs.append(forbidden(path.child("securityContext", "windowsOptions"), _LINUX))
    for field, ctrs in container_lists(spec):
        for i, ctr in enumerate(ctrs):
            sc = ctr.securityContext
            if sc is not None and sc.windowsOptions is not None:
                errs.append(
                    forbidden(
                        path.child(field).index(i).child("securityContext", "windowsOptions"),
                        _LINUX,
                    )
                )
    return errs


def validate_windows(spec: models.PodSpec, path: Path) -> ErrorList:
    """Pod fields in upstream's order, then each container in visit order."""
    errs = ErrorList()
    psc = spec.securityContext
    sc_path = path.child("securityContext")
    if psc is not None:
        if psc.appArmorProfile is not None:
            errs.append(forbidden(sc_path.child("appArmorProfile"), _WIN))
        if psc.seLinuxOptions is not None:
            errs.append(forbidden(sc_path.child("seLinuxOptions"), _WIN))
    if spec.hostUsers is not None:
        errs.append(forbidden(path.child("hostUsers"), _WIN))
    if spec.hostPID:
        errs.append(forbidden(path.child("hostPID"), _WIN))
    if spec.hostIPC:
        errs.append(forbidden(path.child("hostIPC"), _WIN))
    if psc is not None:
        if psc.seccompProfile is not None:
            errs.append(forbidden(sc_path.child("seccompProfile"), _WIN))
        if psc.fsGroup is not None:
            errs.append(forbidden(sc_path.child("fsGroup"), _WIN))
        if psc.fsGroupChangePolicy is not None:
            errs.append(forbidden(sc_path.child("fsGroupChangePolicy"), _WIN))
        if psc.sysctls:
            errs.append(forbidden(sc_path.child("sysctls"), _WIN))
    if spec.shareProcessNamespace is not None:
        errs.append(forbidden(path.child("shareProcessNamespace"), _WIN))
    if psc is not None:
        if psc.runAsUser is not None:
            errs.append(forbidden(sc_path.child("runAsUser"), _WIN))
        if psc.runAsGroup is not None:
            errs.append(forbidden(sc_path.child("runAsGroup"), _WIN))
        if psc.supplementalGroups:
            errs.append(forbidden(sc_path.child("supplementalGroups"), _WIN))
        if psc.supplementalGroupsPolicy is not None:
            errs.append(forbidden(sc_path.child("supplementalGroupsPolicy"), _WIN))
        if psc.seLinuxChangePolicy is not None:
            errs.append(forbidden(sc_path.child("seLinuxChangePolicy"), _WIN))
    for ctr, cpath in visit_containers(spec, path):
        sc = ctr.securityContext
        if sc is None:
            continue
        p = cpath.child("securityContext")
        for attr in (
            "appArmorProfile",
            "seLinuxOptions",
            "seccompProfile",
            "capabilities",
            "readOnlyRootFilesystem",
            "privileged",
            "allowPrivilegeEscalation",
            "procMount",
            "runAsUser",
            "runAsGroup",
        ):
            if getattr(sc, attr) is not None:
                errs.append(forbidden(p.child(attr), _WIN))
    return errs
