"""Unit tests: pure Pod Security admission decisions with upstream's texts and annotations."""

from __future__ import annotations

from psa_pods import pod

from seclet.api.models import Pod
from seclet.podsecurity import Exemptions, PodSecurityConfiguration, level_version
from seclet.podsecurity.admission import (
    evaluate_pods_in_namespace,
    exempt_namespace_warning,
    is_significant_pod_update,
    to_policy,
    validate_namespace,
    validate_pod,
    validate_pod_controller,
)
from seclet.podsecurity.api import policy_to_evaluate

P = "pod-security.kubernetes.io/"

PLAIN = """
    metadata: {name: demo}
    spec:
      containers: [{name: c, image: busybox}]
"""
RESTRICTED_DETAIL = (
    'allowPrivilegeEscalation != false (container "c" must set '
    "securityContext.allowPrivilegeEscalation=false), "
    'unrestricted capabilities (container "c" must set '
    'securityContext.capabilities.drop=["ALL"]), '
    'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
    'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to '
    '"RuntimeDefault" or "Localhost")'
)


def plain(name: str = "demo", image: str = "busybox") -> Pod:
    return pod(PLAIN.replace("name: demo", f"name: {name}").replace("busybox", image))


def test_enforce_denial_full_text_and_status() -> None:
    r = validate_pod(plain(), namespace="ns", namespace_labels={P + "enforce": "restricted"})
    assert not r.allowed
    assert r.status is not None
    assert (r.status.code, r.status.reason, r.status.kind, r.status.name) == (
        403,
        "Forbidden",
        "pods",
        "demo",
    )
    assert r.status.message == (
        f'pods "demo" is forbidden: violates PodSecurity "restricted:latest": {RESTRICTED_DETAIL}'
    )
    assert r.warnings == ()  # never warn on a denied request
    assert dict(r.audit_annotations) == {"enforce-policy": "restricted:latest"}
    assert r.prefixed_audit_annotations() == {
        "pod-security.kubernetes.io/enforce-policy": "restricted:latest"
    }


def test_denial_without_a_name() -> None:
    r = validate_pod(
        plain(), namespace="ns", namespace_labels={P + "enforce": "restricted"}, name=""
    )
    assert r.status is not None
    assert r.status.message.startswith('pods is forbidden: violates PodSecurity "restricted')


def test_warn_and_audit_only() -> None:
    labels = {P + "warn": "restricted", P + "audit": "restricted", P + "audit-version": "v1.30"}
    r = validate_pod(plain(), namespace="ns", namespace_labels=labels)
    assert r.allowed and r.status is None
    assert r.warnings == (f'would violate PodSecurity "restricted:latest": {RESTRICTED_DETAIL}',)
    assert dict(r.audit_annotations) == {
        "enforce-policy": "privileged:latest",
        "audit-violations": f'would violate PodSecurity "restricted:v1.30": {RESTRICTED_DETAIL}',
    }


def test_enforce_baseline_warns_restricted() -> None:
    labels = {P + "enforce": "baseline", P + "warn": "restricted"}
    r = validate_pod(plain(), namespace="ns", namespace_labels=labels)
    assert r.allowed
    assert r.warnings == (f'would violate PodSecurity "restricted:latest": {RESTRICTED_DETAIL}',)


def test_fully_privileged_namespace_short_circuits() -> None:
    for labels in ({}, {P + "enforce": "privileged"}):
        r = validate_pod(plain(), namespace="ns", namespace_labels=labels)
        assert r.allowed and r.warnings == ()
        assert dict(r.audit_annotations) == {"enforce-policy": "privileged:latest"}


def test_label_errors_are_recorded_and_fail_closed() -> None:
    labels = {P + "enforce": "strict", P + "warn-version": "1.2"}
    r = validate_pod(plain(), namespace="ns", namespace_labels=labels)
    assert not r.allowed
    assert dict(r.audit_annotations)["error"] == (
        "Failed to parse policy: ["
        'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": '
        "must be one of privileged, baseline, restricted, "
        'metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.2": '
        'must be "latest" or "v1.x"]'
    )


def test_exemptions() -> None:
    config = PodSecurityConfiguration(
        exemptions=Exemptions(
            usernames=frozenset({"admin"}),
            namespaces=frozenset({"kube-system"}),
            runtime_classes=frozenset({"kata"}),
        )
    )
    labels = {P + "enforce": "restricted"}
    r = validate_pod(plain(), namespace="kube-system", namespace_labels=labels, config=config)
    assert r.allowed and dict(r.audit_annotations) == {"exempt": "namespace"}
    r = validate_pod(
        plain(), namespace="ns", namespace_labels=labels, username="admin", config=config
    )
    assert r.allowed and dict(r.audit_annotations) == {"exempt": "user"}
    kata = pod(PLAIN.replace("spec:\n", "spec:\n      runtimeClassName: kata\n"))
    r = validate_pod(kata, namespace="ns", namespace_labels=labels, config=config)
    assert r.allowed and dict(r.audit_annotations) == {"exempt": "runtimeClass"}


def test_configured_defaults_apply_to_unlabelled_namespaces() -> None:
    config = PodSecurityConfiguration(
        defaults=to_policy(
            {
                "enforce": "baseline",
                "enforce-version": "latest",
                "audit": "restricted",
                "audit-version": "latest",
                "warn": "restricted",
                "warn-version": "latest",
            }
        )
    )
    r = validate_pod(plain(), namespace="ns", namespace_labels={}, config=config)
    assert r.allowed
    assert len(r.warnings) == 1
    assert dict(r.audit_annotations)["enforce-policy"] == "baseline:latest"


def test_to_policy_errors() -> None:
    try:
        to_policy({"enforce": "baseline", "enforce-version": "v1.05", "audit": "x"})
    except ValueError as e:
        assert str(e) == (
            '[enforce-version: must be "latest" or "v1.x", '
            "audit: must be one of privileged, baseline, restricted, audit-version: required, "
            "warn: required, warn-version: required]"
        )
    else:
        raise AssertionError("expected ValueError")


def test_ignored_subresources_and_insignificant_updates() -> None:
    labels = {P + "enforce": "restricted"}
    r = validate_pod(plain(), namespace="ns", namespace_labels=labels, subresource="status")
    assert r.allowed
    r = validate_pod(
        plain(), namespace="ns", namespace_labels=labels, subresource="ephemeralcontainers"
    )
    assert not r.allowed
    old = plain()
    relabelled = pod(PLAIN.replace("name: demo}", "name: demo, labels: {a: b}}"))
    assert not is_significant_pod_update(relabelled, old)
    r = validate_pod(relabelled, namespace="ns", namespace_labels=labels, old_pod=old)
    assert r.allowed
    new_image = plain(image="busybox:2")
    assert is_significant_pod_update(new_image, old)
    assert not validate_pod(new_image, namespace="ns", namespace_labels=labels, old_pod=old).allowed


def test_ephemeral_container_added_is_significant() -> None:
    old = plain()
    new = pod(PLAIN.replace("spec:\n", "spec:\n      ephemeralContainers: [{name: e, image: x}]\n"))
    assert is_significant_pod_update(new, old)
    assert not is_significant_pod_update(new, new)


def test_pod_controller_warns_but_never_denies() -> None:
    p = plain()
    r = validate_pod_controller(
        p.metadata,
        p.spec,
        resource="deployments",
        group="apps",
        name="web",
        namespace="ns",
        namespace_labels={P + "enforce": "restricted"},
    )
    assert r.allowed
    assert r.warnings == (f'would violate PodSecurity "restricted:latest": {RESTRICTED_DETAIL}',)
    assert "enforce-policy" not in r.audit_annotations


def test_namespace_label_validation() -> None:
    r = validate_namespace("team", {P + "enforce": "foo"})
    assert not r.allowed and r.status is not None
    assert (r.status.code, r.status.reason) == (422, "Invalid")
    assert r.status.message == (
        'Namespace "team" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: '
        'Invalid value: "foo": must be one of privileged, baseline, restricted'
    )
    # an unchanged invalid label does not block other updates
    assert validate_namespace(
        "team", {P + "enforce": "foo"}, old_labels={P + "enforce": "foo"}
    ).allowed


def test_exempt_namespace_warning() -> None:
    config = PodSecurityConfiguration(exemptions=Exemptions(namespaces=frozenset({"kube-system"})))
    labels = {P + "enforce": "restricted", P + "audit": "privileged", P + "warn-version": "v1.30"}
    r = validate_namespace("kube-system", labels, config=config)
    assert r.warnings == (
        'namespace "kube-system" is exempt from Pod Security, and the policy '
        "(enforce=restricted:latest, warn=restricted:v1.30) will be ignored",
    )
    policy, _ = policy_to_evaluate({}, config.defaults)
    assert exempt_namespace_warning("kube-system", policy, {}, config.defaults) == ""


def test_namespace_update_dry_runs_existing_pods() -> None:
    pods = [
        plain("b"),
        plain("a"),
        plain("c"),
        pod(
            PLAIN.replace("busybox", "x").replace(
                "name: c, image: x", "name: c, image: x, securityContext: {privileged: true}"
            )
        ),
    ]
    r = validate_namespace("ns", {P + "enforce": "baseline"}, old_labels={}, pods=pods)
    assert r.allowed
    assert r.warnings == (
        'existing pods in namespace "ns" violate the new PodSecurity enforce level '
        '"baseline:latest"',
        "demo: privileged",
    )
    warnings = evaluate_pods_in_namespace("ns", level_version("restricted"), pods, max_pods=3)
    assert warnings == [
        "new PodSecurity enforce level only checked against the first 3 of 4 existing pods",
        'existing pods in namespace "ns" violate the new PodSecurity enforce level '
        '"restricted:latest"',
        "a (and 2 other pods): allowPrivilegeEscalation != false, unrestricted capabilities, "
        "runAsNonRoot != true, seccompProfile",
    ]
    # relaxing the level at the same version is not dry-run
    assert (
        validate_namespace(
            "ns", {P + "enforce": "baseline"}, old_labels={P + "enforce": "restricted"}, pods=pods
        ).warnings
        == ()
    )
