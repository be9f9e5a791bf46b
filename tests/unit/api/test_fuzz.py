"""Hostile input never crashes the loader: every outcome is a Pod body or a refusal."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seclet.api.featuregates import DEFAULT_GATES
from seclet.api.load import PodBody, Refusal, load
from seclet.review import admit_body

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
field_names = st.sampled_from(
    [
        "containers", "initContainers", "securityContext", "runAsUser", "capabilities",
        "add", "drop", "name", "image", "volumes", "emptyDir", "hostPath", "sysctls",
        "seccompProfile", "type", "localhostProfile", "resources", "limits", "ports",
        "containerPort", "hostUsers", "procMount", "privileged", "fsGroup", "metadata",
        "labels", "annotations", "os", "windowsOptions", "supplementalGroups",
    ]
)
pod_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(field_names, inner, max_size=5)
    ),
    max_leaves=40,
)


def _all_outcomes_are_clean(data: bytes) -> None:
    for item in load(data, "fuzz.yaml"):
        if isinstance(item, Refusal):
            assert item.message
            assert "Traceback" not in item.message
        else:
            assert isinstance(item, PodBody)
            admitted = admit_body(item.body, DEFAULT_GATES)
            for e in admitted.errors:
                assert str(e)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=pod_like, meta=json_values)
def test_random_pods_are_decoded_or_refused(spec: object, meta: object) -> None:
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    _all_outcomes_are_clean(json.dumps(doc, allow_nan=True).encode())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_are_refused_cleanly(data: bytes) -> None:
    _all_outcomes_are_clean(data)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="{}[]:,-'\" \n\tab01.yes&*!|>#", max_size=120))
def test_yaml_punctuation_soup(text: str) -> None:
    _all_outcomes_are_clean(b"apiVersion: v1\nkind: Pod\nspec:\n  " + text.encode())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=pod_like, meta=json_values)
def test_fast_walk_never_accepts_what_the_diagnostic_walk_refuses(
    spec: object, meta: object
) -> None:
    from seclet.api import decode
    from seclet.api.models import Pod

    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    try:
        fast = decode._fast_object(doc, Pod, 0)
    except decode._RejectedError:
        return
    state = decode._State(sort=True)
    slow = decode._object(doc, Pod, None, state, 0)
    assert state.type_error is None
    assert not state.strict
    assert fast == slow
