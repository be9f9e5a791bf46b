"""``ValidatePodUpdate`` and its options, as kube-apiserver 1.35 runs them.

Upstream: k/k ``pkg/apis/core/validation/validation.go`` (``ValidatePodUpdate``,
``ValidateContainerUpdates``, ``validateOnlyAddedTolerations``,
``validateOnlyDeletedSchedulingGates``, ``validateNodeSelectorMutation``,
``validateNodeAffinityMutation``, ``ValidatePodSpecificAnnotationUpdates``),
apimachinery ``ValidateObjectMetaAccessorUpdate`` (v0.35) and ``pkg/api/pod/util.go``
``GetValidationOptionsFromPodSpecAndMeta``. Case names follow upstream's
``TestValidatePodUpdate`` where a case is taken from it; like that test, both pods
carry resourceVersion "1" unless a case is about it.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from pod_builders import OPTS, build, raw_pod, texts

from seclet.api import models
from seclet.api.featuregates import DEFAULT_GATES
from seclet.api.field import invalid_message
from seclet.validation import validate_pod_update
from seclet.validation.update import UPDATABLE_POD_SPEC_FIELDS, spec_diff
from seclet.validation.update_options import options_for_update

FORBIDDEN_PREFIX = (
    "spec: Forbidden: pod updates may not change fields other than "
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)
MIRROR = "kubernetes.io/config.mirror"
APPARMOR = "container.apparmor.security.beta.kubernetes.io/ctr"


def _pod(spec: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    body = raw_pod(spec=spec)
    # a tagged image: "busybox" would default imagePullPolicy to Always, and a new tag to
    # IfNotPresent, a spec change upstream refuses too.
    body["spec"]["containers"][0]["image"] = "busybox:1.36"
    body["metadata"].update({"resourceVersion": "1", "uid": "u1"})
    body["metadata"].update(meta)
    return body


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with ``value`` at the dotted ``path`` (``[i]`` indexes)."""
    out = copy.deepcopy(body)
    node: Any = out
    parts = path.replace("[", ".[").split(".")
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node.setdefault(part, {})
    last = parts[-1]
    if value is _DELETE:
        del node[last]
    elif last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value
    return out


_DELETE = object()


def _errors(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The errors with the Forbidden diff cut after its first line."""
    new_pod, old_pod = build(new), build(old)
    errs = validate_pod_update(
        new_pod, old_pod, options_for_update(new_pod, old_pod, DEFAULT_GATES)
    )
    return [t.split("\n", 1)[0] for t in texts(errs)]


BASE = _pod()
GATED = _pod({"schedulingGates": [{"name": "baz"}]})
NODE_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "expr", "operator": "In", "values": ["foo"]}]}
            ]
        }
    }
}
NOEXEC = {"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute"}

CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    ("no changes", BASE, BASE, []),
    (
        "image change",
        BASE,
        _with(BASE, "spec.containers[0].image", "busybox:1.37"),
        [],
    ),
    (
        "image change to empty",
        BASE,
        _with(BASE, "spec.containers[0].image", ""),
        # once from validatePodMetadataAndSpec, once from ValidateContainerUpdates
        ["spec.containers[0].image: Required value", "spec.containers[0].image: Required value"],
    ),
    (
        "image change to leading whitespace",
        BASE,
        _with(BASE, "spec.containers[0].image", " busybox:1.36"),
        [
            'spec.containers[0].image: Invalid value: " busybox:1.36": '
            "must not have leading or trailing whitespace",
            'spec.containers[0].image: Invalid value: " busybox:1.36": '
            "must not have leading or trailing whitespace",
        ],
    ),
    (
        "more containers",
        BASE,
        _with(
            BASE,
            "spec.containers",
            [{"name": "ctr", "image": "busybox"}, {"name": "two", "image": "busybox"}],
        ),
        ["spec.containers: Forbidden: pod updates may not add or remove containers"],
    ),
    (
        "init container added",
        BASE,
        _with(BASE, "spec.initContainers", [{"name": "init", "image": "busybox"}]),
        ["spec.initContainers: Forbidden: pod updates may not add or remove containers"],
    ),
    (
        "activeDeadlineSeconds no change, nil",
        BASE,
        _with(BASE, "spec.activeDeadlineSeconds", 30),
        [],
    ),
    (
        "activeDeadlineSeconds lower",
        _with(BASE, "spec.activeDeadlineSeconds", 30),
        _with(BASE, "spec.activeDeadlineSeconds", 10),
        [],
    ),
    (
        "activeDeadlineSeconds change to larger from positive",
        _with(BASE, "spec.activeDeadlineSeconds", 10),
        _with(BASE, "spec.activeDeadlineSeconds", 30),
        [
            "spec.activeDeadlineSeconds: Invalid value: 30: must be less than or equal to previous value"
        ],
    ),
    (
        "activeDeadlineSeconds change to nil from positive",
        _with(BASE, "spec.activeDeadlineSeconds", 30),
        BASE,
        [
            "spec.activeDeadlineSeconds: Invalid value: null: "
            "must not update from a positive integer to nil value"
        ],
    ),
    (
        "activeDeadlineSeconds change to negative from positive",
        _with(BASE, "spec.activeDeadlineSeconds", 30),
        _with(BASE, "spec.activeDeadlineSeconds", -1),
        [
            "spec.activeDeadlineSeconds: Invalid value: -1: must be between 1 and 2147483647, "
            "inclusive",
            "spec.activeDeadlineSeconds: Invalid value: -1: must be between 0 and 2147483647, "
            "inclusive",
        ],
    ),
    (
        "activeDeadlineSeconds change to zero from positive",
        _with(BASE, "spec.activeDeadlineSeconds", 30),
        _with(BASE, "spec.activeDeadlineSeconds", 0),
        [
            "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, "
            "inclusive"
        ],
    ),
    (
        "toleration added",
        _with(BASE, "spec.tolerations", [NOEXEC]),
        _with(BASE, "spec.tolerations", [NOEXEC, {"key": "k2", "operator": "Exists"}]),
        [],
    ),
    (
        "tolerationSeconds changed",
        _with(BASE, "spec.tolerations", [{**NOEXEC, "tolerationSeconds": 10}]),
        _with(BASE, "spec.tolerations", [{**NOEXEC, "tolerationSeconds": 20}]),
        [],
    ),
    (
        "existing toleration modified",
        _with(BASE, "spec.tolerations", [NOEXEC]),
        _with(BASE, "spec.tolerations", [{**NOEXEC, "value": "w"}]),
        [
            "spec.tolerations: Forbidden: existing toleration can not be modified except its "
            "tolerationSeconds"
        ],
    ),
    (
        "existing toleration removed",
        _with(BASE, "spec.tolerations", [NOEXEC]),
        BASE,
        [
            "spec.tolerations: Forbidden: existing toleration can not be modified except its "
            "tolerationSeconds"
        ],
    ),
    ("removed scheduling gate", GATED, BASE, []),
    (
        "addition to scheduling gates",
        GATED,
        _with(GATED, "spec.schedulingGates", [{"name": "baz"}, {"name": "foo"}]),
        [
            "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new "
            "scheduling gate 'foo'"
        ],
    ),
    (
        "scheduling gate added to an ungated pod",
        BASE,
        _with(BASE, "spec.schedulingGates", [{"name": "foo"}]),
        [
            "spec.schedulingGates[0].name: Forbidden: only deletion is allowed, but found new "
            "scheduling gate 'foo'"
        ],
    ),
    (
        "terminationGracePeriodSeconds from negative to 1",
        _with(BASE, "spec.terminationGracePeriodSeconds", -1),
        _with(BASE, "spec.terminationGracePeriodSeconds", 1),
        [],
    ),
    (
        "terminationGracePeriodSeconds from negative to 2",
        _with(BASE, "spec.terminationGracePeriodSeconds", -1),
        _with(BASE, "spec.terminationGracePeriodSeconds", 2),
        [FORBIDDEN_PREFIX],
    ),
    (
        "dnsPolicy changed",
        BASE,
        _with(BASE, "spec.dnsPolicy", "Default"),
        [FORBIDDEN_PREFIX],
    ),
    (
        "node selector addition on a gated pod",
        _with(GATED, "spec.nodeSelector", {"foo": "bar"}),
        _with(GATED, "spec.nodeSelector", {"foo": "bar", "foo2": "bar2"}),
        [],
    ),
    (
        "node selector mutation on a gated pod",
        _with(GATED, "spec.nodeSelector", {"foo": "bar"}),
        _with(GATED, "spec.nodeSelector", {"foo": "bar2", "a": "b"}),
        [
            'spec.nodeSelector: Invalid value: {"a":"b","foo":"bar2"}: only additions to '
            "spec.nodeSelector are allowed (no mutations or deletions)"
        ],
    ),
    (
        "node selector addition on an ungated pod",
        _with(BASE, "spec.nodeSelector", {"foo": "bar"}),
        _with(BASE, "spec.nodeSelector", {"foo": "bar", "foo2": "bar2"}),
        [FORBIDDEN_PREFIX],
    ),
    (
        "nodeAffinity additions on a gated pod",
        _with(GATED, "spec.affinity", NODE_AFFINITY),
        _with(
            _with(GATED, "spec.affinity", NODE_AFFINITY),
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
            ".nodeSelectorTerms[0].matchExpressions",
            [
                {"key": "expr", "operator": "In", "values": ["foo"]},
                {"key": "expr2", "operator": "In", "values": ["foo2"]},
            ],
        ),
        [],
    ),
    (
        "nodeAffinity modification of item in MatchExpressions not allowed",
        _with(GATED, "spec.affinity", NODE_AFFINITY),
        _with(
            _with(GATED, "spec.affinity", NODE_AFFINITY),
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
            ".nodeSelectorTerms[0].matchExpressions[0].values",
            ["bar"],
        ),
        [
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
            '.nodeSelectorTerms[0]: Invalid value: {"MatchExpressions":[{"Key":"expr",'
            '"Operator":"In","Values":["bar"]}],"MatchFields":null}: only additions are '
            "allowed (no mutations or deletions)"
        ],
    ),
    (
        "new node affinity is nil",
        _with(GATED, "spec.affinity", NODE_AFFINITY),
        _with(GATED, "spec.affinity", {}),
        [
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
            ".nodeSelectorTerms: Invalid value: null: no additions/deletions to non-empty "
            "NodeSelectorTerms list are allowed"
        ],
    ),
    (
        "nil affinity can be mutated for gated pods",
        GATED,
        _with(GATED, "spec.affinity", NODE_AFFINITY),
        [],
    ),
    (
        "the podAffinity cannot be updated on gated pods",
        GATED,
        _with(
            GATED,
            "spec.affinity",
            {
                **NODE_AFFINITY,
                "podAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {"topologyKey": "foo", "labelSelector": {"matchLabels": {"foo": "bar"}}}
                    ]
                },
            },
        ),
        [FORBIDDEN_PREFIX],
    ),
    (
        "mirror pod annotation added",
        BASE,
        _with(BASE, "metadata.annotations", {MIRROR: "x"}),
        [
            'metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "x": '
            "must set spec.nodeName if mirror pod annotation is set",
            "metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not add mirror "
            "pod annotation",
            # ValidatePodSpecificAnnotationUpdates ends with ValidatePodSpecificAnnotations
            'metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "x": '
            "must set spec.nodeName if mirror pod annotation is set",
        ],
    ),
    (
        "mirror pod annotation removed",
        _with(_with(BASE, "metadata.annotations", {MIRROR: "x"}), "spec.nodeName", "n"),
        _with(BASE, "spec.nodeName", "n"),
        [
            "metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not remove or "
            "update mirror pod annotation"
        ],
    ),
    (
        "AppArmor annotation changed",
        _with(BASE, "metadata.annotations", {APPARMOR: "runtime/default"}),
        _with(BASE, "metadata.annotations", {APPARMOR: "unconfined"}),
        [
            f"metadata.annotations[{APPARMOR}]: Forbidden: may not remove or update AppArmor "
            "annotations"
        ],
    ),
    (
        "no resourceVersion",
        BASE,
        _with(BASE, "metadata.resourceVersion", _DELETE),
        ['metadata.resourceVersion: Invalid value: "": must be specified for an update'],
    ),
    (
        "uid changed",
        BASE,
        _with(BASE, "metadata.uid", "u2"),
        ['metadata.uid: Invalid value: "u2": field is immutable'],
    ),
    (
        "generation decremented",
        _with(BASE, "metadata.generation", 3),
        _with(BASE, "metadata.generation", 2),
        ["metadata.generation: Invalid value: 2: must not be decremented"],
    ),
    (
        "finalizer added while deleting",
        _with(BASE, "metadata.deletionTimestamp", "2026-01-01T00:00:00Z"),
        _with(
            _with(BASE, "metadata.deletionTimestamp", "2026-01-01T00:00:00Z"),
            "metadata.finalizers",
            ["example.com/b", "example.com/a"],
        ),
        [
            "metadata.finalizers: Forbidden: no new finalizers can be added if the object is "
            'being deleted, found new finalizers []string{"example.com/a", "example.com/b"}'
        ],
    ),
    (
        "invalid label value: ValidateObjectMetaUpdate, then ValidateObjectMeta",
        BASE,
        _with(BASE, "metadata.labels", {"a": "-bad-"}),
        [
            'metadata.labels: Invalid value: "-bad-": a valid label must be an empty string or '
            "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
            "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        ]
        * 2,
    ),
    (
        "deletionTimestamp set by an update",
        BASE,
        _with(BASE, "metadata.deletionTimestamp", "2026-01-01T00:00:00Z"),
        ['metadata.deletionTimestamp: Invalid value: "2026-01-01T00:00:00Z": field is immutable'],
    ),
    (
        "ephemeral container changed",
        _with(
            BASE,
            "spec.ephemeralContainers",
            [{"name": "debug", "image": "busybox", "terminationMessagePolicy": "File"}],
        ),
        _with(
            BASE,
            "spec.ephemeralContainers",
            [{"name": "debug", "image": "busybox:2", "terminationMessagePolicy": "File"}],
        ),
        [FORBIDDEN_PREFIX],
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "expected"), CASES, ids=[c[0] for c in CASES])
def test_validate_pod_update(
    name: str, old: dict[str, Any], new: dict[str, Any], expected: list[str]
) -> None:
    assert _errors(old, new) == expected


def test_error_order_follows_upstream_steps() -> None:
    old = _with(_with(BASE, "spec.activeDeadlineSeconds", 10), "spec.tolerations", [NOEXEC])
    new = _with(old, "metadata.resourceVersion", _DELETE)
    new = _with(new, "spec.containers[0].image", "")
    new = _with(new, "spec.activeDeadlineSeconds", 5)
    new = _with(new, "spec.tolerations", [])
    new = _with(new, "spec.schedulingGates", [{"name": "g"}])
    new = _with(new, "spec.hostname", "other")
    assert _errors(old, new) == [
        'metadata.resourceVersion: Invalid value: "": must be specified for an update',
        "spec.containers[0].image: Required value",
        "spec.containers[0].image: Required value",
        "spec.tolerations: Forbidden: existing toleration can not be modified except its "
        "tolerationSeconds",
        "spec.schedulingGates[0].name: Forbidden: only deletion is allowed, but found new "
        "scheduling gate 'g'",
        FORBIDDEN_PREFIX,
    ]


def test_updatable_fields_are_the_five_of_1_35() -> None:
    # 1.33 moved resizes to the resize subresource: no `spec.containers[*].resources` entry.
    assert "resources" not in " ".join(UPDATABLE_POD_SPEC_FIELDS)
    assert len(UPDATABLE_POD_SPEC_FIELDS) == 5


def test_forbidden_message_ends_with_a_readable_diff_of_the_changed_fields() -> None:
    old = build(_with(BASE, "spec.containers[0].ports", [{"containerPort": 80}]))
    new = build(
        _with(
            _with(BASE, "spec.containers[0].ports", [{"containerPort": 8080}]),
            "spec.containers[0].image",
            "busybox:2",
        )
    )
    errs = validate_pod_update(new, old, OPTS)
    assert len(errs) == 1
    prefix, diff = str(errs[0]).split("\n", 1)
    assert prefix == FORBIDDEN_PREFIX
    # the image is updatable, so the munged spec keeps the old image: only the port differs
    assert diff == (
        "  core.PodSpec{\n"
        "- \tcontainers[0].ports[0].containerPort: 80\n"
        "+ \tcontainers[0].ports[0].containerPort: 8080\n"
        "  }\n"
    )
    assert invalid_message("Pod", "p", errs).startswith(f'Pod "p" is invalid: {FORBIDDEN_PREFIX}\n')


def test_spec_diff_shows_added_and_removed_values() -> None:
    old = models.PodSpec(nodeSelector={"a": "1"}, hostname="h")
    new = models.PodSpec(nodeSelector={"a": "1", "b": "2"})
    assert spec_diff(old, new).splitlines() == [
        "  core.PodSpec{",
        '- \thostname: "h"',
        '+ \tnodeSelector["b"]: "2"',
        "  }",
    ]


# ---------------------------------------------------------------- update options
def _opts(old: dict[str, Any], new: dict[str, Any] | None = None) -> Any:
    old_pod = build(old)
    new_pod = build(new if new is not None else old)
    return options_for_update(new_pod, old_pod, DEFAULT_GATES)


def test_update_options_start_from_create_options() -> None:
    assert _opts(BASE) == OPTS


@pytest.mark.parametrize(
    ("name", "old", "field"),
    [
        (
            "invalid pod-deletion-cost",
            _with(
                BASE, "metadata.annotations", {"controller.kubernetes.io/pod-deletion-cost": "x"}
            ),
            "allow_invalid_pod_deletion_cost",
        ),
        (
            "invalid label value in pod affinity selector",
            _with(
                BASE,
                "spec.affinity",
                {
                    "podAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "topologyKey": "k",
                                "labelSelector": {
                                    "matchExpressions": [
                                        {"key": "a", "operator": "In", "values": ["-bad-"]}
                                    ]
                                },
                            }
                        ]
                    }
                },
            ),
            "allow_invalid_label_value_in_selector",
        ),
        (
            "invalid label value in required node affinity",
            _with(
                BASE,
                "spec.affinity",
                {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {"key": "expr", "operator": "In", "values": ["-1"]}
                                    ]
                                }
                            ]
                        }
                    }
                },
            ),
            "allow_invalid_label_value_in_required_node_affinity",
        ),
        (
            "namespaced sysctl on a hostNetwork pod",
            _with(
                _with(BASE, "spec.hostNetwork", True),
                "spec.securityContext",
                {"sysctls": [{"name": "net.ipv4.ip_forward", "value": "1"}]},
            ),
            "allow_namespaced_sysctls_for_host_net_and_host_ipc",
        ),
        (
            "indivisible huge pages",
            _with(
                BASE,
                "spec.containers[0].resources",
                {"limits": {"hugepages-2Mi": "1Mi", "memory": "1Gi"}},
            ),
            "allow_indivisible_huge_pages_values",
        ),
        (
            "non-local projected token path",
            _with(
                _with(BASE, "spec.serviceAccountName", "sa"),
                "spec.volumes",
                [
                    {
                        "name": "t",
                        "projected": {"sources": [{"serviceAccountToken": {"path": "../x"}}]},
                    }
                ],
            ),
            "allow_non_local_projected_token_path",
        ),
        (
            "invalid topology spread selector",
            _with(
                BASE,
                "spec.topologySpreadConstraints",
                [
                    {
                        "maxSkew": 1,
                        "topologyKey": "k",
                        "whenUnsatisfiable": "DoNotSchedule",
                        "labelSelector": {"matchLabels": {"a": "-bad-"}},
                    }
                ],
            ),
            "allow_invalid_topology_spread_constraint_label_selector",
        ),
        (
            "Lt toleration",
            _with(
                BASE,
                "spec.tolerations",
                [{"key": "k", "operator": "Lt", "value": "5", "effect": "NoSchedule"}],
            ),
            "allow_taint_toleration_comparison_operators",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else "",
)
def test_update_options_relax_what_the_old_pod_already_uses(
    name: str, old: dict[str, Any], field: str
) -> None:
    assert getattr(OPTS, field) is False
    assert getattr(_opts(old), field) is True
    assert getattr(_opts(BASE, old), field) is False, "only the old pod relaxes"


def test_old_pod_with_an_invalid_deletion_cost_stays_updatable() -> None:
    annotated = _with(
        BASE, "metadata.annotations", {"controller.kubernetes.io/pod-deletion-cost": "x"}
    )
    new = _with(annotated, "spec.containers[0].image", "busybox:2")
    assert _errors(annotated, new) == []
    create_like = validate_pod_update(build(new), build(BASE), OPTS)
    assert texts(create_like) == [
        'metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "x": '
        "must be a 32bit integer",
        'metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "x": '
        "must be a 32bit integer",
    ]


def test_gates_still_decide_when_the_old_pod_uses_nothing() -> None:
    gates = dataclasses.replace(DEFAULT_GATES, TaintTolerationComparisonOperators=True)
    pod = build(BASE)
    assert options_for_update(pod, pod, gates).allow_taint_toleration_comparison_operators
