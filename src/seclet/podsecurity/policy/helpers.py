"""Text and pod helpers shared by the check modules.

Role: upstream ``policy/helpers.go`` (``joinQuote``, ``pluralize``,
``relaxPolicyForUserNamespacePod``) and ``policy/visitor.go`` (``visitContainers``), plus
Go's ``%q`` for the annotation values some details quote.
Callers: the ``policy/check_*.py`` modules; ``policy/registry.py`` (``visit_containers``,
once per evaluation) and ``policy/checks.py`` (the ``Containers`` type).
"""

from __future__ import annotations

from collections.abc import Sequence

from seclet.api.field import go_quote
from seclet.api.models import Container, EphemeralContainer, PodSpec

__all__ = [
    "AnyContainer",
    "Containers",
    "go_quote",
    "join_quote",
    "pluralize",
    "relax_policy_for_user_namespace_pod",
    "visit_containers",
]

AnyContainer = Container | EphemeralContainer
Containers = tuple[AnyContainer, ...]
"""All of a pod's containers in ``visitContainers`` order (see ``visit_containers``)."""


def join_quote(items: Sequence[str]) -> str:
    """``joinQuote``: ``"a", "b"`` (no escaping), or the empty string for no items."""
    if not items:
        return ""
    return '"' + '", "'.join(items) + '"'


def pluralize(singular: str, plural: str, count: int) -> str:
    """``pluralize``: the singular for exactly one, the plural otherwise."""
    return singular if count == 1 else plural


def relax_policy_for_user_namespace_pod(spec: PodSpec) -> bool:
    """``relaxPolicyForUserNamespacePod``: the pod sets ``hostUsers: false``."""
    return spec.hostUsers is False


def visit_containers(spec: PodSpec) -> Containers:
    """``visitContainers`` order: initContainers, containers, then ephemeralContainers.

    The evaluator builds this once per evaluation and hands it to every check.
    """
    if spec.ephemeralContainers:
        return spec.initContainers + spec.containers + spec.ephemeralContainers
    return spec.initContainers + spec.containers
