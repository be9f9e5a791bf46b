"""SELinux relabel planning of pod volumes, and the selinux-warning-controller's conflicts.

Role: the pure decisions of KEP-1710 as kube 1.35 makes them, in two views:

- the kubelet's (``k/k pkg/volume/util/selinux.go`` ``GetMountSELinuxLabel`` /
  ``VolumeSupportsSELinuxMount`` and ``pkg/kubelet/volumemanager/cache/
  desired_state_of_world.go`` ``AddPodToVolume``): for each volume of a pod, mount it
  with ``-o context="<label>"`` (``MountOption``), leave it to the container runtime
  to relabel recursively (CRI ``Mount.selinux_relabel``, containerd's ``:Z``-style
  ``label.Relabel``: ``Recursive``), or nothing (SELinux off on the node, or a plugin
  the runtime never relabels). ``plan_pod_volumes`` and ``plan_events``;
  ``node_volume_conflict`` is the DSW's ``conflicting SELinux labels of volume``.
- kube-controller-manager's ``selinux-warning-controller`` (``pkg/controller/volume/
  selinuxwarning``): the label it can know without the node's defaults
  (``controller_file_label``), its comparison (``labels_conflict``), the per-volume
  label and effective ``seLinuxChangePolicy`` (``controller_volume_use``), the cache of
  pods per volume that yields ``Conflict`` objects for *both* pods, their event
  message (``Conflict.event_message``) and the metric's label values.

Facts about a volume's plugin (``VolumeFacts``) come from ``volume_facts``: the
in-tree plugin table of 1.35 (only ``kubernetes.io/fc`` and ``kubernetes.io/iscsi``
support the context mount; CSI volumes do when their CSIDriver says
``spec.seLinuxMount: true``), the PersistentVolume's access modes and the unique
volume name (``<plugin>/<GetVolumeName>``) that identifies one volume across pods.
Everything is a frozen value; feature gates and "SELinux enabled on this node" are
passed in. Callers: seclet.controllers.selinux_warning, seclet.cli.explain, the
kubelet (plan events, CRI ``selinux_relabel``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from seclet.api import models
from seclet.api.featuregates import FeatureGates
from seclet.securitycontext.selinux import DEFAULT_FILE_ROLE, DEFAULT_FILE_TYPE, DEFAULT_USER

MOUNT_OPTION = "MountOption"
RECURSIVE = "Recursive"
NONE = "None"

READ_WRITE_ONCE_POD = "ReadWriteOncePod"

# In-tree plugin names (``GetPluginName``).
EMPTY_DIR = "kubernetes.io/empty-dir"
HOST_PATH = "kubernetes.io/host-path"
CONFIG_MAP = "kubernetes.io/configmap"
SECRET = "kubernetes.io/secret"  # noqa: S105 - a plugin name
DOWNWARD_API = "kubernetes.io/downward-api"
PROJECTED = "kubernetes.io/projected"
LOCAL = "kubernetes.io/local-volume"
NFS = "kubernetes.io/nfs"
CSI = "kubernetes.io/csi"
FC = "kubernetes.io/fc"
ISCSI = "kubernetes.io/iscsi"
IMAGE = "kubernetes.io/image"

# plugin -> (SupportsSELinuxContextMount, Attributes().SELinuxRelabel and Managed):
# the second says whether the kubelet sets CRI Mount.selinux_relabel (makeMounts).
_IN_TREE: dict[str, tuple[bool, bool]] = {
    EMPTY_DIR: (False, True),
    CONFIG_MAP: (False, True),
    SECRET: (False, True),
    DOWNWARD_API: (False, True),
    PROJECTED: (False, True),
    HOST_PATH: (False, False),
    NFS: (False, False),
    IMAGE: (False, False),
    LOCAL: (False, True),
    FC: (True, True),
    ISCSI: (True, True),
}


@dataclass(frozen=True, slots=True)
class VolumeFacts:
    """What the SELinux decisions need to know about one pod volume.

    ``name`` is the pod's volume name; ``plugin`` the upstream plugin name;
    ``persistent`` whether the volume is a PersistentVolume (through a PVC or an
    ephemeral claim); ``access_modes`` the PV's ``spec.accessModes``;
    ``unique_name`` upstream's ``GetUniqueVolumeNameFromSpec`` (one volume across
    pods, e.g. ``kubernetes.io/csi/<driver>^<handle>``); ``csi_driver`` the CSI
    driver name ("" otherwise).
    """

    name: str
    plugin: str
    supports_context_mount: bool
    runtime_relabels: bool
    persistent: bool = False
    access_modes: tuple[str, ...] = ()
    unique_name: str = ""
    csi_driver: str = ""


def volume_facts(
    pod: models.Pod,
    volume: models.Volume,
    pv: Mapping[str, Any] | None,
    csi_selinux_mount: Mapping[str, bool],
) -> VolumeFacts | None:
    """Facts of ``volume`` of ``pod``; ``pv`` is the bound PersistentVolume (JSON) of a
    ``persistentVolumeClaim``/``ephemeral`` volume, ``csi_selinux_mount`` each CSIDriver's
    ``spec.seLinuxMount``. None when the volume's PV is not known (yet) or its plugin
    is not modelled (upstream's ``CreateVolumeSpec`` error / unknown plugin)."""
    name = volume.name or ""
    meta = pod.metadata
    pod_key = f"{meta.uid or ''}-{name}" if meta is not None else name
    if volume.persistentVolumeClaim is not None or volume.ephemeral is not None:
        if pv is None:
            return None
        facts = _pv_facts(name, pv, csi_selinux_mount)
        claim = volume.persistentVolumeClaim
        if claim is not None and claim.readOnly and facts.plugin in (LOCAL, CSI):
            # Their Attributes().Managed is !readOnly: the runtime is not asked to relabel.
            facts = dataclasses.replace(facts, runtime_relabels=False)
        return facts
    if volume.csi is not None:
        driver = volume.csi.driver or ""
        return VolumeFacts(
            name,
            CSI,
            bool(csi_selinux_mount.get(driver, False)),
            not volume.csi.readOnly,
            unique_name=f"{CSI}/{driver}^{pod_key}",
            csi_driver=driver,
        )
    for attr, plugin in (
        ("emptyDir", EMPTY_DIR),
        ("configMap", CONFIG_MAP),
        ("secret", SECRET),
        ("downwardAPI", DOWNWARD_API),
        ("projected", PROJECTED),
        ("image", IMAGE),
        ("fc", FC),
        ("iscsi", ISCSI),
    ):
        if getattr(volume, attr) is not None:
            supports, relabels = _IN_TREE[plugin]
            return VolumeFacts(name, plugin, supports, relabels, unique_name=f"{plugin}/{pod_key}")
    if volume.hostPath is not None:
        return VolumeFacts(
            name, HOST_PATH, False, False, unique_name=f"{HOST_PATH}/{volume.hostPath.path or ''}"
        )
    if volume.nfs is not None:
        nfs = volume.nfs
        return VolumeFacts(
            name, NFS, False, False, unique_name=f"{NFS}/{nfs.server or ''}:{nfs.path or ''}"
        )
    return None


def pod_volume_facts(
    pod: models.Pod,
    pvs: Mapping[str, Mapping[str, Any] | None],
    csi_selinux_mount: Mapping[str, bool],
) -> list[VolumeFacts]:
    """``volume_facts`` of every volume of ``pod`` that has facts, in the pod's order;
    ``pvs`` maps a claim-backed volume's name to its bound PersistentVolume."""
    spec = pod.spec
    if spec is None:
        return []
    out: list[VolumeFacts] = []
    for volume in spec.volumes:
        facts = volume_facts(pod, volume, pvs.get(volume.name or ""), csi_selinux_mount)
        if facts is not None:
            out.append(facts)
    return out


def _pv_facts(
    name: str, pv: Mapping[str, Any], csi_selinux_mount: Mapping[str, bool]
) -> VolumeFacts:
    spec = pv.get("spec") or {}
    pv_name = str((pv.get("metadata") or {}).get("name", ""))
    modes = tuple(str(m) for m in spec.get("accessModes") or ())
    csi = spec.get("csi")
    if isinstance(csi, Mapping):
        driver = str(csi.get("driver", ""))
        return VolumeFacts(
            name,
            CSI,
            bool(csi_selinux_mount.get(driver, False)),
            True,
            persistent=True,
            access_modes=modes,
            unique_name=f"{CSI}/{driver}^{csi.get('volumeHandle', '')}",
            csi_driver=driver,
        )
    plugin = ""
    volume_name = pv_name
    if "nfs" in spec:
        plugin = NFS
    elif "local" in spec:
        plugin = LOCAL
    elif "hostPath" in spec:
        plugin = HOST_PATH
        volume_name = str((spec.get("hostPath") or {}).get("path", ""))
    elif "fc" in spec:
        plugin = FC
    elif "iscsi" in spec:
        plugin = ISCSI
    supports, relabels = _IN_TREE.get(plugin, (False, False))
    return VolumeFacts(
        name,
        plugin,
        supports,
        relabels,
        persistent=True,
        access_modes=modes,
        unique_name=f"{plugin}/{volume_name}",
    )


# ---------------------------------------------------------------------------------------
# Labels


def _all_containers(pod: models.Pod) -> Iterable[Any]:
    spec = pod.spec
    if spec is None:
        return ()
    return (*spec.initContainers, *spec.containers, *spec.ephemeralContainers)


def container_selinux_options(pod: models.Pod, volume_name: str) -> list[models.SELinuxOptions]:
    """``GetPodVolumeNames(pod, collectSELinuxOptions=true)`` for one volume: the
    effective seLinuxOptions (the container's whole struct, else the pod's) of every
    container that mounts it, in container order; containers with none are skipped."""
    spec = pod.spec
    pod_opts = spec.securityContext.seLinuxOptions if spec and spec.securityContext else None
    out: list[models.SELinuxOptions] = []
    for ctr in _all_containers(pod):
        sc = ctr.securityContext
        opts = sc.seLinuxOptions if sc is not None and sc.seLinuxOptions is not None else pod_opts
        if opts is None:
            continue
        for mount in ctr.volumeMounts:
            if mount.name == volume_name:
                out.append(opts)
    return out


def node_file_label(opts: models.SELinuxOptions | None) -> str:
    """The kubelet's ``SELinuxOptionsToFileLabel`` on an SELinux node (go-selinux
    ``label.InitLabels``): "" for nil or empty options; else the container file label
    ``<user>:object_r:container_file_t:<level>`` (only user and level carry over from
    the process options). Without a level go-selinux allocates a random MCS pair: the
    label then ends in ``:`` (level unknown until mount time)."""
    if opts is None or not (opts.user or opts.role or opts.type or opts.level):
        return ""
    return f"{opts.user or DEFAULT_USER}:{DEFAULT_FILE_ROLE}:{DEFAULT_FILE_TYPE}:{opts.level or ''}"


def controller_file_label(opts: models.SELinuxOptions | None) -> str:
    """``ControllerSELinuxTranslator.SELinuxOptionsToFileLabel``: the four parts as
    given, joined by ``:``, without defaults; "" when all are empty."""
    if opts is None:
        return ""
    label = ":".join((opts.user or "", opts.role or "", opts.type or "", opts.level or ""))
    return "" if label == ":::" else label


def labels_conflict(label_a: str, label_b: str) -> bool:
    """``ControllerSELinuxTranslator.Conflicts``: parts compared one by one (split in
    at most 4 on ``:``, the shorter padded with ""); an empty part conflicts with
    nothing."""
    parts_a = label_a.split(":", 3)
    parts_b = label_b.split(":", 3)
    if len(parts_a) < len(parts_b):
        parts_a, parts_b = parts_b, parts_a
    parts_b += [""] * (len(parts_a) - len(parts_b))
    return any(a != b and a != "" and b != "" for a, b in zip(parts_a, parts_b, strict=True))


class MultipleSELinuxLabelsError(ValueError):
    """One volume used by containers of one pod with different labels."""

    def __init__(self, labels: Iterable[str]) -> None:
        self.labels = tuple(labels)
        super().__init__(f"multiple SELinux labels found: {','.join(self.labels)}")


@dataclass(frozen=True, slots=True)
class LabelInfo:
    """``SELinuxLabelInfo``: the mount label ("" when not mounting with a context),
    the label the runtime uses, and the plugin's context-mount support."""

    mount_label: str = ""
    process_label: str = ""
    plugin_supports: bool = False


def mount_label_info(
    pod: models.Pod,
    facts: VolumeFacts,
    gates: FeatureGates,
    *,
    selinux_enabled: bool,
    controller: bool = False,
) -> LabelInfo:
    """``GetMountSELinuxLabel`` with the node's translator, or the controller's
    (``controller=True``, which always counts SELinux as enabled). Raises
    ``MultipleSELinuxLabelsError``."""
    if not gates.SELinuxMountReadWriteOncePod:
        return LabelInfo()
    if not (selinux_enabled or controller):
        return LabelInfo()
    translate = controller_file_label if controller else node_file_label
    labels: dict[str, None] = {}
    for opts in container_selinux_options(pod, facts.name):
        labels[translate(opts)] = None
    if len(labels) > 1:
        raise MultipleSELinuxLabelsError(sorted(labels))
    if not labels:
        return LabelInfo(plugin_supports=facts.supports_context_mount)
    label = next(iter(labels))
    mount = label
    if gates.SELinuxChangePolicy and _pod_policy(pod) == RECURSIVE:
        mount = ""
    if not facts.supports_context_mount:
        mount = ""
    return LabelInfo(mount, label, facts.supports_context_mount)


def _pod_policy(pod: models.Pod) -> str | None:
    spec = pod.spec
    sc = spec.securityContext if spec is not None else None
    return sc.seLinuxChangePolicy if sc is not None else None


def volume_supports_selinux_mount(facts: VolumeFacts, gates: FeatureGates) -> bool:
    """``VolumeSupportsSELinuxMount``: a PersistentVolume, and with only
    SELinuxMountReadWriteOncePod on, whose single access mode is ReadWriteOncePod."""
    if not gates.SELinuxMountReadWriteOncePod or not facts.persistent:
        return False
    if gates.SELinuxMount:
        return True
    return facts.access_modes == (READ_WRITE_ONCE_POD,)


# ---------------------------------------------------------------------------------------
# The kubelet's plan


@dataclass(frozen=True, slots=True)
class VolumePlan:
    """How one volume gets its SELinux label on this node.

    ``kind``: ``MountOption`` (mount with ``mount_option``), ``Recursive`` (the
    runtime relabels every file: CRI ``Mount.selinux_relabel`` is true) or ``None``.
    ``error`` is the kubelet's refusal to mount (the volume then blocks the pod's
    start), e.g. ``multiple SELinux labels found: ...``.
    """

    volume: str
    kind: str
    reason: str
    label: str = ""
    error: str = ""
    selinux_relabel: bool = False
    """CRI ``Mount.selinux_relabel`` as ``makeMounts`` sets it: the plugin's
    ``Attributes()`` say ``Managed && SELinuxRelabel`` — constant for emptyDir,
    configMap, secret, downwardAPI, projected and (writable) local volumes, so set
    even on a node without SELinux, where containerd's relabel does nothing; for CSI
    only when the mount has ``seclabel`` (SELinux on) and was not mounted with a
    context."""

    @property
    def mount_option(self) -> str:
        """``AddSELinuxMountOption``: ``context="<label>"`` (Go ``%q``); an unknown
        level (go-selinux allocates it at mount time) shows as ``<random MCS level>``."""
        if self.kind != MOUNT_OPTION:
            return ""
        label = self.label if not self.label.endswith(":") else self.label + "<random MCS level>"
        return f'context="{label}"'


UNUSED = "no container uses it"


def _used(pod: models.Pod, volume_name: str) -> bool:
    """The populator's ``GetPodVolumeNames``: a volume no container mounts (or uses as
    a block device) is ignored."""
    return any(
        any(m.name == volume_name for m in c.volumeMounts)
        or any(d.name == volume_name for d in c.volumeDevices)
        for c in _all_containers(pod)
    )


def plan_volume(
    pod: models.Pod, facts: VolumeFacts, gates: FeatureGates, *, selinux_enabled: bool
) -> VolumePlan:
    """The plan for one volume, as the kubelet's volume manager and ``makeMounts`` make it.

    Steps: 0. a volume no container uses is not mounted at all; 1. no SELinux on the
    node: nothing (go-selinux and containerd's relabel
    are no-ops); 2. the mount label (``GetMountSELinuxLabel``; several labels in one
    pod are an error only where the mount option would be used, else a warning
    metric upstream); 3. the DSW clears it unless ``VolumeSupportsSELinuxMount``;
    4. a label left means ``MountOption``; otherwise the runtime relabels recursively
    when the plugin's attributes say so (``Managed && SELinuxRelabel``).
    """
    name = facts.name
    if not _used(pod, name):
        return VolumePlan(name, NONE, UNUSED)
    if not selinux_enabled:
        flag = facts.runtime_relabels and facts.plugin != CSI
        return VolumePlan(name, NONE, "SELinux is not enabled on this node", selinux_relabel=flag)
    supported = volume_supports_selinux_mount(facts, gates)
    try:
        info = mount_label_info(pod, facts, gates, selinux_enabled=True)
    except MultipleSELinuxLabelsError as exc:
        if supported:
            return VolumePlan(name, NONE, "containers use different SELinux labels", error=str(exc))
        info = LabelInfo(plugin_supports=facts.supports_context_mount)
    label = info.mount_label if supported else ""
    if label:
        return VolumePlan(name, MOUNT_OPTION, _mount_reason(facts, gates), label=label)
    why = _why_not_mounted(pod, facts, gates, info, supported)
    if facts.runtime_relabels:
        return VolumePlan(name, RECURSIVE, why, label=info.process_label, selinux_relabel=True)
    if not facts.supports_context_mount and why.startswith("the plugin "):
        why = f"the plugin {facts.plugin} neither supports the context mount nor is relabelled"
    else:
        why = f"{why}; the plugin {facts.plugin} is never relabelled"
    return VolumePlan(name, NONE, why)


def _mount_reason(facts: VolumeFacts, gates: FeatureGates) -> str:
    if gates.SELinuxMount:
        return f"the plugin {facts.plugin} supports the context mount (SELinuxMount)"
    return (
        f"the plugin {facts.plugin} supports the context mount and the volume is ReadWriteOncePod"
    )


def _why_not_mounted(
    pod: models.Pod, facts: VolumeFacts, gates: FeatureGates, info: LabelInfo, supported: bool
) -> str:
    if not gates.SELinuxMountReadWriteOncePod:
        return "the SELinuxMountReadWriteOncePod feature gate is disabled"
    if not info.process_label:
        return "no container that mounts it has an SELinux label"
    if gates.SELinuxChangePolicy and _pod_policy(pod) == RECURSIVE:
        return "seLinuxChangePolicy is Recursive"
    if not facts.supports_context_mount:
        if facts.plugin == CSI:
            return f"the CSIDriver {facts.csi_driver} does not set seLinuxMount: true"
        return f"the plugin {facts.plugin} does not support the context mount"
    if not facts.persistent:
        return "not a PersistentVolume"
    assert not supported
    return "not a ReadWriteOncePod volume and the SELinuxMount feature gate is disabled"


def plan_pod_volumes(
    pod: models.Pod,
    facts: Iterable[VolumeFacts],
    gates: FeatureGates,
    *,
    selinux_enabled: bool,
) -> tuple[VolumePlan, ...]:
    """``plan_volume`` for each volume (in the order given)."""
    return tuple(plan_volume(pod, f, gates, selinux_enabled=selinux_enabled) for f in facts)


def _asks_for_selinux(pod: models.Pod) -> bool:
    spec = pod.spec
    if spec is None:
        return False
    sc = spec.securityContext
    if sc is not None and (sc.seLinuxOptions is not None or sc.seLinuxChangePolicy is not None):
        return True
    return any(
        c.securityContext is not None and c.securityContext.seLinuxOptions is not None
        for c in _all_containers(pod)
    )


PLAN_REASON = "SELinuxRelabelPlan"
PLAN_ERROR_REASON = "FailedMount"


def plan_line(plan: VolumePlan) -> str:
    """One human line for a plan (``seclet explain`` and the plan events)."""
    if plan.error:
        return f"volume {plan.volume}: cannot be mounted: {plan.error}"
    if plan.kind == MOUNT_OPTION:
        return f"volume {plan.volume}: MountOption -o {plan.mount_option} ({plan.reason})"
    if plan.kind == RECURSIVE:
        return f"volume {plan.volume}: Recursive relabel by the container runtime ({plan.reason})"
    return f"volume {plan.volume}: no relabel ({plan.reason})"


def plan_events(pod: models.Pod, plans: Iterable[VolumePlan]) -> list[tuple[str, str, str]]:
    """The (type, reason, message) events the kubelet records for the plans.

    Upstream records no event for a plan; seclet records one Normal
    ``SELinuxRelabelPlan`` per volume that is mounted with a context or relabelled,
    and, on a node without SELinux, one per volume of a pod that asks for SELinux
    (options or seLinuxChangePolicy), saying it is ignored. A plan that blocks the
    mount is a Warning ``FailedMount`` with the kubelet's error.
    """
    asks = _asks_for_selinux(pod)
    out: list[tuple[str, str, str]] = []
    for plan in plans:
        if plan.error:
            out.append(("Warning", PLAN_ERROR_REASON, plan.error))
        elif plan.reason == UNUSED:
            continue
        elif plan.kind != NONE or asks:
            out.append(("Normal", PLAN_REASON, plan_line(plan)))
    return out


def node_volume_conflict(
    facts: VolumeFacts, existing_label: str, new_label: str, gates: FeatureGates
) -> str | None:
    """The DSW's check when a second pod adds a volume already in use on the node:
    labels are the pods' ``LabelInfo.mount_label``. Returns the error that blocks the
    new pod (``conflicting SELinux labels of volume <name>: "<a>" and "<b>"``), or None
    (no conflict, or only the warning metric because the volume is not eligible)."""
    if not facts.supports_context_mount or existing_label == new_label:
        return None
    if not volume_supports_selinux_mount(facts, gates):
        return None
    return (
        f"conflicting SELinux labels of volume {facts.name}: "
        f"{_go_quote(existing_label)} and {_go_quote(new_label)}"
    )


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------------------
# The selinux-warning-controller


@dataclass(frozen=True, slots=True, order=True)
class PodKey:
    """``cache.ObjectName`` of a pod."""

    namespace: str
    name: str


SELINUX_LABEL = "SELinuxLabel"
SELINUX_CHANGE_POLICY = "SELinuxChangePolicy"
_REASONS = {
    SELINUX_LABEL: "SELinuxLabelConflict",
    SELINUX_CHANGE_POLICY: "SELinuxChangePolicyConflict",
}


@dataclass(frozen=True, slots=True)
class Conflict:
    """``cache.Conflict``: reported on ``pod``; ``property_name`` is also the metric's
    ``property`` label."""

    property_name: str
    pod: PodKey
    value: str
    other_pod: PodKey
    other_value: str

    @property
    def event_reason(self) -> str:
        return _REASONS[self.property_name]

    def event_message(self) -> str:
        """``Conflict.EventMessage``: names the other pod only within one namespace
        (and, as upstream's ``fmt.Sprint``, no space before the value otherwise)."""
        value = f'"{self.value}"'
        other = f'"{self.other_value}"'
        tail = ". If both pods land on the same node, only one of them may access the volume."
        if self.pod.namespace == self.other_pod.namespace:
            return (
                f"{self.property_name} {value} conflicts with pod {self.other_pod.name} that "
                f"uses the same volume as this pod with {self.property_name} {other}{tail}"
            )
        return (
            f"{self.property_name}{value} conflicts with another pod that uses the same volume "
            f"as this pod with a different {self.property_name}{tail}"
        )

    def metric_labels(self) -> tuple[str, str, str, str, str, str, str]:
        """Values of ``property, pod1_namespace, pod1_name, pod1_value, pod2_namespace,
        pod2_name, pod2_value``."""
        return (
            self.property_name,
            self.pod.namespace,
            self.pod.name,
            self.value,
            self.other_pod.namespace,
            self.other_pod.name,
            self.other_value,
        )


@dataclass(frozen=True, slots=True)
class VolumeUse:
    """What the controller caches for one pod's use of one volume."""

    label: str
    policy: str


def controller_volume_use(pod: models.Pod, facts: VolumeFacts, gates: FeatureGates) -> VolumeUse:
    """``syncPod``/``syncVolume`` for one volume: the label kubelet would mount with
    (the controller translator's, "" for Recursive or an unsupported plugin) and the
    effective policy: the pod's (``MountOption`` when unset), forced to ``Recursive``
    when the plugin cannot mount with a context or the label is empty. Raises
    ``MultipleSELinuxLabelsError``."""
    info = mount_label_info(pod, facts, gates, selinux_enabled=True, controller=True)
    policy = _pod_policy(pod) or MOUNT_OPTION
    if not info.plugin_supports or info.mount_label == "":
        policy = RECURSIVE
    return VolumeUse(info.mount_label, policy)


MULTIPLE_LABELS_REASON = "MultipleSELinuxLabels"


def multiple_labels_message(volume: str) -> str:
    return (
        f"Volume {_go_quote(volume)} is mounted twice with different SELinux labels inside this pod"
    )


@dataclass(slots=True)
class _UsedVolume:
    csi_driver: str
    pods: dict[PodKey, VolumeUse] = field(default_factory=dict)


class VolumeCache:
    """``volumecache.go``: every volume used by known pods, with each pod's label and
    policy. Pure state; the controller owns one."""

    def __init__(self) -> None:
        self._volumes: dict[str, _UsedVolume] = {}

    def add_volume(
        self, unique_name: str, pod: PodKey, use: VolumeUse, csi_driver: str
    ) -> list[Conflict]:
        """``AddVolume``: store the pod's use and return the conflicts it causes, each
        once for the pod and once for the other; nothing when the pod's use is
        unchanged."""
        volume = self._volumes.get(unique_name)
        if volume is None:
            self._volumes[unique_name] = _UsedVolume(csi_driver, {pod: use})
            return []
        if volume.pods.get(pod) == use:
            return []
        volume.pods[pod] = use
        conflicts: list[Conflict] = []
        for other, other_use in volume.pods.items():
            if other_use.policy != use.policy:
                conflicts += [
                    Conflict(SELINUX_CHANGE_POLICY, pod, use.policy, other, other_use.policy),
                    Conflict(SELINUX_CHANGE_POLICY, other, other_use.policy, pod, use.policy),
                ]
            if labels_conflict(other_use.label, use.label):
                conflicts += [
                    Conflict(SELINUX_LABEL, pod, use.label, other, other_use.label),
                    Conflict(SELINUX_LABEL, other, other_use.label, pod, use.label),
                ]
        return conflicts

    def delete_pod(self, pod: PodKey) -> None:
        for name in list(self._volumes):
            volume = self._volumes[name]
            volume.pods.pop(pod, None)
            if not volume.pods:
                del self._volumes[name]

    def pods_for_csi_driver(self, driver: str) -> list[PodKey]:
        return [p for v in self._volumes.values() if v.csi_driver == driver for p in v.pods]

    def conflicts(self) -> list[Conflict]:
        """``SendConflicts``: every current conflict, once per (pod, other pod)."""
        out: list[Conflict] = []
        for name in sorted(self._volumes):
            pods = self._volumes[name].pods
            for pod in sorted(pods):
                use = pods[pod]
                for other in sorted(pods):
                    if other == pod:
                        continue
                    other_use = pods[other]
                    if use.policy != other_use.policy:
                        out.append(
                            Conflict(
                                SELINUX_CHANGE_POLICY, pod, use.policy, other, other_use.policy
                            )
                        )
                    if labels_conflict(use.label, other_use.label):
                        out.append(Conflict(SELINUX_LABEL, pod, use.label, other, other_use.label))
        return out
