"""Test helper: a doc-example manifest as a defaulted, decoded Pod.

Role: yaml.safe_load -> fixed namespace/uid -> apiserver defaults -> decode_pod, so
tests and goldens see the same Pod the apiserver would store.
Callers: tests/unit/oci/*, tests/unit/securitycontext/*, tests/golden.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from seclet.api import models
from seclet.api.decode import decode_pod
from seclet.api.defaults import apply_pod_defaults
from seclet.api.featuregates import FeatureGates
from shared_data import shared_path

DOC_EXAMPLES = shared_path("conformance", "doc-examples")
GOLDEN_UID = "00000000-0000-4000-8000-000000000001"


def pod_from_obj(obj: dict[str, Any]) -> models.Pod:
    """Default and decode a Pod body (namespace ``default``, a fixed uid)."""
    md = obj.setdefault("metadata", {})
    md.setdefault("namespace", "default")
    md.setdefault("uid", GOLDEN_UID)
    apply_pod_defaults(obj, FeatureGates())
    return decode_pod(obj)


def load_pod(path: Path) -> models.Pod:
    """The manifest at ``path`` as a Pod."""
    return pod_from_obj(yaml.safe_load(path.read_text()))
