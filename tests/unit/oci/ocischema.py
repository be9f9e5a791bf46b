"""Test helper: validate a spec against the OCI runtime-spec JSON schema.

Role: a jsonschema Draft 4 validator for config-schema.json whose ``$ref``s to the
sibling files (defs.json, config-linux.json, ...) resolve through a ``referencing``
registry built over shared/reference/oci-runtime-spec-schema.
Callers: tests/unit/oci/test_oci_*.py.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from shared_data import shared_path

SCHEMA_DIR = shared_path("reference", "oci-runtime-spec-schema")


@lru_cache(maxsize=1)
def _validator() -> Any:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text())
        resources.append(
            (path.name, Resource.from_contents(contents, default_specification=DRAFT4))
        )
        resources.append(
            (
                path.resolve().as_uri(),
                Resource.from_contents(contents, default_specification=DRAFT4),
            )
        )
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((SCHEMA_DIR / "config-schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    return cls(schema, registry=registry)


def schema_errors(spec: dict[str, Any]) -> list[str]:
    """Every schema violation, as ``path: message``."""
    return [
        "/".join(str(p) for p in e.absolute_path) + ": " + e.message
        for e in _validator().iter_errors(spec)
    ]
