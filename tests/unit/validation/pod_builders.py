"""Builders for validation tests: defaulted pods decoded through ``seclet.api.decode``."""

from __future__ import annotations

import copy
from typing import Any

from seclet.api import models
from seclet.api.decode import decode_pod
from seclet.api.defaults import apply_pod_defaults
from seclet.api.featuregates import DEFAULT_GATES
from seclet.api.field import ErrorList
from seclet.validation import options_for_create, validate_pod_create
from seclet.validation.options import PodValidationOptions

OPTS = options_for_create(DEFAULT_GATES)


def raw_pod(
    spec: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
    ctr_sc: dict[str, Any] | None = None,
    name: str = "p",
) -> dict[str, Any]:
    ctr: dict[str, Any] = {"name": "ctr", "image": "busybox"}
    if ctr_sc is not None:
        ctr["securityContext"] = ctr_sc
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [ctr]},
    }
    if annotations:
        body["metadata"]["annotations"] = annotations
    if spec:
        body["spec"].update(copy.deepcopy(spec))
    return body


def build(raw: dict[str, Any]) -> models.Pod:
    raw = copy.deepcopy(raw)
    apply_pod_defaults(raw, DEFAULT_GATES)
    return decode_pod(raw)


def create_errors(raw: dict[str, Any], opts: PodValidationOptions = OPTS) -> ErrorList:
    return validate_pod_create(build(raw), opts)


def texts(errs: ErrorList) -> list[str]:
    return [str(e) for e in errs]
