"""Test helpers: build Pods from YAML text or the shared doc examples.

Role: decode pod manifests the way the API server will before admission (strict decode
by ``seclet.api.decode.decode_pod``; no defaulting unless asked) for the Pod Security
unit tests, and locate the shared conformance data.
Callers: the tests in ``tests/unit/podsecurity``.
"""

from __future__ import annotations

import textwrap
from typing import Any

import yaml

from seclet.api.decode import decode_pod
from seclet.api.models import Pod
from shared_data import shared_path

DOC_EXAMPLES = shared_path("conformance", "doc-examples")


def pod(text: str) -> Pod:
    """A Pod from a YAML snippet (dedented); ``apiVersion``/``kind`` may be left out."""
    raw: dict[str, Any] = yaml.safe_load(textwrap.dedent(text))
    raw.setdefault("apiVersion", "v1")
    raw.setdefault("kind", "Pod")
    return decode_pod(raw)


def doc_example(name: str) -> Pod:
    raw: dict[str, Any] = yaml.safe_load((DOC_EXAMPLES / name).read_text())
    return decode_pod(raw)
