"""Pod Security Standards and Pod Security Admission, as upstream's pod-security-admission.

Role: pure code deciding whether a pod meets a Pod Security level at a policy version, and
what the ``PodSecurity`` admission plugin answers (denial text, warnings, audit
annotations) for a namespace's ``pod-security.kubernetes.io/*`` labels. Sub-packages
mirror upstream: ``api`` (levels, versions, label resolution), ``policy`` (one module per
check, the registry), ``admission`` (decisions).
Callers: the API server's admission chain; the CLI when it explains a denial.
"""

from seclet.podsecurity.admission import (
    AdmissionResponse,
    DenyStatus,
    Exemptions,
    PodSecurityConfiguration,
    is_significant_pod_update,
    validate_namespace,
    validate_pod,
    validate_pod_controller,
)
from seclet.podsecurity.api import (
    LATEST,
    NEWEST_POLICY_VERSION,
    Level,
    LevelVersion,
    Policy,
    Version,
    level_version,
    parse_level,
    parse_version,
    policy_to_evaluate,
)
from seclet.podsecurity.policy import (
    DEFAULT_EVALUATOR,
    AggregateCheckResult,
    CheckResult,
    Evaluator,
    aggregate_check_results,
    check_pod,
    evaluate_pod,
)

__all__ = [
    "DEFAULT_EVALUATOR",
    "LATEST",
    "NEWEST_POLICY_VERSION",
    "AdmissionResponse",
    "AggregateCheckResult",
    "CheckResult",
    "DenyStatus",
    "Evaluator",
    "Exemptions",
    "Level",
    "LevelVersion",
    "PodSecurityConfiguration",
    "Policy",
    "Version",
    "aggregate_check_results",
    "check_pod",
    "evaluate_pod",
    "is_significant_pod_update",
    "level_version",
    "parse_level",
    "parse_version",
    "policy_to_evaluate",
    "validate_namespace",
    "validate_pod",
    "validate_pod_controller",
]
