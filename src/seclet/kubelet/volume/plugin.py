"""The volume plugin seam: what a plugin declares and what the kubelet gives it.

Role: upstream's ``volume.VolumePlugin`` / ``Mounter`` reduced to what seclet needs.
A plugin serves one field of ``spec.volumes[]`` (``kind``: ``emptyDir``, ``csi``...):
- ``plan`` (pure but for ``lookup``, the store read it is handed): the volume's
  ``VolumePlan`` or ``VolumeError``;
- ``set_up`` / ``tear_down`` (I/O);
- ``supports_ownership(plan)``: whether fsGroup applies at all;
- ``applies_mount_group(plan)``: the plugin applies fsGroup itself (upstream's CSI
  ``VOLUME_MOUNT_GROUP`` capability, ``DelegateFSGroupToCSIDriver``): the kubelet
  passes fsGroup in ``SetUpArgs.mount_group``, does not walk the volume, and
  fsGroupChangePolicy has no effect.
A plan's ``ownership`` says who walks: ``none`` (hostPath), ``ephemeral`` (the plugin
walks with a nil policy, as emptyDir/configMap/secret/downwardAPI/projected do:
fsGroupChangePolicy ignored), ``policy`` (the volume manager walks with the pod's
fsGroupChangePolicy, as for ``local`` PVs). The table of plugins is a value passed
to the kubelet (``Kubelet(volume_plugins=...)``), never a global.
Callers: seclet.kubelet.volume.*, seclet.kubelet.volumes, tests (their own plugins).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from seclet.api import models

OWNERSHIP_NONE = "none"
OWNERSHIP_EPHEMERAL = "ephemeral"
OWNERSHIP_POLICY = "policy"

Lookup = Callable[[str, str, str], Mapping[str, Any] | None]
"""(resource, namespace, name) -> the stored object, or None when it does not exist."""


def no_lookup(_resource: str, _namespace: str, _name: str) -> Mapping[str, Any] | None:
    return None


class VolumeError(Exception):
    """A volume that cannot be set up; the message is the FailedMount event's."""


def setup_failed(name: str, message: str) -> VolumeError:
    """``volumeToMount.GenerateError("MountVolume.SetUp failed", err)``."""
    return VolumeError(f'MountVolume.SetUp failed for volume "{name}" : {message}')


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumePlan:
    name: str
    kind: str
    """The plugin's kind (``emptyDir``...) or ``skip`` (kube-api-access)."""
    host_path: str = ""
    medium: str = ""
    size_limit: str = ""
    host_path_type: str = ""
    read_only: bool = False
    """``GetAttributes().ReadOnly``: every container mounts it read-only
    (``makeMounts``: ``mount.ReadOnly || mustMountRO``) and the walk uses 0440."""
    ownership: str = OWNERSHIP_EPHEMERAL
    resync: bool = False
    """``RequiresRemount``: set up again periodically to pick up object changes."""
    volume: models.Volume | None = None
    claim: str = ""
    """``namespace/claim`` of a persistentVolumeClaim volume."""
    source: str = ""
    """The node path a per-pod bind mount at ``host_path`` shows (a ``local`` PV's
    path: upstream's global path, shared by every pod using the volume)."""


class Walker(Protocol):
    """The fsGroup walk as the kubelet runs it (progress events for long walks)."""

    def walk_sync(
        self, path: str, fs_group: int | None, policy: str | None, read_only: bool
    ) -> None: ...

    async def walk(
        self, path: str, fs_group: int | None, policy: str | None, read_only: bool
    ) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SetUpArgs:
    pod: models.Pod
    fs_group: int | None
    """fsGroup in host terms (shifted for ``hostUsers: false``)."""
    owner: int | None = None
    """Owner of new directories (the pod's root in host terms, userns pods)."""
    mount_group: int | None = None
    """fsGroup handed to a plugin that applies it itself (None otherwise)."""
    policy: str | None = None
    lookup: Lookup = no_lookup
    allocatable: Mapping[str, object] | None = None
    walker: Walker | None = None


class VolumePlugin(Protocol):
    kind: str

    def plan(
        self, volume: models.Volume, pod: models.Pod, root_dir: str, lookup: Lookup
    ) -> VolumePlan: ...

    def supports_ownership(self, plan: VolumePlan) -> bool: ...

    def applies_mount_group(self, plan: VolumePlan) -> bool: ...

    async def set_up(self, plan: VolumePlan, args: SetUpArgs) -> None: ...

    async def tear_down(self, plan: VolumePlan) -> None: ...


PluginTable = Mapping[str, VolumePlugin]


def volume_dir(root_dir: str, pod: models.Pod, plugin_dir: str, name: str) -> str:
    """``<root>/pods/<uid>/volumes/<escaped plugin name>/<volume>``."""
    uid = (pod.metadata or models.ObjectMeta()).uid or ""
    return f"{root_dir}/pods/{uid}/volumes/{plugin_dir}/{name}"
