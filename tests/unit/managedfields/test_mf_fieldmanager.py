"""Field ownership of writes and server-side apply, as kube-apiserver records it.

Role: unit tests of ``seclet.api.managedfields`` (``track_update``, ``apply``): the
managedFields of a pod created by ``kubectl run`` (defaults owned, admission's
fields and status not), ownership moving on update, unchanged writes not recorded,
untracked objects staying untracked, ``[{}]`` resetting, the cap of 10 Update
managers (``ancient-changes``), the kubelet's status entry, apply creating,
conflicting (upstream's text), forcing, removing what it no longer applies,
co-ownership, ``before-first-apply``, the refusals of a wrong kind and of
managedFields in an applied configuration, and kubectl's last-applied bridge.
Callers: pytest.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest

from seclet.api.defaults import apply_pod_defaults
from seclet.api.featuregates import DEFAULT_GATES
from seclet.api.managedfields import ApplyError, ConflictError, apply, track_update

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
T1 = datetime.datetime(2026, 1, 1, 0, 0, 5, tzinfo=datetime.UTC)


def _cm(data: dict[str, str] | None, **meta: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": "default", **meta},
    }
    if data is not None:
        out["data"] = data
    return out


def _created(obj: dict[str, Any], manager: str) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["metadata"]["uid"] = "u1"
    mf = track_update(None, out, manager=manager, now=T0)
    assert mf is not None
    out["metadata"]["managedFields"] = mf
    return out


def _updated(live: dict[str, Any], change: dict[str, str], manager: str) -> dict[str, Any]:
    new = copy.deepcopy(live)
    new["data"].update(change)
    mf = track_update(live, new, manager=manager, now=T1)
    if mf is None:
        new["metadata"].pop("managedFields", None)
    else:
        new["metadata"]["managedFields"] = mf
    return new


def _owners(obj: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {
        (e["manager"], e["operation"]): e["fieldsV1"]
        for e in obj["metadata"].get("managedFields") or []
    }


def test_kubectl_run_pod_owns_the_defaults_but_not_status() -> None:
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "labels": {"run": "p"}},
        "spec": {"containers": [{"name": "p", "image": "busybox"}]},
        "status": {"phase": "Pending"},
    }
    apply_pod_defaults(pod, DEFAULT_GATES)
    assert track_update(None, pod, manager="kubectl-run", now=T0) == [
        {
            "manager": "kubectl-run",
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {".": {}, "f:run": {}}},
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"p"}': {
                            ".": {},
                            "f:image": {},
                            "f:imagePullPolicy": {},
                            "f:name": {},
                            "f:resources": {},
                            "f:terminationMessagePath": {},
                            "f:terminationMessagePolicy": {},
                        }
                    },
                    "f:dnsPolicy": {},
                    "f:enableServiceLinks": {},
                    "f:restartPolicy": {},
                    "f:schedulerName": {},
                    "f:securityContext": {},
                    "f:terminationGracePeriodSeconds": {},
                },
            },
        }
    ]


def test_update_moves_changed_fields_to_the_writer() -> None:
    live = _created(_cm({"a": "1", "b": "2"}), "kubectl-create")
    new = _updated(live, {"a": "9"}, "kubectl-edit")
    assert new["metadata"]["managedFields"] == [
        {
            "manager": "kubectl-create",
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {".": {}, "f:b": {}}},
        },
        {
            "manager": "kubectl-edit",
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2026-01-01T00:00:05Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:a": {}}},
        },
    ]


def test_removed_field_leaves_every_manager_and_empty_entries_go() -> None:
    live = _created(_cm({"a": "1"}), "kubectl-create")
    new = copy.deepcopy(live)
    del new["data"]
    assert track_update(live, new, manager="kubectl-edit", now=T1) is None


def test_unchanged_write_is_not_recorded() -> None:
    live = _created(_cm({"a": "1"}), "kubectl-create")
    assert (
        track_update(live, copy.deepcopy(live), manager="other", now=T1)
        == live["metadata"]["managedFields"]
    )


def test_untracked_object_stays_untracked_and_reset_clears() -> None:
    live = _cm({"a": "1"}, uid="u1")
    new = _cm({"a": "2"}, uid="u1")
    assert track_update(live, new, manager="m", now=T1) is None
    tracked = _created(_cm({"a": "1"}), "kubectl-create")
    reset = copy.deepcopy(tracked)
    reset["metadata"]["managedFields"] = [{}]
    reset["data"]["a"] = "3"
    assert track_update(tracked, reset, manager="m", now=T1) is None


def test_at_most_ten_update_managers() -> None:
    live = _created(_cm({"k0": "0"}), "m00")
    for i in range(1, 11):
        new = copy.deepcopy(live)
        new["data"][f"k{i}"] = str(i)
        when = T0 + datetime.timedelta(seconds=i)
        new["metadata"]["managedFields"] = track_update(live, new, manager=f"m{i:02}", now=when)
        live = new
    entries = live["metadata"]["managedFields"]
    assert len(entries) == 10
    assert entries[0] == {
        "manager": "ancient-changes",
        "operation": "Update",
        "apiVersion": "v1",
        "time": "2026-01-01T00:00:01Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {".": {}, "f:k0": {}, "f:k1": {}}},
    }
    assert [e["manager"] for e in entries[1:]] == [f"m{i:02}" for i in range(2, 11)]


def test_kubelet_status_entry() -> None:
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        "status": {"phase": "Pending", "qosClass": "BestEffort"},
    }
    pod["metadata"]["managedFields"] = track_update(None, pod, manager="kubectl-run", now=T0)
    new = copy.deepcopy(pod)
    new["status"].update(
        phase="Running",
        podIP="10.0.0.2",
        podIPs=[{"ip": "10.0.0.2"}],
        containerStatuses=[{"name": "c", "ready": True}],
        conditions=[{"type": "Ready", "status": "True"}],
    )
    new["spec"]["nodeName"] = "ignored-by-status"
    entries = track_update(pod, new, manager="kubelet", now=T1, subresource="status")
    assert entries is not None
    assert entries[1] == {
        "manager": "kubelet",
        "operation": "Update",
        "apiVersion": "v1",
        "time": "2026-01-01T00:00:05Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:status": {
                "f:conditions": {
                    ".": {},
                    'k:{"type":"Ready"}': {".": {}, "f:status": {}, "f:type": {}},
                },
                "f:containerStatuses": {},
                "f:phase": {},
                "f:podIP": {},
                "f:podIPs": {".": {}, 'k:{"ip":"10.0.0.2"}': {".": {}, "f:ip": {}}},
            }
        },
        "subresource": "status",
    }


def _apply(
    live: dict[str, Any] | None, data: dict[str, str] | None, manager: str, **kw: Any
) -> Any:
    return apply(
        live,
        _cm(data),
        api_version="v1",
        kind="ConfigMap",
        manager=manager,
        force=kw.get("force", False),
        now=kw.get("now", T0),
    )


def test_apply_creates_conflicts_forces_and_removes() -> None:
    created = _apply(None, {"a": "1", "b": "2"}, "kubectl")
    assert created["data"] == {"a": "1", "b": "2"}
    assert _owners(created) == {("kubectl", "Apply"): {"f:data": {"f:a": {}, "f:b": {}}}}
    with pytest.raises(ConflictError) as err:
        _apply(created, {"a": "7", "b": "8"}, "other")
    assert err.value.message == (
        'Apply failed with 2 conflicts: conflicts with "kubectl":\n- .data.a\n- .data.b'
    )
    # Same value: co-owned, no conflict.
    shared = _apply(created, {"a": "1"}, "other", now=T1)
    assert _owners(shared)[("other", "Apply")] == {"f:data": {"f:a": {}}}
    # kubectl stops applying a (still owned by other: kept) and b (nobody: removed).
    pruned = _apply(shared, None, "kubectl", now=T1)
    assert pruned["data"] == {"a": "1"}
    assert _owners(pruned) == {("other", "Apply"): {"f:data": {"f:a": {}}}}
    forced = _apply(pruned, {"a": "5"}, "third", force=True, now=T1)
    assert forced["data"] == {"a": "5"}
    assert _owners(forced) == {("third", "Apply"): {"f:data": {"f:a": {}}}}


def test_conflict_with_an_update_manager() -> None:
    live = _created(_cm({"a": "1"}), "kubectl-client-side-apply")
    with pytest.raises(ConflictError) as err:
        _apply(live, {"a": "2"}, "other")
    assert err.value.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a'
    )


def test_before_first_apply_owns_an_untracked_object() -> None:
    live = _cm({"a": "1"}, uid="u1")
    out = _apply(live, {"b": "2"}, "m")
    assert _owners(out) == {
        ("m", "Apply"): {"f:data": {"f:b": {}}},
        ("before-first-apply", "Update"): {"f:data": {".": {}, "f:a": {}}},
    }


def test_apply_refusals() -> None:
    with pytest.raises(ApplyError, match=r"^invalid object type: /v1, Kind=Secret$"):
        apply(
            None,
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}},
            api_version="v1",
            kind="ConfigMap",
            manager="m",
            force=False,
            now=T0,
        )
    with pytest.raises(ApplyError, match=r"^metadata.managedFields must be nil$"):
        apply(
            None,
            _cm(None, managedFields=[]),
            api_version="v1",
            kind="ConfigMap",
            manager="m",
            force=False,
            now=T0,
        )


def test_kubectl_may_take_over_what_it_applied_client_side() -> None:
    last = '{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"name":"cm"}}\n'
    annotations = {"kubectl.kubernetes.io/last-applied-configuration": last}
    live = _created(_cm({"a": "1"}, annotations=annotations), "kubectl-client-side-apply")
    out = _apply(live, {"a": "2"}, "kubectl")
    assert out["data"] == {"a": "2"}
    assert out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] == (
        '{"apiVersion":"v1","data":{"a":"2"},"kind":"ConfigMap","metadata":{"name":"cm",'
        '"namespace":"default"}}\n'
    )
    with pytest.raises(ConflictError):
        _apply(live, {"a": "2"}, "someone-else")
