"""The volume manager's pure parts: plans per plugin (attributes, paths, ownership
kind), claims resolved through a lookup with the populator's errors, shared local
volumes. Callers: pytest."""

from __future__ import annotations

from typing import Any

import pytest

from seclet.api import models
from seclet.api.decode import build
from seclet.kubelet.volume.plugin import OWNERSHIP_EPHEMERAL, OWNERSHIP_NONE, OWNERSHIP_POLICY
from seclet.kubelet.volumes import VolumeError, VolumeUsers, plan_volumes

JSON = dict[str, Any]


def _pod(volumes: list[JSON]) -> models.Pod:
    mounts = [{"name": v["name"], "mountPath": f"/{v['name']}"} for v in volumes]
    return build(
        {
            "metadata": {"name": "p", "namespace": "ns", "uid": "u1"},
            "spec": {"containers": [{"name": "c", "volumeMounts": mounts}], "volumes": volumes},
        },
        models.Pod,
    )


def test_plans_of_the_projection_kinds() -> None:
    pod = _pod(
        [
            {"name": "cm", "configMap": {"name": "x"}},
            {"name": "s", "secret": {"secretName": "x"}},
            {"name": "d", "downwardAPI": {}},
            {"name": "p", "projected": {"sources": []}},
            {"name": "e", "emptyDir": {}},
            {"name": "h", "hostPath": {"path": "/srv"}},
        ]
    )
    got = [
        (p.name, p.host_path, p.medium, p.read_only, p.ownership, p.resync)
        for p in plan_volumes(pod, "/r")
    ]
    base = "/r/pods/u1/volumes"
    assert got == [
        ("cm", f"{base}/kubernetes.io~configmap/cm", "", True, OWNERSHIP_EPHEMERAL, True),
        ("s", f"{base}/kubernetes.io~secret/s", "Memory", True, OWNERSHIP_EPHEMERAL, True),
        ("d", f"{base}/kubernetes.io~downward-api/d", "Memory", True, OWNERSHIP_EPHEMERAL, True),
        ("p", f"{base}/kubernetes.io~projected/p", "Memory", True, OWNERSHIP_EPHEMERAL, True),
        ("e", f"{base}/kubernetes.io~empty-dir/e", "", False, OWNERSHIP_EPHEMERAL, False),
        ("h", "/srv", "", False, OWNERSHIP_NONE, False),
    ]


def _store(objects: dict[tuple[str, str, str], JSON]) -> Any:
    return lambda resource, namespace, name: objects.get((resource, namespace, name))


def _claim(phase: str = "Bound", volume: str = "pv1", **meta: Any) -> JSON:
    return {
        "metadata": {"name": "c", "uid": "cu", **meta},
        "spec": {"volumeName": volume},
        "status": {"phase": phase},
    }


def _pv(source: JSON, uid: str = "cu") -> JSON:
    return {"metadata": {"name": "pv1"}, "spec": {**source, "claimRef": {"uid": uid}}}


PREFIX = (
    "Unable to attach or mount volumes: unmounted volumes=[a], unattached volumes=[], "
    "failed to process volumes=[a]: error processing PVC ns/c: "
)


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ({}, 'failed to fetch PVC from API server: persistentvolumeclaims "c" not found'),
        ({("persistentvolumeclaims", "ns", "c"): _claim("Pending", "")}, "PVC is not bound"),
        ({("persistentvolumeclaims", "ns", "c"): _claim("Lost")}, "PVC is not bound"),
        (
            {
                ("persistentvolumeclaims", "ns", "c"): _claim(
                    deletionTimestamp="2026-01-01T00:00:00Z"
                )
            },
            "PVC is being deleted",
        ),
        (
            {("persistentvolumeclaims", "ns", "c"): _claim(volume="")},
            "PVC has empty pvc.Spec.VolumeName",
        ),
        (
            {("persistentvolumeclaims", "ns", "c"): _claim()},
            'failed to fetch PV pv1 from API server: persistentvolumes "pv1" not found',
        ),
        (
            {
                ("persistentvolumeclaims", "ns", "c"): _claim(),
                ("persistentvolumes", "", "pv1"): {
                    "metadata": {},
                    "spec": {"local": {"path": "/x"}},
                },
            },
            "found PV object pv1 but it has a nil pv.Spec.ClaimRef indicating it is not yet bound "
            "to the claim",
        ),
        (
            {
                ("persistentvolumeclaims", "ns", "c"): _claim(),
                ("persistentvolumes", "", "pv1"): _pv({"local": {"path": "/x"}}, uid="other"),
            },
            "found PV object pv1 but its pv.Spec.ClaimRef.UID other does not point to claim.UID cu",
        ),
    ],
)
def test_claim_errors(objects: dict[tuple[str, str, str], JSON], message: str) -> None:
    pod = _pod([{"name": "a", "persistentVolumeClaim": {"claimName": "c"}}])
    with pytest.raises(VolumeError) as e:
        plan_volumes(pod, "/r", _store(objects))
    assert str(e.value) == PREFIX + message


def test_claim_plans_local_and_host_path() -> None:
    objects = {
        ("persistentvolumeclaims", "ns", "c"): _claim(),
        ("persistentvolumes", "", "pv1"): _pv({"local": {"path": "/data/pv1"}}),
    }
    rw = _pod([{"name": "a", "persistentVolumeClaim": {"claimName": "c"}}])
    ro = _pod([{"name": "a", "persistentVolumeClaim": {"claimName": "c", "readOnly": True}}])
    (plan,) = plan_volumes(rw, "/r", _store(objects))
    assert (plan.kind, plan.host_path, plan.source, plan.read_only, plan.ownership) == (
        "local",
        "/r/pods/u1/volumes/kubernetes.io~local-volume/pv1",
        "/data/pv1",
        False,
        OWNERSHIP_POLICY,
    )
    (plan,) = plan_volumes(ro, "/r", _store(objects))
    assert (plan.read_only, plan.ownership) == (True, OWNERSHIP_NONE)
    objects[("persistentvolumes", "", "pv1")] = _pv(
        {"hostPath": {"path": "/h", "type": "Directory"}}
    )
    (plan,) = plan_volumes(rw, "/r", _store(objects))
    assert (plan.kind, plan.host_path, plan.host_path_type, plan.ownership) == (
        "hostPath-pv",
        "/h",
        "Directory",
        OWNERSHIP_NONE,
    )


def test_volume_users() -> None:
    users = VolumeUsers()
    assert users.add("/pv", "a") is False
    assert users.add("/pv", "a") is False  # the same pod again (a resync, a restart)
    assert users.add("/pv", "b") is True
    users.release("a")
    users.release("b")
    assert users.add("/pv", "c") is False
