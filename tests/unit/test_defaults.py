"""Defaulting tables: what kube-apiserver 1.35 adds to a Pod on create."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from seclet.api.defaults import (
    apply_default_admission,
    apply_pod_defaults,
    default_pull_policy,
    drop_disabled_fields,
)
from seclet.api.featuregates import DEFAULT_GATES, FeatureGateError, parse_feature_gates


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("busybox", "Always"),
        ("busybox:latest", "Always"),
        ("busybox:1.36", "IfNotPresent"),
        ("registry.k8s.io/pause:3.9", "IfNotPresent"),
        ("localhost:5000/app", "Always"),
        ("localhost:5000/app:v1", "IfNotPresent"),
        ("busybox@sha256:" + "a" * 64, "IfNotPresent"),
        ("busybox:latest@sha256:" + "a" * 64, "Always"),
        ("BusyBox", "IfNotPresent"),
        ("", "IfNotPresent"),
    ],
)
def test_pull_policy(image: str, policy: str) -> None:
    assert default_pull_policy(image) == policy


def test_pod_defaults_table() -> None:
    raw: dict[str, Any] = {
        "spec": {
            "hostNetwork": True,
            "containers": [
                {
                    "name": "c",
                    "image": "busybox:1.36",
                    "ports": [{"containerPort": 80}],
                    "env": [
                        {"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
                    ],
                    "resources": {"limits": {"cpu": "1"}},
                    "livenessProbe": {"httpGet": {"port": 80}},
                    "readinessProbe": {"grpc": {"port": 9}},
                }
            ],
            "volumes": [
                {"name": "a"},
                {"name": "b", "hostPath": {"path": "/x"}},
                {"name": "c", "secret": {"secretName": "s"}},
                {"name": "d", "configMap": {"name": "m"}},
                {
                    "name": "e",
                    "downwardAPI": {
                        "items": [{"path": "p", "fieldRef": {"fieldPath": "metadata.name"}}]
                    },
                },
                {"name": "f", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
            ],
        }
    }
    apply_pod_defaults(raw, DEFAULT_GATES)
    spec = raw["spec"]
    assert {
        k: spec[k]
        for k in (
            "dnsPolicy",
            "restartPolicy",
            "securityContext",
            "terminationGracePeriodSeconds",
            "schedulerName",
            "enableServiceLinks",
        )
    } == {
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler",
        "enableServiceLinks": True,
    }
    c = spec["containers"][0]
    assert c["imagePullPolicy"] == "IfNotPresent"
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["ports"] == [{"containerPort": 80, "hostPort": 80, "protocol": "TCP"}]
    assert c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"
    assert c["resources"] == {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}
    assert c["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert c["readinessProbe"]["grpc"] == {"port": 9, "service": ""}
    vols = spec["volumes"]
    assert vols[0] == {"name": "a", "emptyDir": {}}
    assert vols[1]["hostPath"] == {"path": "/x", "type": ""}
    assert vols[2]["secret"]["defaultMode"] == 420
    assert vols[3]["configMap"]["defaultMode"] == 420
    assert vols[4]["downwardAPI"]["defaultMode"] == 420
    assert vols[4]["downwardAPI"]["items"][0]["fieldRef"]["apiVersion"] == "v1"
    assert vols[5]["projected"]["defaultMode"] == 420
    assert vols[5]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"] == 3600


def test_security_fields_are_not_defaulted() -> None:
    raw: dict[str, Any] = {
        "spec": {"containers": [{"name": "c", "image": "i", "securityContext": {}}]}
    }
    apply_pod_defaults(raw, DEFAULT_GATES)
    assert raw["spec"]["containers"][0]["securityContext"] == {}
    assert "hostUsers" not in raw["spec"]


def test_default_admission() -> None:
    raw: dict[str, Any] = {
        "spec": {"tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists"}]}
    }
    apply_default_admission(raw)
    assert raw["spec"]["priority"] == 0
    assert raw["spec"]["preemptionPolicy"] == "PreemptLowerPriority"
    assert raw["spec"]["tolerations"] == [
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists"},
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
    ]


def test_drop_disabled_fields() -> None:
    raw: dict[str, Any] = {
        "spec": {
            "hostUsers": False,
            "securityContext": {
                "supplementalGroupsPolicy": "Strict",
                "seLinuxChangePolicy": "Recursive",
            },
            "containers": [{"name": "c", "securityContext": {"procMount": "Unmasked"}}],
        }
    }
    off = dataclasses.replace(
        DEFAULT_GATES, UserNamespacesSupport=False, ProcMountType=False, SELinuxChangePolicy=False
    )
    drop_disabled_fields(raw, off)
    assert "hostUsers" not in raw["spec"]
    assert raw["spec"]["securityContext"] == {"supplementalGroupsPolicy": "Strict"}
    assert raw["spec"]["containers"][0]["securityContext"]["procMount"] == "Default"
    kept: dict[str, Any] = {"spec": {"hostUsers": False}}
    drop_disabled_fields(kept, DEFAULT_GATES)
    assert kept["spec"]["hostUsers"] is False


def test_feature_gate_flag() -> None:
    gates = parse_feature_gates("SELinuxMount=true,ProcMountType=false")
    assert gates.SELinuxMount and not gates.ProcMountType
    with pytest.raises(FeatureGateError, match=r"^unrecognized feature gate: Nope$"):
        parse_feature_gates("Nope=true")
    with pytest.raises(FeatureGateError, match=r"^missing bool value for SELinuxMount$"):
        parse_feature_gates("SELinuxMount")
    with pytest.raises(FeatureGateError) as info:
        parse_feature_gates("SELinuxMount=yes")
    assert (
        str(info.value)
        == 'invalid value of SELinuxMount=yes, err: strconv.ParseBool: parsing "yes": invalid syntax'
    )
    with pytest.raises(FeatureGateError) as info:
        parse_feature_gates("SupplementalGroupsPolicy=false")
    assert (
        str(info.value)
        == "cannot set feature gate SupplementalGroupsPolicy to false, feature is locked to true"
    )
