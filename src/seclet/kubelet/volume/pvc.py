"""persistentVolumeClaim (and generic ephemeral) volumes, kubelet side.

Role: k/k ``pkg/kubelet/volumemanager/populator/desired_state_of_world_populator.go``
(``createVolumeSpec``, ``getPVCExtractPV``, ``getPVSpec``) and the ``local`` /
``hostPath`` PV plugins. The claim is read (``persistentvolumeclaims``), must be
Bound with ``spec.volumeName``, then the PV (``persistentvolumes``) must point back
at the claim's uid. Errors (upstream's texts, wrapped ``error processing PVC
<ns>/<claim>: ...``): ``failed to fetch PVC from API server: persistentvolumeclaims
"x" not found``, ``PVC is being deleted``, ``PVC is not bound`` (Pending or Lost),
``PVC has empty pvc.Spec.VolumeName``, ``failed to fetch PV <pv> from API server:
persistentvolumes "<pv>" not found``, ``found PV object <pv> but it has a nil
pv.Spec.ClaimRef ...``, ``found PV object <pv> but its pv.Spec.ClaimRef.UID <a> does
not point to claim.UID <b>``; an ``ephemeral`` volume's claim is ``<pod>-<volume>``
and, once found bound, must be controlled by the pod (``ephemeral.VolumeIsForPod``:
``PVC <ns>/<claim> was not created for pod <ns>/<pod> (pod is not owner)``).
The volume manager turns them into ``Unable to attach or mount volumes: ...``.
PV sources: ``local`` (``local.go SetUpAt``: the PV's path bind-mounted at
``<podDir>/volumes/kubernetes.io~local-volume/<pv>``, read-only by a remount when the
claim is; fsGroup with the pod's fsGroupChangePolicy unless read-only, only on the
volume's first mount) and ``hostPath`` (the path itself, type checked, never
chowned). ReadOnly: the pod's ``persistentVolumeClaim.readOnly``.
Other PV sources are served by the plugin of the same kind in the table, if any.
Callers: seclet.kubelet.volumes (plugin table).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seclet.api import models
from seclet.kubelet.volume.hostpath import check_host_path
from seclet.kubelet.volume.mounts import bind_mount, mounts_under, remount_read_only, unmount
from seclet.kubelet.volume.plugin import (
    OWNERSHIP_NONE,
    OWNERSHIP_POLICY,
    Lookup,
    SetUpArgs,
    VolumeError,
    VolumePlan,
    setup_failed,
    volume_dir,
)

LOCAL_PLUGIN_DIR = "kubernetes.io~local-volume"


class ClaimError(VolumeError):
    """A claim the desired-state populator cannot process (the ``err`` part)."""


def _claim(volume: models.Volume, pod: models.Pod) -> tuple[str, bool, bool]:
    """(claim name, readOnly, ephemeral)."""
    if volume.ephemeral is not None:
        pod_name = (pod.metadata or models.ObjectMeta()).name or ""
        return f"{pod_name}-{volume.name or ''}", False, True
    src = volume.persistentVolumeClaim or models.PersistentVolumeClaimVolumeSource()
    return src.claimName or "", bool(src.readOnly), False


def resolve_claim(
    volume: models.Volume, pod: models.Pod, lookup: Lookup
) -> tuple[Mapping[str, Any], Mapping[str, Any], bool]:
    """The bound (claim, PV, readOnly) or ``ClaimError``."""
    meta = pod.metadata or models.ObjectMeta()
    namespace = meta.namespace or ""
    claim, read_only, ephemeral = _claim(volume, pod)

    def fail(message: str) -> ClaimError:
        return ClaimError(f"error processing PVC {namespace}/{claim}: {message}")

    pvc = lookup("persistentvolumeclaims", namespace, claim)
    if pvc is None:
        raise fail(
            f'failed to fetch PVC from API server: persistentvolumeclaims "{claim}" not found'
        )
    pvc_meta = pvc.get("metadata") or {}
    if pvc_meta.get("deletionTimestamp"):
        raise fail("PVC is being deleted")
    if (pvc.get("status") or {}).get("phase") != "Bound":
        raise fail("PVC is not bound")
    pv_name = (pvc.get("spec") or {}).get("volumeName") or ""
    if not pv_name:
        raise fail("PVC has empty pvc.Spec.VolumeName")
    controller = next(
        (ref for ref in pvc_meta.get("ownerReferences") or () if ref.get("controller")), None
    )
    # metav1.IsControlledBy: the first controller reference decides.
    if ephemeral and (controller is None or controller.get("uid") != meta.uid):
        raise ClaimError(
            f"PVC {namespace}/{claim} was not created for pod {namespace}/{meta.name or ''} "
            "(pod is not owner)"
        )
    pv = lookup("persistentvolumes", "", pv_name)
    if pv is None:
        raise fail(
            f'failed to fetch PV {pv_name} from API server: persistentvolumes "{pv_name}" not found'
        )
    ref = (pv.get("spec") or {}).get("claimRef")
    if not ref:
        raise fail(
            f"found PV object {pv_name} but it has a nil pv.Spec.ClaimRef indicating "
            "it is not yet bound to the claim"
        )
    if ref.get("uid", "") != pvc_meta.get("uid", ""):
        raise fail(
            f"found PV object {pv_name} but its pv.Spec.ClaimRef.UID {ref.get('uid', '')} "
            f"does not point to claim.UID {pvc_meta.get('uid', '')}"
        )
    return pvc, pv, read_only


class ClaimPlugin:
    """``persistentVolumeClaim`` (and ``ephemeral``, ``kind``) volumes whose PV is
    ``local`` or ``hostPath``."""

    def __init__(self, kind: str = "persistentVolumeClaim") -> None:
        self.kind = kind

    def plan(
        self, volume: models.Volume, pod: models.Pod, root_dir: str, lookup: Lookup
    ) -> VolumePlan:
        pvc, pv, read_only = resolve_claim(volume, pod, lookup)
        spec = pv.get("spec") or {}
        name = volume.name or ""
        namespace = (pod.metadata or models.ObjectMeta()).namespace or ""
        claim = f"{namespace}/{(pvc.get('metadata') or {}).get('name', '')}"
        if spec.get("local"):
            pv_name = (pv.get("metadata") or {}).get("name", "")
            return VolumePlan(
                name=name,
                kind="local",
                host_path=volume_dir(root_dir, pod, LOCAL_PLUGIN_DIR, pv_name),
                source=spec["local"].get("path", ""),
                read_only=read_only,
                ownership=OWNERSHIP_NONE if read_only else OWNERSHIP_POLICY,
                volume=volume,
                claim=claim,
            )
        if spec.get("hostPath"):
            hp = spec["hostPath"]
            return VolumePlan(
                name=name,
                kind="hostPath-pv",
                host_path=hp.get("path", ""),
                host_path_type=hp.get("type", ""),
                read_only=read_only,
                ownership=OWNERSHIP_NONE,
                volume=volume,
                claim=claim,
            )
        kinds = sorted(k for k in spec if k.endswith(("Disk", "csi", "nfs", "iscsi", "fc")))
        raise ClaimError(
            f"error processing PVC {claim}: seclet serves local and hostPath "
            f"PersistentVolumes, not {', '.join(kinds) or 'this source'}"
        )

    def supports_ownership(self, plan: VolumePlan) -> bool:
        return plan.ownership == OWNERSHIP_POLICY

    def applies_mount_group(self, plan: VolumePlan) -> bool:
        return False

    async def set_up(self, plan: VolumePlan, args: SetUpArgs) -> None:
        if plan.kind == "hostPath-pv":
            await asyncio.to_thread(check_host_path, plan.name, plan.host_path, plan.host_path_type)
            return
        try:
            await asyncio.to_thread(bind_local, plan.source, plan.host_path, plan.read_only)
        except OSError as e:
            raise setup_failed(plan.name, f"mount failed: {e}") from None

    async def tear_down(self, plan: VolumePlan) -> None:
        """Nothing of its own: the volume manager unmounts the pod's bind mount; the
        PV's directory outlives the pod."""


def bind_local(source: str, target: str, read_only: bool) -> None:
    """``local.go SetUpAt``: ``mkdir -p <target>`` (0750) and ``mount -o bind[,ro]
    <PV path> <target>``, unless already mounted (idempotent)."""
    if target in mounts_under(target):
        return
    if ".." in source.split("/"):
        raise OSError(f"invalid path: {source} must not contain '..'")
    Path(target).mkdir(mode=0o750, parents=True, exist_ok=True)
    bind_mount(source, target)
    if read_only:
        try:
            remount_read_only(target)
        except OSError:
            unmount(target)
            raise
