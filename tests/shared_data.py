"""Where the tests find the project's shared reference data.

Role: one answer for every test: ``$SECLET_SHARED`` if set, else the ``shared/`` folder
beside the repository (how developers' machines and CI lay it out). Under CI
(``CI`` set) missing data is an error, never a silent skip.
Callers: tests that read conformance fixtures, page manifests, schemas or profiles.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    env = os.environ.get("SECLET_SHARED")
    if env:
        return Path(env)
    return REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    return shared_dir().joinpath(*parts)


def skip_unless_present(path: Path) -> pytest.MarkDecorator:
    """Skip tests that need ``path`` on a developer machine without it; fail under CI."""
    if not path.exists() and os.environ.get("CI"):
        raise RuntimeError(f"shared test data missing under CI: {path} (set SECLET_SHARED)")
    return pytest.mark.skipif(not path.exists(), reason=f"{path} not found (set SECLET_SHARED)")
