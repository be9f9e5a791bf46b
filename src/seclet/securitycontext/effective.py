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
    psc = spec.securityContext if spec is not None else None
    csc = container.securityContext
    if psc is None:
        return _EMPTY if csc is None else csc
    if csc is None:
        return models.SecurityContext(
            seLinuxOptions=psc.seLinuxOptions,
            windowsOptions=psc.windowsOptions,
            runAsUser=psc.runAsUser,
            runAsGroup=psc.runAsGroup,
            runAsNonRoot=psc.runAsNonRoot,
        )
    # Field by field, positionally (cheaper than building the pod's context and
    # ``_replace``-ing it): container value if set, else the pod's for the five
    # fields a pod passes down, else None. seccompProfile/appArmorProfile stay None.
    windows = psc.windowsOptions
    if csc.windowsOptions is not None:
        windows = _merge_windows(windows, csc.windowsOptions)
    return models.SecurityContext(
        csc.allowPrivilegeEscalation,
        None,
        csc.capabilities,
        csc.privileged,
        csc.procMount,
        csc.readOnlyRootFilesystem,
        psc.runAsGroup if csc.runAsGroup is None else csc.runAsGroup,
        psc.runAsNonRoot if csc.runAsNonRoot is None else csc.runAsNonRoot,
        psc.runAsUser if csc.runAsUser is None else csc.runAsUser,
        psc.seLinuxOptions if csc.seLinuxOptions is None else csc.seLinuxOptions,
        None,
        windows,
    )
