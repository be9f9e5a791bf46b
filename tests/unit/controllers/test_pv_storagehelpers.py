"""The pure matching rules of component-helpers' storage/volume and the PV index."""

from __future__ import annotations

from typing import Any

import pytest

from seclet.api import storagehelpers as sh

JSON = dict[str, Any]


def pv(name: str, size: str, modes: tuple[str, ...] = ("ReadWriteOnce",), **extra: Any) -> JSON:
    spec: JSON = {"capacity": {"storage": size}, "accessModes": list(modes)}
    labels = extra.pop("labels", None)
    phase = extra.pop("phase", "Available")
    spec.update(extra)
    meta: JSON = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"metadata": meta, "spec": spec, "status": {"phase": phase}}


def pvc(size: str = "1Gi", modes: tuple[str, ...] = ("ReadWriteOnce",), **spec: Any) -> JSON:
    return {
        "metadata": {"name": "data", "namespace": "default", "uid": "u-1"},
        "spec": {"accessModes": list(modes), "resources": {"requests": {"storage": size}}, **spec},
    }


def names(found: Any) -> str | None:
    return None if found is None else str(found["metadata"]["name"])


def test_smallest_volume_that_fits_wins() -> None:
    vols = [pv("big", "10Gi"), pv("small", "500Mi"), pv("fits", "2Gi"), pv("exact", "1Gi")]
    assert names(sh.find_best_match_for_claim(pvc("1Gi"), vols, False)) == "exact"
    assert names(sh.find_best_match_for_claim(pvc("1500Mi"), vols, False)) == "fits"
    assert sh.find_best_match_for_claim(pvc("20Gi"), vols, False) is None


def test_access_modes_superset_fewest_modes_first() -> None:
    vols = [pv("rwo-rox", "1Gi", ("ReadWriteOnce", "ReadOnlyMany")), pv("rwo", "5Gi")]
    # the group with exactly the requested modes is searched first, whatever the size
    assert names(sh.find_best_match_for_claim(pvc(), vols, False)) == "rwo"
    assert names(sh.find_best_match_for_claim(pvc(modes=("ReadOnlyMany",)), vols, False)) == (
        "rwo-rox"
    )
    assert sh.find_best_match_for_claim(pvc(modes=("ReadWriteMany",)), vols, False) is None


def test_class_selector_volume_mode_and_phase_filter() -> None:
    claim = pvc(storageClassName="fast", selector={"matchLabels": {"tier": "gold"}})
    vols = [
        pv("wrong-class", "1Gi", storageClassName="slow", labels={"tier": "gold"}),
        pv("no-label", "1Gi", storageClassName="fast"),
        pv("released", "1Gi", storageClassName="fast", labels={"tier": "gold"}, phase="Released"),
        pv("block", "1Gi", storageClassName="fast", labels={"tier": "gold"}, volumeMode="Block"),
        pv("ok", "3Gi", storageClassName="fast", labels={"tier": "gold"}),
    ]
    assert names(sh.find_best_match_for_claim(claim, vols, False)) == "ok"
    expr = pvc(selector={"matchExpressions": [{"key": "tier", "operator": "NotIn",
                                               "values": ["gold"]}]})
    assert names(sh.find_best_match_for_claim(expr, [pv("g", "1Gi", labels={"tier": "gold"}),
                                                     pv("s", "2Gi")], False)) == "s"


def test_prebound_volume_wins_even_in_delay_binding() -> None:
    ref = {"namespace": "default", "name": "data"}
    vols = [pv("avail", "1Gi"), pv("pre", "8Gi", claimRef=ref, phase="Available")]
    assert names(sh.find_best_match_for_claim(pvc(), vols, False)) == "pre"
    assert names(sh.find_best_match_for_claim(pvc(), vols, True)) == "pre"
    # delay binding without a node takes nothing else
    assert sh.find_best_match_for_claim(pvc(), [pv("avail", "1Gi")], True) is None
    # a volume bound to another claim (uid) is skipped
    other = pv("other", "1Gi", claimRef={**ref, "uid": "u-2"}, phase="Bound")
    assert sh.find_best_match_for_claim(pvc(), [other], False) is None


def test_node_affinity_with_a_node() -> None:
    affinity = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n1"]}]}]}}
    vol = pv("local", "1Gi", nodeAffinity=affinity)
    assert names(sh.find_matching_volume(pvc(), [vol], ("n1", {"kubernetes.io/hostname": "n1"}),
                                         (), True)) == "local"
    assert sh.find_matching_volume(pvc(), [vol], ("n2", {"kubernetes.io/hostname": "n2"}),
                                   (), True) is None


def test_bind_volume_to_claim_sets_claim_ref_and_bound_by_controller() -> None:
    claim = pvc()
    claim["metadata"]["resourceVersion"] = "7"
    out, dirty = sh.bind_volume_to_claim(pv("a", "1Gi"), claim)
    assert dirty
    assert out["spec"]["claimRef"] == {
        "kind": "PersistentVolumeClaim", "namespace": "default", "name": "data", "uid": "u-1",
        "apiVersion": "v1", "resourceVersion": "7",
    }
    assert out["metadata"]["annotations"] == {"pv.kubernetes.io/bound-by-controller": "yes"}
    # a user's pre-binding (name only) gets the uid but no bound-by-controller
    pre = pv("b", "1Gi", claimRef={"namespace": "default", "name": "data"})
    out, dirty = sh.bind_volume_to_claim(pre, claim)
    assert dirty and out["spec"]["claimRef"]["uid"] == "u-1"
    assert "annotations" not in out["metadata"]
    assert sh.bind_volume_to_claim(out, claim) == (out, False)


def test_claim_class_and_delay_binding_mode() -> None:
    classes = {"wffc": {"volumeBindingMode": "WaitForFirstConsumer"},
               "now": {"volumeBindingMode": "Immediate"}, "broken": {}}
    assert sh.is_delay_binding_mode(pvc(storageClassName="wffc"), classes)
    assert not sh.is_delay_binding_mode(pvc(storageClassName="now"), classes)
    assert not sh.is_delay_binding_mode(pvc(storageClassName="missing"), classes)
    with pytest.raises(sh.StorageHelperError, match='VolumeBindingMode not set for StorageClass "broken"'):
        sh.is_delay_binding_mode(pvc(storageClassName="broken"), classes)
    beta = pvc(storageClassName="now")
    beta["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": "wffc"}
    assert sh.claim_class(beta) == "wffc"
    assert not sh.claim_has_class(pvc())
    assert sh.claim_has_class(pvc(storageClassName=""))


def test_default_class_newest_then_name() -> None:
    def sc(name: str, ts: str, default: bool = True) -> JSON:
        ann = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
        return {"metadata": {"name": name, "creationTimestamp": ts, "annotations": ann}}

    classes = [sc("old", "2026-01-01T00:00:00Z"), sc("b", "2026-02-01T00:00:00Z"),
               sc("a", "2026-02-01T00:00:00Z"), sc("newest", "2026-03-01T00:00:00Z", False)]
    assert names(sh.default_class(classes)) == "a"
    assert sh.default_class([sc("x", "2026-01-01T00:00:00Z", False)]) is None


def test_volume_attributes_class_must_match() -> None:
    gold = pv("gold", "1Gi", volumeAttributesClassName="gold")
    plain = pv("plain", "2Gi")
    assert names(sh.find_best_match_for_claim(pvc(), [gold, plain], False)) == "plain"
    wants_gold = pvc(volumeAttributesClassName="gold")
    assert names(sh.find_best_match_for_claim(wants_gold, [gold, plain], False)) == "gold"
