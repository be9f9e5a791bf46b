"""Go ``encoding/json`` errors and the tolerations annotation, as kube-apiserver prints them.

Role: unit tests of ``seclet.validation.gojson`` (the scanner's texts for each
context of Go's scanner.go, ``quoteChar``, ``UnmarshalTypeError`` texts for the
``[]core.Toleration`` and ``map[string]interface{}`` targets, case-insensitive field
matching, a type error not stopping the decode) and of
``ValidateTolerationsInPodAnnotations`` through a pod create: the decode error at
``metadata.annotations`` with the key as the value, the tolerations' own errors under
``metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[i]``, an empty
annotation ignored.
Callers: pytest.
"""

from __future__ import annotations

import pytest

from seclet.api import models
from seclet.api.field import Path
from seclet.validation import gojson
from seclet.validation.annotations import validate_pod_specific_annotations

KEY = "scheduler.alpha.kubernetes.io/tolerations"


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", "unexpected end of JSON input"),
        (b"  ", "unexpected end of JSON input"),
        (b'[{"key":', "unexpected end of JSON input"),
        (b"x", "invalid character 'x' looking for beginning of value"),
        (b'{"a"}', "invalid character '}' after object key"),
        (b'{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
        (b"{,}", "invalid character ',' looking for beginning of object key string"),
        (b'{"a":1,}', "invalid character '}' looking for beginning of object key string"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b"[1,]", "invalid character ']' looking for beginning of value"),
        (b"[]]", "invalid character ']' after top-level value"),
        (b"01", "invalid character '1' after top-level value"),
        (b"-a", "invalid character 'a' in numeric literal"),
        (b"1.e", "invalid character 'e' after decimal point in numeric literal"),
        (b"1e+", "unexpected end of JSON input"),
        (b"1e+x", "invalid character 'x' in exponent of numeric literal"),
        (b"trux", "invalid character 'x' in literal true (expecting 'e')"),
        (b"fals", "unexpected end of JSON input"),
        (b"nil", "invalid character 'i' in literal null (expecting 'u')"),
        (b'"\\x"', "invalid character 'x' in string escape code"),
        (b'"\\u00g0"', "invalid character 'g' in \\u hexadecimal character escape"),
        (b'"a\tb"', "invalid character '\\t' in string literal"),
        (b'"a\x01b"', "invalid character '\\x01' in string literal"),
        (b"'a'", "invalid character '\\'' looking for beginning of value"),
        ("é".encode(), "invalid character 'Ã' looking for beginning of value"),
        (b"NaN", "invalid character 'N' looking for beginning of value"),
        (b'[{"key":"a"}, null, 1.5e3, "x", true]', None),
    ],
)
def test_syntax_errors_are_go_scanner_texts(data: bytes, text: str | None) -> None:
    assert gojson.syntax_error(data) == text


@pytest.mark.parametrize(
    ("text", "decoded", "error"),
    [
        ("null", [], None),
        ("[]", [], None),
        ("[null]", [{}], None),
        ("{}", [], "json: cannot unmarshal object into Go value of type []core.Toleration"),
        ('"x"', [], "json: cannot unmarshal string into Go value of type []core.Toleration"),
        (
            '[1, {"key": "a"}]',
            [{}, {"key": "a"}],
            "json: cannot unmarshal number into Go value of type core.Toleration",
        ),
        (
            '[{"KEY": "a", "Operator": "Exists", "unknown": 1, "tolerationseconds": -3}]',
            [{"key": "a", "operator": "Exists", "tolerationSeconds": -3}],
            None,
        ),
        (
            '[{"key": 5, "value": true}]',
            [{}],
            "json: cannot unmarshal number into Go struct field Toleration.key of type string",
        ),
        (
            '[{"operator": ["Exists"]}]',
            [{}],
            "json: cannot unmarshal array into Go struct field Toleration.operator of type "
            "core.TolerationOperator",
        ),
        (
            '[{"effect": {}}]',
            [{}],
            "json: cannot unmarshal object into Go struct field Toleration.effect of type "
            "core.TaintEffect",
        ),
        (
            '[{"tolerationSeconds": 1.5}, {"tolerationSeconds": "3"}]',
            [{}, {}],
            "json: cannot unmarshal number 1.5 into Go struct field "
            "Toleration.tolerationSeconds of type int64",
        ),
        (
            '[{"tolerationSeconds": 9223372036854775808}]',
            [{}],
            "json: cannot unmarshal number 9223372036854775808 into Go struct field "
            "Toleration.tolerationSeconds of type int64",
        ),
        (
            '[{"tolerationSeconds": "3", "key": "k"}]',
            [{"key": "k"}],
            "json: cannot unmarshal string into Go struct field "
            "Toleration.tolerationSeconds of type int64",
        ),
        ('[{"tolerationSeconds": null, "key": null}]', [{}], None),
    ],
)
def test_tolerations_decode_as_go(
    text: str, decoded: list[dict[str, object]], error: str | None
) -> None:
    assert gojson.tolerations(text) == (decoded, error)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b'{"auths": {}}', None),
        (b"null", None),
        (b"[]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        (b"1", "json: cannot unmarshal number into Go value of type map[string]interface {}"),
        (b"{", "unexpected end of JSON input"),
        (b'{"a": "\xff\xfe"}', None),
        (b"\xff", "invalid character '\u00ff' looking for beginning of value"),
    ],
)
def test_object_errors(data: bytes, text: str | None) -> None:
    assert gojson.object_error(data) == text


def _errors(value: str) -> list[str]:
    errs = validate_pod_specific_annotations(
        {KEY: value}, models.PodSpec(), Path.root("metadata", "annotations"), False
    )
    return [str(e) for e in errs]


def test_tolerations_annotation_decode_error_names_the_key() -> None:
    assert _errors("[{") == [
        'metadata.annotations: Invalid value: "scheduler.alpha.kubernetes.io/tolerations": '
        "unexpected end of JSON input"
    ]


def test_tolerations_annotation_validated_as_tolerations() -> None:
    assert _errors('[{"key": "k", "value": "v"}, {"operator": "Equal"}, {"effect": "Never"}]') == [
        "metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[1].operator: "
        'Invalid value: "Equal": operator must be Exists when `key` is empty, which means '
        '"match all values and all keys"',
        "metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[2].operator: "
        'Invalid value: "": operator must be Exists when `key` is empty, which means '
        '"match all values and all keys"',
        "metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[2].effect: "
        'Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", '
        '"NoExecute"',
    ]


def test_empty_or_valid_tolerations_annotation_passes() -> None:
    assert _errors("") == []
    assert _errors("null") == []
    assert _errors('[{"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}]') == []
