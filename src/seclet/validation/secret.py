"""Secret validation: ``ValidateSecret`` and ``ValidateSecretUpdate`` (k/k 1.35).

Role: metadata (namespaced, DNS-1123 subdomain name), ``data`` keys valid ConfigMap
keys, the decoded size at most 1 MiB (TooLong at ``data``), then per ``type``:
``kubernetes.io/service-account-token`` needs the annotation
``kubernetes.io/service-account.name``; ``kubernetes.io/dockercfg`` needs
``data[.dockercfg]`` and ``kubernetes.io/dockerconfigjson`` needs
``data[.dockerconfigjson]``, each a JSON object (else Invalid with the value
``<secret contents redacted>`` and Go's ``json.Unmarshal`` error);
``kubernetes.io/basic-auth`` needs ``username`` or ``password`` (upstream reports both
at ``data[%s][username]``/``data[%s][password]``, a literal ``%s`` in the path);
``kubernetes.io/ssh-auth`` a non-empty ``ssh-privatekey`` (at ``data[%s][...]``);
``kubernetes.io/tls`` ``tls.crt`` and ``tls.key``. On update ``type`` is immutable
(an empty new type takes the old one) and an ``immutable`` Secret may change neither
``immutable`` nor ``data``.
Pure. Callers: ``seclet.apiserver.objects``.
"""

from __future__ import annotations

import base64
import binascii

from seclet.api import models
from seclet.api.field import ErrorList, Path, forbidden, invalid, required, too_long
from seclet.validation import gojson
from seclet.validation.configmap import IMMUTABLE_MSG, MAX_SECRET_SIZE
from seclet.validation.names import is_config_map_key
from seclet.validation.objectmeta import validate_object_meta

SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"  # noqa: S105 (a type name)
DOCKERCFG = "kubernetes.io/dockercfg"
DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
BASIC_AUTH = "kubernetes.io/basic-auth"
SSH_AUTH = "kubernetes.io/ssh-auth"
TLS = "kubernetes.io/tls"
OPAQUE = "Opaque"
REDACTED = "<secret contents redacted>"


def _bytes(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        return value.encode()


def validate_secret(secret: models.Secret) -> ErrorList:
    errs = validate_object_meta(secret.metadata, Path.root("metadata"))
    data_path = Path.root("data")
    total = 0
    for key in sorted(secret.data):
        for msg in is_config_map_key(key):
            errs.append(invalid(data_path.key(key), key, msg))
        total += len(_bytes(secret.data[key]))
    if total > MAX_SECRET_SIZE:
        errs.append(too_long(data_path, MAX_SECRET_SIZE))
    kind = secret.type or ""
    annotations = (secret.metadata.annotations if secret.metadata else None) or {}
    if kind == SERVICE_ACCOUNT_TOKEN:
        if not annotations.get("kubernetes.io/service-account.name"):
            errs.append(
                required(
                    Path.root("metadata", "annotations").key("kubernetes.io/service-account.name")
                )
            )
    elif kind in (DOCKERCFG, DOCKER_CONFIG_JSON):
        key = ".dockercfg" if kind == DOCKERCFG else ".dockerconfigjson"
        if key not in secret.data:
            errs.append(required(data_path.key(key)))
        else:
            problem = gojson.object_error(_bytes(secret.data[key]))
            if problem is not None:
                errs.append(invalid(data_path.key(key), REDACTED, problem))
    elif kind == BASIC_AUTH:
        if "username" not in secret.data and "password" not in secret.data:
            errs.append(required(Path.root("data[%s]").key("username")))
            errs.append(required(Path.root("data[%s]").key("password")))
    elif kind == SSH_AUTH:
        if not _bytes(secret.data.get("ssh-privatekey", "")):
            errs.append(required(Path.root("data[%s]").key("ssh-privatekey")))
    elif kind == TLS:
        if "tls.crt" not in secret.data:
            errs.append(required(data_path.key("tls.crt")))
        if "tls.key" not in secret.data:
            errs.append(required(data_path.key("tls.key")))
    return errs


def validate_secret_update(new: models.Secret, old: models.Secret) -> ErrorList:
    """``ValidateSecretUpdate``; the caller has already given an empty new type the
    old one."""
    errs = ErrorList()
    if (new.type or "") != (old.type or ""):
        errs.append(invalid(Path.root("type"), new.type or "", "field is immutable"))
    if old.immutable:
        if not new.immutable:
            errs.append(forbidden(Path.root("immutable"), IMMUTABLE_MSG))
        if dict(new.data) != dict(old.data):
            errs.append(forbidden(Path.root("data"), IMMUTABLE_MSG))
    errs.extend(validate_secret(new))
    return errs
