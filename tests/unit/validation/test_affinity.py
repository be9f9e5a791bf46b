"""``spec.affinity`` through ``seclet validate``: the full kubectl output, as kube-apiserver.

Cases are upstream's (k/k ``pkg/apis/core/validation/validation_test.go`` ``TestValidatePod``
success and error cases for node affinity, pod (anti-)affinity, matchLabelKeys and
mismatchLabelKeys) with the complete message each one produces under the rules of
``validation.go`` (``validateAffinity`` and what it calls) and apimachinery's
``ValidateLabelSelector``; plus the rules those tests do not reach (label values per
operator, matchFields node names, the ``namespace`` path without index, the
``<term>[i]`` path of "exists in both matchLabelKeys and labelSelector").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seclet.api import models
from seclet.api.field import Path as FieldPath
from seclet.cli.main import main
from seclet.validation.affinity import merge_label_keys, validate_affinity
from seclet.validation.options import PodValidationOptions

HEAD = 'The Pod "p" is invalid: '
NA = "spec.affinity.nodeAffinity"
REQ = f"{NA}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
PA = "spec.affinity.podAffinity"
PAA = "spec.affinity.podAntiAffinity"
HARD = "requiredDuringSchedulingIgnoredDuringExecution[0]"
SOFT = "preferredDuringSchedulingIgnoredDuringExecution[0]"

NAME_PART = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
DNS_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def required_terms(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}
            }
        }
    }


def expr(key: str, op: str | None = None, values: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key}
    if op is not None:
        out["operator"] = op
    if values is not None:
        out["values"] = values
    return out


def term(
    selector: list[dict[str, Any]] | None = None,
    *,
    topology: str | None = "k8s.io/zone",
    **more: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = dict(more)
    if selector is not None:
        out["labelSelector"] = {"matchExpressions": selector}
    if topology is not None:
        out["topologyKey"] = topology
    return out


def pod_affinity(kind: str, hard: bool, t: dict[str, Any], weight: int = 10) -> dict[str, Any]:
    if hard:
        rules: dict[str, Any] = {"requiredDuringSchedulingIgnoredDuringExecution": [t]}
    else:
        rules = {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": weight, "podAffinityTerm": t}
            ]
        }
    return {"affinity": {kind: rules}}


NOT_IN_KEY = expr("key", "NotIn", ["value1", "value2"])
MATCH_MISMATCH = [NOT_IN_KEY, expr("key2", "In", ["value1"]), expr("key3", "NotIn", ["value1"])]
BOTH = [expr("key", "In", ["value1"]), expr("key", "NotIn", ["value2"])]

VALID: list[tuple[str, dict[str, Any]]] = [
    # upstream success cases
    (
        "MatchLabelKeys/MismatchLabelKeys in required PodAffinity",
        pod_affinity(
            "podAffinity",
            True,
            term(MATCH_MISMATCH, matchLabelKeys=["key2"], mismatchLabelKeys=["key3"]),
        ),
    ),
    (
        "MatchLabelKeys/MismatchLabelKeys in preferred PodAffinity",
        pod_affinity(
            "podAffinity",
            False,
            term(MATCH_MISMATCH, matchLabelKeys=["key2"], mismatchLabelKeys=["key3"]),
        ),
    ),
    (
        "MatchLabelKeys/MismatchLabelKeys in required PodAntiAffinity",
        pod_affinity(
            "podAntiAffinity",
            True,
            term(MATCH_MISMATCH, matchLabelKeys=["key2"], mismatchLabelKeys=["key3"]),
        ),
    ),
    (
        "MatchLabelKeys/MismatchLabelKeys in preferred PodAntiAffinity",
        pod_affinity(
            "podAntiAffinity",
            False,
            term(MATCH_MISMATCH, matchLabelKeys=["key2"], mismatchLabelKeys=["key3"]),
        ),
    ),
    (
        "LabelSelector can have the same key as MismatchLabelKeys",
        pod_affinity(
            "podAffinity",
            True,
            term(
                [NOT_IN_KEY, expr("key2", "In", ["value1"]), expr("key2", "NotIn", ["value1"])],
                mismatchLabelKeys=["key2"],
            ),
        ),
    ),
    # every node selector operator with its value count, matchFields, both weight bounds
    (
        "node affinity, all operators",
        {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    expr("a", "In", ["x", "y"]),
                                    expr("example.com/b", "NotIn", ["x"]),
                                    expr("c", "Exists"),
                                    expr("d", "DoesNotExist"),
                                    expr("e", "Gt", ["1"]),
                                    expr("f", "Lt", ["10"]),
                                ],
                                "matchFields": [expr("metadata.name", "In", ["node-1"])],
                            },
                            {"matchFields": [expr("metadata.name", "NotIn", ["node-2"])]},
                        ]
                    },
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 1, "preference": {"matchExpressions": [expr("a", "Exists")]}},
                        {"weight": 100, "preference": {}},
                    ],
                }
            }
        },
    ),
    (
        "preferred node affinity never checks label values",
        {
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 5,
                            "preference": {"matchExpressions": [expr("k", "In", ["a b"])]},
                        }
                    ]
                }
            }
        },
    ),
    (
        "pod affinity with namespaces and a namespaceSelector",
        pod_affinity(
            "podAntiAffinity",
            True,
            term(
                [expr("app", "In", ["web"])],
                namespaces=["default", "kube-system"],
                namespaceSelector={"matchLabels": {"team": "a"}},
            ),
        ),
    ),
]


def one(line: str) -> str:
    return HEAD + line + "\n"


def many(*lines: str) -> str:
    return HEAD + "\n" + "".join(f"* {line}\n" for line in lines)


INVALID: list[tuple[str, dict[str, Any], dict[str, str] | None, str]] = [
    # upstream error cases (TestValidatePod), full messages
    (
        "invalid node selector requirement in node affinity, operator can't be null",
        required_terms({"matchExpressions": [expr("key1")]}),
        None,
        one(
            f'{REQ}.matchExpressions[0].operator: Invalid value: "": not a valid selector operator'
        ),
    ),
    (
        "invalid node selector requirement in node affinity, key is invalid",
        required_terms({"matchExpressions": [expr("invalid key ___@#", "Exists")]}),
        None,
        one(f'{REQ}.matchExpressions[0].key: Invalid value: "invalid key ___@#": {NAME_PART}'),
    ),
    (
        "invalid node field selector requirement in node affinity, more values for field selector",
        required_terms({"matchFields": [expr("metadata.name", "In", ["host1", "host2"])]}),
        None,
        one(
            f"{REQ}.matchFields[0].values: Required value: must be only one value when "
            "`operator` is 'In' or 'NotIn' for node field selector"
        ),
    ),
    (
        "invalid node field selector requirement in node affinity, invalid operator",
        required_terms({"matchFields": [expr("metadata.name", "Exists")]}),
        None,
        one(
            f'{REQ}.matchFields[0].operator: Invalid value: "Exists": not a valid selector operator'
        ),
    ),
    (
        "invalid node field selector requirement in node affinity, invalid key",
        required_terms({"matchFields": [expr("metadata.namespace", "In", ["ns1"])]}),
        None,
        one(
            f'{REQ}.matchFields[0].key: Invalid value: "metadata.namespace": '
            "not a valid field selector key"
        ),
    ),
    (
        "invalid preferredSchedulingTerm in node affinity, weight should be in range 1-100",
        {
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 199,
                            "preference": {"matchExpressions": [expr("foo", "In", ["bar"])]},
                        }
                    ]
                }
            }
        },
        None,
        one(f"{NA}.{SOFT}.weight: Invalid value: 199: must be in the range 1-100"),
    ),
    (
        "invalid requiredDuringSchedulingIgnoredDuringExecution node selector, "
        "nodeSelectorTerms must have at least one term",
        required_terms(),
        None,
        one(
            f"{NA}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: "
            "Required value: must have at least one node selector term"
        ),
    ),
    (
        "invalid weight in preferredDuringSchedulingIgnoredDuringExecution in pod affinity",
        pod_affinity(
            "podAffinity",
            False,
            term(
                [expr("key2", "NotIn", ["value1", "value2"])], topology="region", namespaces=["ns"]
            ),
            weight=109,
        ),
        None,
        one(f"{PA}.{SOFT}.weight: Invalid value: 109: must be in the range 1-100"),
    ),
    (
        "invalid labelSelector in preferred podAntiAffinity, values should be empty if Exists",
        pod_affinity(
            "podAntiAffinity",
            False,
            term(
                [expr("key2", "Exists", ["value1", "value2"])], topology="region", namespaces=["ns"]
            ),
        ),
        None,
        one(
            f"{PAA}.{SOFT}.podAffinityTerm.labelSelector.matchExpressions[0].values: Forbidden: "
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        ),
    ),
    (
        "invalid namespaceSelector in preferred podAntiAffinity, In operator must include Values",
        pod_affinity(
            "podAntiAffinity",
            False,
            term(
                topology="region",
                namespaces=["ns"],
                namespaceSelector={"matchExpressions": [expr("key2", "In")]},
            ),
        ),
        None,
        one(
            f"{PAA}.{SOFT}.podAffinityTerm.namespaceSelector.matchExpressions[0].values: "
            "Required value: must be specified when `operator` is 'In' or 'NotIn'"
        ),
    ),
    (
        "invalid namespaceSelector in preferred podAntiAffinity, Exists operator can not have values",
        pod_affinity(
            "podAntiAffinity",
            False,
            term(
                topology="region",
                namespaces=["ns"],
                namespaceSelector={"matchExpressions": [expr("key2", "Exists", ["v1", "v2"])]},
            ),
        ),
        None,
        one(
            f"{PAA}.{SOFT}.podAffinityTerm.namespaceSelector.matchExpressions[0].values: "
            "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        ),
    ),
    (
        "invalid name space in preferred podAffinity, namespace should be valid",
        pod_affinity(
            "podAffinity",
            False,
            term([expr("key2", "Exists")], topology="region", namespaces=["INVALID_NAMESPACE"]),
        ),
        None,
        one(
            f'{PA}.{SOFT}.podAffinityTerm.namespace: Invalid value: "INVALID_NAMESPACE": '
            f"{DNS_LABEL}"
        ),
    ),
    (
        "invalid hard pod affinity, empty topologyKey is not allowed for hard pod affinity",
        pod_affinity(
            "podAffinity",
            True,
            term([expr("key2", "In", ["value1", "value2"])], topology=None, namespaces=["ns"]),
        ),
        None,
        many(
            f"{PA}.{HARD}.topologyKey: Required value: can not be empty",
            f'{PA}.{HARD}.topologyKey: Invalid value: "": name part must be non-empty',
            f'{PA}.{HARD}.topologyKey: Invalid value: "": {NAME_PART}',
        ),
    ),
    (
        "invalid soft pod anti-affinity, empty topologyKey is not allowed",
        pod_affinity(
            "podAntiAffinity",
            False,
            term([expr("key2", "NotIn", ["value1", "value2"])], topology=None, namespaces=["ns"]),
        ),
        None,
        many(
            f"{PAA}.{SOFT}.podAffinityTerm.topologyKey: Required value: can not be empty",
            f'{PAA}.{SOFT}.podAffinityTerm.topologyKey: Invalid value: "": '
            "name part must be non-empty",
            f'{PAA}.{SOFT}.podAffinityTerm.topologyKey: Invalid value: "": {NAME_PART}',
        ),
    ),
    (
        "invalid soft pod affinity, key in MatchLabelKeys isn't correctly defined",
        pod_affinity("podAffinity", False, term([NOT_IN_KEY], matchLabelKeys=["/simple"])),
        None,
        one(
            f'{PA}.{SOFT}.podAffinityTerm.matchLabelKeys[0]: Invalid value: "/simple": '
            "prefix part must be non-empty"
        ),
    ),
    (
        "invalid hard pod anti-affinity, key in MismatchLabelKeys isn't correctly defined",
        pod_affinity("podAntiAffinity", True, term([NOT_IN_KEY], mismatchLabelKeys=["/simple"])),
        None,
        one(
            f'{PAA}.{HARD}.mismatchLabelKeys[0]: Invalid value: "/simple": '
            "prefix part must be non-empty"
        ),
    ),
    (
        "invalid soft pod affinity, key exists in both matchLabelKeys and labelSelector",
        pod_affinity("podAffinity", False, term(BOTH, matchLabelKeys=["key"])),
        None,
        one(
            f'{PA}.{SOFT}.podAffinityTerm[0]: Invalid value: "key": '
            "exists in both matchLabelKeys and labelSelector"
        ),
    ),
    (
        "invalid hard pod anti-affinity, key exists in both matchLabelKeys and labelSelector "
        "(the pod's label adds a third expression)",
        pod_affinity("podAntiAffinity", True, term(BOTH, matchLabelKeys=["key"])),
        {"key": "value1"},
        # two identical errors; the 422 message is an aggregate, which drops repeats
        one(
            f'{PAA}.{HARD}[0]: Invalid value: "key": exists in both matchLabelKeys and labelSelector'
        ),
    ),
    (
        "invalid hard pod affinity, key exists in both MatchLabelKeys and MismatchLabelKeys",
        pod_affinity(
            "podAffinity",
            True,
            term([NOT_IN_KEY], matchLabelKeys=["samekey"], mismatchLabelKeys=["samekey"]),
        ),
        None,
        one(
            f'{PA}.{HARD}.matchLabelKeys[0]: Invalid value: "samekey": '
            "exists in both matchLabelKeys and mismatchLabelKeys"
        ),
    ),
    (
        "invalid soft pod anti-affinity, key exists in both MatchLabelKeys and MismatchLabelKeys",
        pod_affinity(
            "podAntiAffinity",
            False,
            term([NOT_IN_KEY], matchLabelKeys=["samekey"], mismatchLabelKeys=["samekey"]),
        ),
        None,
        one(
            f'{PAA}.{SOFT}.podAffinityTerm.matchLabelKeys[0]: Invalid value: "samekey": '
            "exists in both matchLabelKeys and mismatchLabelKeys"
        ),
    ),
    # rules the upstream table does not reach
    (
        "matchLabels key only in the selector, matchLabelKeys merged from the pod's label",
        pod_affinity(
            "podAffinity",
            True,
            {
                "labelSelector": {"matchLabels": {"app": "web"}},
                "topologyKey": "zone",
                "matchLabelKeys": ["app"],
            },
        ),
        {"app": "web"},
        one(
            f'{PA}.{HARD}[0]: Invalid value: "app": exists in both matchLabelKeys and labelSelector'
        ),
    ),
    (
        "matchLabelKeys and mismatchLabelKeys need a labelSelector",
        pod_affinity("podAffinity", True, term(matchLabelKeys=["a"], mismatchLabelKeys=["b"])),
        None,
        many(
            f"{PA}.{HARD}.matchLabelKeys: Forbidden: must not be specified when labelSelector is not set",
            f"{PA}.{HARD}.mismatchLabelKeys: Forbidden: must not be specified when labelSelector "
            "is not set",
        ),
    ),
    (
        "required node affinity checks label values for every operator",
        required_terms(
            {
                "matchExpressions": [
                    expr("k", "Exists", ["a b"]),
                    expr("g", "Gt", ["1", "x y"]),
                    expr("i", "In"),
                ]
            }
        ),
        None,
        many(
            f"{REQ}.matchExpressions[0].values: Forbidden: may not be specified when `operator` "
            "is 'Exists' or 'DoesNotExist'",
            f'{REQ}.matchExpressions[0].values[0]: Invalid value: "a b": {LABEL_VALUE}',
            f"{REQ}.matchExpressions[1].values: Required value: must be specified single value "
            "when `operator` is 'Lt' or 'Gt'",
            f'{REQ}.matchExpressions[1].values[1]: Invalid value: "x y": {LABEL_VALUE}',
            f"{REQ}.matchExpressions[2].values: Required value: must be specified when "
            "`operator` is 'In' or 'NotIn'",
        ),
    ),
    (
        "matchFields: operator before key; metadata.name values are node names",
        required_terms(
            {
                "matchFields": [
                    expr("metadata.name", "NotIn", ["Node_1"]),
                    expr("spec.x", "Gt", ["1"]),
                ]
            }
        ),
        None,
        many(
            f'{REQ}.matchFields[0].values[0]: Invalid value: "Node_1": {DNS_SUBDOMAIN}',
            f'{REQ}.matchFields[1].operator: Invalid value: "Gt": not a valid selector operator',
            f'{REQ}.matchFields[1].key: Invalid value: "spec.x": not a valid field selector key',
        ),
    ),
    (
        "label selector: matchLabels at the map's path, unknown operator, bad value",
        pod_affinity(
            "podAffinity",
            True,
            {
                "labelSelector": {
                    "matchLabels": {"bad key": "ok"},
                    "matchExpressions": [expr("k", "Gt", ["1"]), expr("k2", "In", ["a b"])],
                },
                "topologyKey": "zone",
            },
        ),
        None,
        many(
            f'{PA}.{HARD}.labelSelector.matchLabels: Invalid value: "bad key": {NAME_PART}',
            f'{PA}.{HARD}.labelSelector.matchExpressions[0].operator: Invalid value: "Gt": '
            "not a valid selector operator",
            f'{PA}.{HARD}.labelSelector.matchExpressions[1].values[0]: Invalid value: "a b": '
            f"{LABEL_VALUE}",
        ),
    ),
    (
        "weight 0 is out of range for pod anti-affinity; order: node, pod, anti",
        {
            "affinity": {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 0, "podAffinityTerm": term([expr("a", "Exists")])}
                    ]
                },
                "podAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [term(topology="")]
                },
                "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}},
            }
        },
        None,
        many(
            f"{NA}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: "
            "Required value: must have at least one node selector term",
            f"{PA}.{HARD}.topologyKey: Required value: can not be empty",
            f'{PA}.{HARD}.topologyKey: Invalid value: "": name part must be non-empty',
            f'{PA}.{HARD}.topologyKey: Invalid value: "": {NAME_PART}',
            f"{PAA}.{SOFT}.weight: Invalid value: 0: must be in the range 1-100",
        ),
    ),
    (
        "affinity sits after the pod securityContext and before dnsConfig",
        {
            "securityContext": {"runAsUser": -1},
            "dnsPolicy": "None",
            **required_terms(),
        },
        None,
        many(
            "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and "
            "2147483647, inclusive",
            f"{NA}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: "
            "Required value: must have at least one node selector term",
            "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None",
        ),
    ),
]


def validate(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spec: dict[str, Any],
    labels: dict[str, str] | None = None,
) -> tuple[int, str]:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec},
    }
    if labels:
        body["metadata"]["labels"] = labels
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(body))
    code = main(["validate", "-f", str(f)])
    return code, capsys.readouterr().out


@pytest.mark.parametrize(("name", "spec"), VALID, ids=[c[0] for c in VALID])
def test_valid_affinity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, spec: dict[str, Any]
) -> None:
    assert validate(tmp_path, capsys, spec) == (0, "pod/p valid\n"), name


@pytest.mark.parametrize(
    ("name", "spec", "labels", "expected"), INVALID, ids=[c[0] for c in INVALID]
)
def test_invalid_affinity(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    spec: dict[str, Any],
    labels: dict[str, str] | None,
    expected: str,
) -> None:
    assert validate(tmp_path, capsys, spec, labels) == (1, expected), name


def test_a_pod_without_the_label_merges_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mutatePodAffinity only adds ``key In (value)`` for labels the pod has."""
    spec = pod_affinity(
        "podAffinity",
        True,
        {
            "labelSelector": {"matchLabels": {"app": "web"}},
            "topologyKey": "z",
            "matchLabelKeys": ["app"],
        },
    )
    assert validate(tmp_path, capsys, spec, {"tier": "x"}) == (0, "pod/p valid\n")


# ------------------------------------------------------------------ options and the merge
BAD_VALUES = models.Affinity(
    nodeAffinity=models.NodeAffinity(
        requiredDuringSchedulingIgnoredDuringExecution=models.NodeSelector(
            nodeSelectorTerms=(
                models.NodeSelectorTerm(
                    matchExpressions=(
                        models.NodeSelectorRequirement(key="k", operator="In", values=("a b",)),
                    )
                ),
            )
        )
    ),
    podAffinity=models.PodAffinity(
        requiredDuringSchedulingIgnoredDuringExecution=(
            models.PodAffinityTerm(
                labelSelector=models.LabelSelector(
                    matchExpressions=(
                        models.LabelSelectorRequirement(key="k", operator="In", values=("c d",)),
                    )
                ),
                topologyKey="zone",
            ),
        )
    ),
)
AFF = FieldPath.root("spec", "affinity")


@pytest.mark.parametrize(
    ("opts", "expected"),
    [
        (
            PodValidationOptions(),
            [
                f'{REQ}.matchExpressions[0].values[0]: Invalid value: "a b": {LABEL_VALUE}',
                f'{PA}.{HARD}.labelSelector.matchExpressions[0].values[0]: Invalid value: "c d": '
                f"{LABEL_VALUE}",
            ],
        ),
        (
            PodValidationOptions(allow_invalid_label_value_in_required_node_affinity=True),
            [
                f'{PA}.{HARD}.labelSelector.matchExpressions[0].values[0]: Invalid value: "c d": '
                f"{LABEL_VALUE}",
            ],
        ),
        (
            PodValidationOptions(allow_invalid_label_value_in_selector=True),
            [f'{REQ}.matchExpressions[0].values[0]: Invalid value: "a b": {LABEL_VALUE}'],
        ),
    ],
    ids=["create", "old pod had bad node affinity values", "old pod had bad selector values"],
)
def test_label_value_options(opts: PodValidationOptions, expected: list[str]) -> None:
    assert validate_affinity(BAD_VALUES, opts, AFF).texts() == expected


def test_merge_label_keys_appends_in_then_not_in_for_the_pod_labels() -> None:
    pod: dict[str, Any] = {
        "metadata": {"labels": {"a": "1", "b": "2"}},
        "spec": {
            "affinity": {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 1,
                            "podAffinityTerm": {
                                "labelSelector": {"matchLabels": {"x": "y"}},
                                "matchLabelKeys": ["a", "missing"],
                                "mismatchLabelKeys": ["b"],
                                "topologyKey": "z",
                            },
                        }
                    ],
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        # no labelSelector: nothing is merged (nil selector matches none)
                        {"matchLabelKeys": ["a"], "topologyKey": "z"}
                    ],
                }
            }
        },
    }
    merge_label_keys(pod)
    anti = pod["spec"]["affinity"]["podAntiAffinity"]
    assert anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"][
        "labelSelector"
    ] == {
        "matchLabels": {"x": "y"},
        "matchExpressions": [
            {"key": "a", "operator": "In", "values": ["1"]},
            {"key": "b", "operator": "NotIn", "values": ["2"]},
        ],
    }
    assert anti["requiredDuringSchedulingIgnoredDuringExecution"] == [
        {"matchLabelKeys": ["a"], "topologyKey": "z"}
    ]


def test_unset_affinity_parts_report_nothing() -> None:
    empty = models.Affinity(
        nodeAffinity=models.NodeAffinity(),
        podAffinity=models.PodAffinity(),
        podAntiAffinity=models.PodAntiAffinity(),
    )
    assert validate_affinity(empty, PodValidationOptions(), AFF) == []
