"""runAsNonRoot verification, with the kubelet's exact messages.

Role: k/k ``pkg/kubelet/kuberuntime/security_context_others.go`` ``verifyRunAsNonRoot``
(Linux). The kubelet, not the runtime, enforces runAsNonRoot: a failure becomes
container state waiting/``CreateContainerConfigError`` with the message below and a
Warning event ``Failed`` with ``Error: <message>``.
Callers: seclet.runtime.oci.builder (and the kubelet pod worker).
"""

from __future__ import annotations

from seclet.api import models
from seclet.securitycontext.effective import determine_effective_security_context
from seclet.securitycontext.users import MAX_INT32, ImageUser

CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError"


class RunAsNonRootError(ValueError):
    """The container may not start: runAsNonRoot cannot be satisfied."""


def format_pod(pod: models.Pod) -> str:
    """kubelet ``format.Pod``: ``<name>_<namespace>(<uid>)``."""
    md = pod.metadata or models.ObjectMeta()
    return f"{md.name or ''}_{md.namespace or ''}({md.uid or ''})"


def _go_quote(s: str) -> str:
    """Go ``%q`` for the printable-ASCII strings pod names are."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def verify_run_as_non_root(
    pod: models.Pod, container: models.Container, image_user: ImageUser
) -> None:
    """Raise ``RunAsNonRootError`` when the effective runAsNonRoot is violated.

    ``image_user`` is the kubelet's view of the image (``getImageUser``: a numeric uid,
    a username, or uid 0 when the image sets no USER).
    """
    sc = determine_effective_security_context(pod, container)
    if not sc.runAsNonRoot:
        return
    p = _go_quote(format_pod(pod))
    name = container.name or ""
    if sc.runAsUser is not None:
        if sc.runAsUser == 0:
            raise RunAsNonRootError(
                f"container's runAsUser breaks non-root policy (pod: {p}, container: {name})"
            )
        return
    uid, username = image_user.uid, image_user.username
    if uid is None and username:
        raise RunAsNonRootError(
            f"container has runAsNonRoot and image has non-numeric user ({username}), "
            f"cannot verify user is non-root (pod: {p}, container: {name})"
        )
    if uid is not None:
        if uid == 0:
            raise RunAsNonRootError(
                "container has runAsNonRoot and image will run as root "
                f"(pod: {p}, container: {name})"
            )
        if not 0 <= uid <= MAX_INT32:
            raise RunAsNonRootError(
                f"container has runAsNonRoot and image has an invalid user id ({uid}). "
                f"(Must be 1-({MAX_INT32})): must be between 0 and {MAX_INT32}, inclusive "
                f"(pod: {p}, container: {name})"
            )
