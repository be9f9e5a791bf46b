"""Errors a CRI call can answer, shaped like the gRPC status codes CRI uses.

Role: the runtime raises these; the kubelet maps them to container reasons
(``CreateContainerError``, ``ErrImagePull``, ``RunContainerError`` ...) and messages,
keeping ``message`` verbatim as upstream's kubelet shows the runtime's text.
Callers: seclet.runtime.runc, seclet.cri.fake, seclet.kubelet.
"""

from __future__ import annotations


class CRIError(Exception):
    """A failed CRI call; ``code`` is the gRPC code name (``Unknown``, ``NotFound`` ...)."""

    code = "Unknown"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(CRIError):
    """No such sandbox, container or image."""

    code = "NotFound"


class InvalidArgumentError(CRIError):
    """The request itself is wrong (bad seccomp profile path, bad mount, ...)."""

    code = "InvalidArgument"


class FailedPreconditionError(CRIError):
    """The object is in the wrong state (start of a running container, ...)."""

    code = "FailedPrecondition"


class ImagePullError(CRIError):
    """``PullImage`` failed; the message is what the kubelet reports after
    ``Failed to pull image "<ref>": ``."""


class ImagePullNotFoundError(ImagePullError):
    """``PullImage`` of a reference no registry has: containerd answers gRPC NotFound
    (``errdefs.ErrNotFound`` from the resolver), so the kubelet shows
    ``rpc error: code = NotFound desc = ...``."""

    code = "NotFound"


class ImageNotFoundError(NotFoundError):
    """The image is not in the store (PullImage never called or removed)."""
