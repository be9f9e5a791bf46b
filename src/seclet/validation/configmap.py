"""ConfigMap validation: ``ValidateConfigMap`` and ``ValidateConfigMapUpdate`` (k/k 1.35).

Role: metadata (namespaced, DNS-1123 subdomain name), every key of ``data`` and
``binaryData`` a valid ConfigMap key (``IsConfigMapKey``), a ``data`` key also present
in ``binaryData`` refused at ``data[<key>]`` ("duplicate of key present in
binaryData"), the total size of the values at most 1 MiB (``field.TooLong`` at the
empty path: ``: Too long: may not be more than 1048576 bytes``), and on update an
``immutable`` ConfigMap may change neither ``immutable``, ``data`` nor ``binaryData``
(Forbidden: "field is immutable when `immutable` is set"). Keys are visited in
sorted order (Go's map order is random; sorted keeps messages stable).
Pure. Callers: ``seclet.apiserver.objects``.
"""

from __future__ import annotations

import base64
import binascii

from seclet.api import models
from seclet.api.field import ErrorList, Path, forbidden, invalid, too_long
from seclet.validation.names import is_config_map_key
from seclet.validation.objectmeta import validate_object_meta

MAX_SECRET_SIZE = 1024 * 1024
"""``core.MaxSecretSize``: the limit on a ConfigMap's or a Secret's data."""
IMMUTABLE_MSG = "field is immutable when `immutable` is set"


def decoded_len(value: str) -> int:
    """The byte length of a base64 value (already checked by the decoder)."""
    try:
        return len(base64.b64decode(value, validate=False))
    except (binascii.Error, ValueError):
        return len(value)


def validate_config_map(cm: models.ConfigMap) -> ErrorList:
    errs = validate_object_meta(cm.metadata, Path.root("metadata"))
    total = 0
    for key in sorted(cm.data):
        for msg in is_config_map_key(key):
            errs.append(invalid(Path.root("data").key(key), key, msg))
        if key in cm.binaryData:
            errs.append(
                invalid(Path.root("data").key(key), key, "duplicate of key present in binaryData")
            )
        total += len(cm.data[key].encode())
    for key in sorted(cm.binaryData):
        for msg in is_config_map_key(key):
            errs.append(invalid(Path.root("binaryData").key(key), key, msg))
        total += decoded_len(cm.binaryData[key])
    if total > MAX_SECRET_SIZE:
        errs.append(too_long(Path.root(""), MAX_SECRET_SIZE))
    return errs


def validate_config_map_update(new: models.ConfigMap, old: models.ConfigMap) -> ErrorList:
    errs = ErrorList()
    if old.immutable:
        if not new.immutable:
            errs.append(forbidden(Path.root("immutable"), IMMUTABLE_MSG))
        if dict(new.data) != dict(old.data):
            errs.append(forbidden(Path.root("data"), IMMUTABLE_MSG))
        if dict(new.binaryData) != dict(old.binaryData):
            errs.append(forbidden(Path.root("binaryData"), IMMUTABLE_MSG))
    errs.extend(validate_config_map(new))
    return errs
