"""FieldsV1 encoding and path elements against structured-merge-diff's golden data.

Role: unit tests of ``seclet.api.managedfields.path`` and ``fieldset``: the golden
strings of upstream's ``fieldpath/serialize_test.go`` (``TestSerializeV1GoldenData``,
``TestDeserializeForValidNonNormalized``) round-trip byte for byte, ``"."`` marks a
member that also has children, unknown element kinds are dropped, bad keys refused,
and paths print as in conflict messages.
Callers: pytest.
"""

from __future__ import annotations

import json

import pytest

from seclet.api.managedfields.fieldset import (
    FieldsError,
    from_fields_v1,
    iterate,
    recursive_difference,
    to_fields_v1,
)
from seclet.api.managedfields.path import PathElement, deserialize, field_path, path_string

GOLDEN = [
    r'{"f:aaa":{},"f:aab":{},"f:aac":{},"f:aad":{},"f:aae":{},"f:aaf":{},"k:{\"name\":\"first\"}":{},"k:{\"name\":\"second\"}":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{},"k:{\"port\":443,\"protocol\":\"udp\"}":{},"v:1":{},"v:2":{},"v:3":{},"v:\"aa\"":{},"v:\"ab\"":{},"v:true":{},"i:1":{},"i:2":{},"i:3":{},"i:4":{}}',
    r'{"f:aaa":{"k:{\"name\":\"second\"}":{"v:3":{"f:aab":{}}},"v:3":{},"v:true":{}},"f:aab":{"f:aaa":{},"f:aaf":{"k:{\"port\":443,\"protocol\":\"udp\"}":{"k:{\"port\":443,\"protocol\":\"tcp\"}":{}}},"k:{\"name\":\"first\"}":{}},"f:aac":{"f:aaa":{"v:1":{}},"f:aac":{},"v:3":{"k:{\"name\":\"second\"}":{}}},"f:aad":{"f:aac":{"v:1":{}},"f:aaf":{"k:{\"name\":\"first\"}":{"k:{\"name\":\"first\"}":{}}},"i:1":{"i:1":{},"i:3":{"v:true":{}}}},"f:aae":{"f:aae":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{"k:{\"port\":443,\"protocol\":\"udp\"}":{}},"i:4":{"f:aaf":{}}},"f:aaf":{"i:1":{"f:aac":{}},"i:2":{},"i:3":{}},"k:{\"name\":\"first\"}":{"f:aad":{"f:aaf":{}}},"k:{\"port\":443,\"protocol\":\"tcp\"}":{"f:aaa":{"f:aad":{}}},"k:{\"port\":443,\"protocol\":\"udp\"}":{"f:aac":{},"k:{\"name\":\"first\"}":{"i:3":{}},"k:{\"port\":443,\"protocol\":\"udp\"}":{"i:4":{}}},"v:1":{"f:aac":{"i:4":{}},"f:aaf":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{}},"v:2":{"f:aad":{"f:aaf":{}},"i:1":{}},"v:3":{"f:aaa":{},"k:{\"name\":\"first\"}":{},"i:2":{}},"v:\"aa\"":{"f:aab":{"f:aaf":{}},"f:aae":{},"k:{\"name\":\"first\"}":{"f:aad":{}},"i:2":{}},"v:\"ab\"":{"f:aaf":{"i:4":{}},"k:{\"port\":443,\"protocol\":\"tcp\"}":{},"k:{\"port\":443,\"protocol\":\"udp\"}":{},"v:1":{"k:{\"port\":443,\"protocol\":\"udp\"}":{}},"i:1":{"f:aae":{"i:4":{}}}},"v:true":{"k:{\"name\":\"second\"}":{"f:aaa":{}},"i:2":{"k:{\"port\":443,\"protocol\":\"tcp\"}":{}}},"i:1":{"i:3":{"f:aaf":{}}},"i:2":{"f:aae":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{"v:1":{}}},"i:3":{"f:aab":{"v:true":{"v:\"aa\"":{}}},"f:aaf":{},"i:1":{}},"i:4":{"v:\"aa\"":{"f:aab":{"k:{\"name\":\"second\"}":{}}}}}',
    r'{"f:spec":{".":{},"f:apps":{".":{},"k:{\"name\":\" app-💻\"}":{".":{},"f:container":{".":{},"f:image":{},"f:name":{},"f:ports":{".":{},"k:{\"name\":\"port 🔑\"}":{".":{},"f:containerPort":{},"f:name":{}}}},"f:name":{}},"k:{\"name\":\" app-🚀\"}":{".":{},"f:container":{".":{},"f:image":{},"f:name":{},"f:ports":{".":{},"k:{\"name\":\"port-✅ \"}":{".":{},"f:containerPort":{},"f:name":{}}}},"f:name":{}}}}}',
]

NON_NORMALIZED = """{
  "f:aad": {},
  "f:aaa": {},
  "f:aab": {},
  "f:aac": {},
  "f:aae": {},
  "f:aaf": {},
  "k:{\\"name\\":\\"first\\"}": {},
  "k:{\\"name\\":\\"second\\"}": {},
  "k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}": {},
  "k:{ \\"protocol\\":\\"udp\\",\\"port\\":443}": {},
  "v:1": {},
  "v:2": {},
  "v: 3": {},
  "v:\\"aa\\"": {},
  "v:\\"ab\\"": {},
  "v:true": {},
  "i:1": {},
  "i:2": {},
  "i:3": {}  ,
  "i:4":    {}
}"""


def _dump(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize("golden", GOLDEN)
def test_golden_round_trip(golden: str) -> None:
    assert _dump(to_fields_v1(from_fields_v1(json.loads(golden)))) == golden


def test_non_normalized_input_serialises_normalized() -> None:
    assert _dump(to_fields_v1(from_fields_v1(json.loads(NON_NORMALIZED)))) == GOLDEN[0]


def test_dot_marks_a_member_with_children() -> None:
    s = from_fields_v1({"f:metadata": {"f:labels": {".": {}, "f:run": {}}}})
    assert s == frozenset(
        {field_path("metadata", "labels"), field_path("metadata", "labels", "run")}
    )
    assert to_fields_v1(s) == {"f:metadata": {"f:labels": {".": {}, "f:run": {}}}}


def test_unknown_element_kinds_are_dropped_and_bad_keys_refused() -> None:
    assert from_fields_v1({"x:foo": {}, "f:a": {}}) == frozenset({field_path("a")})
    with pytest.raises(FieldsError):
        from_fields_v1({"fa": {}})
    with pytest.raises(FieldsError):
        from_fields_v1({"i:x": {}})


def test_path_strings_as_conflict_messages_print_them() -> None:
    container = PathElement.key({"name": "c"})
    assert path_string(
        (*field_path("spec", "containers"), container, PathElement.field("image"))
    ) == ('.spec.containers[name="c"].image')
    port = PathElement.key({"protocol": "TCP", "containerPort": 80})
    assert str(port) == '[containerPort=80,protocol="TCP"]'
    assert port.serialize() == 'k:{"containerPort":80,"protocol":"TCP"}'
    assert str(PathElement.of_value("a")) == '[="a"]'
    assert str(PathElement.at(3)) == "[3]"
    assert deserialize('k:{"name":"c"}') == container


def test_iteration_order_members_then_children() -> None:
    s = frozenset(
        {
            field_path("spec", "b"),
            field_path("metadata", "labels", "z"),
            field_path("metadata", "labels", "a"),
            field_path("kind"),
        }
    )
    assert [path_string(p) for p in iterate(s)] == [
        ".kind",
        ".metadata.labels.a",
        ".metadata.labels.z",
        ".spec.b",
    ]


def test_recursive_difference_removes_what_is_below() -> None:
    s = frozenset({field_path("a", "b", "c"), field_path("a", "d"), field_path("e")})
    assert recursive_difference(s, frozenset({field_path("a", "b")})) == frozenset(
        {field_path("a", "d"), field_path("e")}
    )


def test_sort_key_agrees_with_compare() -> None:
    import functools

    from seclet.api.managedfields.path import sort_key

    elements = [
        PathElement.field("b"),
        PathElement.field("a"),
        PathElement.key({"name": "x"}),
        PathElement.key({"port": 443, "protocol": "udp"}),
        PathElement.key({"port": 443}),
        PathElement.of_value(True),
        PathElement.of_value("aa"),
        PathElement.of_value(2),
        PathElement.of_value(1.5),
        PathElement.of_value(None),
        PathElement.of_value([1, 2]),
        PathElement.at(3),
        PathElement.at(1),
    ]
    assert sorted(elements, key=sort_key) == sorted(
        elements, key=functools.cmp_to_key(PathElement.compare)
    )
