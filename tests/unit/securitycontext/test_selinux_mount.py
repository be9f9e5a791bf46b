"""SELinux relabel plans and the selinux-warning-controller's conflicts, as kube 1.35 decides.

Sources: k/k pkg/volume/util/selinux.go (GetMountSELinuxLabel, VolumeSupportsSELinuxMount,
AddSELinuxMountOption), pkg/kubelet/volumemanager/cache/desired_state_of_world.go
(AddPodToVolume), pkg/controller/volume/selinuxwarning (translator, cache, conflict).
"""

from __future__ import annotations

from typing import Any

import pytest

from seclet.api.decode import decode_pod
from seclet.api.featuregates import DEFAULT_GATES, FeatureGates
from seclet.api.models import Pod
from seclet.securitycontext import selinux_mount as sm

LEVEL_A = "s0:c1,c2"
LEVEL_B = "s0:c98,c99"
GATES_OFF = FeatureGates(SELinuxMountReadWriteOncePod=False)
GATES_MOUNT = FeatureGates(SELinuxMount=True)
GATES_NO_POLICY = FeatureGates(SELinuxChangePolicy=False)


def pod(
    *,
    name: str = "p",
    namespace: str = "default",
    options: dict[str, str] | None = None,
    policy: str | None = None,
    containers: list[dict[str, Any]] | None = None,
    volumes: list[dict[str, Any]] | None = None,
) -> Pod:
    sc: dict[str, Any] = {}
    if options is not None:
        sc["seLinuxOptions"] = options
    if policy is not None:
        sc["seLinuxChangePolicy"] = policy
    ctrs = containers or [
        {"name": "c", "image": "busybox", "volumeMounts": [{"name": "v", "mountPath": "/v"}]}
    ]
    spec: dict[str, Any] = {
        "containers": ctrs,
        "volumes": volumes or [{"name": "v", "persistentVolumeClaim": {"claimName": "claim"}}],
    }
    if sc:
        spec["securityContext"] = sc
    return decode_pod(
        {"metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"}, "spec": spec}
    )


def pv(source: dict[str, Any], modes: list[str], name: str = "pv1") -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"accessModes": modes, **source}}


CSI_PV = {"csi": {"driver": "ebs.csi.example", "volumeHandle": "vol-1"}}
LOCAL_PV = {"local": {"path": "/data/pv1"}}
RWOP = ["ReadWriteOncePod"]
RWO = ["ReadWriteOnce"]
SELINUX_DRIVERS = {"ebs.csi.example": True}


def facts(p: Pod, source: dict[str, Any] = CSI_PV, modes: list[str] = RWOP) -> sm.VolumeFacts:
    assert p.spec is not None
    f = sm.volume_facts(p, p.spec.volumes[0], pv(source, modes), SELINUX_DRIVERS)
    assert f is not None
    return f


# --- labels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "node", "controller"),
    [
        (None, "", ""),
        ({}, "", ""),
        ({"level": LEVEL_A}, f"system_u:object_r:container_file_t:{LEVEL_A}", f":::{LEVEL_A}"),
        (
            {"user": "u", "role": "r", "type": "t", "level": LEVEL_A},
            f"u:object_r:container_file_t:{LEVEL_A}",
            f"u:r:t:{LEVEL_A}",
        ),
        ({"type": "spc_t"}, "system_u:object_r:container_file_t:", "::spc_t:"),
    ],
)
def test_file_labels(options: dict[str, str] | None, node: str, controller: str) -> None:
    p = pod(options=options)
    opts = p.spec.securityContext.seLinuxOptions if p.spec and p.spec.securityContext else None
    assert sm.node_file_label(opts) == node
    assert sm.controller_file_label(opts) == controller


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        ("system_u:system_r:container_t:s0:c1,c2", ":::s0:c1,c2", False),
        ("system_u:system_r:container_t:s0:c1,c2", ":::s0:c98,c99", True),
        (":::s0:c1,c2", ":::s0:c1,c2", False),
        ("", ":::s0:c1,c2", False),
        ("::spc_t:", "::container_t:", True),
        ("u1:::", "u2:::s0", True),
        ("", "", False),
    ],
)
def test_labels_conflict_compares_known_parts_only(a: str, b: str, conflict: bool) -> None:
    assert sm.labels_conflict(a, b) is conflict
    assert sm.labels_conflict(b, a) is conflict


# --- the kubelet's plan ---------------------------------------------------------------


LABEL_A = f"system_u:object_r:container_file_t:{LEVEL_A}"


@pytest.mark.parametrize(
    ("case", "kwargs", "source", "modes", "gates", "enabled", "kind", "reason"),
    [
        (
            "RWOP CSI volume with seLinuxMount: mount -o context",
            {"options": {"level": LEVEL_A}},
            CSI_PV,
            RWOP,
            DEFAULT_GATES,
            True,
            sm.MOUNT_OPTION,
            "the plugin kubernetes.io/csi supports the context mount and the volume is "
            "ReadWriteOncePod",
        ),
        (
            "no SELinux on the node: nothing at all",
            {"options": {"level": LEVEL_A}},
            CSI_PV,
            RWOP,
            DEFAULT_GATES,
            False,
            sm.NONE,
            "SELinux is not enabled on this node",
        ),
        (
            "RWO volume without the SELinuxMount gate: the runtime relabels",
            {"options": {"level": LEVEL_A}},
            CSI_PV,
            RWO,
            DEFAULT_GATES,
            True,
            sm.RECURSIVE,
            "not a ReadWriteOncePod volume and the SELinuxMount feature gate is disabled",
        ),
        (
            "RWO volume with the SELinuxMount gate: mount -o context",
            {"options": {"level": LEVEL_A}},
            CSI_PV,
            RWO,
            GATES_MOUNT,
            True,
            sm.MOUNT_OPTION,
            "the plugin kubernetes.io/csi supports the context mount (SELinuxMount)",
        ),
        (
            "RWOP plus another mode is not RWOP",
            {"options": {"level": LEVEL_A}},
            CSI_PV,
            ["ReadWriteOncePod", "ReadWriteOnce"],
            DEFAULT_GATES,
            True,
            sm.RECURSIVE,
            "not a ReadWriteOncePod volume and the SELinuxMount feature gate is disabled",
        ),
        (
            "seLinuxChangePolicy Recursive opts out",
            {"options": {"level": LEVEL_A}, "policy": "Recursive"},
            CSI_PV,
            RWOP,
            DEFAULT_GATES,
            True,
            sm.RECURSIVE,
            "seLinuxChangePolicy is Recursive",
        ),
        (
            "Recursive is ignored with the SELinuxChangePolicy gate off",
            {"options": {"level": LEVEL_A}, "policy": "Recursive"},
            CSI_PV,
            RWOP,
            GATES_NO_POLICY,
            True,
            sm.MOUNT_OPTION,
            "the plugin kubernetes.io/csi supports the context mount and the volume is "
            "ReadWriteOncePod",
        ),
        (
            "local PVs cannot be mounted with a context",
            {"options": {"level": LEVEL_A}},
            LOCAL_PV,
            RWOP,
            DEFAULT_GATES,
            True,
            sm.RECURSIVE,
            "the plugin kubernetes.io/local-volume does not support the context mount",
        ),
        (
            "a CSIDriver without seLinuxMount",
            {"options": {"level": LEVEL_A}},
            {"csi": {"driver": "plain.csi.example", "volumeHandle": "h"}},
            RWOP,
            DEFAULT_GATES,
            True,
            sm.RECURSIVE,
            "the CSIDriver plain.csi.example does not set seLinuxMount: true",
        ),
        (
            "no label: the runtime relabels with the level it allocates",
            {},
            CSI_PV,
            RWOP,
            DEFAULT_GATES,
            True,
            sm.RECURSIVE,
            "no container that mounts it has an SELinux label",
        ),
        (
            "the SELinuxMountReadWriteOncePod gate off",
            {"options": {"level": LEVEL_A}},
            CSI_PV,
            RWOP,
            GATES_OFF,
            True,
            sm.RECURSIVE,
            "the SELinuxMountReadWriteOncePod feature gate is disabled",
        ),
        (
            "hostPath PVs are never relabelled",
            {"options": {"level": LEVEL_A}},
            {"hostPath": {"path": "/srv"}},
            RWOP,
            DEFAULT_GATES,
            True,
            sm.NONE,
            "the plugin kubernetes.io/host-path neither supports the context mount nor is "
            "relabelled",
        ),
    ],
)
def test_plan(
    case: str,
    kwargs: dict[str, Any],
    source: dict[str, Any],
    modes: list[str],
    gates: FeatureGates,
    enabled: bool,
    kind: str,
    reason: str,
) -> None:
    p = pod(**kwargs)
    plan = sm.plan_volume(p, facts(p, source, modes), gates, selinux_enabled=enabled)
    assert (plan.kind, plan.reason, plan.error) == (kind, reason, ""), case
    assert plan.selinux_relabel is (kind == sm.RECURSIVE)
    if kind == sm.MOUNT_OPTION:
        assert plan.mount_option == f'context="{LABEL_A}"'
    else:
        assert plan.mount_option == ""


def test_mount_option_quotes_the_label_with_its_comma_and_keeps_user() -> None:
    p = pod(options={"user": "staff_u", "role": "staff_r", "type": "x_t", "level": LEVEL_B})
    plan = sm.plan_volume(p, facts(p), DEFAULT_GATES, selinux_enabled=True)
    assert plan.mount_option == 'context="staff_u:object_r:container_file_t:s0:c98,c99"'


def test_a_label_without_level_gets_a_random_level_at_mount_time() -> None:
    p = pod(options={"type": "spc_t"})
    plan = sm.plan_volume(p, facts(p), DEFAULT_GATES, selinux_enabled=True)
    assert plan.kind == sm.MOUNT_OPTION
    assert plan.mount_option == 'context="system_u:object_r:container_file_t:<random MCS level>"'


def test_inline_volumes_are_never_mounted_with_a_context() -> None:
    p = pod(
        options={"level": LEVEL_A},
        volumes=[{"name": "v", "csi": {"driver": "ebs.csi.example"}}],
    )
    assert p.spec is not None
    f = sm.volume_facts(p, p.spec.volumes[0], None, SELINUX_DRIVERS)
    assert f is not None and f.supports_context_mount and not f.persistent
    plan = sm.plan_volume(p, f, GATES_MOUNT, selinux_enabled=True)
    assert (plan.kind, plan.reason) == (sm.RECURSIVE, "not a PersistentVolume")


EMPTY_DIR_POD: list[dict[str, Any]] = [{"name": "v", "emptyDir": {}}]


def test_ephemeral_volume_types_are_relabelled_by_the_runtime() -> None:
    p = pod(options={"level": LEVEL_A}, volumes=EMPTY_DIR_POD)
    assert p.spec is not None
    f = sm.volume_facts(p, p.spec.volumes[0], None, {})
    assert f == sm.VolumeFacts(
        "v", sm.EMPTY_DIR, False, True, unique_name="kubernetes.io/empty-dir/uid-p-v"
    )
    plan = sm.plan_volume(p, f, DEFAULT_GATES, selinux_enabled=True)
    assert (plan.kind, plan.reason) == (
        sm.RECURSIVE,
        "the plugin kubernetes.io/empty-dir does not support the context mount",
    )


TWO_LABELS = [
    {
        "name": "a",
        "image": "busybox",
        "securityContext": {"seLinuxOptions": {"level": LEVEL_A}},
        "volumeMounts": [{"name": "v", "mountPath": "/v"}],
    },
    {
        "name": "b",
        "image": "busybox",
        "securityContext": {"seLinuxOptions": {"level": LEVEL_B}},
        "volumeMounts": [{"name": "v", "mountPath": "/v"}],
    },
]


def test_two_labels_in_one_pod_block_an_eligible_volume() -> None:
    p = pod(containers=TWO_LABELS)
    plan = sm.plan_volume(p, facts(p), DEFAULT_GATES, selinux_enabled=True)
    assert plan.error == (
        "multiple SELinux labels found: "
        "system_u:object_r:container_file_t:s0:c1,c2,system_u:object_r:container_file_t:s0:c98,c99"
    )
    assert sm.plan_events(p, [plan]) == [("Warning", "FailedMount", plan.error)]


def test_two_labels_in_one_pod_are_only_a_warning_elsewhere() -> None:
    p = pod(containers=TWO_LABELS)
    plan = sm.plan_volume(p, facts(p, CSI_PV, RWO), DEFAULT_GATES, selinux_enabled=True)
    assert (plan.kind, plan.error) == (sm.RECURSIVE, "")


def test_container_options_replace_the_pods_as_a_whole() -> None:
    ctrs: list[dict[str, Any]] = [
        {
            "name": "a",
            "image": "busybox",
            "securityContext": {"seLinuxOptions": {"user": "u"}},
            "volumeMounts": [{"name": "v", "mountPath": "/v"}],
        },
        {"name": "b", "image": "busybox"},
    ]
    p = pod(options={"level": LEVEL_A}, containers=ctrs)
    assert [o.user for o in sm.container_selinux_options(p, "v")] == ["u"]
    plan = sm.plan_volume(p, facts(p), DEFAULT_GATES, selinux_enabled=True)
    assert plan.label == "u:object_r:container_file_t:"


def test_plan_events_and_lines() -> None:
    p = pod(options={"level": LEVEL_A})
    mounted = sm.plan_volume(p, facts(p), DEFAULT_GATES, selinux_enabled=True)
    off = sm.plan_volume(p, facts(p), DEFAULT_GATES, selinux_enabled=False)
    assert sm.plan_events(p, [mounted, off]) == [
        (
            "Normal",
            "SELinuxRelabelPlan",
            f'volume v: MountOption -o context="{LABEL_A}" (the plugin kubernetes.io/csi '
            "supports the context mount and the volume is ReadWriteOncePod)",
        ),
        (
            "Normal",
            "SELinuxRelabelPlan",
            "volume v: no relabel (SELinux is not enabled on this node)",
        ),
    ]
    plain = pod()
    off_plain = sm.plan_volume(plain, facts(plain), DEFAULT_GATES, selinux_enabled=False)
    assert sm.plan_events(plain, [off_plain]) == []


@pytest.mark.parametrize(
    ("modes", "gates", "existing", "new", "error"),
    [
        (RWOP, DEFAULT_GATES, LABEL_A, LABEL_A, None),
        (
            RWOP,
            DEFAULT_GATES,
            LABEL_A,
            "",
            f'conflicting SELinux labels of volume v: "{LABEL_A}" and ""',
        ),
        (RWO, DEFAULT_GATES, LABEL_A, "x", None),
        (
            RWO,
            GATES_MOUNT,
            LABEL_A,
            "x",
            f'conflicting SELinux labels of volume v: "{LABEL_A}" and "x"',
        ),
    ],
)
def test_node_conflict_blocks_only_eligible_volumes(
    modes: list[str], gates: FeatureGates, existing: str, new: str, error: str | None
) -> None:
    p = pod()
    assert sm.node_volume_conflict(facts(p, CSI_PV, modes), existing, new, gates) == error


def test_unique_volume_names() -> None:
    p = pod()
    assert facts(p).unique_name == "kubernetes.io/csi/ebs.csi.example^vol-1"
    assert facts(p, LOCAL_PV).unique_name == "kubernetes.io/local-volume/pv1"
    assert facts(p, {"hostPath": {"path": "/srv"}}).unique_name == "kubernetes.io/host-path//srv"
    assert p.spec is not None
    assert sm.volume_facts(p, p.spec.volumes[0], None, {}) is None


# --- the controller -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "source", "label", "policy"),
    [
        ({"options": {"level": LEVEL_A}}, CSI_PV, f":::{LEVEL_A}", "MountOption"),
        ({"options": {"level": LEVEL_A}, "policy": "Recursive"}, CSI_PV, "", "Recursive"),
        (
            {"options": {"level": LEVEL_A}, "policy": "MountOption"},
            CSI_PV,
            f":::{LEVEL_A}",
            "MountOption",
        ),
        ({}, CSI_PV, "", "Recursive"),
        ({"options": {"level": LEVEL_A}}, LOCAL_PV, "", "Recursive"),
    ],
)
def test_controller_volume_use(
    kwargs: dict[str, Any], source: dict[str, Any], label: str, policy: str
) -> None:
    p = pod(**kwargs)
    # The controller ignores access modes: an RWX volume is reported too.
    use = sm.controller_volume_use(p, facts(p, source, ["ReadWriteMany"]), DEFAULT_GATES)
    assert use == sm.VolumeUse(label, policy)


def test_controller_sees_nothing_with_the_rwop_gate_off() -> None:
    p = pod(options={"level": LEVEL_A})
    assert sm.controller_volume_use(p, facts(p), GATES_OFF) == sm.VolumeUse("", "Recursive")


A = sm.PodKey("default", "a")
B = sm.PodKey("default", "b")
C = sm.PodKey("other", "c")
VOL = "kubernetes.io/csi/ebs.csi.example^vol-1"


def test_cache_label_conflict_is_reported_to_both_pods() -> None:
    cache = sm.VolumeCache()
    assert cache.add_volume(VOL, A, sm.VolumeUse(f":::{LEVEL_A}", "MountOption"), "d") == []
    got = cache.add_volume(VOL, B, sm.VolumeUse(f":::{LEVEL_B}", "MountOption"), "d")
    assert got == [
        sm.Conflict("SELinuxLabel", B, f":::{LEVEL_B}", A, f":::{LEVEL_A}"),
        sm.Conflict("SELinuxLabel", A, f":::{LEVEL_A}", B, f":::{LEVEL_B}"),
    ]
    assert [c.event_reason for c in got] == ["SELinuxLabelConflict"] * 2
    assert got[0].event_message() == (
        'SELinuxLabel ":::s0:c98,c99" conflicts with pod a that uses the same volume as this pod '
        'with SELinuxLabel ":::s0:c1,c2". If both pods land on the same node, only one of them '
        "may access the volume."
    )
    assert got[0].metric_labels() == (
        "SELinuxLabel",
        "default",
        "b",
        ":::s0:c98,c99",
        "default",
        "a",
        ":::s0:c1,c2",
    )
    # The same pod again, unchanged: nothing new.
    assert cache.add_volume(VOL, B, sm.VolumeUse(f":::{LEVEL_B}", "MountOption"), "d") == []
    assert cache.conflicts() == [
        sm.Conflict("SELinuxLabel", A, f":::{LEVEL_A}", B, f":::{LEVEL_B}"),
        sm.Conflict("SELinuxLabel", B, f":::{LEVEL_B}", A, f":::{LEVEL_A}"),
    ]
    cache.delete_pod(B)
    assert cache.conflicts() == []
    assert cache.pods_for_csi_driver("d") == [A]


def test_cache_policy_conflict_across_namespaces_hides_the_other_pod() -> None:
    cache = sm.VolumeCache()
    cache.add_volume(VOL, A, sm.VolumeUse(f":::{LEVEL_A}", "MountOption"), "d")
    got = cache.add_volume(VOL, C, sm.VolumeUse("", "Recursive"), "d")
    assert [c.property_name for c in got] == ["SELinuxChangePolicy", "SELinuxChangePolicy"]
    assert got[0].event_reason == "SELinuxChangePolicyConflict"
    assert got[0].event_message() == (
        'SELinuxChangePolicy"Recursive" conflicts with another pod that uses the same volume as '
        "this pod with a different SELinuxChangePolicy. If both pods land on the same node, only "
        "one of them may access the volume."
    )


def test_cache_compatible_labels_do_not_conflict() -> None:
    cache = sm.VolumeCache()
    cache.add_volume(
        VOL, A, sm.VolumeUse("system_u:system_r:container_t:s0:c1,c2", "MountOption"), ""
    )
    assert cache.add_volume(VOL, B, sm.VolumeUse(f":::{LEVEL_A}", "MountOption"), "") == []
    assert cache.conflicts() == []


def test_multiple_labels_message() -> None:
    assert sm.multiple_labels_message("v") == (
        'Volume "v" is mounted twice with different SELinux labels inside this pod'
    )


def test_read_only_claims_of_local_and_csi_volumes_are_not_relabelled() -> None:
    p = pod(
        options={"level": LEVEL_A},
        volumes=[{"name": "v", "persistentVolumeClaim": {"claimName": "c", "readOnly": True}}],
    )
    assert p.spec is not None
    f = sm.volume_facts(p, p.spec.volumes[0], pv(LOCAL_PV, RWOP), {})
    assert f is not None and not f.runtime_relabels
    plan = sm.plan_volume(p, f, DEFAULT_GATES, selinux_enabled=True)
    assert (plan.kind, plan.reason) == (
        sm.NONE,
        "the plugin kubernetes.io/local-volume neither supports the context mount nor is "
        "relabelled",
    )


def test_pod_volume_facts_and_plan_events_for_the_kubelet() -> None:
    p = pod(
        options={"level": LEVEL_A},
        volumes=[
            {"name": "v", "persistentVolumeClaim": {"claimName": "claim"}},
            {"name": "w", "persistentVolumeClaim": {"claimName": "unbound"}},
            {"name": "e", "emptyDir": {}},
        ],
    )
    facts = sm.pod_volume_facts(p, {"v": pv(CSI_PV, RWOP), "w": None}, SELINUX_DRIVERS)
    assert [f.name for f in facts] == ["v", "e"]
    plans = sm.plan_pod_volumes(p, facts, DEFAULT_GATES, selinux_enabled=True)
    assert [(pl.kind, pl.reason) for pl in plans][1] == (sm.NONE, "no container uses it")
    assert plans[0].kind == sm.MOUNT_OPTION and not plans[0].selinux_relabel
    # The unused volume is not mounted at all (the populator skips it): no event.
    assert [e[2] for e in sm.plan_events(p, plans)] == [
        f'volume v: MountOption -o context="{LABEL_A}" (the plugin kubernetes.io/csi supports '
        "the context mount and the volume is ReadWriteOncePod)",
    ]


@pytest.mark.parametrize(
    ("volume", "flag"),
    [
        ({"name": "v", "emptyDir": {}}, True),
        ({"name": "v", "configMap": {"name": "cm"}}, True),
        ({"name": "v", "hostPath": {"path": "/srv"}}, False),
        ({"name": "v", "csi": {"driver": "ebs.csi.example"}}, False),
    ],
)
def test_the_cri_relabel_flag_without_selinux_follows_the_plugins_attributes(
    volume: dict[str, Any], flag: bool
) -> None:
    # makeMounts sets Mount.selinux_relabel from Attributes() alone; containerd's
    # label.Relabel is then a no-op on a node without SELinux.
    p = pod(volumes=[volume])
    assert p.spec is not None
    f = sm.volume_facts(p, p.spec.volumes[0], None, SELINUX_DRIVERS)
    assert f is not None
    plan = sm.plan_volume(p, f, DEFAULT_GATES, selinux_enabled=False)
    assert (plan.kind, plan.selinux_relabel) == (sm.NONE, flag)
