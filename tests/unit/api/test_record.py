"""The runtime record classes keep the NamedTuple vocabulary the models had.

seclet.api.record turns every generated model into a slotted class; callers (the
kubelet's container hash, the apiserver, validation) rely on its construction,
``_replace``, value equality/hash, the NamedTuple repr text and immutability.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError

import pytest

from seclet.api import models
from seclet.api.decode import decode_pod
from seclet.api.record import fast_maker, hot_dataclass


def test_construction_repr_and_replace() -> None:
    caps = models.Capabilities(("NET_ADMIN",))
    assert caps.add == ("NET_ADMIN",) and caps.drop == ()
    assert repr(caps) == "Capabilities(add=('NET_ADMIN',), drop=())"
    assert models.Capabilities._fields == ("add", "drop")
    assert models.Capabilities._field_defaults == {"add": (), "drop": ()}
    dropped = caps._replace(drop=("ALL",))
    assert dropped == models.Capabilities(add=("NET_ADMIN",), drop=("ALL",))
    assert caps.drop == ()  # the original is untouched
    with pytest.raises(ValueError, match="unexpected field names: \\['nope'\\]"):
        caps._replace(nope=1)  # type: ignore[call-arg]


def test_value_equality_and_hash() -> None:
    a = models.SecurityContext(capabilities=models.Capabilities(drop=("ALL",)), privileged=True)
    b = models.SecurityContext(capabilities=models.Capabilities(drop=("ALL",)), privileged=True)
    assert a == b and a is not b and hash(a) == hash(b)
    assert a != b._replace(privileged=False)
    other: object = models.SecretReference(name="x")
    assert models.LocalObjectReference(name="x") != other  # NamedTuples would be equal
    assert {a: 1}[b] == 1


def test_immutable_at_run_time() -> None:
    caps = models.Capabilities()
    with pytest.raises(FrozenInstanceError):
        caps.add = ("X",)  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del caps.add


def test_copy_and_pickle_round_trip() -> None:
    pod = decode_pod({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}})
    assert pickle.loads(pickle.dumps(pod)) == pod
    assert copy.deepcopy(pod) == pod and copy.copy(pod) == pod
    assert type(copy.deepcopy(pod)) is models.Pod


def test_fast_maker_builds_the_public_class() -> None:
    make = fast_maker(models.Capabilities)
    caps = make([("A",), ("B",)])
    assert type(caps) is models.Capabilities
    assert caps == models.Capabilities(add=("A",), drop=("B",))
    with pytest.raises(FrozenInstanceError):
        caps.drop = ()  # type: ignore[misc]


@hot_dataclass(frozen=True, slots=True)
class _Hot:
    a: int
    b: str = "x"


def test_hot_dataclass_keeps_value_semantics() -> None:
    assert _Hot(1) == _Hot(1, "x") and hash(_Hot(1)) == hash(_Hot(1, "x"))
    assert repr(_Hot(2, "y")) == "_Hot(a=2, b='y')"
    with pytest.raises(ValueError, match="frozen slotted"):
        hot_dataclass(frozen=True)
