"""The texts and shapes of Pod Security admission answers.

Role: upstream ``admission/response.go`` plus the message formats of ``admission.go``:
the enforce denial (``violates PodSecurity "<lv>": ...``) wrapped by
``apierrors.NewForbidden`` (``pods "<name>" is forbidden: ...``), the warn/audit text
(``would violate PodSecurity "<lv>": ...``), the invalid-labels answer
(``apierrors.NewInvalid``), and the ``AdmissionResponse`` value the API server consumes.
Callers: ``seclet.podsecurity.admission.admission``; the API server reads
``AdmissionResponse``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from seclet.api.field import FieldError, go_quote, invalid_message
from seclet.podsecurity.api.constants import AUDIT_ANNOTATION_PREFIX
from seclet.podsecurity.api.version import LevelVersion
from seclet.podsecurity.policy.checks import AggregateCheckResult


@dataclass(frozen=True, slots=True)
class DenyStatus:
    """The ``metav1.Status`` of a denial: HTTP code, reason, message and details.

    ``kind`` is ``details.kind`` (the resource, e.g. ``pods``, for Forbidden; the kind,
    e.g. ``Namespace``, for Invalid); ``causes`` are the field errors of an Invalid.
    """

    code: int
    reason: str
    message: str
    name: str = ""
    group: str = ""
    kind: str = ""
    causes: tuple[FieldError, ...] = ()


@dataclass(frozen=True, slots=True)
class AdmissionResponse:
    """``admissionv1.AdmissionResponse`` as far as Pod Security fills it in.

    ``audit_annotations`` use the library's short keys (``enforce-policy``,
    ``audit-violations``, ``error``, ``exempt``); ``prefixed_audit_annotations()`` gives
    the keys the apiserver records (``pod-security.kubernetes.io/<key>``).
    """

    allowed: bool
    status: DenyStatus | None = None
    warnings: tuple[str, ...] = ()
    audit_annotations: Mapping[str, str] = field(default_factory=dict)

    def prefixed_audit_annotations(self) -> dict[str, str]:
        return {AUDIT_ANNOTATION_PREFIX + k: v for k, v in self.audit_annotations.items()}


ALLOWED_RESPONSE: Final = AdmissionResponse(True)


def violates_message(lv: LevelVersion, result: AggregateCheckResult) -> str:
    """The enforce error: ``violates PodSecurity "restricted:latest": <ForbiddenDetail>``."""
    return f"violates PodSecurity {go_quote(str(lv))}: {result.forbidden_detail()}"


def would_violate_message(lv: LevelVersion, result: AggregateCheckResult) -> str:
    """The warning and audit text: ``would violate PodSecurity "<lv>": <ForbiddenDetail>``."""
    return f"would violate PodSecurity {go_quote(str(lv))}: {result.forbidden_detail()}"


def forbidden_message(resource: str, name: str, err: str, group: str = "") -> str:
    """``apierrors.NewForbidden(...).Error()``: ``pods "x" is forbidden: <err>``.

    Without a name (e.g. ``generateName`` creates): ``pods is forbidden: <err>``.
    """
    qualified = f"{resource}.{group}" if group else resource
    if not qualified:
        return f"forbidden: {err}"
    if not name:
        return f"{qualified} is forbidden: {err}"
    return f"{qualified} {go_quote(name)} is forbidden: {err}"


def forbidden_response(resource: str, name: str, err: str, group: str = "") -> AdmissionResponse:
    """``forbiddenResponse``: a 403 Forbidden denial."""
    return AdmissionResponse(
        False,
        DenyStatus(
            403,
            "Forbidden",
            forbidden_message(resource, name, err, group),
            name=name,
            group=group,
            kind=resource,
        ),
    )


def invalid_response(kind: str, name: str, errors: Sequence[FieldError]) -> AdmissionResponse:
    """``invalidResponse``: a 422 Invalid denial (``Namespace "x" is invalid: ...``)."""
    return AdmissionResponse(
        False,
        DenyStatus(
            422,
            "Invalid",
            invalid_message(kind, name, errors),
            name=name,
            kind=kind,
            causes=tuple(errors),
        ),
    )
