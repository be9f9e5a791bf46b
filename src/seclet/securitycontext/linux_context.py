"""The CRI ``LinuxContainerSecurityContext`` the kubelet sends for one container.

Role: k/k ``pkg/kubelet/kuberuntime/security_context.go``
``determineEffectiveSecurityContext``: the merged API context converted to CRI
fields; runAsUser falls back to the image uid / username (kubelet ``getImageUser``);
supplemental groups are ``[fsGroup] ++ supplementalGroups ++ extra`` (the kubelet never
adds runAsGroup or the primary gid); ``no_new_privs`` is true only for an explicit
``allowPrivilegeEscalation: false``; masked/readonly paths from procMount; seccomp
and AppArmor resolved with their own precedence. Values keep CRI spellings.
Callers: seclet.runtime.oci.builder, the kubelet (for CreateContainer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seclet.api import models
from seclet.api.record import hot_dataclass
from seclet.securitycontext.apparmor import (
    AppArmorRequest,
    container_annotation,
    effective_apparmor_profile,
    kubelet_apparmor_request,
)
from seclet.securitycontext.effective import determine_effective_security_context
from seclet.securitycontext.namespaces import NamespaceOptions, namespaces_for_pod
from seclet.securitycontext.procmount import masked_paths, readonly_paths
from seclet.securitycontext.seccomp import SecurityProfile, kubelet_seccomp_profile
from seclet.securitycontext.users import POLICY_MERGE, POLICY_STRICT, ImageUser

DEFAULT_SECCOMP_ROOT = "/var/lib/kubelet/seccomp"


class KubeletConfigError(ValueError):
    """``generateContainerConfig`` failed: CreateContainerConfigError with this message."""


@hot_dataclass(frozen=True, slots=True)
class CRICapabilities:
    """CRI ``Capability``: strings passed verbatim from the manifest."""

    add: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CRISELinuxOptions:
    """CRI ``SELinuxOption``."""

    user: str = ""
    role: str = ""
    type: str = ""
    level: str = ""


@hot_dataclass(frozen=True, slots=True)
class LinuxContainerSecurityContext:
    """CRI ``LinuxContainerSecurityContext`` (the fields a Linux runtime reads)."""

    capabilities: CRICapabilities | None = None
    privileged: bool = False
    namespace_options: NamespaceOptions = NamespaceOptions()
    selinux_options: models.SELinuxOptions | None = None
    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_username: str = ""
    readonly_rootfs: bool = False
    supplemental_groups: tuple[int, ...] = ()
    supplemental_groups_policy: str = POLICY_MERGE
    no_new_privs: bool = False
    masked_paths: tuple[str, ...] = ()
    readonly_paths: tuple[str, ...] = ()
    seccomp: SecurityProfile = SecurityProfile("Unconfined")
    apparmor: AppArmorRequest | None = None


_MEMO: dict[tuple[object, ...], LinuxContainerSecurityContext] = {}
_MEMO_MAX = 2048
_NO_POD_SPEC = models.PodSpec()


def linux_container_security_context(
    pod: models.Pod,
    container: models.Container,
    image_user: ImageUser,
    *,
    seccomp_root: str = DEFAULT_SECCOMP_ROOT,
    seccomp_default: bool = False,
    extra_supplemental_groups: Sequence[int] = (),
) -> LinuxContainerSecurityContext:
    """kubelet ``determineEffectiveSecurityContext``.

    ``image_user`` is the kubelet's image user (``users.kubelet_image_user``).
    ``extra_supplemental_groups`` are ``GetExtraSupplementalGroupsForPod`` (PV gid
    annotations). Raises ``KubeletConfigError``/``SeccompError``/``AppArmorError``.

    Memoised on exactly the (frozen, typed) values the translation reads - the pod
    and container security contexts, the pod's namespace flags, the container's
    AppArmor annotation, the image user and the keyword arguments - so containers
    that share a security context share one result. Failures are not memoised.
    """
    spec = pod.spec or _NO_POD_SPEC
    key = (
        spec.securityContext,
        container.securityContext,
        spec.hostNetwork,
        spec.hostPID,
        spec.hostIPC,
        spec.shareProcessNamespace,
        spec.hostUsers,
        container_annotation(pod, container),
        image_user.uid,
        image_user.username,
        seccomp_root,
        seccomp_default,
        extra_supplemental_groups,
    )
    try:
        hit = _MEMO.get(key)
    except TypeError:  # a hand-built model holding a list: not hashable, not memoised
        return translate_security_context(
            pod,
            container,
            image_user,
            seccomp_root=seccomp_root,
            seccomp_default=seccomp_default,
            extra_supplemental_groups=extra_supplemental_groups,
        )
    if hit is None:
        hit = translate_security_context(
            pod,
            container,
            image_user,
            seccomp_root=seccomp_root,
            seccomp_default=seccomp_default,
            extra_supplemental_groups=extra_supplemental_groups,
        )
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[key] = hit
    return hit


def translate_security_context(
    pod: models.Pod,
    container: models.Container,
    image_user: ImageUser,
    *,
    seccomp_root: str = DEFAULT_SECCOMP_ROOT,
    seccomp_default: bool = False,
    extra_supplemental_groups: Sequence[int] = (),
) -> LinuxContainerSecurityContext:
    """``linux_container_security_context`` without the memo.

    Reads only what that function's memo key holds: keep the two in step.
    """
    eff = determine_effective_security_context(pod, container)
    caps = None
    if eff.capabilities is not None:
        caps = CRICapabilities(tuple(eff.capabilities.add), tuple(eff.capabilities.drop))
    run_as_user = eff.runAsUser
    run_as_username = ""
    if run_as_user is None:
        run_as_user = image_user.uid
        run_as_username = image_user.username
    spec = pod.spec or _NO_POD_SPEC
    psc = spec.securityContext
    groups: list[int] = []
    policy = POLICY_MERGE
    if psc is not None:
        if psc.fsGroup is not None:
            groups.append(psc.fsGroup)
        groups.extend(psc.supplementalGroups)
        if psc.supplementalGroupsPolicy is not None:
            if psc.supplementalGroupsPolicy not in (POLICY_MERGE, POLICY_STRICT):
                raise KubeletConfigError(
                    f"unsupported supplementalGroupsPolicy: {psc.supplementalGroupsPolicy}"
                )
            policy = psc.supplementalGroupsPolicy
    groups.extend(extra_supplemental_groups)
    return LinuxContainerSecurityContext(
        capabilities=caps,
        privileged=bool(eff.privileged),
        namespace_options=namespaces_for_pod(pod),
        selinux_options=eff.seLinuxOptions,
        run_as_user=run_as_user,
        run_as_group=eff.runAsGroup,
        run_as_username=run_as_username,
        readonly_rootfs=bool(eff.readOnlyRootFilesystem),
        supplemental_groups=tuple(groups),
        supplemental_groups_policy=policy,
        no_new_privs=eff.allowPrivilegeEscalation is False,
        masked_paths=masked_paths(eff.procMount),
        readonly_paths=readonly_paths(eff.procMount),
        seccomp=kubelet_seccomp_profile(
            pod, container, seccomp_root=seccomp_root, seccomp_default=seccomp_default
        ),
        apparmor=kubelet_apparmor_request(effective_apparmor_profile(pod, container)),
    )
