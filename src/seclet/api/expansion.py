"""Kubernetes ``$(VAR)`` expansion, the one implementation.

Role: k/k ``third_party/forked/golang/expansion`` ``Expand`` with ``MappingFuncFor``:
``$(NAME)`` becomes the value when ``NAME`` is defined and stays as written when not;
``$$`` is an escaped ``$``; an unclosed ``$(`` is kept; any other ``$x`` is kept.
Callers: seclet.kubelet.env (container env, command and args, as the kubelet expands
them), seclet.runtime.oci.expansion (``seclet explain``, which has no kubelet).
"""

from __future__ import annotations

from collections.abc import Mapping


def expand(text: str, env: Mapping[str, str]) -> str:
    """``expansion.Expand(text, MappingFuncFor(env))``."""
    if "$" not in text:
        return text
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    n = len(text)
    while cursor < n:
        if text[cursor] == "$" and cursor + 1 < n:
            out.append(text[checkpoint:cursor])
            nxt = text[cursor + 1]
            if nxt == "$":
                out.append("$")
                advance = 1
            elif nxt == "(":
                close = text.find(")", cursor + 2)
                if close == -1:
                    out.append("$(")
                    advance = 1
                else:
                    name = text[cursor + 2 : close]
                    out.append(env.get(name, f"$({name})"))
                    advance = close - cursor
            else:
                out.append("$" + nxt)
                advance = 1
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return "".join(out)
