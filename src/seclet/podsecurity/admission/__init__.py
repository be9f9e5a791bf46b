"""Pod Security admission: pure decisions the API server's admission chain calls.

Role: upstream ``k8s.io/pod-security-admission/admission`` without lister/getter I/O.
Callers: the API server (pods, pod controllers, namespaces).
"""

from seclet.podsecurity.admission.admission import (
    IGNORED_POD_SUBRESOURCES,
    evaluate_pod_policy,
    evaluate_pods_in_namespace,
    exempt_namespace_warning,
    is_significant_pod_update,
    validate_namespace,
    validate_pod,
    validate_pod_controller,
)
from seclet.podsecurity.admission.config import (
    DEFAULT_CONFIGURATION,
    Exemptions,
    PodSecurityConfiguration,
    to_policy,
)
from seclet.podsecurity.admission.response import (
    AdmissionResponse,
    DenyStatus,
    forbidden_message,
    violates_message,
    would_violate_message,
)

__all__ = [
    "DEFAULT_CONFIGURATION",
    "IGNORED_POD_SUBRESOURCES",
    "AdmissionResponse",
    "DenyStatus",
    "Exemptions",
    "PodSecurityConfiguration",
    "evaluate_pod_policy",
    "evaluate_pods_in_namespace",
    "exempt_namespace_warning",
    "forbidden_message",
    "is_significant_pod_update",
    "to_policy",
    "validate_namespace",
    "validate_pod",
    "validate_pod_controller",
    "violates_message",
    "would_violate_message",
]
