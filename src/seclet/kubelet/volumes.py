"""The pod's volumes: the volume manager over the plugin table.

Role: the part of upstream's volume manager (desired-state populator, reconciler,
``makeMounts``) seclet runs, over plugins (``seclet.kubelet.volume``): emptyDir,
hostPath, configMap, secret, downwardAPI, projected, persistentVolumeClaim and
ephemeral by default; a caller may pass another table (a test's ``csi`` plugin).
Volumes no container mounts are ignored (the populator skips them); the
``kube-api-access-*`` projected token volume seclet does not inject is skipped.

Steps of ``plan_volumes`` (pure but for the store reads handed in as ``lookup``):
1. each used volume -> its plugin's ``VolumePlan`` (a plugin missing -> refused);
2. claims that cannot be processed are collected and reported together as upstream's
   ``Unable to attach or mount volumes: unmounted volumes=[..], unattached
   volumes=[], failed to process volumes=[..]: <errors, sorted, "; ">``.
Steps of ``set_up`` (idempotent, also the periodic resync of ``resync`` plans):
1. fsGroup in host terms (``shifted_ids`` for ``hostUsers: false``);
2. per plan: a plugin that applies the mount group itself gets fsGroup as
   ``mount_group`` and no walk happens; otherwise the plugin's ``set_up`` (ephemeral
   kinds walk inside it with a nil policy);
3. ``policy`` plans (``local`` PVs) are walked here with the pod's
   fsGroupChangePolicy, unless another pod has the volume set up (``VolumeUsers``:
   upstream walks a local volume only on its first mount), with
   ``VolumePermissionChangeInProgress`` events after 30 s and every 60 s
   (``OwnershipWalker``); a walk error fails the mount.
``prepare_subpaths`` + ``container_mounts`` are ``makeMounts``: CRI mounts of a
container, read-only when the volumeMount or the plugin says so, subPaths through
``seclet.kubelet.volume.subpath`` (bind mounts under ``<podDir>/volume-subpaths``).
``tear_down_volumes`` (a terminal pod) unmounts subPaths and volumes and removes
``<podDir>/volumes``; ``tear_down`` (a deleted pod) the whole directory. Nothing is
removed while something below is still mounted (a stuck subPath bind of a hostPath
would otherwise let the removal reach the host's files).
Callers: seclet.kubelet.worker, seclet.kubelet.kubelet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from seclet.api import models
from seclet.cri.types import Mount, MountPropagation
from seclet.kubelet.ownership import ProgressEvent, ProgressNotifier, change_ownership
from seclet.kubelet.volume import subpath
from seclet.kubelet.volume.emptydir import PLUGIN_DIR as EMPTY_DIR_PLUGIN
from seclet.kubelet.volume.emptydir import EmptyDirPlugin
from seclet.kubelet.volume.hostpath import HostPathPlugin
from seclet.kubelet.volume.mounts import unmount_all
from seclet.kubelet.volume.plugin import (
    OWNERSHIP_POLICY,
    Lookup,
    PluginTable,
    SetUpArgs,
    VolumeError,
    VolumePlan,
    VolumePlugin,
    Walker,
    no_lookup,
    setup_failed,
)
from seclet.kubelet.volume.projection import projection_plugins
from seclet.kubelet.volume.pvc import ClaimError, ClaimPlugin
from seclet.kubelet.volume.subpath import SubPathError
from seclet.securitycontext.namespaces import USERNS_LENGTH

log = logging.getLogger(__name__)

KUBE_API_ACCESS_PREFIX = "kube-api-access-"

__all__ = [
    "EMPTY_DIR_PLUGIN",
    "KUBE_API_ACCESS_PREFIX",
    "OwnershipWalker",
    "SubPathError",
    "VolumeError",
    "VolumeHost",
    "VolumePlan",
    "container_mounts",
    "default_plugins",
    "plan_volumes",
    "prepare_subpaths",
    "set_up",
    "shifted_ids",
    "tear_down",
    "tear_down_volumes",
]


def default_plugins() -> dict[str, VolumePlugin]:
    """The table a kubelet gets when its caller passes none."""
    plugins: list[VolumePlugin] = [
        EmptyDirPlugin(),
        HostPathPlugin(),
        *projection_plugins(),
        ClaimPlugin("persistentVolumeClaim"),
        ClaimPlugin("ephemeral"),
    ]
    return {p.kind: p for p in plugins}


def volume_kind(volume: models.Volume) -> str:
    for name in models.Volume._fields:
        if name != "name" and getattr(volume, name) is not None:
            return name
    return "emptyDir"


def used_volumes(pod: models.Pod) -> set[str]:
    """Volumes some container mounts (``GetPodVolumeNames``)."""
    spec = pod.spec or models.PodSpec()
    names: set[str] = set()
    for c in (*spec.initContainers, *spec.containers):
        names.update(vm.name or "" for vm in c.volumeMounts)
        names.update(vd.name or "" for vd in c.volumeDevices)
    return names


def unable_to_mount(failed: list[str], errors: list[str]) -> str:
    """``WaitForAttachAndMount``'s error as syncPod's ``FailedMount`` event prints it."""
    names = " ".join(sorted(failed))
    return (
        f"Unable to attach or mount volumes: unmounted volumes=[{names}], "
        f"unattached volumes=[], failed to process volumes=[{names}]: "
        + "; ".join(sorted(set(errors)))
    )


def plan_volumes(
    pod: models.Pod,
    root_dir: str,
    lookup: Lookup = no_lookup,
    plugins: PluginTable | None = None,
) -> tuple[VolumePlan, ...]:
    """Steps 1-2 of ``plan_volumes``."""
    table = default_plugins() if plugins is None else plugins
    spec = pod.spec or models.PodSpec()
    used = used_volumes(pod)
    plans: list[VolumePlan] = []
    failed: list[str] = []
    errors: list[str] = []
    for volume in spec.volumes:
        name = volume.name or ""
        if name not in used:
            continue
        kind = volume_kind(volume)
        if kind == "projected" and name.startswith(KUBE_API_ACCESS_PREFIX):
            plans.append(VolumePlan(name=name, kind="skip", volume=volume))
            continue
        plugin = table.get(kind)
        if plugin is None:
            raise setup_failed(name, f"{kind} volumes are not supported by seclet yet")
        try:
            plans.append(plugin.plan(volume, pod, root_dir, lookup))
        except ClaimError as e:
            failed.append(name)
            errors.append(str(e))
    if errors:
        raise VolumeError(unable_to_mount(failed, errors))
    return tuple(plans)


def shifted_ids(fs_group: int | None, userns_host_id: int | None) -> tuple[int | None, int | None]:
    """(owner of a new emptyDir, group of the fsGroup walk) on the host.

    Without a user namespace: (None: keep root, fsGroup). With ``hostUsers: false`` the
    pod sees host id ``userns_host_id + n`` as ``n``; runc 1.1 has no idmapped mounts,
    so the ownership is shifted on disk instead: the volume's root belongs to the pod's
    root and the fsGroup walk uses the pod's fsGroup in host terms (an fsGroup outside
    the 65536 mapped ids cannot be shown inside and is applied unshifted)."""
    if userns_host_id is None:
        return None, fs_group
    group = fs_group
    if fs_group is not None and fs_group < USERNS_LENGTH:
        group = userns_host_id + fs_group
    return userns_host_id, group


Emit = Callable[[str, str, str], None]
"""(type, reason, message) -> an event on the pod."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnershipWalker:
    """``NewVolumeOwnership(...).AddProgressNotifier(pod, recorder)``: the walk in a
    thread; its progress events reach ``emit`` on the event loop."""

    pod_uid: str = ""
    emit: Emit | None = None
    loop: asyncio.AbstractEventLoop | None = None
    first_report: float = 30.0
    report_every: float = 60.0

    def _notifier(self) -> ProgressNotifier | None:
        emit, loop = self.emit, self.loop
        if emit is None or loop is None:
            return None

        def forward(event: ProgressEvent) -> None:
            loop.call_soon_threadsafe(emit, event.type, event.reason, event.message)

        return ProgressNotifier(self.pod_uid, forward)

    def walk_sync(
        self, path: str, fs_group: int | None, policy: str | None, read_only: bool
    ) -> None:
        result = change_ownership(
            path,
            fs_group,
            policy,
            read_only,
            notifier=self._notifier(),
            first_report=self.first_report,
            report_every=self.report_every,
        )
        if result.error is not None:
            raise OSError(result.error)

    async def walk(
        self, path: str, fs_group: int | None, policy: str | None, read_only: bool
    ) -> None:
        await asyncio.to_thread(self.walk_sync, path, fs_group, policy, read_only)


class VolumeUsers:
    """Which pods have a persistent volume's path set up (upstream's mount
    references of the volume's global path), one per kubelet."""

    def __init__(self) -> None:
        self._users: dict[str, set[str]] = {}

    def add(self, path: str, pod_uid: str) -> bool:
        """Record ``pod_uid`` on ``path``; True when another pod already had it."""
        users = self._users.setdefault(path, set())
        others = bool(users - {pod_uid})
        users.add(pod_uid)
        return others

    def release(self, pod_uid: str) -> None:
        for path in [p for p, users in self._users.items() if pod_uid in users]:
            self._users[path].discard(pod_uid)
            if not self._users[path]:
                del self._users[path]


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeHost:
    """What the plugins get from the kubelet (upstream's ``VolumeHost``)."""

    plugins: PluginTable = field(default_factory=default_plugins)
    lookup: Lookup = no_lookup
    allocatable: Mapping[str, object] = field(default_factory=dict)
    walker: Walker | None = None
    users: VolumeUsers | None = None
    emit: Emit | None = None
    """Events on the pod (type, reason, message)."""


def _plugin_for(plan: VolumePlan, table: PluginTable) -> VolumePlugin | None:
    kind = volume_kind(plan.volume) if plan.volume is not None else plan.kind
    return table.get(kind)


async def set_up(
    plans: tuple[VolumePlan, ...],
    pod: models.Pod,
    userns_host_id: int | None = None,
    *,
    host: VolumeHost | None = None,
    only_resync: bool = False,
) -> None:
    """Steps of ``set_up`` (``only_resync``: just the plans that re-sync content)."""
    host = host or VolumeHost()
    spec = pod.spec or models.PodSpec()
    sc = spec.securityContext or models.PodSecurityContext()
    owner, fs_group = shifted_ids(sc.fsGroup, userns_host_id)
    policy = sc.fsGroupChangePolicy
    walker = host.walker or OwnershipWalker()
    for plan in plans:
        if plan.kind == "skip" or (only_resync and not plan.resync):
            continue
        plugin = _plugin_for(plan, host.plugins)
        if plugin is None:
            raise setup_failed(plan.name, f"{plan.kind} volumes are not supported by seclet yet")
        delegated = plugin.supports_ownership(plan) and plugin.applies_mount_group(plan)
        args = SetUpArgs(
            pod=pod,
            fs_group=None if delegated or not plugin.supports_ownership(plan) else fs_group,
            owner=owner,
            mount_group=fs_group if delegated else None,
            policy=policy,
            lookup=host.lookup,
            allocatable=host.allocatable,
            walker=walker,
        )
        await plugin.set_up(plan, args)
        if plan.ownership != OWNERSHIP_POLICY:
            continue
        uid = (pod.metadata or models.ObjectMeta()).uid or ""
        key = plan.source or plan.host_path
        shared = host.users.add(key, uid) if host.users is not None else False
        if shared and sc.fsGroup is not None and host.emit is not None:
            _warn_if_other_group(host.emit, plan, key, fs_group)
        # local.go: "Volume owner will be written only once on the first volume mount"
        if args.fs_group is not None and not shared:
            try:
                await walker.walk(plan.host_path, args.fs_group, policy, plan.read_only)
            except OSError as e:
                raise setup_failed(plan.name, str(e)) from None


def _warn_if_other_group(emit: Emit, plan: VolumePlan, path: str, fs_group: int | None) -> None:
    """local.go: another pod has the volume and its group is not this pod's fsGroup
    -> Warning ``AlreadyMountedVolume``."""
    try:
        gid = os.stat(path).st_gid  # noqa: PTH116
    except OSError:
        return
    if fs_group is not None and gid != fs_group:
        name = (plan.source and Path(plan.host_path).name) or plan.name
        emit(
            "Warning",
            "AlreadyMountedVolume",
            f"The requested fsGroup is {fs_group}, but the volume {name} has GID {gid}. "
            "The volume may not be shareable.",
        )


# -- container mounts (makeMounts) ----------------------------------------------------

_PROPAGATION = {
    "HostToContainer": MountPropagation.PROPAGATION_HOST_TO_CONTAINER,
    "Bidirectional": MountPropagation.PROPAGATION_BIDIRECTIONAL,
}


def prepare_subpaths(
    container: models.Container,
    plans: tuple[VolumePlan, ...],
    pod_dir: str,
    env: Mapping[str, str],
) -> dict[int, str]:
    """The subPath part of ``makeMounts`` (blocking I/O: bind mounts): volumeMount
    index -> the host path the container mounts; ``SubPathError`` with upstream's
    CreateContainerConfigError message."""
    by_name = {p.name: p for p in plans}
    out: dict[int, str] = {}
    for index, vm in enumerate(container.volumeMounts):
        plan = by_name.get(vm.name or "")
        if plan is None or plan.kind == "skip":
            continue
        sub = vm.subPath or ""
        if vm.subPathExpr:
            sub = subpath.expand_subpath_expr(vm.subPathExpr, env)
        if not sub:
            continue
        out[index] = subpath.prepare(
            sub_path=sub,
            volume_path=plan.host_path,
            pod_dir=pod_dir,
            volume=plan.name,
            container=container.name or "",
            index=index,
        )
    return out


def container_mounts(
    container: models.Container,
    plans: tuple[VolumePlan, ...],
    subpaths: Mapping[int, str] | None = None,
    selinux_relabel: Mapping[str, bool] | None = None,
) -> tuple[Mount, ...]:
    """CRI mounts of ``container``'s volumeMounts (pure): read-only when the mount or
    the plugin (``mustMountRO``) says so; a subPath mount uses its prepared bind target
    (``prepare_subpaths``) and is refused without one; ``selinux_relabel`` is the
    volume's SELinux plan (``seclet.kubelet.selinuxplan``)."""
    by_name = {p.name: p for p in plans}
    mounts = []
    for index, vm in enumerate(container.volumeMounts):
        plan = by_name.get(vm.name or "")
        if plan is not None and plan.kind == "skip":
            continue
        if plan is None:
            raise SubPathError(
                f'cannot find volume "{vm.name or ""}" to mount into container '
                f'"{container.name or ""}"'
            )
        host = plan.host_path
        if vm.subPath or vm.subPathExpr:
            if subpaths is None or index not in subpaths:
                raise SubPathError(
                    f'failed to prepare subPath for volumeMount "{plan.name}" of container '
                    f'"{container.name or ""}"'
                )
            host = subpaths[index]
        mounts.append(
            Mount(
                container_path=vm.mountPath or "",
                host_path=host,
                readonly=bool(vm.readOnly) or plan.read_only,
                propagation=_PROPAGATION.get(
                    vm.mountPropagation or "", MountPropagation.PROPAGATION_PRIVATE
                ),
                recursive_read_only=vm.recursiveReadOnly in ("Enabled",),
                selinux_relabel=(selinux_relabel or {}).get(plan.name, False),
            )
        )
    return tuple(mounts)


# -- tear-down ----------------------------------------------------------------------


def _remove(directory: str) -> None:
    """Unmount subPaths then volumes, and remove ``directory`` only when nothing is
    mounted below it any more."""
    pod_dir = directory if Path(directory).name != "volumes" else str(Path(directory).parent)
    left = subpath.clean_subpaths(pod_dir)
    left += unmount_all(directory)
    if left:
        log.error("not removing %s: still mounted: %s", directory, ", ".join(left))
        return
    shutil.rmtree(directory, True)


async def _plugin_tear_down(plans: tuple[VolumePlan, ...], table: PluginTable | None) -> None:
    for plan in plans:
        plugin = _plugin_for(plan, table or default_plugins()) if plan.kind != "skip" else None
        if plugin is not None:
            with contextlib.suppress(Exception):
                await plugin.tear_down(plan)


async def tear_down_volumes(
    pod_dir: str, plans: tuple[VolumePlan, ...] = (), plugins: PluginTable | None = None
) -> None:
    """A terminal pod's volumes (upstream unmounts them once the pod is terminated,
    before ``SyncTerminatedPod`` finishes): plugins' own tear-down, subPath binds,
    tmpfs volumes, then ``<podDir>/volumes``; the rest of the pod directory
    (termination-log files, the userns file) stays until the pod is deleted."""
    await _plugin_tear_down(plans, plugins)
    await asyncio.to_thread(subpath.clean_subpaths, pod_dir)
    await asyncio.to_thread(_remove, str(Path(pod_dir) / "volumes"))


async def tear_down(
    pod_dir: str, plans: tuple[VolumePlan, ...] = (), plugins: PluginTable | None = None
) -> None:
    """Unmount everything of the pod, then remove its directory."""
    await _plugin_tear_down(plans, plugins)
    await asyncio.to_thread(_remove, pod_dir)
