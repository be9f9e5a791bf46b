"""CRI log parsing, tail, since, timestamps, partial lines and limits. Callers: pytest."""

from __future__ import annotations

from seclet.kubelet.logs import (
    cut,
    format_timestamp,
    parse_line,
    parse_log,
    parse_timestamp,
    render,
    select_records,
)

LOG = (
    b"2026-11-28T05:00:00.100000000Z stdout F one\n"
    b"2026-11-28T05:00:01.000000000Z stderr P tw\n"
    b"2026-11-28T05:00:01.500000000Z stderr F o\n"
    b"2026-11-28T05:00:02.123456789Z stdout F three\n"
    b"garbage line\n"
    b"2026-11-28T05:00:03Z stdout F \n"
)


def test_parse_line() -> None:
    r = parse_line(b"2026-11-28T05:00:00.1Z stdout F hello world\n")
    assert r is not None
    assert (r.stream, r.partial, r.message) == ("stdout", False, b"hello world")
    assert parse_line(b"nonsense") is None
    assert parse_line(b"2026-11-28T05:00:00Z stdin F x") is None


def test_render_plain_and_timestamps() -> None:
    records = parse_log(LOG)
    assert len(records) == 5
    assert render(records, timestamps=False) == b"one\ntwo\nthree\n\n"
    assert render(records[:3], timestamps=True) == (
        b"2026-11-28T05:00:00.1Z one\n2026-11-28T05:00:01Z two\n"
    )


def test_tail_counts_complete_lines() -> None:
    records = parse_log(LOG)
    assert render(select_records(records, tail_lines=2), timestamps=False) == b"three\n\n"
    assert render(select_records(records, tail_lines=3), timestamps=False) == b"two\nthree\n\n"
    assert select_records(records, tail_lines=0) == []
    assert render(select_records(records, tail_lines=100), timestamps=False) == (
        b"one\ntwo\nthree\n\n"
    )


def test_since() -> None:
    records = parse_log(LOG)
    since = parse_timestamp("2026-11-28T05:00:02Z")
    assert render(select_records(records, since=since), timestamps=False) == b"three\n\n"


def test_timestamp_format_and_parse() -> None:
    assert format_timestamp("2026-11-28T05:00:02.123456789Z") == "2026-11-28T05:00:02.123456789Z"
    assert format_timestamp("2026-11-28T05:00:02.120000000Z") == "2026-11-28T05:00:02.12Z"
    assert format_timestamp("2026-11-28T05:00:02.000000000Z") == "2026-11-28T05:00:02Z"
    assert (
        parse_timestamp("2026-11-28T05:00:02.5Z") - parse_timestamp("2026-11-28T05:00:02Z") == 0.5
    )
    assert parse_timestamp("2026-11-28T06:00:00+01:00") == parse_timestamp("2026-11-28T05:00:00Z")


def test_limit_bytes() -> None:
    assert cut(b"abcdef", 4) == (b"abcd", 0)
    assert cut(b"ab", 4) == (b"ab", 2)
    assert cut(b"ab", None) == (b"ab", None)
