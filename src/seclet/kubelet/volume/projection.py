"""configMap, secret, downwardAPI and projected volumes: API data as files.

Role: k/k ``pkg/volume/{configmap,secret,downwardapi,projected}``. Each is a wrapped
emptyDir (configMap on disk; secret, downwardAPI and projected on tmpfs, ``medium:
Memory``) filled by the atomic writer. Attributes: ReadOnly true, so every container
mounts them read-only and the fsGroup walk ORs ``0440`` (defaultMode 0400 + fsGroup
-> 0440; directories ``0550`` + setgid), with a nil policy (fsGroupChangePolicy has no
effect). ``RequiresRemount``: the volume manager sets them up again every
``volume_resync_period`` so pods see object changes through the ``..data`` swap.

Steps of ``set_up`` (``SetUpAt``):
1. read the object(s) (``lookup``); missing and not optional -> ``configmap "x" not
   found`` / ``secret "x" not found``; build the payload (``payload``), errors of a
   projected volume's sources aggregated;
2. set up the wrapped emptyDir (created 0777, tmpfs for Memory, fsGroup walk) and
   the directories of volumes mounted beneath it (``MakeNestedMountpoints``: the
   volume is read-only in the container, the runtime could not create them);
3. ``atomicwriter.write`` with ``set_perms`` = the fsGroup walk of the whole volume
   (read-only masks, nil policy), run before ``..data`` is swapped.
Every error is ``MountVolume.SetUp failed for volume "<v>" : <err>``. For a
``hostUsers: false`` pod the files are owned by the pod's root in host terms
(``shift_owner``, before the fsGroup walk): runc 1.1 has no idmapped mounts.
serviceAccountToken sources: seclet's node has no service accounts and no token
issuer, so the kubelet's token request fails as upstream's does when the account is
missing: ``failed to fetch token: serviceaccounts "<sa>" not found`` (the
``kube-api-access-*`` volume upstream injects is not injected by seclet and such a
volume copied from a cluster is skipped by the volume manager).
Callers: seclet.kubelet.volumes (plugin table).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

from seclet.api import models
from seclet.kubelet.ownership import change_ownership
from seclet.kubelet.volume import atomicwriter, payload
from seclet.kubelet.volume.atomicwriter import FileProjection, PayloadError
from seclet.kubelet.volume.emptydir import memory_size, set_up_dir
from seclet.kubelet.volume.plugin import (
    OWNERSHIP_EPHEMERAL,
    Lookup,
    SetUpArgs,
    VolumePlan,
    setup_failed,
    volume_dir,
)

_DIRS = {
    "configMap": "kubernetes.io~configmap",
    "secret": "kubernetes.io~secret",
    "downwardAPI": "kubernetes.io~downward-api",
    "projected": "kubernetes.io~projected",
}


def _configmap(
    lookup: Lookup,
    namespace: str,
    src: models.ConfigMapVolumeSource | models.ConfigMapProjection,
    default_mode: int | None,
) -> dict[str, FileProjection]:
    name = src.name or ""
    obj = lookup("configmaps", namespace, name)
    if obj is None and not src.optional:
        raise PayloadError(payload.not_found("configmap", name))
    return payload.configmap_payload(obj, src.items, default_mode, bool(src.optional))


def _secret(
    lookup: Lookup,
    namespace: str,
    name: str,
    items: tuple[models.KeyToPath, ...],
    optional: bool,
    default_mode: int | None,
) -> dict[str, FileProjection]:
    obj = lookup("secrets", namespace, name)
    if obj is None and not optional:
        raise PayloadError(payload.not_found("secret", name))
    return payload.secret_payload(obj, items, default_mode, optional)


def collect(volume: models.Volume, pod: models.Pod, args: SetUpArgs) -> dict[str, FileProjection]:
    """Step 1 for any of the four kinds (``PayloadError`` with upstream's text)."""
    namespace = (pod.metadata or models.ObjectMeta()).namespace or ""
    allocatable: Mapping[str, object] = args.allocatable or {}
    if volume.configMap is not None:
        return _configmap(args.lookup, namespace, volume.configMap, volume.configMap.defaultMode)
    if volume.secret is not None:
        s = volume.secret
        return _secret(
            args.lookup, namespace, s.secretName or "", s.items, bool(s.optional), s.defaultMode
        )
    if volume.downwardAPI is not None:
        d = volume.downwardAPI
        return payload.downward_payload(pod, d.items, d.defaultMode, allocatable)
    projected = volume.projected or models.ProjectedVolumeSource()
    mode = projected.defaultMode
    out: dict[str, FileProjection] = {}
    errors: list[str] = []
    for source in projected.sources:
        try:
            if source.secret is not None:
                sp = source.secret
                out.update(
                    _secret(
                        args.lookup, namespace, sp.name or "", sp.items, bool(sp.optional), mode
                    )
                )
            elif source.configMap is not None:
                out.update(_configmap(args.lookup, namespace, source.configMap, mode))
            elif source.downwardAPI is not None:
                items = source.downwardAPI.items
                out.update(payload.downward_payload(pod, items, mode, allocatable))
            elif source.serviceAccountToken is not None:
                account = (pod.spec or models.PodSpec()).serviceAccountName or "default"
                raise PayloadError(
                    f"failed to fetch token: {payload.not_found('serviceaccounts', account)}"
                )
        except PayloadError as e:
            errors.append(str(e))
    if errors:
        raise PayloadError(payload.aggregate(errors))
    return out


def nested_mountpoints(name: str, pod: models.Pod) -> list[str]:
    """``getNestedMountpoints`` (pure): for each container mounting volume ``name``,
    the other mount points directly beneath one of its mount points (not those nested
    deeper), relative to the volume; a mount point starting with ``../`` ->
    ``PayloadError`` ``invalid container mount point <p>``."""
    spec = pod.spec or models.PodSpec()
    out: list[str] = []
    for c in (*spec.initContainers, *spec.containers):
        every = sorted(os.path.normpath(vm.mountPath or "") for vm in c.volumeMounts)
        mine = [os.path.normpath(vm.mountPath or "") for vm in c.volumeMounts if vm.name == name]
        for point in mine:
            if point.startswith("../"):
                raise PayloadError(f"invalid container mount point {point}")
            prefix = point.rstrip("/") + "/"
            seen: list[str] = []
            for mp in every:
                if not mp.startswith(prefix) or any(mp.startswith(p) for p in seen):
                    continue
                seen.append(mp + "/")
                out.append(mp[len(prefix) :])
    return out


def make_nested_mountpoints(name: str, base: str, pod: models.Pod) -> None:
    """``MakeNestedMountpoints``: the directories a read-only volume must already hold
    for the volumes mounted beneath it (0755)."""
    for rel in nested_mountpoints(name, pod):
        try:
            os.makedirs(os.path.join(base, rel), 0o755, exist_ok=True)  # noqa: PTH103, PTH118
        except OSError as e:
            raise PayloadError(f"unable to create nested volume mountpoints: {e}") from None


def shift_owner(root: str, owner: int) -> None:
    """``hostUsers: false`` without idmapped mounts: the kubelet's files (host root)
    are given to the pod's root in host terms, so the container sees them as 0:0 as
    it would through an idmapped mount (symlinks included, never followed)."""
    for directory, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            os.lchown(os.path.join(directory, name), owner, owner)  # noqa: PTH118
    os.lchown(root, owner, owner)


class ProjectionPlugin:
    """One of configMap, secret, downwardAPI, projected (``kind``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.medium = "" if kind == "configMap" else "Memory"

    def plan(
        self, volume: models.Volume, pod: models.Pod, root_dir: str, lookup: Lookup
    ) -> VolumePlan:
        name = volume.name or ""
        return VolumePlan(
            name=name,
            kind=self.kind,
            host_path=volume_dir(root_dir, pod, _DIRS[self.kind], name),
            medium=self.medium,
            read_only=True,
            ownership=OWNERSHIP_EPHEMERAL,
            resync=True,
            volume=volume,
        )

    def supports_ownership(self, plan: VolumePlan) -> bool:
        return True

    def applies_mount_group(self, plan: VolumePlan) -> bool:
        return False

    async def set_up(self, plan: VolumePlan, args: SetUpArgs) -> None:
        """The steps above (also every resync: step 2 is then a no-op and step 3
        publishes only when the content changed)."""
        assert plan.volume is not None
        try:
            files = collect(plan.volume, args.pod, args)
            atomicwriter.validate_payload(files)
        except PayloadError as e:
            raise setup_failed(plan.name, str(e)) from None
        size = memory_size(args.pod, "", args.allocatable) if plan.medium == "Memory" else ""
        await set_up_dir(plan.name, plan.host_path, plan.medium, size, args)
        try:
            await asyncio.to_thread(make_nested_mountpoints, plan.name, plan.host_path, args.pod)
        except PayloadError as e:
            raise setup_failed(plan.name, str(e)) from None

        def set_perms(_ts_dir: str) -> None:
            if args.owner is not None:
                shift_owner(plan.host_path, args.owner)
            # the first write also creates files outside the timestamped directory:
            # walk the whole volume, as upstream's setPerms does
            if args.walker is not None:
                args.walker.walk_sync(plan.host_path, args.fs_group, None, True)
            else:
                change_ownership(plan.host_path, args.fs_group, None, True)

        try:
            await asyncio.to_thread(atomicwriter.write, plan.host_path, files, set_perms)
        except (OSError, PayloadError) as e:
            raise setup_failed(plan.name, str(e)) from None

    async def tear_down(self, plan: VolumePlan) -> None:
        """Nothing of its own (the wrapped emptyDir goes with the pod's volumes)."""


def projection_plugins() -> list[ProjectionPlugin]:
    return [ProjectionPlugin(k) for k in _DIRS]
