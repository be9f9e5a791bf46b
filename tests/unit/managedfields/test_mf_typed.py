"""The typed walks: field sets, compare and merge by the models' schema.

Role: unit tests of ``seclet.api.managedfields.typed``: associative lists keyed
(``k:``, with the port protocol's default), sets (``v:``), atomic lists and structs
as one leaf (``nodeSelector``, a label selector), maps granular, compare's
added/modified/removed with the node itself added when it appears, and merge keeping
the live order of keyed items with new ones after.
Callers: pytest.
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.managedfields.fieldset import to_fields_v1
from seclet.api.managedfields.path import field_path
from seclet.api.managedfields.typed import compare, merge, to_field_set
from seclet.api.managedfields.typeref import root_ref, struct_ref

POD = root_ref("v1", "Pod")


def test_field_set_of_keyed_sets_and_atomic_values() -> None:
    pod = {
        "metadata": {"finalizers": ["x"], "labels": {"a": "b"}},
        "spec": {
            "nodeSelector": {"disk": "ssd"},
            "containers": [{"name": "c", "ports": [{"containerPort": 80}], "args": ["1", "2"]}],
        },
    }
    assert to_fields_v1(to_field_set(pod, POD)) == {
        "f:metadata": {"f:finalizers": {'v:"x"': {}}, "f:labels": {"f:a": {}}},
        "f:spec": {
            "f:containers": {
                'k:{"name":"c"}': {
                    ".": {},
                    "f:args": {},
                    "f:name": {},
                    "f:ports": {
                        'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}
                    },
                }
            },
            "f:nodeSelector": {},
        },
    }


def test_label_selector_is_atomic() -> None:
    term = struct_ref(models.PodAffinityTerm)
    value = {"labelSelector": {"matchLabels": {"a": "b"}}, "topologyKey": "k"}
    assert to_field_set(value, term) == frozenset(
        {field_path("labelSelector"), field_path("topologyKey")}
    )


def test_compare_adds_a_new_node_and_its_content() -> None:
    old = {"metadata": {"name": "p"}, "spec": {"containers": None}}
    new = {"metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {"containers": []}}
    result = compare(old, new, POD)
    assert result.added == frozenset(
        {field_path("metadata", "labels"), field_path("metadata", "labels", "a")}
    )
    assert result.modified == frozenset({field_path("spec", "containers")})
    assert result.removed == frozenset()


def test_merge_keeps_live_order_and_appends_new_items() -> None:
    live = {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}}
    config = {"spec": {"containers": [{"name": "c", "image": "3"}, {"name": "a", "image": "2"}]}}
    assert merge(live, config, POD)["spec"]["containers"] == [
        {"name": "c", "image": "3"},
        {"name": "a", "image": "2"},
        {"name": "b", "image": "1"},
    ]


def test_validate_names_undeclared_fields_and_unkeyed_items() -> None:
    import pytest

    from seclet.api.managedfields.typed import TypedError, validate

    with pytest.raises(TypedError) as one:
        validate({"spec": {"foo": 1}}, POD)
    assert str(one.value) == ".spec.foo: field not declared in schema"
    with pytest.raises(TypedError) as two:
        validate({"spec": {"containers": [{"image": "x"}], "bar": 2}}, POD)
    assert sorted(str(two.value).splitlines()) == [
        "  .spec.bar: field not declared in schema",
        "  .spec.containers: element 0: associative list with keys has an element that omits "
        'all key fields ["name"] (and doesn\'t have default values for any key fields)',
        "errors:",
    ]


def test_node_conditions_are_keyed_by_type() -> None:
    node = root_ref("v1", "Node")
    value = {
        "metadata": {"name": "n"},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "images": [{"names": ["a"]}],
        },
    }
    assert to_fields_v1(to_field_set(value, node)) == {
        "f:metadata": {"f:name": {}},
        "f:status": {
            ".": {},
            # Deduced maps declare no fields: every key is a member too.
            "f:conditions": {
                ".": {},
                'k:{"type":"Ready"}': {".": {}, "f:status": {}, "f:type": {}},
            },
            "f:images": {},
        },
    }
