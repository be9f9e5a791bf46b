"""The scheduler side of volumes (seclet.kubelet.binder): FitError texts, the
WaitForFirstConsumer hand-off, ReadWriteOncePod, and binding once claims are bound."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pvkit import NODE, Cluster, claim, pod, storage_class, volume, wait_for

from seclet.api import storagehelpers as sh
from seclet.kubelet.binder import Binder, World, decide_volumes

JSON = dict[str, Any]
NOT_HELPFUL = " preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."


def world(claims: list[JSON] = (), volumes: list[JSON] = (), classes: list[JSON] = (),  # type: ignore[assignment]
          pods: list[JSON] = ()) -> World:  # type: ignore[assignment]
    return World(
        node_name=NODE,
        node_labels={"kubernetes.io/hostname": NODE},
        claims={c["metadata"]["name"]: c for c in claims},
        volumes=tuple(volumes),
        classes={c["metadata"]["name"]: c for c in classes},
        pods=tuple(pods),
    )


def with_meta(body: JSON, uid: str, **status: Any) -> JSON:
    body["metadata"].setdefault("namespace", "default")
    body["metadata"]["uid"] = uid
    body["status"] = status
    return body


def test_missing_claim_message() -> None:
    p = with_meta(pod("p", "x"), "p1")
    assert decide_volumes(p, world()).message == (
        '0/1 nodes are available: persistentvolumeclaim "x" not found.' + NOT_HELPFUL
    )


def test_unbound_immediate_claim_message() -> None:
    c = with_meta(claim("x", class_name=""), "c1", phase="Pending")
    p = with_meta(pod("p", "x"), "p1")
    assert decide_volumes(p, world([c])).message == (
        "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims." + NOT_HELPFUL
    )


def test_lost_and_deleting_claims() -> None:
    lost = with_meta(claim("x", class_name="", volumeName="gone"), "c1", phase="Lost")
    p = with_meta(pod("p", "x"), "p1")
    assert decide_volumes(p, world([lost])).message == (
        '0/1 nodes are available: persistentvolumeclaim "x" bound to non-existent '
        'persistentvolume "gone".' + NOT_HELPFUL
    )
    deleting = with_meta(claim("x", class_name=""), "c1", phase="Pending")
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert decide_volumes(p, world([deleting])).message == (
        '0/1 nodes are available: persistentvolumeclaim "x" is being deleted.' + NOT_HELPFUL
    )


def test_wait_for_first_consumer_provision_or_static() -> None:
    wffc = storage_class("local-path", "rancher.io/local-path", "WaitForFirstConsumer")
    c = with_meta(claim("x", class_name="local-path"), "c1", phase="Pending")
    p = with_meta(pod("p", "x"), "p1")
    d = decide_volumes(p, world([c], classes=[wffc]))
    assert [sh.meta(x)["name"] for x in d.provision] == ["x"] and not d.bind
    # a matching local volume of the class is chosen instead (static binding)
    pv = volume("local-1", "5Gi", class_name="local-path")
    pv["status"] = {"phase": "Available"}
    d = decide_volumes(p, world([c], [pv], [wffc]))
    assert [(v["metadata"]["name"], k["metadata"]["name"]) for v, k in d.static] == [
        ("local-1", "x")
    ]
    # no provisioner: bind conflict, a filter reason (histogram with the count)
    none = storage_class("local-path", "kubernetes.io/no-provisioner", "WaitForFirstConsumer")
    assert decide_volumes(p, world([c], classes=[none])).message == (
        "0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind."
        + NOT_HELPFUL
    )
    # the class's allowedTopologies exclude this node: provisioning cannot help
    fenced = storage_class("local-path", "rancher.io/local-path", "WaitForFirstConsumer")
    fenced["allowedTopologies"] = [{"matchLabelExpressions": [
        {"key": "kubernetes.io/hostname", "values": ["elsewhere"]}]}]
    assert decide_volumes(p, world([c], classes=[fenced])).message == (
        "0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind."
        + NOT_HELPFUL
    )
    # selected already: wait for the provisioner
    c["metadata"]["annotations"] = {sh.ANN_SELECTED_NODE: NODE}
    assert decide_volumes(p, world([c], classes=[wffc])).wait


def test_bound_claim_checks_volume_and_node_affinity() -> None:
    c = with_meta(claim("x", class_name="", volumeName="v"), "c1", phase="Bound")
    c["metadata"]["annotations"] = {sh.ANN_BIND_COMPLETED: "yes"}
    p = with_meta(pod("p", "x"), "p1")
    assert decide_volumes(p, world([c])).message == (
        "0/1 nodes are available: 1 node(s) unavailable due to one or more pvc(s) bound to "
        "non-existent pv(s)." + NOT_HELPFUL
    )
    elsewhere = volume("v", nodeAffinity={"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["other"]}]}]}})
    assert decide_volumes(p, world([c], [elsewhere])).message == (
        "0/1 nodes are available: 1 node(s) had volume node affinity conflict." + NOT_HELPFUL
    )
    assert decide_volumes(p, world([c], [volume("v")])).bind


def test_read_write_once_pod_conflict() -> None:
    c = with_meta(claim("x", modes=("ReadWriteOncePod",), class_name="", volumeName="v"),
                  "c1", phase="Bound")
    c["metadata"]["annotations"] = {sh.ANN_BIND_COMPLETED: "yes"}
    first = with_meta(pod("first", "x", node=NODE), "p1", phase="Running")
    second = with_meta(pod("second", "x"), "p2")
    assert decide_volumes(second, world([c], [volume("v")], pods=[first, second])).message == (
        "0/1 nodes are available: 1 node has pod using PersistentVolumeClaim with the same name "
        "and ReadWriteOncePod access mode. preemption: 0/1 nodes are available: 1 No preemption "
        "victims found for incoming pod."
    )
    first["status"]["phase"] = "Succeeded"
    assert decide_volumes(second, world([c], [volume("v")], pods=[first, second])).bind


def test_binder_waits_for_provisioning_then_binds(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path / "storage") as c:
            binder = Binder(c.store, c.clock, NODE)
            c.create_claim(claim("data", class_name="local-path"))
            p = c.create_pod(pod("app", "data"))
            assert binder.bind(p) is None
            pvc = c.get("persistentvolumeclaims", "data", "default")
            assert pvc["metadata"]["annotations"][sh.ANN_SELECTED_NODE] == NODE
            await wait_for(lambda: c.get("pods", "app", "default")["spec"].get("nodeName"))
            pvc = c.get("persistentvolumeclaims", "data", "default")
            assert pvc["status"]["phase"] == "Bound"
            events = [(e["type"], e["reason"], e["message"]) for e in c.store.list("events").items
                      if e["involvedObject"]["name"] == "app"]
            assert events == [
                ("Normal", "Scheduled", f"Successfully assigned default/app to {NODE}")
            ]
            await binder.close()

    asyncio.run(main())


def test_binder_missing_claim_then_created(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path / "storage") as c:
            binder = Binder(c.store, c.clock, NODE)
            p = c.create_pod(pod("app", "later"))
            assert binder.bind(p) is None
            stored = c.get("pods", "app", "default")
            cond = stored["status"]["conditions"][0]
            msg = '0/1 nodes are available: persistentvolumeclaim "later" not found.' + NOT_HELPFUL
            assert cond == {
                "type": "PodScheduled", "status": "False", "lastProbeTime": None,
                "lastTransitionTime": cond["lastTransitionTime"], "reason": "Unschedulable",
                "message": msg, "observedGeneration": 1,
            }
            ev = next(e for e in c.store.list("events").items
                      if e["involvedObject"]["name"] == "app")
            assert (ev["type"], ev["reason"], ev["message"], ev["action"]) == (
                "Warning", "FailedScheduling", msg, "Scheduling"
            )
            assert ev["source"] == {"component": "default-scheduler"}
            # the kubelet passes the pod's own status update back: nothing new happens
            assert binder.bind(stored) is None
            assert len([e for e in c.store.list("events").items
                        if e["involvedObject"]["name"] == "app"]) == 1
            c.create_claim(claim("later", class_name="local-path"))
            await wait_for(lambda: c.get("pods", "app", "default")["spec"].get("nodeName"))
            await binder.close()

    asyncio.run(main())


def test_binder_static_binding_of_a_local_volume(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path / "storage") as c:
            binder = Binder(c.store, c.clock, NODE)
            c.create_class(storage_class("local-storage", "kubernetes.io/no-provisioner",
                                         "WaitForFirstConsumer"))
            c.create_volume(volume("disk", "10Gi", class_name="local-storage",
                                   local={"path": "/mnt/disk"}))
            await wait_for(lambda: c.get("persistentvolumes", "disk")["status"]["phase"]
                           == "Available")
            c.create_claim(claim("data", class_name="local-storage"))
            p = c.create_pod(pod("app", "data"))
            assert binder.bind(p) is None
            await wait_for(lambda: c.get("pods", "app", "default")["spec"].get("nodeName"))
            pvc = c.get("persistentvolumeclaims", "data", "default")
            assert pvc["spec"]["volumeName"] == "disk"
            assert c.get("persistentvolumes", "disk")["metadata"]["annotations"] == {
                "pv.kubernetes.io/bound-by-controller": "yes"
            }
            await binder.close()

    asyncio.run(main())


def test_failed_scheduling_repeats_become_a_series(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path / "storage", default_class=False) as c:
            binder = Binder(c.store, c.clock, NODE)
            binder.bind(c.create_pod(pod("app", "missing")))

            def failures() -> list[JSON]:
                return [e for e in c.store.list("events").items
                        if e["involvedObject"]["name"] == "app"]

            assert len(failures()) == 1 and "series" not in failures()[0]
            c.create_claim(claim("unrelated", class_name=""))  # a cluster event: retried
            await wait_for(lambda: failures()[0].get("series", {}).get("count") == 2)
            c.create_claim(claim("unrelated-2", class_name=""))
            await asyncio.sleep(0.2)
            assert len(failures()) == 1 and failures()[0]["series"]["count"] == 2
            assert failures()[0]["series"]["lastObservedTime"].endswith("Z")
            await binder.close()

    asyncio.run(main())


def test_prebind_gives_up_after_the_bind_timeout(tmp_path: Path) -> None:
    async def main() -> None:
        async with Cluster(tmp_path / "storage", default_class=False) as c:
            binder = Binder(c.store, c.clock, NODE, bind_timeout=5.0)
            c.create_class(storage_class("nobody", "example.com/nobody", "WaitForFirstConsumer"))
            c.create_claim(claim("data", class_name="nobody"))
            assert binder.bind(c.create_pod(pod("app", "data"))) is None
            assert c.get("persistentvolumeclaims", "data", "default")["metadata"][
                "annotations"][sh.ANN_SELECTED_NODE] == NODE

            def condition() -> Any:
                conds = c.get("pods", "app", "default")["status"].get("conditions") or ()
                return next((x for x in conds if x["reason"] == "SchedulerError"), None)

            cond = await wait_for(condition)
            message = ('running PreBind plugin "VolumeBinding": binding volumes: '
                       "context deadline exceeded")
            assert (cond["status"], cond["message"]) == ("False", message)
            ev = next(e for e in c.store.list("events").items
                      if e["involvedObject"]["name"] == "app")
            assert (ev["type"], ev["reason"], ev["message"]) == (
                "Warning", "FailedScheduling", message
            )
            assert not c.get("pods", "app", "default")["spec"].get("nodeName")
            await binder.close()

    asyncio.run(main())
