"""Kubernetes protobuf request bodies for the kinds kubectl sends that way.

Role: kubectl's typed commands (``kubectl create namespace``) send
``application/vnd.kubernetes.protobuf``: the ``k8s\\x00`` magic, then a
``runtime.Unknown`` (typeMeta, raw) whose raw bytes are the generated protobuf of the
object. This decodes that envelope and a ``v1.Namespace`` (metadata's name,
generateName, namespace, labels, annotations, finalizers; spec.finalizers;
status.phase), a ``v1.ConfigMap`` (``kubectl create configmap``: data 2, binaryData 3,
immutable 4) and a ``v1.Secret`` (``kubectl create secret``: data 2, type 3,
stringData 4, immutable 5; bytes become base64 as in JSON) into the JSON form the
registry takes (field numbers from k8s.io/api core/v1 ``generated.proto``). Other
kinds raise ``ProtobufError`` (answered 415). Pure. Callers: ``seclet.apiserver.http``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any, Final

MEDIA_TYPE: Final = "application/vnd.kubernetes.protobuf"
MAGIC: Final = b"k8s\x00"


class ProtobufError(ValueError):
    """A protobuf body seclet cannot read."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value): varints as int, length-delimited as bytes."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated field")
            yield number, data[pos : pos + length]
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")


def _text(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise ProtobufError("expected a string")
    return value.decode()


def _bytes(value: int | bytes) -> bytes:
    if not isinstance(value, bytes):
        raise ProtobufError("expected a message")
    return value


def _entry(value: int | bytes) -> tuple[str, str]:
    key = val = ""
    for n, v in fields(_bytes(value)):
        if n == 1:
            key = _text(v)
        elif n == 2:
            val = _text(v)
    return key, val


def _bytes_entry(value: int | bytes) -> tuple[str, str]:
    """A ``map<string, bytes>`` entry, the value as base64 (its JSON form)."""
    key = ""
    raw = b""
    for n, v in fields(_bytes(value)):
        if n == 1:
            key = _text(v)
        elif n == 2:
            raw = _bytes(v)
    return key, base64.b64encode(raw).decode()


def _config_map(data: bytes) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap"}
    for n, v in fields(data):
        if n == 1:
            obj["metadata"] = _object_meta(_bytes(v))
        elif n == 2:
            k, val = _entry(v)
            obj.setdefault("data", {})[k] = val
        elif n == 3:
            k, val = _bytes_entry(v)
            obj.setdefault("binaryData", {})[k] = val
        elif n == 4:
            obj["immutable"] = bool(v)
    return obj


def _secret(data: bytes) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret"}
    for n, v in fields(data):
        if n == 1:
            obj["metadata"] = _object_meta(_bytes(v))
        elif n == 2:
            k, val = _bytes_entry(v)
            obj.setdefault("data", {})[k] = val
        elif n == 3:
            obj["type"] = _text(v)
        elif n == 4:
            k, val = _entry(v)
            obj.setdefault("stringData", {})[k] = val
        elif n == 5:
            obj["immutable"] = bool(v)
    return obj


def _object_meta(data: bytes) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    names = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    for n, v in fields(data):
        if n in names:
            text = _text(v)
            if text:  # generated protobuf writes empty strings; JSON omits them
                meta[names[n]] = text
        elif n == 11:
            k, val = _entry(v)
            meta.setdefault("labels", {})[k] = val
        elif n == 12:
            k, val = _entry(v)
            meta.setdefault("annotations", {})[k] = val
        elif n == 14:
            meta.setdefault("finalizers", []).append(_text(v))
    return meta


def _namespace(data: bytes) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace"}
    for n, v in fields(data):
        if n == 1:
            obj["metadata"] = _object_meta(_bytes(v))
        elif n == 2:
            fin = [_text(x) for m, x in fields(_bytes(v)) if m == 1]
            if fin:
                obj["spec"] = {"finalizers": fin}
        elif n == 3:
            for m, x in fields(_bytes(v)):
                if m == 1:
                    obj["status"] = {"phase": _text(x)}
    return obj


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of one protobuf-encoded object (Namespace, ConfigMap, Secret)."""
    if not body.startswith(MAGIC):
        raise ProtobufError("provided object is not a protobuf-encoded object")
    api_version = kind = ""
    raw = b""
    for n, v in fields(body[len(MAGIC) :]):
        if n == 1:
            for m, x in fields(_bytes(v)):
                if m == 1:
                    api_version = _text(x)
                elif m == 2:
                    kind = _text(x)
        elif n == 2:
            raw = _bytes(v)
    if (api_version, kind) == ("v1", "Namespace"):
        return _namespace(raw)
    if (api_version, kind) == ("v1", "ConfigMap"):
        return _config_map(raw)
    if (api_version, kind) == ("v1", "Secret"):
        return _secret(raw)
    raise ProtobufError(f"seclet does not read {api_version}/{kind} as protobuf")
