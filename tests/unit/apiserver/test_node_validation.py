"""``ValidateNode`` + ``ValidateNodeUpdate`` on user writes of a Node (seclet.validation.node).

Role: upstream's texts and paths for taints (``metadata.taints[i]``...), the podCIDRs,
providerID and externalID rules, and the node strategy's decode (omitempty spec).
Callers: pytest.
"""

from __future__ import annotations

from typing import Any

import pytest

from seclet.apiserver.nodes import decode_node
from seclet.apiserver.status import APIError
from seclet.validation.node import validate_node_write

OLD: dict[str, Any] = {
    "metadata": {"name": "vm", "uid": "u1", "resourceVersion": "5"},
    "spec": {"podCIDRs": ["10.0.0.0/24"], "providerID": "p1"},
}


def _errors(spec: dict[str, Any]) -> list[str]:
    new = {"metadata": dict(OLD["metadata"]), "spec": {**OLD["spec"], **spec}}
    return [str(e) for e in validate_node_write(new, OLD)]


def test_taint_rules_reported_by_both_validations() -> None:
    errs = _errors({"taints": [{"key": "a/b/c", "value": "x y", "effect": "Bad"}]})
    key = (
        "metadata.taints[0].key: Invalid value: \"a/b/c\": a valid label key must consist of "
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and "
        "'/' (e.g. 'example.com/MyName')"
    )
    effect = (
        'metadata.taints[0].effect: Unsupported value: "Bad": supported values: "NoSchedule", '
        '"PreferNoSchedule", "NoExecute"'
    )
    assert errs[0] == key
    assert errs[-1] == effect
    assert errs[: len(errs) // 2] == errs[len(errs) // 2 :]  # ValidateNode, then the update


def test_duplicate_taint() -> None:
    errs = _errors(
        {"taints": [{"key": "k", "effect": "NoExecute"}, {"key": "k", "value": "v",
                                                          "effect": "NoExecute"}]}
    )
    assert errs[0] == (
        'metadata.taints[1]: Duplicate value: {"key":"k","value":"v","effect":"NoExecute"}: '
        "taints must be unique by key and effect pair"
    )
    assert _errors({"taints": [{"key": "k", "effect": "NoExecute"},
                               {"key": "k", "effect": "NoSchedule"}]}) == []


def test_immutable_spec_fields() -> None:
    assert _errors({"podCIDRs": ["10.0.0.0/24", "fd00::/64"]}) == [
        'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'
    ]
    assert _errors({"providerID": "p2"}) == [
        'spec.providerID: Forbidden: node updates may not change providerID except from "" '
        "to valid"
    ]
    assert _errors({"externalID": "e"}) == ["spec.externalID: Forbidden: may not be updated"]
    assert _errors({"unschedulable": True}) == []


def test_decode_node_omitempty_and_unknown_fields() -> None:
    body = {
        "kind": "Node",
        "metadata": {"name": "vm"},
        "spec": {"unschedulable": False, "taints": [{"key": "a", "value": "", "effect":
                                                      "NoSchedule", "extra": 1}], "x": 1},
    }
    obj, warnings = decode_node(body, "Warn")
    assert obj["spec"] == {"taints": [{"key": "a", "effect": "NoSchedule"}]}
    assert warnings == ('unknown field "spec.taints[0].extra"', 'unknown field "spec.x"')
    with pytest.raises(APIError) as err:
        decode_node({"spec": {"unschedulable": "yes"}}, "Warn")
    assert err.value.status["message"] == (
        'Node in version "v1" cannot be handled as a Node: json: cannot unmarshal string into '
        "Go struct field NodeSpec.spec.unschedulable of type bool"
    )
