"""Pod Security Admission API: levels, versions, policies and namespace-label resolution.

Role: the vocabulary of upstream ``k8s.io/pod-security-admission/api``.
Callers: ``seclet.podsecurity.policy``, ``seclet.podsecurity.admission``, the API server.
"""

from seclet.podsecurity.api.constants import (
    AUDIT_LEVEL_LABEL,
    AUDIT_VERSION_LABEL,
    ENFORCE_LEVEL_LABEL,
    ENFORCE_VERSION_LABEL,
    VERSION_LATEST,
    WARN_LEVEL_LABEL,
    WARN_VERSION_LABEL,
)
from seclet.podsecurity.api.policy import (
    DEFAULT_POLICY,
    PRIVILEGED_LATEST,
    Policy,
    policy_to_evaluate,
)
from seclet.podsecurity.api.version import (
    LATEST,
    NEWEST_POLICY_VERSION,
    Level,
    LevelVersion,
    Version,
    compare_levels,
    level_version,
    major_minor_version,
    parse_level,
    parse_version,
)

__all__ = [
    "AUDIT_LEVEL_LABEL",
    "AUDIT_VERSION_LABEL",
    "DEFAULT_POLICY",
    "ENFORCE_LEVEL_LABEL",
    "ENFORCE_VERSION_LABEL",
    "LATEST",
    "NEWEST_POLICY_VERSION",
    "PRIVILEGED_LATEST",
    "VERSION_LATEST",
    "WARN_LEVEL_LABEL",
    "WARN_VERSION_LABEL",
    "Level",
    "LevelVersion",
    "Policy",
    "Version",
    "compare_levels",
    "level_version",
    "major_minor_version",
    "parse_level",
    "parse_version",
    "policy_to_evaluate",
]
