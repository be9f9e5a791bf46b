"""metav1.Status values with upstream's codes, reasons and messages.

Role: every refusal of the API server is an ``APIError`` carrying the Status body
kube-apiserver would send (``apierrors.NewNotFound``, ``NewAlreadyExists``,
``NewInvalid``, ``NewBadRequest``, ``NewForbidden``, ``NewUnauthorized``,
``NewResourceExpired``, ``NewRequestEntityTooLargeError``, ...), so kubectl prints
upstream's text. Pure: no HTTP here; the HTTP layer turns ``APIError`` into a response.
Callers: ``seclet.apiserver.registry``, ``seclet.apiserver.http``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from seclet.api.field import FieldError, go_quote, invalid_message, status_causes

JSONObject = dict[str, Any]


def status(code: int, reason: str, message: str, details: JSONObject | None = None) -> JSONObject:
    """A failure ``metav1.Status`` body."""
    body: JSONObject = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def success_status(details: JSONObject | None = None) -> JSONObject:
    body: JSONObject = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details is not None:
        body["details"] = details
    return body


class APIError(Exception):
    """A request the API server refuses; ``status`` is the metav1.Status to send."""

    def __init__(self, body: JSONObject) -> None:
        super().__init__(body.get("message", ""))
        self.status = body

    @property
    def code(self) -> int:
        return int(self.status["code"])


def _details(name: str, group: str, kind: str) -> JSONObject:
    details: JSONObject = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    return details


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = "") -> APIError:
    """``NewNotFound``: ``pods "x" not found``."""
    return APIError(
        status(
            404,
            "NotFound",
            f"{_qualified(resource, group)} {go_quote(name)} not found",
            _details(name, group, resource),
        )
    )


def already_exists(resource: str, name: str, group: str = "") -> APIError:
    """``NewAlreadyExists``: ``pods "x" already exists``."""
    return APIError(
        status(
            409,
            "AlreadyExists",
            f"{_qualified(resource, group)} {go_quote(name)} already exists",
            _details(name, group, resource),
        )
    )


OBJECT_MODIFIED: Final = (
    "the object has been modified; please apply your changes to the latest version and try again"
)
"""The generic registry's ``OptimisticLockErrorMsg``: a write against a stale
resourceVersion (the ``err`` of its ``conflict``)."""


def conflict(resource: str, name: str, err: str, group: str = "") -> APIError:
    """``NewConflict``: ``Operation cannot be fulfilled on pods "x": <err>``."""
    return APIError(
        status(
            409,
            "Conflict",
            f"Operation cannot be fulfilled on {_qualified(resource, group)} "
            f"{go_quote(name)}: {err}",
            _details(name, group, resource),
        )
    )


def uid_precondition_failed(resource: str, name: str, uid: object, stored: object) -> APIError:
    """Storage's ``Preconditions.Check`` failing on the uid (409)."""
    return conflict(
        resource,
        name,
        f"Precondition failed: UID in precondition: {uid}, UID in object meta: {stored}",
    )


def invalid(kind: str, name: str, errors: Sequence[FieldError], group: str = "") -> APIError:
    """``NewInvalid``: 422 ``Pod "x" is invalid: ...`` with one cause per error."""
    details = _details(name, group, kind)
    details["causes"] = status_causes(errors)
    return APIError(status(422, "Invalid", invalid_message(kind, name, errors), details))


def bad_request(message: str) -> APIError:
    """``NewBadRequest``: 400 with the message as given."""
    return APIError(status(400, "BadRequest", message))


def forbidden(resource: str, name: str, err: str, group: str = "") -> APIError:
    """``NewForbidden``: ``pods "x" is forbidden: <err>``."""
    qualified = _qualified(resource, group)
    message = (
        f"{qualified} {go_quote(name)} is forbidden: {err}"
        if name
        else f"{qualified} is forbidden: {err}"
    )
    return APIError(status(403, "Forbidden", message, _details(name, group, resource)))


def unauthorized() -> APIError:
    """What the authentication filter answers a request without valid credentials."""
    return APIError(status(401, "Unauthorized", "Unauthorized"))


def expired(message: str) -> APIError:
    """``NewResourceExpired``: 410 Expired (a watch from a compacted resourceVersion)."""
    return APIError(status(410, "Expired", message))


def method_not_allowed(verb: str, resource: str, name: str = "") -> APIError:
    """``NewMethodNotSupported``: 405 ``<verb> is not supported on resources of kind ...``."""
    return APIError(
        status(
            405,
            "MethodNotAllowed",
            f"{verb} is not supported on resources of kind {go_quote(resource)}",
            _details(name, "", resource),
        )
    )


def not_found_path() -> APIError:
    """The apiserver's answer to a path no handler serves."""
    return APIError(
        status(
            404,
            "NotFound",
            "the server could not find the requested resource",
            {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]},
        )
    )


def too_large(limit: int) -> APIError:
    """``NewRequestEntityTooLargeError``: 413 for a body over the server's limit."""
    return APIError(
        status(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")
    )


def unsupported_media_type(content_type: str) -> APIError:
    """415 for a PATCH or body type the server does not take."""
    return APIError(
        status(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types "
            f"include: {content_type}",
        )
    )


def internal(message: str) -> APIError:
    """``NewInternalError``."""
    return APIError(
        status(
            500,
            "InternalError",
            f"Internal error occurred: {message}",
            {"causes": [{"message": message}]},
        )
    )
