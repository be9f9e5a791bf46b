"""AppArmor: which profile the kubelet asks for and what containerd does with it.

Role: kubelet ``apparmor.GetProfile`` (container field, then the deprecated container
annotation, then the pod field, else nil), the node admission check
(``Cannot enforce AppArmor: AppArmor is not enabled on the host`` for RuntimeDefault
or Localhost on a node without AppArmor), and containerd
``sputil.GenerateApparmorSpecOpts``: AppArmor off -> error "apparmor is not supported"
unless nil/Unconfined; on -> nil means RuntimeDefault (``cri-containerd.apparmor.d``),
skipped for privileged; Localhost applies even to privileged (its existence check
reads /sys/kernel/security/apparmor/profiles and belongs to the I/O shell).
Callers: seclet.securitycontext.linux_context, seclet.runtime.oci.steps, the kubelet.
"""

from __future__ import annotations

from dataclasses import dataclass

from seclet.api import models
from seclet.host.facts import NodeFacts

RUNTIME_DEFAULT = "RuntimeDefault"
UNCONFINED = "Unconfined"
LOCALHOST = "Localhost"
CONTAINERD_DEFAULT_PROFILE = "cri-containerd.apparmor.d"
ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


class AppArmorError(ValueError):
    """The profile cannot be applied (container creation fails)."""


@dataclass(frozen=True, slots=True)
class AppArmorRequest:
    """The CRI ``apparmor`` SecurityProfile (None at the call site means "not set")."""

    profile_type: str
    localhost_ref: str = ""


_REQUEST_RUNTIME_DEFAULT = AppArmorRequest(RUNTIME_DEFAULT)
_REQUEST_UNCONFINED = AppArmorRequest(UNCONFINED)


def _from_annotation(value: str) -> models.AppArmorProfile | None:
    if value == "runtime/default":
        return models.AppArmorProfile(type=RUNTIME_DEFAULT)
    if value == "unconfined":
        return models.AppArmorProfile(type=UNCONFINED)
    if value.startswith("localhost/"):
        return models.AppArmorProfile(type=LOCALHOST, localhostProfile=value[len("localhost/") :])
    return None


def container_annotation(pod: models.Pod, container: models.Container) -> str | None:
    """The deprecated ``container.apparmor.security.beta.kubernetes.io/<name>`` value."""
    annotations = pod.metadata.annotations if pod.metadata is not None else None
    if not annotations:  # cheap test first: a missing key costs an exception in Mapping.get
        return None
    return annotations.get(ANNOTATION_PREFIX + (container.name or ""))


def effective_apparmor_profile(
    pod: models.Pod, container: models.Container
) -> models.AppArmorProfile | None:
    """kubelet ``apparmor.GetProfile``."""
    csc = container.securityContext
    if csc is not None and csc.appArmorProfile is not None:
        return csc.appArmorProfile
    value = container_annotation(pod, container)
    if value is not None:
        got = _from_annotation(value)
        if got is not None:
            return got
    psc = pod.spec.securityContext if pod.spec is not None else None
    if psc is not None and psc.appArmorProfile is not None:
        return psc.appArmorProfile
    return None


def kubelet_apparmor_request(profile: models.AppArmorProfile | None) -> AppArmorRequest | None:
    """kubelet ``getAppArmorProfile``: API profile -> CRI SecurityProfile."""
    if profile is None:
        return None
    if profile.type == RUNTIME_DEFAULT:
        return _REQUEST_RUNTIME_DEFAULT
    if profile.type == UNCONFINED:
        return _REQUEST_UNCONFINED
    if profile.type == LOCALHOST:
        if profile.localhostProfile is None:
            raise AppArmorError("missing localhost apparmor profile name")
        return AppArmorRequest(LOCALHOST, profile.localhostProfile)
    raise AppArmorError(f'unknown apparmor profile type: "{profile.type}"')


def admission_error(pod: models.Pod, facts: NodeFacts) -> str | None:
    """kubelet ``appArmorAdmitHandler`` message, or None when the pod is admitted."""
    spec = pod.spec or models.PodSpec()
    required = False
    psc = spec.securityContext
    if (
        psc is not None
        and psc.appArmorProfile is not None
        and psc.appArmorProfile.type != UNCONFINED
    ):
        required = True
    annotations = pod.metadata.annotations if pod.metadata is not None else {}
    contexts: list[models.SecurityContext | None] = [
        c.securityContext for c in (*spec.initContainers, *spec.containers)
    ]
    contexts.extend(c.securityContext for c in spec.ephemeralContainers)
    for sc in contexts:
        if (
            sc is not None
            and sc.appArmorProfile is not None
            and sc.appArmorProfile.type != UNCONFINED
        ):
            required = True
    for key, value in annotations.items():
        if key.startswith(ANNOTATION_PREFIX) and value != "unconfined":
            required = True
    if not required:
        return None
    if not facts.apparmor_enabled:
        return "Cannot enforce AppArmor: AppArmor is not enabled on the host"
    return None


def apparmor_enabled_for_runtime(facts: NodeFacts) -> bool:
    """containerd ``apparmor.HostSupports``: kernel on and apparmor_parser present."""
    return facts.apparmor_enabled and facts.apparmor_parser and not facts.in_user_namespace


def runtime_apparmor_profile(
    request: AppArmorRequest | None, *, privileged: bool, enabled: bool
) -> str:
    """containerd's ``process.apparmorProfile`` ("" = none)."""
    if not enabled:
        if request is not None and request.profile_type != UNCONFINED:
            raise AppArmorError("apparmor is not supported")
        return ""
    if request is None:
        request = _REQUEST_RUNTIME_DEFAULT
    if request.profile_type != LOCALHOST and request.localhost_ref:
        raise AppArmorError(
            "apparmor config invalid LocalhostRef must only be set if ProfileType is Localhost"
        )
    if request.profile_type == RUNTIME_DEFAULT:
        return "" if privileged else CONTAINERD_DEFAULT_PROFILE
    if request.profile_type == LOCALHOST:
        return request.localhost_ref.removeprefix("localhost/")
    return ""
