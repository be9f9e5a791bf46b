"""Read the manifests named by ``-f`` (files, directories, ``-``) as kubectl does.

Role: the CLI's only file reader. ``-f`` may repeat or hold a comma-separated list;
a directory contributes its ``.json``, ``.yaml`` and ``.yml`` files in name order (not
recursive, as kubectl without ``-R``); ``-`` is standard input.
Callers: ``seclet.cli.validate``, ``seclet.cli.check``, ``seclet.cli.explain``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from seclet.api.load import Item, Refusal, load

MAX_INPUT_BYTES = 3 * 1024 * 1024
"""kube-apiserver refuses request bodies over 3 MiB; seclet refuses bigger files."""

MANIFEST_SUFFIXES = (".json", ".yaml", ".yml")


def expand(names: Sequence[str]) -> list[str]:
    """Every ``-f`` value split on commas, in order."""
    out: list[str] = []
    for name in names:
        out.extend(part for part in name.split(",") if part)
    return out


def _read(name: str) -> bytes | Refusal:
    if name == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        try:
            with Path(name).open("rb") as fh:
                data = fh.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            return Refusal(name, -1, f'error: the path "{name}" cannot be read: {reason}')
    if len(data) > MAX_INPUT_BYTES:
        return Refusal(
            name, -1, f"error: {name}: larger than the apiserver's {MAX_INPUT_BYTES}-byte limit"
        )
    return data


def read_items(names: Sequence[str]) -> Iterator[Item]:
    """All items of all inputs, in command-line order."""
    for name in expand(names):
        path = Path(name)
        if name != "-" and path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in MANIFEST_SUFFIXES)
            for f in files:
                yield from _items(str(f))
            continue
        if name != "-" and not path.exists():
            yield Refusal(name, -1, f'error: the path "{name}" does not exist')
            continue
        yield from _items(name)


def _items(name: str) -> Iterator[Item]:
    data = _read(name)
    if isinstance(data, Refusal):
        yield data
        return
    source = "STDIN" if name == "-" else name
    yield from load(data, source)
