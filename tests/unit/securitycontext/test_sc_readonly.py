"""Read-only JSON containers: same JSON, same equality, loud on change, plain copies."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from seclet.securitycontext.readonly import ReadOnlyDict, ReadOnlyList, freeze

VALUE = {"b": [1, {"x": [2, 3], "y": None}], "a": "s", "c": True}


def test_json_and_equality_are_those_of_plain_values() -> None:
    frozen = freeze(VALUE)
    for kw in ({}, {"sort_keys": True}, {"indent": 2}, {"indent": 2, "sort_keys": True}):
        assert json.dumps(frozen, **kw) == json.dumps(VALUE, **kw)
    assert frozen == VALUE and repr(frozen) == repr(VALUE)
    assert isinstance(frozen, dict) and isinstance(frozen["b"], list)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.__setitem__("a", 1),
        lambda f: f.__delitem__("a"),
        lambda f: f.pop("a"),
        lambda f: f.popitem(),
        lambda f: f.update(a=1),
        lambda f: f.setdefault("z", 1),
        lambda f: f.clear(),
        lambda f: f["b"].append(1),
        lambda f: f["b"].extend([1]),
        lambda f: f["b"].insert(0, 1),
        lambda f: f["b"].pop(),
        lambda f: f["b"].remove(1),
        lambda f: f["b"].sort(),
        lambda f: f["b"].reverse(),
        lambda f: f["b"].__setitem__(0, 9),
        lambda f: f["b"].__delitem__(0),
        lambda f: f["b"].__iadd__([1]),
        lambda f: f["b"].__imul__(2),
        lambda f: f["b"][1]["x"].clear(),
    ],
)
def test_every_change_is_refused(change: object) -> None:
    frozen = freeze(VALUE)
    with pytest.raises(TypeError, match="read-only"):
        change(frozen)  # type: ignore[operator]
    assert frozen == VALUE


def test_copies_are_plain_and_mutable() -> None:
    frozen = freeze(VALUE)
    deep = copy.deepcopy(frozen)
    assert type(deep) is dict and type(deep["b"]) is list and type(deep["b"][1]) is dict
    deep["b"][1]["x"].append(4)
    assert frozen["b"][1]["x"] == [2, 3]
    shallow = copy.copy(frozen)
    assert type(shallow) is dict
    shallow["a"] = "t"
    assert frozen["a"] == "s"
    assert type(copy.copy(frozen["b"])) is list
    loaded = pickle.loads(pickle.dumps(frozen))
    assert loaded == VALUE and type(loaded) is dict and type(loaded["b"]) is list
    assert not isinstance(loaded["b"], ReadOnlyList) and not isinstance(loaded, ReadOnlyDict)
