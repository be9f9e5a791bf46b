"""Field errors print as apimachinery 1.35 prints them."""

from __future__ import annotations

from seclet.api import field


def test_invalid_single_error_message() -> None:
    p = field.Path.root("spec").child("securityContext", "runAsUser")
    e = field.invalid(p, -1, "must be between 0 and 2147483647, inclusive")
    assert field.invalid_message("Pod", "p", [e]) == (
        'Pod "p" is invalid: spec.securityContext.runAsUser: Invalid value: -1: '
        "must be between 0 and 2147483647, inclusive"
    )


def test_aggregate_dedupes_and_brackets() -> None:
    p = field.Path.root("spec")
    a = field.required(p.child("a"), "")
    b = field.forbidden(p.child("b"), "nope")
    assert field.invalid_message("Pod", "p", [a, b, a]) == (
        'Pod "p" is invalid: [spec.a: Required value, spec.b: Forbidden: nope]'
    )


def test_value_rendering() -> None:
    p = field.Path.root("x")
    assert str(field.invalid(p, "a\"b", "")) == 'x: Invalid value: "a\\"b"'
    assert str(field.invalid(p, True, "d")) == "x: Invalid value: true: d"
    assert str(field.invalid(p, None, "d")) == "x: Invalid value: null: d"
    assert str(field.invalid(p, field.JSONValue(["a", "b"]), "d")) == 'x: Invalid value: ["a","b"]: d'
    assert str(field.not_supported(p, "Foo", ["A", "B"])) == (
        'x: Unsupported value: "Foo": supported values: "A", "B"'
    )
    assert str(field.too_long(p, 63)) == "x: Too long: may not be more than 63 bytes"
    assert str(p.index(0).key("k")) == "x[0][k]"


def test_status_causes() -> None:
    e = field.invalid(field.Path.root("spec", "a"), 1, "bad")
    assert field.status_causes([e]) == [
        {"reason": "FieldValueInvalid", "message": "Invalid value: 1: bad", "field": "spec.a"}
    ]
