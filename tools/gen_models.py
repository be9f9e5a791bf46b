"""Generate ``src/seclet/api/models.py`` from upstream's OpenAPI definitions.

Role: the one place upstream's object schemas enter seclet. It reads the
kube-apiserver 1.35 OpenAPI definitions shipped by the ``kubernetes-validate``
package (its ``v1.35.0-local/_definitions.json``), walks the closure of the roots
(core/v1 Pod, ConfigMap, Secret, PersistentVolume, PersistentVolumeClaim and
storage.k8s.io/v1 StorageClass, which the API server decodes strictly) and writes
immutable records plus a field table per class that the strict decoder
(``seclet.api.decode``) walks.

Records: each class is written as ``@record(frozen=True) class X(Record)``. A type
checker reads ``record`` as ``dataclasses.dataclass`` (a frozen dataclass: assigning a
field is an error) and sees a typed ``_replace`` per class; at run time
``seclet.api.record.record`` turns it into a slotted class (specialised attribute
loads, NamedTuple-speed construction; see that module). Not a frozen dataclass at run
time: measured on a 40-field class, it takes 11 us to construct against 2 us.

Callers: developers, when upstream's schema moves (``python tools/gen_models.py``),
and ``tests/unit/test_models_generated.py``, which checks the committed module is
exactly what this script writes.

Steps:
1. load the definitions for the pinned Kubernetes version;
2. collect the closure of the root types, in a stable order;
3. classify every property (scalar with Go type, object, list, map, special);
4. emit the module text.
"""

from __future__ import annotations

import importlib.resources
import json
import keyword
import sys
from pathlib import Path
from typing import Any

KUBE_VERSION = "v1.35.0"
ROOTS = (
    "io.k8s.api.core.v1.Pod",
    "io.k8s.api.core.v1.ConfigMap",
    "io.k8s.api.core.v1.Secret",
    "io.k8s.api.core.v1.PersistentVolume",
    "io.k8s.api.core.v1.PersistentVolumeClaim",
    "io.k8s.api.storage.v1.StorageClass",
)
OUT = Path(__file__).resolve().parent.parent / "src" / "seclet" / "api" / "models.py"

# Definitions that are not structs on the wire.
SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "intorstr",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "quantity",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "any",
}
PY_SPECIAL = {
    "intorstr": "int | str",
    "quantity": "str | int | float",
    "time": "str",
    "any": "object",
}
GO_SPECIAL = {
    "intorstr": "intstr.IntOrString",
    "quantity": "resource.Quantity",
    "time": "v1.Time",
    "any": "v1.FieldsV1",
}


def load_definitions() -> dict[str, Any]:
    """Step 1: the pinned upstream definitions."""
    root = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
    path = root / f"{KUBE_VERSION}-local" / "_definitions.json"
    data: dict[str, Any] = json.loads(path.read_text())
    defs: dict[str, Any] = data["$defs"]
    return defs


def ref_name(prop: dict[str, Any]) -> str | None:
    ref = prop.get("$ref")
    if ref is None and "allOf" in prop:
        ref = prop["allOf"][0].get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def closure(defs: dict[str, Any]) -> list[str]:
    """Step 2: every struct definition reachable from the roots, sorted by class name."""
    seen: set[str] = set()
    stack = list(ROOTS)
    while stack:
        name = stack.pop()
        if name in seen or name in SPECIAL:
            continue
        seen.add(name)
        for prop in defs[name].get("properties", {}).values():
            for p in (prop, prop.get("items", {}), prop.get("additionalProperties", {})):
                if isinstance(p, dict):
                    r = ref_name(p)
                    if r:
                        stack.append(r)
                    inner = p.get("items")
                    if isinstance(inner, dict) and ref_name(inner):
                        stack.append(ref_name(inner) or "")
    names = sorted(seen, key=lambda n: n.rsplit(".", 1)[-1])
    short = [n.rsplit(".", 1)[-1] for n in names]
    if len(set(short)) != len(short):
        raise SystemExit(f"class name clash in closure: {short}")
    return names


def scalar(prop: dict[str, Any]) -> tuple[str, str, str]:
    """(kind, python type, Go type) of a scalar property."""
    types = prop.get("type", [])
    if isinstance(types, str):
        types = [types]
    t = next((x for x in types if x != "null"), None)
    fmt = prop.get("format", "")
    if t == "string":
        if fmt == "byte":
            return "bytes", "str", "[]uint8"
        return "str", "str", "string"
    if t == "integer":
        go = "int32" if fmt == "int32" else "int64"
        return go, "int", go
    if t == "number":
        return "float", "float", "float64"
    if t == "boolean":
        return "bool", "bool", "bool"
    if t == "object":
        return "any", "object", "interface {}"
    raise SystemExit(f"unclassified property {prop}")


def classify(prop: dict[str, Any]) -> dict[str, Any]:
    """Step 3: a property's wire kind, element kind and types."""
    r = ref_name(prop)
    if r:
        if r in SPECIAL:
            k = SPECIAL[r]
            return {"kind": k, "py": PY_SPECIAL[k], "go": GO_SPECIAL[k]}
        cls = r.rsplit(".", 1)[-1]
        return {"kind": "obj", "cls": cls, "py": cls, "go": "v1." + cls}
    types = prop.get("type", [])
    if isinstance(types, str):
        types = [types]
    if "array" in types:
        elem = classify(prop["items"])
        return {
            "kind": "list",
            "elem": elem,
            "py": f"tuple[{elem['py']}, ...]",
            "go": "[]" + elem["go"],
            "listType": prop.get("x-kubernetes-list-type", ""),
            "listKeys": tuple(prop.get("x-kubernetes-list-map-keys", ())),
        }
    if "object" in types and "additionalProperties" in prop:
        elem = classify(prop["additionalProperties"])
        return {
            "kind": "map",
            "elem": elem,
            "py": f"Mapping[str, {elem['py']}]",
            "go": "map[string]" + elem["go"],
        }
    kind, py, go = scalar(prop)
    return {"kind": kind, "py": py, "go": go}


def spec_literal(c: dict[str, Any]) -> str:
    """The FieldType constructor call for one classified property."""
    elem = f", elem={spec_literal(c['elem'])}" if "elem" in c else ""
    cls = f", cls={c['cls']}" if "cls" in c else ""
    extra = ""
    if c["kind"] == "list" and c["listType"]:
        extra = f", listType={c['listType']!r}, listKeys={c['listKeys']!r}"
    return f"FieldType({c['kind']!r}, {c['go']!r}{cls}{elem}{extra})"


def default_for(c: dict[str, Any]) -> str:
    if c["kind"] == "list":
        return "()"
    if c["kind"] == "map":
        return "EMPTY_MAP"
    return "None"


def annotation(c: dict[str, Any]) -> str:
    if c["kind"] in ("list", "map"):
        return str(c["py"])
    return f"{c['py']} | None"


def emit(defs: dict[str, Any], names: list[str]) -> str:
    """Step 4: the module text."""
    out: list[str] = [
        '"""API object models, generated by ``tools/gen_models.py``. Do not edit.',
        "",
        f"Source: kube-apiserver {KUBE_VERSION} OpenAPI definitions (package kubernetes-validate).",
        "Role: immutable records (frozen dataclasses to a type checker, slotted classes at run",
        "time: seclet.api.record) with upstream's JSON field names, and FIELDS, the per-class",
        "wire table the strict decoder (seclet.api.decode) and the encoder walk.",
        "Callers: every pure layer reads these objects; only seclet.api.decode builds them.",
        '"""',
        "",
        "# ruff: noqa: E501, N803, N815",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from typing import TYPE_CHECKING",
        "",
        "from seclet.api.schema import EMPTY_MAP, FieldSpec, FieldType",
        "",
        "if TYPE_CHECKING:",
        "    from dataclasses import dataclass as record",
        "",
        "    from seclet.api.record import Record",
        "else:",
        "    from seclet.api.record import Record, record",
        "",
        f'KUBE_VERSION = "{KUBE_VERSION}"',
    ]
    tables: list[str] = []
    for name in names:
        cls = name.rsplit(".", 1)[-1]
        d = defs[name]
        desc = (d.get("description") or cls).split("\n")[0].split(". ")[0].strip().rstrip(".")
        desc = desc.replace("\\", "\\\\").replace('"""', "'''")
        out += ["", "", "@record(frozen=True)", f"class {cls}(Record):"]
        out.append(f'    """{desc}."""')
        out.append("")
        props = d.get("properties", {})
        if not props:
            out.append("    pass")
        rows: list[str] = []
        params: list[str] = []
        for json_name in sorted(props):
            c = classify(props[json_name])
            # count/index: NamedTuple method names once, kept so callers need no change.
            reserved = keyword.iskeyword(json_name) or json_name in ("count", "index")
            attr = json_name + "_" if reserved else json_name
            out.append(f"    {attr}: {annotation(c)} = {default_for(c)}")
            params.append(f"{attr}: {annotation(c)} = ...")
            rows.append(f"        FieldSpec({json_name!r}, {attr!r}, {spec_literal(c)}),")
        if props:
            out += [
                "",
                "    if TYPE_CHECKING:",
                "",
                f"        def _replace(self, *, {', '.join(params)}) -> {cls}: ...",
            ]
        tables.append(f"    {cls}: (\n" + "\n".join(rows) + "\n    ),")
    out += [
        "",
        "",
        "FIELDS: dict[type, tuple[FieldSpec, ...]] = {",
        *tables,
        "}",
        "",
    ]
    return "\n".join(out)


def main() -> int:
    defs = load_definitions()
    text = emit(defs, closure(defs))
    if "--check" in sys.argv:
        return 0 if OUT.read_text() == text else 1
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
