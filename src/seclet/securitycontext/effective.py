"""The effective container security context: container fields override pod fields.

Role: k/k ``pkg/securitycontext/util.go`` ``DetermineEffectiveSecurityContext``. The pod
contributes only seLinuxOptions, windowsOptions, runAsUser, runAsGroup and
runAsNonRoot; the container then overrides field by field (seLinuxOptions as a whole
struct, windowsOptions per sub-field). seccompProfile and appArmorProfile are *not*
merged here (see seclet.securitycontext.seccomp / .apparmor), nor are the pod-only
fields (fsGroup, supplementalGroups, sysctls; see seclet.securitycontext.linux_context).
Callers: seclet.securitycontext.linux_context, seclet.securitycontext.nonroot.
"""

from __future__ import annotations

from seclet.api import models

_EMPTY = models.SecurityContext()


def _merge_windows(
    base: models.WindowsSecurityContextOptions | None,
    over: models.WindowsSecurityContextOptions,
) -> models.WindowsSecurityContextOptions:
    if base is None:
        return over
    out = base
    if over.gmsaCredentialSpecName is not None or over.gmsaCredentialSpec is not None:
        out = out._replace(
            gmsaCredentialSpecName=over.gmsaCredentialSpecName,
            gmsaCredentialSpec=over.gmsaCredentialSpec,
        )
    if over.runAsUserName is not None:
        out = out._replace(runAsUserName=over.runAsUserName)
    if over.hostProcess is not None:
        out = out._replace(hostProcess=over.hostProcess)
    return out


def security_context_from_pod(
    pod_sc: models.PodSecurityContext | None,
) -> models.SecurityContext | None:
    """``securityContextFromPodSecurityContext``: the 5 fields a pod passes down."""
    if pod_sc is None:
        return None
    return models.SecurityContext(
        seLinuxOptions=pod_sc.seLinuxOptions,
        windowsOptions=pod_sc.windowsOptions,
        runAsUser=pod_sc.runAsUser,
        runAsGroup=pod_sc.runAsGroup,
        runAsNonRoot=pod_sc.runAsNonRoot,
    )


def determine_effective_security_context(
    pod: models.Pod, container: models.Container
) -> models.SecurityContext:
    """The merged context the kubelet converts to CRI (never None)."""
    spec = pod.spec
    eff = security_context_from_pod(spec.securityContext if spec is not None else None)
    csc = container.securityContext
    if eff is None and csc is None:
        return _EMPTY
    if csc is None:
        assert eff is not None
        return eff
    if eff is None:
        return csc
    changes: dict[str, object] = {}
    if csc.seLinuxOptions is not None:
        changes["seLinuxOptions"] = csc.seLinuxOptions
    if csc.windowsOptions is not None:
        changes["windowsOptions"] = _merge_windows(eff.windowsOptions, csc.windowsOptions)
    for name in (
        "capabilities",
        "privileged",
        "runAsUser",
        "runAsGroup",
        "runAsNonRoot",
        "readOnlyRootFilesystem",
        "allowPrivilegeEscalation",
        "procMount",
    ):
        value = getattr(csc, name)
        if value is not None:
            changes[name] = value
    return eff._replace(**changes) if changes else eff  # type: ignore[arg-type]
