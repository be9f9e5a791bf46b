"""Pod validation with kube-apiserver 1.35's field paths, messages and error order.

Role: the public entry points of ``seclet.validation``; modules split by concern
(objectmeta, annotations, podspec, containers, volumes, securitycontext,
podsecuritycontext, profiles, hostusers, os_specific, windows, status, update).
Callers: the API server, ``seclet.cli``, tests. Use ``seclet.api.field.invalid_message``
to turn the returned ``ErrorList`` into the Status message.
"""

from seclet.validation.options import PodValidationOptions, options_for_create
from seclet.validation.pod import validate_pod_create, validate_pod_template_spec
from seclet.validation.status import validate_pod_status_update
from seclet.validation.update import validate_pod_update

__all__ = [
    "PodValidationOptions",
    "options_for_create",
    "validate_pod_create",
    "validate_pod_status_update",
    "validate_pod_template_spec",
    "validate_pod_update",
]
