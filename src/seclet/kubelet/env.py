"""Container environment and ``$(VAR)`` expansion, as the kubelet computes them.

Role: k/k ``kubelet_pods.go makeEnvironmentVariables`` and
``third_party/forked/golang/expansion``:
- ``expand`` (``seclet.api.expansion``): ``$(NAME)`` -> the value when defined, else
  left as written; ``$$`` -> ``$``; an unclosed ``$(`` is kept;
- ``environment``: ``envFrom`` (configMapRef / secretRef, with ``prefix``; keys that
  are not valid variable names are skipped), then ``env`` in order, each ``value``
  expanded against the variables defined before it; ``valueFrom.fieldRef``
  (metadata.name/namespace/uid, labels/annotations['k'], spec.nodeName,
  spec.serviceAccountName, status.hostIP(s), status.podIP(s)),
  ``configMapKeyRef`` and ``secretKeyRef`` (read from the store; ``optional``
  respected), ``resourceFieldRef`` (limits/requests of the container, divisor 1);
  a missing object or key raises ``EnvError`` with upstream's message, which the pod
  worker reports as ``CreateContainerConfigError``;
- ``expand_command``: command and args with ``$(VAR)`` expanded (``ExpandContainerCommandAndArgs``).
``lookup`` is the only I/O (a store get), passed in.
Callers: seclet.kubelet.worker, tests.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any

from seclet.api import models
from seclet.api.expansion import expand

Lookup = Callable[[str, str, str], Mapping[str, Any] | None]
"""(resource, namespace, name) -> the object, or None when it does not exist."""

_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


class EnvError(Exception):
    """The container's environment cannot be built (CreateContainerConfigError)."""


def expand_command(
    container: models.Container, env: Mapping[str, str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (
        tuple(expand(c, env) for c in container.command),
        tuple(expand(a, env) for a in container.args),
    )


def _field_value(pod: models.Pod, path: str, host_ip: str, pod_ip: str) -> str:
    meta = pod.metadata or models.ObjectMeta()
    spec = pod.spec or models.PodSpec()
    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.*)'\]", path)
    if m:
        table = meta.labels if m.group(1) == "labels" else meta.annotations
        return table.get(m.group(2), "")
    simple = {
        "metadata.name": meta.name or "",
        "metadata.namespace": meta.namespace or "",
        "metadata.uid": meta.uid or "",
        "spec.nodeName": spec.nodeName or "",
        "spec.serviceAccountName": spec.serviceAccountName or "",
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
    }
    if path in simple:
        return simple[path]
    if path == "metadata.labels":
        return "\n".join(f'{k}="{v}"' for k, v in sorted(meta.labels.items()))
    if path == "metadata.annotations":
        return "\n".join(f'{k}="{v}"' for k, v in sorted(meta.annotations.items()))
    raise EnvError(f'unsupported fieldPath: "{path}"')


def _resource_value(
    pod: models.Pod, container: models.Container, sel: models.ResourceFieldSelector
) -> str:
    target = container
    if sel.containerName:
        spec = pod.spec or models.PodSpec()
        for c in (*spec.initContainers, *spec.containers):
            if c.name == sel.containerName:
                target = c
    kind, _, name = (sel.resource or "").partition(".")
    res = target.resources or models.ResourceRequirements()
    table = res.limits if kind == "limits" else res.requests
    value = table.get(name)
    return "0" if value is None else str(value)


def _data(obj: Mapping[str, Any], secret: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    if secret:
        for k, v in (obj.get("data") or {}).items():
            out[k] = base64.b64decode(v).decode(errors="replace")
        out.update(obj.get("stringData") or {})
    else:
        out.update(obj.get("data") or {})
        for k, v in (obj.get("binaryData") or {}).items():
            out[k] = base64.b64decode(v).decode(errors="replace")
    return out


def _object(lookup: Lookup, secret: bool, namespace: str, name: str) -> Mapping[str, Any] | None:
    return lookup("secrets" if secret else "configmaps", namespace, name)


def _not_found(secret: bool, name: str) -> EnvError:
    kind = "secret" if secret else "configmap"
    return EnvError(f'{kind} "{name}" not found')


def environment(
    pod: models.Pod,
    container: models.Container,
    lookup: Lookup,
    *,
    host_ip: str,
    pod_ip: str = "",
) -> dict[str, str]:
    """The container's variables in definition order (later definitions win)."""
    namespace = (pod.metadata or models.ObjectMeta()).namespace or ""
    env: dict[str, str] = {}
    for source in container.envFrom:
        secret = source.secretRef is not None
        ref = source.secretRef if secret else source.configMapRef
        if ref is None:
            continue
        obj = _object(lookup, secret, namespace, ref.name or "")
        if obj is None:
            if ref.optional:
                continue
            raise _not_found(secret, ref.name or "")
        for key, value in _data(obj, secret).items():
            name = (source.prefix or "") + key
            if _ENV_NAME.match(name):
                env[name] = value
    for var in container.env:
        name = var.name or ""
        src = var.valueFrom
        if src is None:
            env[name] = expand(var.value or "", env)
            continue
        if src.fieldRef is not None:
            env[name] = _field_value(pod, src.fieldRef.fieldPath or "", host_ip, pod_ip)
        elif src.resourceFieldRef is not None:
            env[name] = _resource_value(pod, container, src.resourceFieldRef)
        elif src.configMapKeyRef is not None or src.secretKeyRef is not None:
            secret = src.secretKeyRef is not None
            sel = src.secretKeyRef if secret else src.configMapKeyRef
            assert sel is not None
            obj = _object(lookup, secret, namespace, sel.name or "")
            if obj is None:
                if sel.optional:
                    continue
                raise _not_found(secret, sel.name or "")
            data = _data(obj, secret)
            if sel.key not in data:
                if sel.optional:
                    continue
                kind = "Secret" if secret else "ConfigMap"
                raise EnvError(f"couldn't find key {sel.key} in {kind} {namespace}/{sel.name}")
            env[name] = data[sel.key or ""]
    return env
