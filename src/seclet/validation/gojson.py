"""Go ``encoding/json`` ``Unmarshal`` errors, for values upstream decodes with it.

Role: a few validations decode a string with Go's ``encoding/json`` and print its
error: a Secret's ``.dockercfg``/``.dockerconfigjson`` (into a
``map[string]interface{}``) and the pod annotation
``scheduler.alpha.kubernetes.io/tolerations`` (into ``[]core.Toleration``). Go first
checks the whole input (``checkValid``: its scanner's first invalid byte, ``invalid
character 'x' <context>``, or ``unexpected end of JSON input``), then decodes; a
value of the wrong JSON kind is an ``UnmarshalTypeError`` (``json: cannot unmarshal
<kind> into Go value of type T``, or ``... into Go struct field S.f of type T``),
decoding goes on and the first such error is returned. Struct fields match the JSON
keys exactly or else case-insensitively; unknown keys are ignored.
``syntax_error`` is the scanner (its contexts are those of Go's scanner.go);
``object_error`` and ``tolerations`` are the two decodes.
Callers: seclet.validation.secret, seclet.validation.annotations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

_WHITESPACE: Final = frozenset(b" \t\r\n")
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")
_DIGITS: Final = frozenset(b"0123456789")
_END: Final = "unexpected end of JSON input"


def quote_char(c: int) -> str:
    """Go's ``quoteChar``: the byte as a rune in single quotes, escaped as
    ``strconv.Quote`` escapes it."""
    if c == ord("'"):
        return "'\\''"
    if c == ord('"'):
        return "'\"'"
    short = _SHORT_ESCAPES.get(c)
    if short is not None:
        return f"'{short}'"
    if c < 0x20 or c == 0x7F:
        return f"'\\x{c:02x}'"
    if 0x80 <= c <= 0x9F or c == 0xAD:
        return f"'\\u{c:04x}'"
    return f"'{chr(c)}'"


_SHORT_ESCAPES: Final = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}
"""``strconv.Quote``'s short escapes."""


class _SyntaxError(Exception):
    """The scanner's error text."""


class _Scanner:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.i = 0

    def _peek(self) -> int:
        if self.i >= len(self.data):
            raise _SyntaxError(_END)
        return self.data[self.i]

    def _fail(self, context: str) -> _SyntaxError:
        return _SyntaxError(f"invalid character {quote_char(self.data[self.i])} {context}")

    def _space(self) -> None:
        while self.i < len(self.data) and self.data[self.i] in _WHITESPACE:
            self.i += 1

    def top(self) -> None:
        self._space()
        self.value()
        self._space()
        if self.i < len(self.data):
            raise self._fail("after top-level value")

    def value(self) -> None:
        self._space()
        c = self._peek()
        if c == ord("{"):
            self._object()
        elif c == ord("["):
            self._array()
        elif c == ord('"'):
            self._string()
        elif c == ord("-") or c in _DIGITS:
            self._number()
        elif c == ord("t"):
            self._literal(b"true")
        elif c == ord("f"):
            self._literal(b"false")
        elif c == ord("n"):
            self._literal(b"null")
        else:
            raise self._fail("looking for beginning of value")

    def _object(self) -> None:
        self.i += 1
        self._space()
        if self._peek() == ord("}"):
            self.i += 1
            return
        while True:
            self._space()
            if self._peek() != ord('"'):
                raise self._fail("looking for beginning of object key string")
            self._string()
            self._space()
            if self._peek() != ord(":"):
                raise self._fail("after object key")
            self.i += 1
            self.value()
            self._space()
            c = self._peek()
            self.i += 1
            if c == ord("}"):
                return
            if c != ord(","):
                self.i -= 1
                raise self._fail("after object key:value pair")

    def _array(self) -> None:
        self.i += 1
        self._space()
        if self._peek() == ord("]"):
            self.i += 1
            return
        while True:
            self.value()
            self._space()
            c = self._peek()
            self.i += 1
            if c == ord("]"):
                return
            if c != ord(","):
                self.i -= 1
                raise self._fail("after array element")

    def _string(self) -> None:
        self.i += 1
        while True:
            c = self._peek()
            if c == ord('"'):
                self.i += 1
                return
            if c == ord("\\"):
                self.i += 1
                e = self._peek()
                if e == ord("u"):
                    for _ in range(4):
                        self.i += 1
                        if self._peek() not in _HEX:
                            raise self._fail("in \\u hexadecimal character escape")
                elif e not in b'"\\/bfnrt':
                    raise self._fail("in string escape code")
            elif c < 0x20:
                raise self._fail("in string literal")
            self.i += 1

    def _digits(self) -> None:
        while self.i < len(self.data) and self.data[self.i] in _DIGITS:
            self.i += 1

    def _number(self) -> None:
        if self._peek() == ord("-"):
            self.i += 1
            if self._peek() not in _DIGITS:
                raise self._fail("in numeric literal")
        if self._peek() == ord("0"):
            self.i += 1
        else:
            self._digits()
        if self.i < len(self.data) and self.data[self.i] == ord("."):
            self.i += 1
            if self._peek() not in _DIGITS:
                raise self._fail("after decimal point in numeric literal")
            self._digits()
        if self.i < len(self.data) and self.data[self.i] in b"eE":
            self.i += 1
            if self._peek() in b"+-":
                self.i += 1
            if self._peek() not in _DIGITS:
                raise self._fail("in exponent of numeric literal")
            self._digits()

    def _literal(self, word: bytes) -> None:
        self.i += 1
        for expected in word[1:]:
            if self._peek() != expected:
                raise self._fail(f"in literal {word.decode()} (expecting {quote_char(expected)})")
            self.i += 1


def syntax_error(data: bytes) -> str | None:
    """``checkValid``'s error text for ``data``, or None when it is valid JSON."""
    try:
        _Scanner(data).top()
    except _SyntaxError as exc:
        return str(exc)
    return None


@dataclass(frozen=True, slots=True)
class Number:
    """A JSON number with its literal, as Go's decoder sees it."""

    literal: str


def _load(data: bytes) -> Any:
    """Valid JSON (``syntax_error`` said so) with numbers kept as ``Number``; invalid
    UTF-8 inside strings becomes U+FFFD, as Go's decoder replaces it."""
    text = data.decode("utf-8", errors="replace")
    return json.loads(text, parse_int=Number, parse_float=Number)


def _kind(value: Any) -> str:
    """The JSON kind an ``UnmarshalTypeError`` names."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "number"


def object_error(data: bytes) -> str | None:
    """``json.Unmarshal(data, &map[string]interface{}{})``'s error text, or None."""
    problem = syntax_error(data)
    if problem is not None:
        return problem
    value = _load(data)
    if value is None or isinstance(value, dict):
        return None
    return f"json: cannot unmarshal {_kind(value)} into Go value of type map[string]interface {{}}"


_TOLERATION_FIELDS: Final = {
    "key": "string",
    "operator": "core.TolerationOperator",
    "value": "string",
    "effect": "core.TaintEffect",
    "tolerationSeconds": "int64",
}
"""``core.Toleration``'s JSON names and the Go types its errors print."""
_INT64: Final = (-(2**63), 2**63 - 1)


def _field(key: str) -> str | None:
    """The struct field a JSON key sets: an exact match, else a case-insensitive one."""
    if key in _TOLERATION_FIELDS:
        return key
    folded = key.casefold()
    return next((f for f in _TOLERATION_FIELDS if f.casefold() == folded), None)


def _int64(value: Number) -> int | None:
    text = value.literal
    body = text[1:] if text.startswith("-") else text
    if not body.isdigit():
        return None
    number = int(text)
    return number if _INT64[0] <= number <= _INT64[1] else None


def tolerations(text: str) -> tuple[list[dict[str, Any]], str | None]:
    """``json.Unmarshal(text, &[]core.Toleration{})``: the decoded tolerations (JSON
    names, wire values) and Go's first error text, or None."""
    data = text.encode()
    problem = syntax_error(data)
    if problem is not None:
        return [], problem
    value = _load(data)
    if value is None:
        return [], None
    if not isinstance(value, list):
        return [], f"json: cannot unmarshal {_kind(value)} into Go value of type []core.Toleration"
    first: str | None = None
    out: list[dict[str, Any]] = []
    for item in value:
        toleration: dict[str, Any] = {}
        out.append(toleration)
        if item is None:
            continue
        if not isinstance(item, dict):
            first = first or (
                f"json: cannot unmarshal {_kind(item)} into Go value of type core.Toleration"
            )
            continue
        for key, raw in item.items():
            name = _field(key)
            if name is None or raw is None:
                continue
            go_type = _TOLERATION_FIELDS[name]
            where = f"Go struct field Toleration.{name} of type {go_type}"
            if go_type == "int64":
                seconds = _int64(raw) if isinstance(raw, Number) else None
                if seconds is None:
                    kind = f"number {raw.literal}" if isinstance(raw, Number) else _kind(raw)
                    first = first or f"json: cannot unmarshal {kind} into {where}"
                    continue
                toleration[name] = seconds
            elif isinstance(raw, str):
                toleration[name] = raw
            else:
                first = first or f"json: cannot unmarshal {_kind(raw)} into {where}"
    return out, first
