"""Apply conflicts and their texts, as upstream's ``merge/conflict.go`` and apimachinery's
``managedfields/internal/conflict.go``.

Role: ``ConflictError`` carries the (manager identifier, path) pairs an apply would
take from other managers; ``message`` is kube-apiserver's Status message
(``Apply failed with 1 conflict: conflict with "m" using v1: .spec.x``; with several:
``Apply failed with N conflicts: conflicts with "a" using v1:\\n- .p\\n- .q\\nconflicts
with "b":\\n- .r``, managers sorted by identifier) and ``causes`` the Status causes
(``FieldManagerConflict``, ``conflict with "m" using v1``, the path). A manager prints
as its quoted name, ``with subresource "status"`` when it has one, and ``using
<apiVersion>`` for Update managers.
Pure. Callers: ``updater``, ``fieldmanager``, ``seclet.apiserver``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seclet.api.managedfields.path import Path, path_string


@dataclass(frozen=True, slots=True)
class Conflict:
    """``manager`` is the manager identifier (``BuildManagerIdentifier``)."""

    manager: str
    path: Path


def print_manager(manager: str) -> str:
    """``printManager``."""
    try:
        entry = json.loads(manager)
    except ValueError:
        return json.dumps(manager)
    if not isinstance(entry, dict):
        return json.dumps(manager)
    text = json.dumps(str(entry.get("manager") or ""), ensure_ascii=False)
    if entry.get("subresource"):
        text += f" with subresource {json.dumps(entry['subresource'], ensure_ascii=False)}"
    if entry.get("operation") == "Update":
        text += f" using {entry.get('apiVersion') or ''}"
        if entry.get("time"):
            text += f" at {entry['time']}"
    return text


class ConflictError(Exception):
    """An apply that would change fields other managers own (HTTP 409)."""

    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        self.conflicts = tuple(conflicts)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """``getConflictMessage``."""
        conflicts = self.conflicts
        if len(conflicts) == 1:
            c = conflicts[0]
            return (
                f"Apply failed with 1 conflict: conflict with {print_manager(c.manager)}: "
                f"{path_string(c.path)}"
            )
        by_manager: dict[str, list[Path]] = {}
        for c in conflicts:
            by_manager.setdefault(c.manager, []).append(c.path)
        lines: list[str] = []
        for manager in sorted(by_manager):
            lines.append(f"conflicts with {print_manager(manager)}:")
            lines.extend(f"- {path_string(p)}" for p in by_manager[manager])
        return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)

    @property
    def causes(self) -> list[dict[str, Any]]:
        """``NewConflictError``'s Status causes."""
        return [
            {
                "reason": "FieldManagerConflict",
                "message": f"conflict with {print_manager(c.manager)}",
                "field": path_string(c.path),
            }
            for c in self.conflicts
        ]
