"""Conflict texts against apimachinery's ``TestNewConflictError``.

Role: unit tests of ``seclet.api.managedfields.conflict``: kube-apiserver's 409
message (one conflict; several, grouped by manager in sorted order) and the
``FieldManagerConflict`` causes, with the upstream test's managers and paths.
Callers: pytest.
"""

from __future__ import annotations

from seclet.api.managedfields.conflict import Conflict, ConflictError
from seclet.api.managedfields.path import field_path

FOO = '{"manager":"foo","operation":"Update","apiVersion":"v1","time":"2001-02-03T04:05:06Z"}'
BAR = '{"manager":"bar","operation":"Apply"}'
FOO_SCALE = (
    '{"manager":"foo","operation":"Update","subresource":"scale","apiVersion":"v1",'
    '"time":"2001-02-03T04:05:06Z"}'
)


def test_one_conflict() -> None:
    err = ConflictError([Conflict(FOO, field_path("spec", "replicas"))])
    assert err.message == (
        'Apply failed with 1 conflict: conflict with "foo" using v1 at 2001-02-03T04:05:06Z: '
        ".spec.replicas"
    )
    assert err.causes == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "foo" using v1 at 2001-02-03T04:05:06Z',
            "field": ".spec.replicas",
        }
    ]


def test_two_conflicts_grouped_by_sorted_manager() -> None:
    err = ConflictError(
        [
            Conflict(FOO, field_path("spec", "replicas")),
            Conflict(BAR, field_path("metadata", "labels", "app")),
        ]
    )
    assert err.message == (
        'Apply failed with 2 conflicts: conflicts with "bar":\n'
        "- .metadata.labels.app\n"
        'conflicts with "foo" using v1 at 2001-02-03T04:05:06Z:\n'
        "- .spec.replicas"
    )
    assert [c["message"] for c in err.causes] == [
        'conflict with "foo" using v1 at 2001-02-03T04:05:06Z',
        'conflict with "bar"',
    ]


def test_subresource_manager() -> None:
    err = ConflictError([Conflict(FOO_SCALE, field_path("spec", "replicas"))])
    assert err.message == (
        'Apply failed with 1 conflict: conflict with "foo" with subresource "scale" using v1 '
        "at 2001-02-03T04:05:06Z: .spec.replicas"
    )
