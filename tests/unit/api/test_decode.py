"""Strict decoding: the apiserver's exact words for undecodable Pod bodies."""

from __future__ import annotations

import pytest

from seclet.api.decode import DecodeError, decode_pod, handled_as
from seclet.api.load import PodBody, Refusal, load
from seclet.api.models import Pod
from seclet.api.schema import FrozenMap

HEAD = b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"


def refusal(body: bytes) -> str:
    items = load(HEAD + body, "f.yaml")
    assert len(items) == 1
    item = items[0]
    assert isinstance(item, Refusal), item
    return item.message


SERVER = 'Error from server (BadRequest): error when creating "f.yaml": Pod in version "v1" cannot be handled as a Pod: '


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b"spec:\n  securityContext: {runAsUser: 'x'}\n",
            "json: cannot unmarshal string into Go struct field PodSecurityContext.spec.securityContext.runAsUser of type int64",
        ),
        (
            b"spec:\n  securityContext: {runAsUser: 1.5}\n",
            "json: cannot unmarshal number 1.5 into Go struct field PodSecurityContext.spec.securityContext.runAsUser of type int64",
        ),
        (
            b"spec:\n  securityContext: {runAsUser: 99999999999999999999}\n",
            "json: cannot unmarshal number 100000000000000000000 into Go struct field PodSecurityContext.spec.securityContext.runAsUser of type int64",
        ),
        (
            b"spec:\n  securityContext: {runAsUser: 18446744073709551615}\n",
            "json: cannot unmarshal number 18446744073709551615 into Go struct field PodSecurityContext.spec.securityContext.runAsUser of type int64",
        ),
        (
            b"spec:\n  containers: [{name: a, ports: [{containerPort: 4294967296}]}]\n",
            "json: cannot unmarshal number 4294967296 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            b"spec:\n  containers: [{name: a, securityContext: {privileged: 'true'}}]\n",
            "json: cannot unmarshal string into Go struct field SecurityContext.spec.containers.securityContext.privileged of type bool",
        ),
        (
            b"spec:\n  containers: {a: 1}\n",
            "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container",
        ),
        (
            b"spec:\n  securityContext: []\n",
            "json: cannot unmarshal array into Go struct field PodSpec.spec.securityContext of type v1.PodSecurityContext",
        ),
        (
            b"spec:\n  securityContext: {supplementalGroups: [1, 'x']}\n",
            "json: cannot unmarshal string into Go struct field PodSecurityContext.spec.securityContext.supplementalGroups of type int64",
        ),
        (
            b"spec:\n  foo: 1\n",
            'strict decoding error: unknown field "spec.foo"',
        ),
        (
            b"spec:\n  zeta: 1\n  containers: [{name: a, bar: 2, image: x, name: b}]\n  alpha: 2\n",
            'strict decoding error: unknown field "spec.alpha", unknown field "spec.containers[0].bar", '
            'duplicate field "spec.containers[0].name", unknown field "spec.zeta"',
        ),
        (
            b"spec:\n  containers: [{name: a, resources: {limits: {cpu: 1x}}}]\n",
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
    ],
)
def test_refusals(body: bytes, message: str) -> None:
    assert refusal(body) == SERVER + message


def test_type_error_wins_over_strict_errors() -> None:
    msg = refusal(b"spec:\n  aaa: 1\n  securityContext: {runAsUser: x}\n")
    assert msg.endswith("of type int64")


def test_integral_floats_pass_as_kubectl_reencodes_them() -> None:
    items = load(HEAD + b"spec:\n  securityContext: {runAsUser: 1e3, runAsGroup: 7.0}\n", "f")
    assert isinstance(items[0], PodBody)


def test_null_is_the_zero_value() -> None:
    pod = decode_pod({"apiVersion": "v1", "kind": "Pod", "spec": {"securityContext": None}})
    assert pod.spec is not None
    assert pod.spec.securityContext is None


def test_build_gives_immutable_models() -> None:
    pod = decode_pod(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "i"}]},
        }
    )
    assert isinstance(pod, Pod)
    assert pod.spec is not None and pod.metadata is not None
    assert pod.spec.containers[0].name == "c"
    assert isinstance(pod.spec.containers, tuple)
    assert isinstance(pod.metadata.labels, FrozenMap)
    assert pod.metadata.labels == {"a": "b"}
    with pytest.raises(AttributeError):
        pod.spec.hostPID = True  # type: ignore[misc]


def test_decode_error_text() -> None:
    with pytest.raises(DecodeError, match=r'unknown field "x"'):
        decode_pod({"x": 1})
    assert handled_as("Pod", "v1", "m") == 'Pod in version "v1" cannot be handled as a Pod: m'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"apiVersion: v1\nkind: Pod\nmetadata: {name: p\n",
            "error: error parsing f.yaml: error converting YAML to JSON: yaml: line 3: did not find expected ',' or '}'",
        ),
        (b"\x89PNG\r\n\x1a\n", "error: error parsing f.yaml: yaml: invalid leading UTF-8 octet at byte 0"),
        (
            b"apiVersion: v1\nmetadata: {name: p}\n",
            """error: unable to decode "f.yaml": Object 'Kind' is missing in '{"apiVersion":"v1","metadata":{"name":"p"}}'""",
        ),
        (
            b"apiVersion: v2\nkind: Pod\nmetadata: {name: p}\n",
            'error: resource mapping not found for name: "p" namespace: "" from "f.yaml": '
            'no matches for kind "Pod" in version "v2"\nensure CRDs are installed first',
        ),
        (
            b"- 1\n- 2\n",
            "error: error parsing f.yaml: json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
    ],
)
def test_unusable_input(data: bytes, message: str) -> None:
    items = load(data, "f.yaml")
    assert [i.message for i in items if isinstance(i, Refusal)] == [message]


def test_deep_nesting_is_refused_not_crashing() -> None:
    items = load(b"[" * 100000, "f.yaml")
    assert isinstance(items[0], Refusal)
    assert items[0].message.startswith("error: error parsing f.yaml: ")
    deep = HEAD + b"spec:\n  overhead: " + b"{a: " * 50 + b"1" + b"}" * 50 + b"\n"
    assert isinstance(load(deep, "f.yaml")[0], Refusal)


def test_multi_document_and_list_expansion() -> None:
    data = (
        HEAD
        + b"---\n\n---\napiVersion: v1\nkind: List\nitems:\n"
        + b"- {apiVersion: v1, kind: Pod, metadata: {name: q}}\n"
        + b"- {apiVersion: v1, kind: Pod, metadata: {name: r}}\n"
    )
    items = load(data, "f.yaml")
    assert [getattr(i, "name", None) for i in items] == ["p", "q", "r"]


def test_json_with_duplicate_keys() -> None:
    items = load(b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","name":"q"}}', "f.json")
    assert isinstance(items[0], Refusal)
    assert items[0].message.endswith('strict decoding error: duplicate field "metadata.name"')
