"""The committed model module is exactly what tools/gen_models.py writes from upstream."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_models_match_the_generator() -> None:
    pytest.importorskip("kubernetes_validate")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_models.py"), "--check"], check=False
    )
    assert result.returncode == 0, "run: python tools/gen_models.py"


def test_schema_is_upstream_1_35() -> None:
    from seclet.api import models

    assert models.KUBE_VERSION == "v1.35.0"
    fields = {f.json: f.type.go for f in models.FIELDS[models.PodSecurityContext]}
    assert fields["runAsUser"] == "int64"
    assert fields["supplementalGroupsPolicy"] == "string"
