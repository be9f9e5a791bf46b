"""Pod Security Admission constants: namespace label names and audit annotation keys.

Role: the spellings of upstream ``pod-security-admission/api/constants.go``.
Callers: ``seclet.podsecurity.api.policy`` (label parsing), ``seclet.podsecurity.admission``
(audit annotations), and the API server / CLI when they write or show these labels.
"""

from __future__ import annotations

from typing import Final

VERSION_LATEST: Final = "latest"

LABEL_PREFIX: Final = "pod-security.kubernetes.io/"

ENFORCE_LEVEL_LABEL: Final = LABEL_PREFIX + "enforce"
ENFORCE_VERSION_LABEL: Final = LABEL_PREFIX + "enforce-version"
AUDIT_LEVEL_LABEL: Final = LABEL_PREFIX + "audit"
AUDIT_VERSION_LABEL: Final = LABEL_PREFIX + "audit-version"
WARN_LEVEL_LABEL: Final = LABEL_PREFIX + "warn"
WARN_VERSION_LABEL: Final = LABEL_PREFIX + "warn-version"

# The apiserver's PodSecurity plugin records each audit annotation the library returns
# under this prefix (``podsecurityadmissionapi.AuditAnnotationPrefix + key``).
AUDIT_ANNOTATION_PREFIX: Final = LABEL_PREFIX

EXEMPTION_REASON_ANNOTATION_KEY: Final = "exempt"
AUDIT_VIOLATIONS_ANNOTATION_KEY: Final = "audit-violations"
ENFORCED_POLICY_ANNOTATION_KEY: Final = "enforce-policy"
ERROR_ANNOTATION_KEY: Final = "error"
