"""The local-path provisioner's pure parts: the class k3s ships, directory names, the
PersistentVolume it makes (local or hostPath), its refusals, the setup modes."""

from __future__ import annotations

import copy
import stat
from pathlib import Path
from typing import Any

import pytest

from seclet.controllers.local_path import (
    ProvisionError,
    check_claim,
    default_class,
    folder_name,
    persistent_volume,
    setup_volume_dir,
    volume_source,
)

CLAIM: dict[str, Any] = {
    "metadata": {"name": "data", "namespace": "web", "uid": "u-1", "resourceVersion": "5"},
    "spec": {"accessModes": ["ReadWriteOncePod"], "storageClassName": "local-path",
             "resources": {"requests": {"storage": "3Gi"}}},
}


def test_default_class_is_k3s_local_path() -> None:
    sc = default_class()
    assert sc["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "true",
        "defaultVolumeType": "local",
    }
    assert (sc["provisioner"], sc["reclaimPolicy"], sc["volumeBindingMode"]) == (
        "rancher.io/local-path", "Delete", "WaitForFirstConsumer"
    )


def test_volume_for_claim_local_by_class_hostpath_by_claim_annotation() -> None:
    assert folder_name("pvc-u-1", CLAIM) == "pvc-u-1_web_data"
    pv = persistent_volume(CLAIM, default_class(), "pvc-u-1", "/s/pvc-u-1_web_data", "n1",
                           {"kubernetes.io/hostname": "n1-label"})
    assert pv["spec"]["local"] == {"path": "/s/pvc-u-1_web_data"}
    assert pv["spec"]["capacity"] == {"storage": "3Gi"}
    assert pv["spec"]["accessModes"] == ["ReadWriteOncePod"]
    values = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0][
        "matchExpressions"][0]["values"]
    assert values == ["n1-label"]
    assert pv["spec"]["claimRef"] == {
        "kind": "PersistentVolumeClaim", "namespace": "web", "name": "data", "uid": "u-1",
        "apiVersion": "v1", "resourceVersion": "5",
    }
    claim = copy.deepcopy(CLAIM)
    claim["metadata"]["annotations"] = {"volumeType": "hostPath"}
    pv = persistent_volume(claim, default_class(), "pvc-u-1", "/s/x", "n1", {})
    assert pv["spec"]["hostPath"] == {"path": "/s/x", "type": "DirectoryOrCreate"}
    assert "local" not in pv["spec"]
    with pytest.raises(ProvisionError) as err:
        volume_source("nfs", "/x")
    assert str(err.value) == (
        'failed to create persistent volume source: "nfs" is not a recognised volume type'
    )


def test_refusals() -> None:
    check_claim(CLAIM, "n1")
    with pytest.raises(ProvisionError, match=r"^claim.Spec.Selector is not supported$"):
        with_selector = copy.deepcopy(CLAIM)
        with_selector["spec"]["selector"] = {}
        check_claim(with_selector, "n1")
    with pytest.raises(ProvisionError, match=r"^configuration error, no node was specified$"):
        check_claim(CLAIM, "")


def test_setup_modes_and_refused_names(tmp_path: Path) -> None:
    root = tmp_path / "storage"
    path = setup_volume_dir(root, "pvc-u-1_web_data")
    assert stat.S_IMODE(path.stat().st_mode) == 0o777
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert setup_volume_dir(root, "pvc-u-1_web_data") == path  # mkdir -p: again is fine
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(ProvisionError):
        setup_volume_dir(root, "link")
    for bad in ("..", "a/b", ""):
        with pytest.raises(ProvisionError):
            setup_volume_dir(root, bad)
