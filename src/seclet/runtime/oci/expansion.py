"""Kubelet ``$(VAR)`` expansion of command, args and env values.

Role: k/k ``third_party/forked/golang/expansion`` ``Expand`` with the kubelet's
mapping (an undefined ``$(VAR)`` stays literally; ``$$`` is an escaped ``$``), and
the container environment the kubelet computes from literal ``env`` entries (each
value expanded against the ones before it). ``valueFrom`` sources need the API and
are supplied by the shell through ``RuntimeContext.extra_env``. Order: extra env,
then the container's, a repeated name replacing in place (the kubelet's own order
comes from a Go map and is not stable; this one is).
Callers: seclet.runtime.oci.steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from seclet.api import models


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


def container_env(
    container: models.Container, extra: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """The container's environment as (name, value) pairs, expanded."""
    env: dict[str, str] = dict(extra)
    for e in container.env:
        if e.name is None or e.valueFrom is not None:
            continue
        env[e.name] = expand(e.value or "", env)
    return list(env.items())
