"""Turn a manifest file into Pod bodies, or the error kubectl would print for it.

Role: the boundary between bytes and the pure core. Each document becomes an
``Item``: either a strictly checked Pod body (a JSON-like mapping that
``seclet.api.decode.check`` accepted, ready for defaulting and ``build``) or a
``Refusal`` whose text is what kubectl prints for it. ``kind: List`` documents are
expanded into their items, as kubectl does.
Callers: ``seclet.review`` (the CLI pipeline), later the API server for request bodies.

Steps of ``load``:
1. parse the stream (``seclet.api.parse``) — unparseable bytes refuse the whole file;
2. for each document: require an object with apiVersion and kind; expand Lists;
3. refuse kinds seclet does not serve, as kubectl's REST mapping does;
4. strictly check each Pod body (``seclet.api.decode.check``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from seclet.api.decode import DecodeError, check, handled_as, json_kind
from seclet.api.field import go_quote
from seclet.api.models import Pod
from seclet.api.parse import ParseError, parse_stream
from seclet.api.record import hot_dataclass


@dataclass(frozen=True, slots=True)
class Refusal:
    """An object (or a whole file) that never reaches validation, with kubectl's text."""

    source: str
    index: int
    message: str
    name: str = ""


@hot_dataclass(frozen=True, slots=True)
class PodBody:
    """A strictly checked Pod body from ``source`` (document ``index``), in normal form.

    ``body`` is a fresh structure no one else holds (``decode.check`` copies), so the
    first consumer may default it in place (``review.admit_body(..., owned=True)``).
    """

    source: str
    index: int
    body: Mapping[str, Any]

    @property
    def name(self) -> str:
        meta = self.body.get("metadata") or {}
        return str(meta.get("name") or meta.get("generateName") or "")

    @property
    def namespace(self) -> str:
        meta = self.body.get("metadata") or {}
        return str(meta.get("namespace") or "")


Item = PodBody | Refusal


def _compact_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def _name_of(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata")
    if type(meta) is dict or isinstance(meta, Mapping):
        name = meta.get("name")
        if isinstance(name, str):
            return name
    return ""


def _document_items(doc: object, source: str, index: int) -> Iterator[Item]:
    """Steps 2-4 for one parsed document."""
    if type(doc) is not dict and not isinstance(doc, Mapping):  # dict: skip the ABC check
        yield Refusal(
            source,
            index,
            f"error: error parsing {source}: json: cannot unmarshal {json_kind(doc)} into Go value "
            "of type map[string]interface {}",
        )
        return
    api_version = doc.get("apiVersion")
    kind_value = doc.get("kind")
    if not isinstance(kind_value, str) or not kind_value:
        yield Refusal(
            source,
            index,
            f"error: unable to decode {go_quote(source)}: Object 'Kind' is missing in "
            f"'{_compact_json(doc)}'",
        )
        return
    kind = kind_value
    if not isinstance(api_version, str) or not api_version:
        yield Refusal(
            source,
            index,
            f"error: unable to decode {go_quote(source)}: Object 'apiVersion' is missing in "
            f"'{_compact_json(doc)}'",
            _name_of(doc),
        )
        return
    if kind == "List" and api_version == "v1":
        items = doc.get("items")
        for item in items if isinstance(items, list) else ():
            yield from _document_items(item, source, index)
        return
    name = _name_of(doc)
    if kind != "Pod":
        yield Refusal(
            source,
            index,
            f"error: seclet checks Pods only: {go_quote(source)} holds {api_version}, Kind={kind} "
            f"{go_quote(name)}",
            name,
        )
        return
    if api_version != "v1":
        yield Refusal(
            source,
            index,
            f"error: resource mapping not found for name: {go_quote(name)} namespace: "
            f'"" from {go_quote(source)}: no matches for kind "Pod" in version '
            f"{go_quote(api_version)}\nensure CRDs are installed first",
            name,
        )
        return
    try:
        body = check(doc, Pod)
    except DecodeError as exc:
        yield Refusal(
            source,
            index,
            f"Error from server (BadRequest): error when creating {go_quote(source)}: "
            + handled_as("Pod", api_version, str(exc)),
            name,
        )
        return
    yield PodBody(source, index, body)


def load(data: bytes, source: str) -> list[Item]:
    """All items of one manifest stream, in document order (step 1 first)."""
    items: list[Item] = []
    try:
        for index, doc in enumerate(parse_stream(data)):
            items.extend(_document_items(doc, source, index))
    except ParseError as exc:
        items.append(Refusal(source, -1, f"error: error parsing {source}: {exc}"))
    return items
