"""Label and field selectors of list and watch requests, parsed and matched as upstream.

Role: ``labelSelector`` (``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``,
``a``, ``!a``, joined by commas) and ``fieldSelector`` (``f=v``, ``f==v``, ``f!=v``
over the fields each resource supports, e.g. ``metadata.name``, ``spec.nodeName``,
``status.phase`` for pods; ``involvedObject.*``, ``reason``, ``type`` for events).
Parse errors are ``SelectorError`` with upstream's text
(the HTTP layer answers 400 BadRequest). Pure.
Callers: ``seclet.apiserver.registry``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

JSONObject = dict[str, Any]


class SelectorError(ValueError):
    """A selector the apiserver refuses; ``str()`` is its message."""


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return present and value == self.values[0]
        if self.op == "!=":
            return not present or value != self.values[0]
        if self.op == "in":
            return present and value in self.values
        if self.op == "notin":
            return not present or value not in self.values
        if self.op == "exists":
            return present
        return not present


_TOKEN = re.compile(r"\s*(\(|\)|,|!=|==|=|!|[^\s(),!=]+)")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            break
        if m.group(1):
            out.append(m.group(1))
        pos = m.end()
        if text[pos:].strip() == "":
            break
    return out


def parse_label_selector(text: str) -> tuple[Requirement, ...]:
    """``labels.Parse``: the requirements of a selector (empty: matches everything)."""
    toks = _tokens(text)
    reqs: list[Requirement] = []
    i = 0

    def expect_value(at: int) -> str:
        if at >= len(toks) or toks[at] in ("(", ")", ",", "!=", "==", "=", "!"):
            found = toks[at] if at < len(toks) else ""
            raise SelectorError(
                f"unable to parse requirement: found '{found}', expected: identifier"
            )
        return toks[at]

    while i < len(toks):
        if toks[i] == "!":
            key = expect_value(i + 1)
            reqs.append(Requirement(key, "!"))
            i += 2
        else:
            key = expect_value(i)
            i += 1
            if i >= len(toks) or toks[i] == ",":
                reqs.append(Requirement(key, "exists"))
            elif toks[i] in ("=", "==", "!="):
                op = "!=" if toks[i] == "!=" else "="
                if i + 1 < len(toks) and toks[i + 1] not in (",", "(", ")"):
                    value = toks[i + 1]
                    i += 2
                else:
                    value = ""
                    i += 1
                reqs.append(Requirement(key, op, (value,)))
            elif toks[i] in ("in", "notin"):
                op = toks[i]
                if i + 1 >= len(toks) or toks[i + 1] != "(":
                    raise SelectorError(
                        "unable to parse requirement: found "
                        f"'{toks[i + 1] if i + 1 < len(toks) else ''}', expected: '('"
                    )
                i += 2
                values: list[str] = []
                while i < len(toks) and toks[i] != ")":
                    if toks[i] != ",":
                        values.append(toks[i])
                    i += 1
                if i >= len(toks):
                    raise SelectorError("unable to parse requirement: found '', expected: ')'")
                i += 1
                reqs.append(Requirement(key, op, tuple(values)))
            else:
                raise SelectorError(
                    f"unable to parse requirement: found '{toks[i]}', expected: "
                    "'=', '!=', '==', 'in', notin'"
                )
        if i < len(toks):
            if toks[i] != ",":
                raise SelectorError(f"found '{toks[i]}', expected: ',' or 'end of string'")
            i += 1
    return tuple(reqs)


def labels_match(reqs: tuple[Requirement, ...], obj: JSONObject) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(r.matches(labels) for r in reqs)


def _path(*keys: str) -> Callable[[JSONObject], str]:
    def get(obj: JSONObject) -> str:
        value: Any = obj
        for k in keys:
            value = value.get(k) if isinstance(value, dict) else None
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    return get


FIELDS: Final[Mapping[str, Mapping[str, Callable[[JSONObject], str]]]] = {
    "pods": {
        "metadata.name": _path("metadata", "name"),
        "metadata.namespace": _path("metadata", "namespace"),
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": lambda o: (
            "true" if (o.get("spec") or {}).get("hostNetwork") else "false"
        ),
        "status.phase": _path("status", "phase"),
        "status.podIP": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    "namespaces": {
        "metadata.name": _path("metadata", "name"),
        "status.phase": _path("status", "phase"),
    },
    "nodes": {
        "metadata.name": _path("metadata", "name"),
        "spec.unschedulable": lambda o: (
            "true" if (o.get("spec") or {}).get("unschedulable") else "false"
        ),
    },
    # pkg/registry/core/event/strategy.go ToSelectableFields
    "events": {
        "metadata.name": _path("metadata", "name"),
        "metadata.namespace": _path("metadata", "namespace"),
        "involvedObject.kind": _path("involvedObject", "kind"),
        "involvedObject.namespace": _path("involvedObject", "namespace"),
        "involvedObject.name": _path("involvedObject", "name"),
        "involvedObject.uid": _path("involvedObject", "uid"),
        "involvedObject.apiVersion": _path("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": _path("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": _path("involvedObject", "fieldPath"),
        "reason": _path("reason"),
        "reportingComponent": _path("reportingComponent"),
        "source": _path("source", "component"),
        "type": _path("type"),
    },
    # pkg/registry/core/secret/strategy.go SelectableFields
    "secrets": {
        "metadata.name": _path("metadata", "name"),
        "metadata.namespace": _path("metadata", "namespace"),
        "type": _path("type"),
    },
}
_COMMON: Final = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    equal: bool
    value: str
    get: Callable[[JSONObject], str]

    def matches(self, obj: JSONObject) -> bool:
        return (self.get(obj) == self.value) == self.equal


def parse_field_selector(resource: str, text: str) -> tuple[FieldRequirement, ...]:
    """``fields.ParseSelector`` then the resource's field-label conversion."""
    table = FIELDS.get(resource, _COMMON)
    reqs: list[FieldRequirement] = []
    for part in (p for p in text.split(",") if p.strip()):
        op = next((o for o in ("!=", "==", "=") if o in part), None)
        if op is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        field, value = part.split(op, 1)
        equal = op != "!="
        field = field.strip()
        get = table.get(field)
        if get is None:
            raise SelectorError(f"field label not supported: {field}")
        reqs.append(FieldRequirement(field, equal, value.strip(), get))
    return tuple(reqs)


def fields_match(reqs: tuple[FieldRequirement, ...], obj: JSONObject) -> bool:
    return all(r.matches(obj) for r in reqs)
