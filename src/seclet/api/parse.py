"""Parse manifest bytes (YAML streams, JSON) into JSON-like values, as kubectl reads them.

Role: the only YAML/JSON reader of seclet. It keeps what a Go client would see:
YAML 1.1 scalars as goyaml v2 resolves them (``yes`` is true, ``1e3`` is a number,
dates stay strings), map keys as strings, and it remembers keys that a mapping
repeats (``RawMap.duplicates``) so strict decoding can refuse them. Parse failures
carry goyaml's wording (``yaml: line 7: could not find expected ':'`` — goyaml is a
port of libyaml, whose messages PyYAML's C loader reports too).

Two parsers, one meaning: yaml-rs (Rust; YAML 1.2) parses 15x faster than PyYAML's
C loader (22 us vs 350 us per Pod fixture, measured), but resolves a few plain
scalars differently from goyaml v2 (``yes``, ``0755``, ``1_000``, merge keys) and
cannot tell a one-document list from a multi-document stream. ``_fast_path_safe``
admits only text where the two cannot differ; everything else, and every error
(for libyaml's wording and duplicate-key tracking), goes to PyYAML.
The API server passes ``fast=False``: yaml-rs 0.1.6 crashed the server process
(SIGSEGV inside its ``loads``) under the API fuzz test, reproducibly for one seed and
only in the server's threaded process, so request bodies never reach it; the offline
commands (single-threaded, the user's own files) keep its speed.
Callers: ``seclet.api.load``, ``seclet.apiserver.http``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from seclet.api.field import go_float


class ParseError(Exception):
    """Bytes that are not YAML or JSON; ``str()`` is goyaml's/encoding-json's text."""


class RawMap(dict[str, Any]):
    """A parsed mapping that remembers which keys appeared more than once."""

    __slots__ = ("duplicates",)

    def __init__(self) -> None:
        super().__init__()
        self.duplicates: frozenset[str] = frozenset()


_LoaderBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_LoaderBase):  # type: ignore[valid-type,misc]
    """SafeLoader with goyaml v2's scalar resolution and duplicate-key tracking."""


# goyaml v2 leaves timestamps as strings when decoding into interface{}.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# goyaml v2 also reads y, Y, n and N as booleans (PyYAML's YAML 1.1 table does not).
_Loader.bool_values = {**yaml.SafeLoader.bool_values, "y": True, "n": False}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))
# goyaml v2 reads 1e3 and 1E+3 (no dot) as floats; YAML 1.1's regexp needs a dot.
_GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)$")
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _GO_FLOAT, list("-+0123456789."))


def _key_text(key: object) -> str:
    """sigs.k8s.io/yaml turns non-string keys into strings this way."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return go_float(key)
    if key is None:
        return "null"
    return str(key)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> RawMap:
    loader.flatten_mapping(node)
    out = RawMap()
    dups: set[str] | None = None
    for key_node, value_node in node.value:
        key = _key_text(loader.construct_object(key_node, deep=True))
        if key in out:
            if dups is None:
                dups = set()
            dups.add(key)
        out[key] = loader.construct_object(value_node, deep=True)
    if dups:
        out.duplicates = frozenset(dups)
    return out


def _construct_binary(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    data = loader.construct_yaml_binary(node)
    return base64.b64encode(data).decode()


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:binary", _construct_binary)


def _json_pairs(pairs: list[tuple[str, Any]]) -> RawMap:
    out = RawMap()
    dups: set[str] | None = None
    for k, v in pairs:
        if k in out:
            if dups is None:
                dups = set()
            dups.add(k)
        out[k] = v
    if dups:
        out.duplicates = frozenset(dups)
    return out


def _yaml_error(exc: yaml.YAMLError) -> str:
    """goyaml's ``yaml: line N: problem``.

    goyaml numbers scanner errors from the problem mark plus one, and parser errors
    from the problem mark as is (libyaml marks are 0-based), else the context mark.
    """
    problem = getattr(exc, "problem", None) or str(exc)
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    line = 0
    if problem_mark is not None and problem_mark.line != 0:
        line = problem_mark.line
        if isinstance(exc, yaml.scanner.ScannerError):
            line += 1
    elif context_mark is not None and context_mark.line != 0:
        line = context_mark.line
    if line:
        return f"yaml: line {line}: {problem}"
    return f"yaml: {problem}"


# Plain scalars that YAML 1.1 (goyaml v2) reads as booleans and YAML 1.2 as strings.
_YAML11_WORDS = frozenset({
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
    "on", "On", "ON", "off", "Off", "OFF",
})
_LEADING_ZERO = re.compile(r"0[0-9]")
_SEXAGESIMAL = re.compile(r":[0-5][0-9]")
_UNDERSCORE_DIGIT = re.compile(r"_[0-9]")
_SPECIAL_FLOAT = re.compile(r"\.(?:inf|Inf|INF|nan|NaN|NAN)")


def _number_hazard(text: str) -> bool:
    """Octal-looking, sexagesimal or underscored numbers (1.1 and 1.2 read them apart).

    Each regexp starts with a literal, which keeps the scan near memchr speed; the
    context check runs only on the few hits.
    """
    for m in _LEADING_ZERO.finditer(text):
        i = m.start()
        if i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "._"):
            return True
    for m in _SEXAGESIMAL.finditer(text):
        i = m.start()
        if i > 0 and text[i - 1].isdigit():
            return True
    for m in _UNDERSCORE_DIGIT.finditer(text):
        i = m.start()
        if i > 0 and text[i - 1].isdigit():
            return True
    return _SPECIAL_FLOAT.search(text) is not None


def _has_yaml11_word(value: object) -> bool:
    """A parsed string or key that goyaml v2 would have read as a boolean.

    A tight walk that dispatches on exact types (4 us per fixture, measured; a JSON
    dump searched for the quoted words took 19 us). A quoted ``"no"`` in the manifest
    is a false alarm that only costs the slower parser.
    """
    words = _YAML11_WORDS
    # Values are fresh strings: the length test (every word has at most 3 characters)
    # spares hashing the long ones only to look them up. Keys are hashed already.
    if type(value) is dict:
        for k, v in value.items():
            if k in words:
                return True
            t = type(v)
            if t is str:
                if len(v) < 4 and v in words:
                    return True
            elif (t is dict or t is list) and _has_yaml11_word(v):
                return True
        return False
    if type(value) is list:
        for v in value:
            t = type(v)
            if t is str:
                if len(v) < 4 and v in words:
                    return True
            elif (t is dict or t is list) and _has_yaml11_word(v):
                return True
        return False
    return type(value) is str and value in words


def _fast_path_safe(text: str) -> bool:
    """True when the text has none of the constructs where yaml-rs and goyaml v2 differ."""
    if "<<" in text or "!" in text or "?" in text or "\n---" in text or "\n..." in text:
        return False
    return not _number_hazard(text)


def _fast_parse(text: str) -> list[object] | None:
    """The one document of ``text`` by yaml-rs, or None to let PyYAML decide."""
    # Imported on first use: the extension costs ~7 MB of RSS, and a server that only
    # ever receives JSON bodies (kubectl sends JSON) never needs it.
    import yaml_rs  # noqa: PLC0415

    try:
        doc = yaml_rs.loads(text.removeprefix("---\n"), parse_datetime=False)
    except (yaml_rs.YAMLDecodeError, ValueError, RecursionError):
        return None
    if doc is None:
        return []
    if _has_yaml11_word(doc):
        return None
    return [doc]


def looks_like_json(text: str) -> bool:
    """kubectl's YAMLOrJSONDecoder: a stream starting with ``{`` is JSON."""
    return text.lstrip(" \t\r\n").startswith("{")


def parse_stream(data: bytes, *, fast: bool = True) -> Iterator[object]:
    """Every document of a manifest stream, in order (empty YAML documents skipped);
    ``fast`` lets yaml-rs parse the text where it cannot differ from goyaml."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"yaml: invalid leading UTF-8 octet at byte {exc.start}") from None
    if "\x00" in text:
        raise ParseError("yaml: control characters are not allowed")
    if looks_like_json(text):
        yield from _parse_json_stream(text)
        return
    if fast and _fast_path_safe(text):
        docs = _fast_parse(text)
        if docs is not None:
            yield from docs
            return
    try:
        for doc in yaml.load_all(text, Loader=_Loader):
            if doc is not None:
                yield doc
    except yaml.YAMLError as exc:
        raise ParseError("error converting YAML to JSON: " + _yaml_error(exc)) from None
    except RecursionError:
        raise ParseError("error converting YAML to JSON: yaml: exceeded max depth") from None


def _parse_json_stream(text: str) -> Iterator[object]:
    decoder = json.JSONDecoder(object_pairs_hook=_json_pairs)
    pos = 0
    end = len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end:
            return
        try:
            doc, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ParseError(f"json: {exc.msg} at offset {exc.pos}") from None
        except RecursionError:
            raise ParseError("json: exceeded max depth") from None
        yield doc
