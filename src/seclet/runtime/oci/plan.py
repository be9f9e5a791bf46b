"""The decisions a container spec is built from, computed once before any step runs.

Role: turns ``ContainerSpecInputs`` into a frozen ``SpecPlan``: the kubelet's CRI
security context (``linux_container_security_context``), the image user as the
kubelet and containerd see it, the resolved uid/gid/additionalGids, the AppArmor and
SELinux labels, the seccomp decision, the pod hostname, the container id and the
kubelet's CRI ``LinuxContainerResources`` (seclet.runtime.oci.resources). The
steps in seclet.runtime.oci.steps only copy these values into the spec, in
containerd's order, so every decision has one place and one test.
Callers: seclet.runtime.oci.builder, seclet.runtime.oci.steps.
"""

from __future__ import annotations

from functools import lru_cache

from seclet.api import models
from seclet.api.record import hot_dataclass
from seclet.runtime.oci.inputs import ContainerSpecInputs
from seclet.runtime.oci.resources import LinuxContainerResources, linux_container_resources
from seclet.securitycontext.apparmor import apparmor_enabled_for_runtime, runtime_apparmor_profile
from seclet.securitycontext.linux_context import (
    LinuxContainerSecurityContext,
    linux_container_security_context,
)
from seclet.securitycontext.namespaces import NODE
from seclet.securitycontext.seccomp import SeccompDecision, runtime_seccomp_decision
from seclet.securitycontext.selinux import SELinuxLabels, selinux_labels
from seclet.securitycontext.users import (
    ImageUser,
    ProcessUser,
    image_user_from_config,
    kubelet_image_user,
    resolve_process_user,
)

CONTAINERD_NAMESPACE = "k8s.io"
_HOSTNAME_MAX = 63
_NO_META = models.ObjectMeta()


class SpecError(ValueError):
    """The container cannot be created; the message is what the user sees."""


@hot_dataclass(frozen=True, slots=True)
class SpecPlan:
    """Every value a step writes, decided up front."""

    inputs: ContainerSpecInputs
    cri: LinuxContainerSecurityContext
    image_user: ImageUser
    """The kubelet's view of the image user (runAsNonRoot checks use this)."""
    user: ProcessUser
    apparmor_profile: str
    selinux: SELinuxLabels
    seccomp: SeccompDecision
    hostname: str
    container_id: str
    resources: LinuxContainerResources
    """What the kubelet sends as ``ContainerConfig.linux.resources``."""


def pod_hostname(pod: models.Pod) -> str:
    """kubelet ``GeneratePodHostNameAndDomain``: spec.hostname or the pod name,
    truncated to 63 characters with trailing ``-``/``.`` removed."""
    spec = pod.spec or models.PodSpec()
    if spec.hostnameOverride:
        return spec.hostnameOverride
    name = spec.hostname or (pod.metadata.name if pod.metadata is not None else "") or ""
    if len(name) > _HOSTNAME_MAX:
        name = name[:_HOSTNAME_MAX].rstrip("-.")
    return name


@lru_cache(maxsize=256)
def _kubelet_image_user(user: str) -> ImageUser:
    return kubelet_image_user(image_user_from_config(user))


def make_plan(inputs: ContainerSpecInputs) -> SpecPlan:
    """Decide everything; raise ``SpecError`` with the upstream message on failure."""
    pod, container, node, rt = inputs.pod, inputs.container, inputs.node, inputs.runtime
    image_user = _kubelet_image_user(inputs.image.user)
    try:
        cri = linux_container_security_context(
            pod,
            container,
            image_user,
            seccomp_root=rt.seccomp_root,
            seccomp_default=rt.seccomp_default,
            extra_supplemental_groups=rt.extra_supplemental_groups,
        )
        user = resolve_process_user(
            run_as_user=cri.run_as_user,
            run_as_username=cri.run_as_username,
            run_as_group=cri.run_as_group,
            supplemental_groups=cri.supplemental_groups,
            policy=cri.supplemental_groups_policy,
            image_user=inputs.image.user,
            passwd_text=inputs.passwd_text,
            group_text=inputs.group_text,
        )
        apparmor = runtime_apparmor_profile(
            cri.apparmor, privileged=cri.privileged, enabled=apparmor_enabled_for_runtime(node)
        )
        seccomp = runtime_seccomp_decision(
            cri.seccomp, privileged=cri.privileged, seccomp_available=node.seccomp_available
        )
    except ValueError as e:
        raise SpecError(str(e)) from e
    labels = selinux_labels(cri.selinux_options, enabled=node.selinux_enabled)
    hostname = node.hostname if cri.namespace_options.network == NODE else pod_hostname(pod)
    cid = rt.container_id
    if not cid:
        md = pod.metadata or _NO_META
        cid = f"{md.namespace or 'default'}_{md.name or ''}_{container.name or ''}"
    resources = linux_container_resources(pod, container, node)
    # Positional: SpecPlan's field order (cheaper than keywords for a frozen dataclass).
    return SpecPlan(
        inputs, cri, image_user, user, apparmor, labels, seccomp, hostname, cid, resources
    )
