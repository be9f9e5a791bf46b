"""Volumes through the kubelet on the fake runtime: configMap/secret/downwardAPI/
projected with the atomic writer and fsGroup, updates by the ``..data`` swap, subPath
refusal, persistentVolumeClaim errors and local/hostPath PVs, the delegation seam
with a test ``csi`` plugin, ownership progress events. Mounts (tmpfs, bind) need
root. Callers: pytest."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from integration.kubelet.harness import (
    HOST,
    NODE,
    Node,
    create_pod,
    make_node,
    simple_pod,
    wait_for,
)
from seclet.api import models
from seclet.host.facts import NodeFacts
from seclet.kubelet.kubelet import Kubelet
from seclet.kubelet.volume.mounts import mounts_under
from seclet.kubelet.volume.plugin import (
    OWNERSHIP_POLICY,
    Lookup,
    SetUpArgs,
    VolumePlan,
    volume_dir,
)
from seclet.kubelet.volumes import default_plugins

JSON = dict[str, Any]
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="volume mounts need root")


def _pod(name: str, volumes: list[JSON], mounts: list[JSON], **sc: Any) -> JSON:
    """A pod already bound to the node (as kubectl's ``nodeName``: the scheduler, and
    its checks of claims, are bypassed, so the kubelet's own checks are what runs)."""
    body = simple_pod(name)
    body["spec"]["nodeName"] = NODE
    body["spec"]["volumes"] = volumes
    body["spec"]["containers"][0]["volumeMounts"] = mounts
    if sc:
        body["spec"]["securityContext"] = sc
    return body


def _phase(node: Node, name: str, want: str) -> Callable[[], bool]:
    return lambda: node.pod(name)["status"].get("phase") == want


def _waiting(node: Node, name: str) -> Callable[[], JSON | None]:
    def check() -> JSON | None:
        for s in node.pod(name)["status"].get("containerStatuses") or ():
            waiting = s["state"].get("waiting") or {}
            if waiting.get("reason") == "CreateContainerConfigError":
                return dict(waiting)
        return None

    return check


def _has_event(node: Node, pod: str, line: tuple[str, str, str]) -> Callable[[], bool]:
    return lambda: line in node.event_lines(pod)


def _vol(node: Node, pod: JSON, plugin: str, name: str) -> Path:
    uid: str = pod["metadata"]["uid"]
    return Path(node.kubelet.config.root_dir) / "pods" / uid / "volumes" / plugin / name


def _mounts(node: Node, name: str) -> dict[str, tuple[str, bool]]:
    for c in node.runtime.containers.values():
        if c.config.metadata.name == name:
            return {m.container_path: (m.host_path, m.readonly) for m in c.config.mounts}
    return {}


def _cm(node: Node, name: str, data: dict[str, str]) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
    try:
        current = node.store.get("configmaps", "default", name)
    except Exception:
        node.store.create("configmaps", "default", name, obj)
        return
    current["data"] = data
    node.store.update("configmaps", "default", name, current)


def run(tmp_path: Path, scenario: Callable[[Node], Any], **config: Any) -> None:
    async def main() -> None:
        node = make_node(tmp_path, **config)
        node.runtime.add_image("busybox:1.28")
        await node.kubelet.start()
        try:
            await scenario(node)
        finally:
            for pod in node.store.list("pods").items:
                node.store.delete("pods", "default", pod["metadata"]["name"])
            await wait_for(lambda: not mounts_under(str(tmp_path / "kubelet")), limit=10)
            await node.kubelet.stop()

    asyncio.run(main())


def test_configmap_volume_files_modes_and_updates(tmp_path: Path) -> None:
    async def scenario(node: Node) -> None:
        _cm(node, "cfg", {"game.properties": "lives=3", "ui": "dark"})
        vols = [
            {
                "name": "cfg",
                "configMap": {
                    "name": "cfg",
                    "defaultMode": 0o400,
                    "items": [{"key": "game.properties", "path": "conf/game"}],
                },
            }
        ]
        pod = create_pod(
            node, _pod("cm", vols, [{"name": "cfg", "mountPath": "/etc/cfg"}], fsGroup=2000)
        )
        await wait_for(_phase(node, "cm", "Running"))
        vol = _vol(node, pod, "kubernetes.io~configmap", "cfg")
        data = str((vol / "..data").readlink())
        assert str((vol / "conf").readlink()) == "..data/conf"
        game = vol / data / "conf/game"
        st = game.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o440, 2000)  # 0400 | 0440
        st = vol.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o2777, 2000)
        st = (vol / data).stat()
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o2755, 2000)
        assert not vol.is_mount()  # configMap: a disk emptyDir
        # the plugin's ReadOnly attribute: mounted read-only whatever volumeMount says
        assert _mounts(node, "cm")["/etc/cfg"] == (str(vol), True)
        _cm(node, "cfg", {"game.properties": "lives=5"})
        await wait_for(
            lambda: str((vol / "..data").readlink()) != data and not (vol / data).exists(), limit=10
        )
        assert (vol / "conf/game").read_text() == "lives=5"

    run(tmp_path, scenario, volume_resync_period=1.0)


def test_missing_configmap_and_key_fail_the_mount(tmp_path: Path) -> None:
    async def scenario(node: Node) -> None:
        create_pod(
            node,
            _pod(
                "a",
                [{"name": "v", "configMap": {"name": "nope"}}],
                [{"name": "v", "mountPath": "/v"}],
            ),
        )
        _cm(node, "has", {"k": "1"})
        items = [{"key": "other", "path": "o"}]
        create_pod(
            node,
            _pod(
                "b",
                [{"name": "v", "configMap": {"name": "has", "items": items}}],
                [{"name": "v", "mountPath": "/v"}],
            ),
        )
        optional = {"name": "nope", "optional": True}
        create_pod(
            node,
            _pod("c", [{"name": "v", "configMap": optional}], [{"name": "v", "mountPath": "/v"}]),
        )
        want_a = (
            "Warning",
            "FailedMount",
            'MountVolume.SetUp failed for volume "v" : configmap "nope" not found',
        )
        await wait_for(lambda: want_a in node.event_lines("a"))
        want_b = (
            "Warning",
            "FailedMount",
            'MountVolume.SetUp failed for volume "v" : '
            "configmap references non-existent config key: other",
        )
        await wait_for(lambda: want_b in node.event_lines("b"))
        await wait_for(_phase(node, "c", "Running"))
        assert node.pod("a")["status"]["phase"] == "Pending"

    run(tmp_path, scenario)


def test_secret_downward_and_projected_volumes(tmp_path: Path) -> None:
    async def scenario(node: Node) -> None:
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "data": {"password": base64.b64encode(b"hunter2").decode()},
        }
        node.store.create("secrets", "default", "s", secret)
        _cm(node, "c", {"mode": "x"})
        vols = [
            {"name": "sec", "secret": {"secretName": "s"}},
            {
                "name": "dw",
                "downwardAPI": {
                    "items": [
                        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                        {
                            "path": "mem",
                            "resourceFieldRef": {
                                "containerName": "all",
                                "resource": "limits.memory",
                                "divisor": "1Mi",
                            },
                        },
                    ]
                },
            },
            {
                "name": "all",
                "projected": {
                    "sources": [
                        {"secret": {"name": "s", "items": [{"key": "password", "path": "pw"}]}},
                        {"configMap": {"name": "c"}},
                        {
                            "downwardAPI": {
                                "items": [
                                    {"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}
                                ]
                            }
                        },
                    ]
                },
            },
        ]
        mounts = [{"name": n, "mountPath": f"/{n}"} for n in ("sec", "dw", "all")]
        body = _pod("all", vols, mounts, fsGroup=3000)
        body["metadata"]["labels"] = {"app": "x", "tier": "db"}
        pod = create_pod(node, body)
        await wait_for(_phase(node, "all", "Running"))
        sec = _vol(node, pod, "kubernetes.io~secret", "sec")
        assert sec.is_mount()  # tmpfs
        assert (sec / "password").read_bytes() == b"hunter2"
        st = (sec / "password").stat()
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o644, 3000)  # 0644 | 0440
        dw = _vol(node, pod, "kubernetes.io~downward-api", "dw")
        assert dw.is_mount()
        assert (dw / "labels").read_text() == 'app="x"\ntier="db"'
        # no memory limit: the node's allocatable (8Gi - 100Mi) in Mi
        assert (dw / "mem").read_text() == str(8 * 1024 - 100)
        proj = _vol(node, pod, "kubernetes.io~projected", "all")
        assert proj.is_mount()
        assert {p.name for p in proj.iterdir() if not p.name.startswith("..")} == {
            "pw",
            "mode",
            "ns",
        }
        assert (proj / "ns").read_text() == "default"

    run(tmp_path, scenario)


def test_service_account_token_source_fails_without_accounts(tmp_path: Path) -> None:
    async def scenario(node: Node) -> None:
        vols = [
            {"name": "tok", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}
        ]
        create_pod(node, _pod("t", vols, [{"name": "tok", "mountPath": "/t"}]))
        want = (
            "Warning",
            "FailedMount",
            'MountVolume.SetUp failed for volume "tok" : '
            'failed to fetch token: serviceaccounts "default" not found',
        )
        await wait_for(lambda: want in node.event_lines("t"))

    run(tmp_path, scenario)


def test_subpath_symlink_out_of_the_volume_is_refused(tmp_path: Path) -> None:
    async def scenario(node: Node) -> None:
        host = tmp_path / "host"
        host.mkdir()
        (host / "escape").symlink_to("/etc")
        (host / "ok").mkdir()
        vols = [{"name": "h", "hostPath": {"path": str(host)}}]
        bad = _pod("bad", vols, [{"name": "h", "mountPath": "/x", "subPath": "escape"}])
        create_pod(node, bad)
        waiting = await wait_for(_waiting(node, "bad"))
        message = 'failed to prepare subPath for volumeMount "h" of container "bad"'
        assert waiting == {"reason": "CreateContainerConfigError", "message": message}
        assert ("Warning", "Failed", f"Error: {message}") in node.event_lines("bad")
        good = _pod("good", vols, [{"name": "h", "mountPath": "/x", "subPathExpr": "$(D)/new"}])
        good["spec"]["containers"][0]["env"] = [{"name": "D", "value": "ok"}]
        pod = create_pod(node, good)
        await wait_for(_phase(node, "good", "Running"))
        target = Path(node.kubelet.config.root_dir) / "pods" / pod["metadata"]["uid"]
        target = target / "volume-subpaths/h/good/0"
        assert _mounts(node, "good")["/x"] == (str(target), False)
        assert mounts_under(str(target)) == [str(target)] and (host / "ok/new").is_dir()
        missing = _pod("miss", vols, [{"name": "h", "mountPath": "/x", "subPathExpr": "$(NOPE)"}])
        create_pod(node, missing)
        waiting = await wait_for(_waiting(node, "miss"))
        assert waiting["message"] == "missing value for NOPE"

    run(tmp_path, scenario)


def _claim(node: Node, name: str, phase: str = "Bound", pv: str = "", uid: str = "c-uid") -> None:
    node.store.create(
        "persistentvolumeclaims",
        "default",
        name,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "default", "uid": uid},
            "spec": {"volumeName": pv},
            "status": {"phase": phase},
        },
    )


def _pv(node: Node, name: str, source: JSON, claim_uid: str = "c-uid") -> None:
    node.store.create(
        "persistentvolumes",
        "",
        name,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": name},
            "spec": {**source, "claimRef": {"name": "x", "namespace": "default", "uid": claim_uid}},
        },
    )


def test_claim_errors_as_the_populator(tmp_path: Path) -> None:
    async def scenario(node: Node) -> None:
        _claim(node, "pending", phase="Pending")
        _claim(node, "novol", pv="")
        cases = {"p1": "gone", "p2": "pending", "p3": "novol"}
        for pod, claim in cases.items():
            create_pod(
                node,
                _pod(
                    pod,
                    [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
                    [{"name": "data", "mountPath": "/d"}],
                ),
            )
        prefix = (
            "Unable to attach or mount volumes: unmounted volumes=[data], unattached "
            "volumes=[], failed to process volumes=[data]: error processing PVC default/"
        )
        want = {
            "p1": 'gone: failed to fetch PVC from API server: persistentvolumeclaims "gone" '
            "not found",
            "p2": "pending: PVC is not bound",
            "p3": "novol: PVC has empty pvc.Spec.VolumeName",
        }
        for pod, rest in want.items():
            await wait_for(_has_event(node, pod, ("Warning", "FailedMount", prefix + rest)))

    run(tmp_path, scenario)


def test_local_pv_honours_policy_and_host_path_pv_is_never_chowned(tmp_path: Path) -> None:
    async def scenario(node: Node) -> None:
        local = tmp_path / "local"
        (local / "sub").mkdir(parents=True)
        (local / "sub/f").write_text("x")
        (local / "sub/f").chmod(0o600)
        hp = tmp_path / "hp"
        hp.mkdir(mode=0o755)
        (hp / "f").write_text("y")
        (hp / "f").chmod(0o600)
        _claim(node, "loc", pv="pv-local", uid="u-loc")
        _pv(node, "pv-local", {"local": {"path": str(local)}}, "u-loc")
        _claim(node, "hp", pv="pv-hp", uid="u-hp")
        _pv(node, "pv-hp", {"hostPath": {"path": str(hp)}}, "u-hp")
        vols = [
            {"name": "l", "persistentVolumeClaim": {"claimName": "loc"}},
            {"name": "h", "persistentVolumeClaim": {"claimName": "hp", "readOnly": True}},
        ]
        mounts = [{"name": "l", "mountPath": "/l"}, {"name": "h", "mountPath": "/h"}]
        create_pod(
            node, _pod("one", vols, mounts, fsGroup=4000, fsGroupChangePolicy="OnRootMismatch")
        )
        await wait_for(_phase(node, "one", "Running"))
        mounts_one = _mounts(node, "one")
        pod_one = node.pod("one")
        bound = _vol(node, pod_one, "kubernetes.io~local-volume", "pv-local")
        # local: the PV bind-mounted into the pod's directory; hostPath: the path itself
        assert (mounts_one["/l"], mounts_one["/h"]) == ((str(bound), False), (str(hp), True))
        assert mounts_under(str(bound)) == [str(bound)]
        st = (local / "sub/f").stat()
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o660, 4000)
        st = local.stat()
        assert stat.S_IMODE(st.st_mode) & 0o2770 == 0o2770 and st.st_gid == 4000
        st = (hp / "f").stat()
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o600, 0)
        # a second pod while the first has the volume: local.go walks only on the
        # first mount, whatever the policy
        (local / "sub/f").chmod(0o600)
        create_pod(
            node, _pod("two", vols[:1], mounts[:1], fsGroup=4001, fsGroupChangePolicy="Always")
        )
        await wait_for(_phase(node, "two", "Running"))
        warning = (
            "Warning",
            "AlreadyMountedVolume",
            "The requested fsGroup is 4001, but the volume pv-local has GID 4000. The volume "
            "may not be shareable.",
        )
        assert warning in node.event_lines("two")
        assert stat.S_IMODE((local / "sub/f").stat().st_mode) == 0o600
        for name in ("one", "two"):
            node.store.delete("pods", "default", name)
        await wait_for(lambda: not node.kubelet.workers, limit=10)
        # alone again, root already right: OnRootMismatch skips the walk
        create_pod(
            node,
            _pod("three", vols[:1], mounts[:1], fsGroup=4000, fsGroupChangePolicy="OnRootMismatch"),
        )
        await wait_for(_phase(node, "three", "Running"))
        assert stat.S_IMODE((local / "sub/f").stat().st_mode) == 0o600
        node.store.delete("pods", "default", "three")
        await wait_for(lambda: not node.kubelet.workers, limit=10)
        # Always walks again
        create_pod(
            node, _pod("four", vols[:1], mounts[:1], fsGroup=4000, fsGroupChangePolicy="Always")
        )
        await wait_for(_phase(node, "four", "Running"))
        assert stat.S_IMODE((local / "sub/f").stat().st_mode) == 0o660

    run(tmp_path, scenario)


class MountGroupDriver:
    """A ``csi`` plugin of the test suite whose driver applies fsGroup itself
    (upstream's VOLUME_MOUNT_GROUP): it records the group it was handed."""

    kind = "csi"

    def __init__(self, base: Path) -> None:
        self.base = base
        self.calls: list[tuple[str, int | None, int | None]] = []

    def plan(
        self, volume: models.Volume, pod: models.Pod, root_dir: str, lookup: Lookup
    ) -> VolumePlan:
        return VolumePlan(
            name=volume.name or "",
            kind=self.kind,
            host_path=volume_dir(root_dir, pod, "kubernetes.io~csi", volume.name or ""),
            ownership=OWNERSHIP_POLICY,
            volume=volume,
        )

    def supports_ownership(self, plan: VolumePlan) -> bool:
        return True

    def applies_mount_group(self, plan: VolumePlan) -> bool:
        return True

    async def set_up(self, plan: VolumePlan, args: SetUpArgs) -> None:
        self.calls.append((plan.name, args.mount_group, args.fs_group))
        await asyncio.to_thread(self._publish, Path(plan.host_path))

    @staticmethod
    def _publish(path: Path) -> None:
        """The driver's NodePublishVolume: its files, mode 0600, group root."""
        path.mkdir(parents=True, exist_ok=True)
        (path / "data").write_text("driver's")
        (path / "data").chmod(0o600)

    async def tear_down(self, plan: VolumePlan) -> None:
        self.calls.append((plan.name, None, None))


def test_a_plugin_that_applies_the_mount_group_is_not_walked(tmp_path: Path) -> None:
    driver = MountGroupDriver(tmp_path)

    async def main() -> None:
        from seclet.cri.fake import FakeRuntime
        from seclet.kubelet.clock import ScaledClock
        from seclet.kubelet.config import KubeletConfig
        from seclet.store.memory import MemoryStore

        clock = ScaledClock(speed=100.0)
        store = MemoryStore()
        runtime = FakeRuntime(time_ns=clock.time_ns)
        runtime.add_image("busybox:1.28")
        cfg = KubeletConfig(
            node_name=NODE,
            root_dir=str(tmp_path / "kubelet"),
            pod_logs_dir=str(tmp_path / "logs"),
            sync_period=0.5,
        )
        table = {**default_plugins(), "csi": driver}
        kubelet = Kubelet(
            store,
            runtime,
            runtime,
            cfg,
            NodeFacts.reference(),
            clock=clock,
            host=HOST,
            volume_plugins=table,
        )
        node = Node(store, runtime, kubelet, clock, tmp_path)
        await kubelet.start()
        try:
            vols = [{"name": "c", "csi": {"driver": "mountgroup.test.seclet"}}]
            pod = create_pod(
                node,
                _pod(
                    "d",
                    vols,
                    [{"name": "c", "mountPath": "/c"}],
                    fsGroup=5000,
                    fsGroupChangePolicy="Always",
                ),
            )
            await wait_for(_phase(node, "d", "Running"))
            assert driver.calls == [("c", 5000, None)]
            data = _vol(node, pod, "kubernetes.io~csi", "c") / "data"
            st = data.stat()
            assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o600, 0)  # not walked
            store.delete("pods", "default", "d")
            await wait_for(lambda: ("c", None, None) in driver.calls)
        finally:
            await kubelet.stop()

    asyncio.run(main())


def test_a_long_ownership_walk_reports_progress(tmp_path: Path) -> None:
    local = tmp_path / "big"
    for i in range(40):
        d = local / f"d{i}"
        d.mkdir(parents=True)
        for j in range(100):
            (d / f"f{j}").touch()

    async def scenario(node: Node) -> None:
        _claim(node, "big", pv="pv-big", uid="u-big")
        _pv(node, "pv-big", {"local": {"path": str(local)}}, "u-big")
        pod = create_pod(
            node,
            _pod(
                "slow",
                [{"name": "b", "persistentVolumeClaim": {"claimName": "big"}}],
                [{"name": "b", "mountPath": "/b"}],
                fsGroup=6000,
            ),
        )
        await wait_for(_phase(node, "slow", "Running"), limit=30)
        shown = f"{pod['metadata']['uid']}/volumes/kubernetes.io~local-volume/pv-big"
        events = [e for e in node.event_lines("slow") if e[1] == "VolumePermissionChangeInProgress"]
        first = (
            "Warning",
            "VolumePermissionChangeInProgress",
            f"Setting volume ownership for {shown} is taking longer than expected, consider "
            "using OnRootMismatch - https://kubernetes.io/docs/tasks/configure-pod-container/"
            "security-context/#configure-volume-permission-and-ownership-change-policy-for-pods",
        )
        assert first in events, events
        later = [e[2] for e in events if e != first]
        assert later, events
        for message in later:
            assert re.fullmatch(
                rf"Setting volume ownership for {re.escape(shown)}, processed \d+ files\.",
                message,
            ), message
        assert pod["metadata"]["uid"]

    run(tmp_path, scenario, ownership_first_report=0.0, ownership_report_every=0.02)


def test_ephemeral_volume_claim_must_be_the_pods(tmp_path: Path) -> None:
    async def scenario(node: Node) -> None:
        disk = tmp_path / "eph"
        disk.mkdir()
        template = {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"]}}}
        vols = [{"name": "scratch", "ephemeral": template}]
        pod = create_pod(node, _pod("e", vols, [{"name": "scratch", "mountPath": "/s"}]))
        _claim(node, "e-scratch", pv="pv-e", uid="u-e")
        _pv(node, "pv-e", {"local": {"path": str(disk)}}, "u-e")
        want = (
            "Warning",
            "FailedMount",
            "Unable to attach or mount volumes: unmounted volumes=[scratch], unattached "
            "volumes=[], failed to process volumes=[scratch]: PVC default/e-scratch was not "
            "created for pod default/e (pod is not owner)",
        )
        await wait_for(_has_event(node, "e", want))
        claim = node.store.get("persistentvolumeclaims", "default", "e-scratch")
        claim["metadata"]["ownerReferences"] = [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": "e",
                "uid": pod["metadata"]["uid"],
                "controller": True,
            }
        ]
        node.store.update("persistentvolumeclaims", "default", "e-scratch", claim)
        await wait_for(_phase(node, "e", "Running"), limit=10)
        bound = _vol(node, pod, "kubernetes.io~local-volume", "pv-e")
        assert _mounts(node, "e")["/s"] == (str(bound), False)

    run(tmp_path, scenario)


def test_downward_api_follows_label_changes(tmp_path: Path) -> None:
    """A label change reaches the downwardAPI file at the pod's next sync, not only
    at the periodic resync (kept long here to prove it)."""

    async def scenario(node: Node) -> None:
        items = [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
        body = _pod(
            "dl",
            [{"name": "d", "downwardAPI": {"items": items}}],
            [{"name": "d", "mountPath": "/d"}],
        )
        body["metadata"]["labels"] = {"v": "1"}
        pod = create_pod(node, body)
        await wait_for(_phase(node, "dl", "Running"))
        vol = _vol(node, pod, "kubernetes.io~downward-api", "d")
        assert (vol / "labels").read_text() == 'v="1"'
        current = node.pod("dl")
        current["metadata"]["labels"] = {"v": "2", "new": "x"}
        node.store.update("pods", "default", "dl", current)
        await wait_for(lambda: (vol / "labels").read_text() == 'new="x"\nv="2"', limit=10)

    run(tmp_path, scenario, volume_resync_period=100000.0)
