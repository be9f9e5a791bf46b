"""Windows security options: ``validateWindowsSecurityContextOptions`` and HostProcess.

Role: the windowsOptions format rules (GMSA credential spec name and size,
runAsUserName domain/user syntax) and ``validateWindowsHostProcessPod`` (all-or-none
hostProcess containers, hostNetwork required, cluster policy); the container walks
(``visit_containers`` with paths, ``container_lists`` without: the hot walks build a
container's path only to report an error).
Callers: ``securitycontext`` (container windowsOptions), ``podsecuritycontext``
(pod windowsOptions), ``podspec`` (HostProcess rule); ``os_specific`` and
``annotations`` (container walks).
"""

from __future__ import annotations

import re

from seclet.api import models
from seclet.api.field import ErrorList, JSONValue, Path, forbidden, invalid
from seclet.validation.names import is_dns1123_subdomain

MAX_GMSA_CREDENTIAL_SPEC_KIB = 64
MAX_GMSA_CREDENTIAL_SPEC_LENGTH = MAX_GMSA_CREDENTIAL_SPEC_KIB * 1024
MAX_RUN_AS_USER_NAME_DOMAIN_LENGTH = 256
MAX_RUN_AS_USER_NAME_USER_LENGTH = 104

_CTRL_RE = re.compile(r"[\x00-\x1f\x7f]")
_NETBIOS_RE = re.compile(r'[^\\/:\*\?"<>|\.][^\\/:\*\?"<>|]{0,14}')
_DNS_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_DNS_DOMAIN_RE = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_BAD_USER_CHARS_RE = re.compile(r'["/\\:;|=,\+\*\?<>@\[\]]')
_DOTS_SPACES_RE = re.compile(r"[\. ]+")


def validate_windows_options(
    opts: models.WindowsSecurityContextOptions | None, path: Path
) -> ErrorList:
    """``validateWindowsSecurityContextOptions``; bad values print as JSON strings."""
    errs = ErrorList()
    if opts is None:
        return errs
    if opts.gmsaCredentialSpecName is not None:
        for msg in is_dns1123_subdomain(opts.gmsaCredentialSpecName):
            errs.append(
                invalid(
                    path.child("gmsaCredentialSpecName"),
                    JSONValue(opts.gmsaCredentialSpecName),
                    msg,
                )
            )
    if opts.gmsaCredentialSpec is not None:
        size = len(opts.gmsaCredentialSpec.encode())
        if size == 0:
            errs.append(
                invalid(
                    path.child("gmsaCredentialSpec"),
                    JSONValue(opts.gmsaCredentialSpec),
                    "gmsaCredentialSpec cannot be an empty string",
                )
            )
        elif size > MAX_GMSA_CREDENTIAL_SPEC_LENGTH:
            errs.append(
                invalid(
                    path.child("gmsaCredentialSpec"),
                    JSONValue(opts.gmsaCredentialSpec),
                    f"gmsaCredentialSpec size must be under {MAX_GMSA_CREDENTIAL_SPEC_KIB} KiB",
                )
            )
    if opts.runAsUserName is not None:
        errs.extend(_validate_run_as_user_name(opts.runAsUserName, path.child("runAsUserName")))
    return errs


def _validate_run_as_user_name(name: str, path: Path) -> ErrorList:
    """Steps: empty; control chars; >1 backslash; then domain length, domain format,
    user empty/too long, only dots/spaces, forbidden characters (all reported)."""
    bad = JSONValue(name)
    if not name:
        return ErrorList([invalid(path, bad, "runAsUserName cannot be an empty string")])
    if _CTRL_RE.search(name):
        return ErrorList([invalid(path, bad, "runAsUserName cannot contain control characters")])
    parts = name.split("\\")
    if len(parts) > 2:
        return ErrorList(
            [invalid(path, bad, "runAsUserName cannot contain more than one backslash")]
        )
    errs = ErrorList()
    has_domain = len(parts) == 2
    domain, user = (parts[0], parts[1]) if has_domain else ("", parts[0])
    if len(domain.encode()) >= MAX_RUN_AS_USER_NAME_DOMAIN_LENGTH:
        errs.append(
            invalid(
                path,
                bad,
                "runAsUserName's Domain length must be under "
                f"{MAX_RUN_AS_USER_NAME_DOMAIN_LENGTH} characters",
            )
        )
    if has_domain and not (_NETBIOS_RE.fullmatch(domain) or _DNS_DOMAIN_RE.fullmatch(domain)):
        errs.append(
            invalid(
                path, bad, "runAsUserName's Domain doesn't match the NetBios nor the DNS format"
            )
        )
    user_len = len(user.encode())
    if user_len == 0:
        errs.append(invalid(path, bad, "runAsUserName's User cannot be empty"))
    elif user_len > MAX_RUN_AS_USER_NAME_USER_LENGTH:
        errs.append(
            invalid(
                path,
                bad,
                "runAsUserName's User length must not be longer than "
                f"{MAX_RUN_AS_USER_NAME_USER_LENGTH} characters",
            )
        )
    if _DOTS_SPACES_RE.fullmatch(user):
        errs.append(
            invalid(path, bad, "runAsUserName's User cannot contain only periods or spaces")
        )
    if _BAD_USER_CHARS_RE.search(user):
        errs.append(
            invalid(
                path,
                bad,
                "runAsUserName's User cannot contain the following characters: \"/\\:;|=,+*?<>@[]",
            )
        )
    return errs


def visit_containers(
    spec: models.PodSpec, spec_path: Path
) -> list[tuple[models.Container | models.EphemeralContainer, Path]]:
    """``podshelper.VisitContainersWithPath`` order: init, regular, ephemeral."""
    out: list[tuple[models.Container | models.EphemeralContainer, Path]] = []
    p = spec_path.child("initContainers")
    out.extend((c, p.index(i)) for i, c in enumerate(spec.initContainers))
    p = spec_path.child("containers")
    out.extend((c, p.index(i)) for i, c in enumerate(spec.containers))
    p = spec_path.child("ephemeralContainers")
    out.extend((c, p.index(i)) for i, c in enumerate(spec.ephemeralContainers))
    return out


def container_lists(
    spec: models.PodSpec,
) -> tuple[tuple[str, tuple[models.Container | models.EphemeralContainer, ...]], ...]:
    """``visit_containers`` without paths: (list field, containers) in visit order.

    Hot walks use it and build ``spec_path.child(field).index(i)`` only to report.
    """
    return (
        ("initContainers", spec.initContainers),
        ("containers", spec.containers),
        ("ephemeralContainers", spec.ephemeralContainers),
    )


def any_container_windows_options(spec: models.PodSpec) -> bool:
    """Some container's securityContext sets windowsOptions."""
    for ctrs in (spec.initContainers, spec.containers, spec.ephemeralContainers):
        for c in ctrs:
            sc = c.securityContext
            if sc is not None and sc.windowsOptions is not None:
                return True
    return False


def validate_windows_host_process_pod(
    spec: models.PodSpec, path: Path, allow_privileged: bool
) -> ErrorList:
    """``validateWindowsHostProcessPod`` (runs for every pod, whatever its OS)."""
    errs = ErrorList()
    psc = spec.securityContext
    pod_hp = psc.windowsOptions.hostProcess if psc and psc.windowsOptions else None
    if pod_hp is None and not any_container_windows_options(spec):
        return errs  # no hostProcess anywhere: nothing to count or compare
    host_network = bool(spec.hostNetwork)
    count = 0
    hp_count = 0
    for field, ctrs in container_lists(spec):
        for i, ctr in enumerate(ctrs):
            count += 1
            sc = ctr.securityContext
            ctr_hp = sc.windowsOptions.hostProcess if sc and sc.windowsOptions else None
            if pod_hp is not None and ctr_hp is not None and pod_hp != ctr_hp:
                errs.append(
                    invalid(
                        path.child(field)
                        .index(i)
                        .child("securityContext", "windowsOptions", "hostProcess"),
                        ctr_hp,
                        "pod hostProcess value must be identical if both are specified, was "
                        + ("true" if pod_hp else "false"),
                    )
                )
            if ctr_hp is True or (ctr_hp is None and pod_hp is True):
                hp_count += 1
    if hp_count > 0:
        if hp_count != count:
            errs.append(
                invalid(
                    path,
                    "",
                    "If pod contains any hostProcess containers then all containers must be "
                    "HostProcess containers",
                )
            )
        if not host_network:
            errs.append(
                invalid(
                    path.child("hostNetwork"),
                    host_network,
                    "hostNetwork must be true if pod contains any hostProcess containers",
                )
            )
        if not allow_privileged:
            errs.append(forbidden(path, "hostProcess containers are disallowed by cluster policy"))
    return errs
