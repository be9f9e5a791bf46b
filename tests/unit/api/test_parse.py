"""Manifest parsing reads YAML as goyaml v2 (kubectl) does, whichever parser runs."""

from __future__ import annotations

import pytest

from seclet.api.parse import ParseError, RawMap, parse_stream


def one(text: str) -> object:
    docs = list(parse_stream(text.encode()))
    assert len(docs) == 1
    return docs[0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: yes\n", {"a": True}),
        ("a: 'yes'\n", {"a": "yes"}),
        ("a: [x, [N, y]]\n", {"a": ["x", [False, True]]}),
        ("on: 1\nb: {c: Off}\n", {"true": 1, "b": {"c": False}}),
        ("a: off\n", {"a": False}),
        ("a: 0755\n", {"a": 493}),
        ("a: 0x1F\n", {"a": 31}),
        ("a: 1e3\n", {"a": 1000.0}),
        ("a: 2020-01-02\n", {"a": "2020-01-02"}),
        ("a: ~\n", {"a": None}),
        ("a: 10.05\n", {"a": 10.05}),
        ("x: &a {p: 1}\nz:\n  <<: *a\n  q: 2\n", {"x": {"p": 1}, "z": {"p": 1, "q": 2}}),
        ("y: 1\nn: Y\n", {"true": 1, "false": True}),
        ("1: a\ntrue: b\n", {"1": "a", "true": "b"}),
        ('---\n{"a": [1, 2,],}\n', {"a": [1, 2]}),
        ("a: !!binary aGk=\n", {"a": "aGk="}),
    ],
)
def test_scalars_resolve_like_goyaml_v2(text: str, value: object) -> None:
    assert one(text) == value


def test_streams_split_into_documents_and_skip_empty_ones() -> None:
    docs = list(parse_stream(b"---\na: 1\n---\n---\n- x\n"))
    assert docs == [{"a": 1}, ["x"]]


def test_a_single_list_document_is_one_document() -> None:
    assert list(parse_stream(b"---\n- a\n- b\n")) == [["a", "b"]]


def test_duplicate_keys_are_remembered() -> None:
    doc = one("a: 1\na: 2\n")
    assert doc == {"a": 2}
    assert isinstance(doc, RawMap)
    assert doc.duplicates == frozenset({"a"})


def test_errors_carry_line_numbers() -> None:
    with pytest.raises(ParseError, match=r"yaml: line 2: did not find expected node content"):
        list(parse_stream(b"a: 1\nb: [\n"))
    with pytest.raises(ParseError, match=r"yaml: line 2: mapping values are not allowed"):
        list(parse_stream(b"a: 1\nb: c: d\n"))
