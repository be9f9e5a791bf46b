"""Container environment and $(VAR) expansion. Callers: pytest."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import pytest

from seclet.api import models
from seclet.api.decode import decode
from seclet.api.expansion import expand
from seclet.kubelet.env import EnvError, environment, expand_command


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("$(A)", "a"),
        ("x$(A)y$(B)", "xayb"),
        ("$(MISSING)", "$(MISSING)"),
        ("$$(A)", "$(A)"),
        ("$$", "$"),
        ("$(A", "$(A"),
        ("$A", "$A"),
        ("cost $5", "cost $5"),
        ("end$", "end$"),
        ("$()", "$()"),
    ],
)
def test_expand(text: str, want: str) -> None:
    assert expand(text, {"A": "a", "B": "b"}) == want


def _pod(env: list[dict[str, Any]], env_from: list[dict[str, Any]] | None = None) -> models.Pod:
    return decode(
        {
            "metadata": {
                "name": "p",
                "namespace": "ns",
                "uid": "u1",
                "labels": {"app": "web"},
            },
            "spec": {
                "nodeName": "n1",
                "containers": [
                    {
                        "name": "c",
                        "image": "busybox",
                        "command": ["echo", "$(GREETING)"],
                        "args": ["$(NAME)", "$$(NAME)"],
                        "env": env,
                        "envFrom": env_from or [],
                        "resources": {"limits": {"memory": "64Mi"}},
                    }
                ],
            },
        },
        models.Pod,
    )


OBJECTS: dict[tuple[str, str, str], Mapping[str, Any]] = {
    ("configmaps", "ns", "cm"): {"data": {"color": "blue", "bad key": "x"}},
    ("secrets", "ns", "s"): {"data": {"pw": base64.b64encode(b"hunter2").decode()}},
}


def lookup(resource: str, namespace: str, name: str) -> Mapping[str, Any] | None:
    return OBJECTS.get((resource, namespace, name))


def test_environment_sources_and_order() -> None:
    pod = _pod(
        [
            {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "GREETING", "value": "hi $(NAME) in $(NS)"},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
            {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}}},
        ],
        [{"configMapRef": {"name": "cm"}, "prefix": "CM_"}],
    )
    container = (pod.spec or models.PodSpec()).containers[0]
    env = environment(pod, container, lookup, host_ip="127.0.0.1")
    assert env == {
        "CM_color": "blue",
        "NAME": "p",
        "GREETING": "hi p in $(NS)",
        "NS": "ns",
        "APP": "web",
        "HOST": "127.0.0.1",
        "NODE": "n1",
        "MEM": "64Mi",
        "PW": "hunter2",
    }
    assert expand_command(container, env) == (("echo", "hi p in $(NS)"), ("p", "$(NAME)"))


def test_missing_objects_and_keys() -> None:
    missing_cm = _pod([{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "no", "key": "k"}}}])
    c = (missing_cm.spec or models.PodSpec()).containers[0]
    with pytest.raises(EnvError, match=r'^configmap "no" not found$'):
        environment(missing_cm, c, lookup, host_ip="")
    missing_key = _pod([{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}])
    c = (missing_key.spec or models.PodSpec()).containers[0]
    with pytest.raises(EnvError, match=r"^couldn't find key k in Secret ns/s$"):
        environment(missing_key, c, lookup, host_ip="")
    optional = _pod(
        [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "zz", "key": "k", "optional": True}}}]
    )
    c = (optional.spec or models.PodSpec()).containers[0]
    assert environment(optional, c, lookup, host_ip="") == {}
