"""The container environment and command as the kubelet would expand them, for
specs built without a kubelet (``seclet explain``).

Role: ``container_env``: the environment the kubelet computes from literal ``env``
entries (each value expanded with ``seclet.api.expansion.expand`` against the ones
before it). A running node never uses this: the kubelet sends its complete, expanded
command, args and envs through CRI (``RuntimeContext.cri_*``). ``valueFrom`` sources
need the API and are supplied through ``RuntimeContext.extra_env``. Order: extra env,
then the container's, a repeated name replacing in place (the kubelet's own order
comes from a Go map and is not stable; this one is).
Callers: seclet.runtime.oci.steps.
"""

from __future__ import annotations

from collections.abc import Sequence

from seclet.api import models
from seclet.api.expansion import expand


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
