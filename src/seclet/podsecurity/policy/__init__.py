"""Pod Security Standards checks: one module per check, a registry, and result aggregation.

Role: upstream ``k8s.io/pod-security-admission/policy``.
Callers: ``seclet.podsecurity.admission`` and the API server (through ``seclet.podsecurity``).
"""

from seclet.podsecurity.policy.checks import (
    ALLOWED,
    UNKNOWN_FORBIDDEN_REASON,
    AggregateCheckResult,
    Check,
    CheckPodFn,
    CheckResult,
    VersionedCheck,
    aggregate_check_results,
)
from seclet.podsecurity.policy.registry import (
    DEFAULT_CHECKS,
    DEFAULT_EVALUATOR,
    Evaluator,
    check_pod,
    evaluate_pod,
    validate_checks,
)

__all__ = [
    "ALLOWED",
    "DEFAULT_CHECKS",
    "DEFAULT_EVALUATOR",
    "UNKNOWN_FORBIDDEN_REASON",
    "AggregateCheckResult",
    "Check",
    "CheckPodFn",
    "CheckResult",
    "Evaluator",
    "VersionedCheck",
    "aggregate_check_results",
    "check_pod",
    "evaluate_pod",
    "validate_checks",
]
