"""CRI container log files, parsed and cut as ``kubectl logs`` asks (pure + file reads).

Role: upstream's ``pkg/kubelet/kuberuntime/logs/logs.go ReadLogs`` for the CRI log
format the runtime writes, one line per write: ``<RFC3339Nano> <stdout|stderr>
<P|F> <message>`` (``P``: a partial line, continued by the next record).
- ``parse_line``: one record -> ``LogRecord`` (or None when malformed);
- ``select_records``: ``since`` (records at or after), then ``tail_lines`` (the last N
  complete lines, counting from the end);
- ``render``: message bytes, a newline after ``F`` records, and with ``timestamps``
  the record's RFC3339Nano time + space before each new line; ``limit_bytes`` cuts the
  output;
- ``read_log`` / ``follow_log``: the I/O, the latter polling the file until the
  caller says the container has exited; it keeps the file open, so after a rotation
  (``logrotation`` renames ``0.log``) it reads the renamed file to its end and goes on
  with the new ``0.log`` from its start. Like upstream's kubelet, only the current file
  is read for a non-follow request (``--previous`` reads the previous container's
  current file).
Callers: seclet.kubelet.server, tests.
"""

from __future__ import annotations

import asyncio
import datetime
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True, slots=True)
class LogRecord:
    timestamp: str
    """As written (RFC3339Nano)."""
    stream: str
    partial: bool
    message: bytes

    @property
    def seconds(self) -> float:
        return parse_timestamp(self.timestamp)


def parse_timestamp(text: str) -> float:
    """Seconds since the epoch of an RFC3339Nano timestamp (nanoseconds kept to µs)."""
    main, _, rest = text.partition(".")
    frac = ""
    zone = "Z"
    if rest:
        digits = ""
        for i, ch in enumerate(rest):
            if not ch.isdigit():
                zone = rest[i:]
                break
            digits += ch
        frac = digits
    elif main.endswith("Z"):
        main = main[:-1]
    else:
        for sep in ("+", "-"):
            head, s, tail = main[11:].partition(sep)
            if s:
                main, zone = main[: 11 + len(head)], sep + tail
                break
    if zone == "Z":
        zone = "+00:00"
    base = datetime.datetime.fromisoformat(main + zone).timestamp()
    return base + (int(frac) / 10 ** len(frac) if frac else 0.0)


def parse_line(line: bytes) -> LogRecord | None:
    """One CRI log record; the trailing newline of the file line is not part of it."""
    if line.endswith(b"\n"):
        line = line[:-1]
    parts = line.split(b" ", 3)
    if len(parts) < 3:
        return None
    ts, stream, tag = parts[0], parts[1], parts[2]
    if stream not in (b"stdout", b"stderr") or tag not in (b"P", b"F"):
        return None
    message = parts[3] if len(parts) == 4 else b""
    return LogRecord(ts.decode(), stream.decode(), tag == b"P", message)


def parse_log(data: bytes) -> list[LogRecord]:
    out = []
    for line in data.splitlines(keepends=True):
        record = parse_line(line)
        if record is not None:
            out.append(record)
    return out


def select_records(
    records: list[LogRecord], *, since: float | None = None, tail_lines: int | None = None
) -> list[LogRecord]:
    if since is not None:
        records = [r for r in records if r.seconds >= since]
    if tail_lines is not None:
        if tail_lines <= 0:
            return []
        complete = 0
        start = len(records)
        for i in range(len(records) - 1, -1, -1):
            if not records[i].partial:
                complete += 1
                if complete > tail_lines:
                    break
            start = i
        records = records[start:]
    return records


def format_timestamp(text: str) -> str:
    """Go's ``time.RFC3339Nano`` output of a parsed timestamp: UTC, trailing zeros of
    the fraction trimmed."""
    main, _, rest = text.partition(".")
    digits = "".join(ch for ch in rest[:9] if ch.isdigit())
    digits = digits.rstrip("0")
    main = main.removesuffix("Z")
    return f"{main}.{digits}Z" if digits else f"{main}Z"


def render(records: list[LogRecord], *, timestamps: bool, new_line: bool = True) -> bytes:
    """The bytes ``kubectl logs`` shows for ``records``; ``new_line``: the first record
    begins a line (for follow chunks)."""
    out = bytearray()
    at_line_start = new_line
    for r in records:
        if timestamps and at_line_start:
            out += format_timestamp(r.timestamp).encode() + b" "
        out += r.message
        if not r.partial:
            out += b"\n"
        at_line_start = not r.partial
    return bytes(out)


def cut(data: bytes, remaining: int | None) -> tuple[bytes, int | None]:
    """``limit_bytes``: the part of ``data`` still allowed and what remains after."""
    if remaining is None:
        return data, None
    return data[:remaining], max(remaining - len(data), 0)


def read_log_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


class _Follower:
    """The open file ``follow_log`` reads, re-opened at the path after a rotation."""

    def __init__(self, path: str, offset: int) -> None:
        self.path = path
        self.offset = offset
        self.file: BinaryIO | None = None
        self.drained = False
        """The rotated file was found with nothing more once already."""

    def _open(self) -> bool:
        try:
            self.file = Path(self.path).open("rb")  # noqa: SIM115 - kept open across reads
        except OSError:
            return False
        if os.fstat(self.file.fileno()).st_size < self.offset:
            self.offset = 0  # rotated between the first read and this open
        return True

    def _rotated(self) -> bool:
        assert self.file is not None
        try:
            now = Path(self.path).stat()
        except OSError:
            return False
        return not os.path.samestat(now, os.fstat(self.file.fileno()))

    def read(self) -> bytes:
        """What was appended since the last read: the rest of a rotated file first,
        then the new file's beginning (upstream reads on in the renamed file, then
        opens the new one when it is recreated). The renamed file is left only once
        two reads after the rotation, a poll apart, find nothing more in it: conmon
        creates the new file before it stops writing to the old one, so the last
        lines (or the rest of a line) may land in the old file after the new one
        appeared."""
        if self.file is None and not self._open():
            return b""
        assert self.file is not None
        rotated = self._rotated()
        self.file.seek(self.offset)
        data = self.file.read()
        self.offset += len(data)
        if not rotated or data:
            self.drained = False
            return data
        if not self.drained:
            self.drained = True  # empty once: look again after the next poll
            return data
        self.close()
        self.offset = 0
        self.drained = False
        if self._open():
            data = self.read()
        return data

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


async def follow_log(
    path: str,
    offset: int,
    exited: Callable[[], Awaitable[bool]],
    poll: Callable[[], Awaitable[None]],
) -> AsyncIterator[list[LogRecord]]:
    """New complete file lines from ``offset`` on, until ``exited()`` and the file has no
    more; across rotations (``logrotation``) it reads the renamed file to its end, then
    the new one from its start."""
    pending = b""
    follower = _Follower(path, offset)
    try:
        while True:
            done = await exited()
            chunk = await asyncio.to_thread(follower.read)
            pending += chunk
            lines, sep, rest = pending.rpartition(b"\n")
            if sep:
                pending = rest
                yield parse_log(lines + b"\n")
            if not chunk:
                if done and not follower.drained:  # drained: the new file is next
                    return
                await poll()
    finally:
        follower.close()
