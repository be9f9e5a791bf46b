"""The SELinux label plan of a pod's volumes, as the kubelet decides it before mounting.

Role: the kubelet's side of ``seclet.securitycontext.selinux_mount`` (the pure
decisions of upstream 1.35's ``GetMountSELinuxLabel`` / volume manager): it gathers
each volume's facts (a claim-backed volume's bound PersistentVolume, read through the
worker's store lookup), plans every volume with the kubelet's feature gates and the
node's SELinux fact, and returns the plans, the events to record, the error that
blocks the pod (``multiple SELinux labels found: ...``) and, per volume, the CRI
``Mount.selinux_relabel`` flag. On this node (no SELinux) a plan is recorded only for
pods that ask for SELinux, and no mount gets a context.
Steps of ``plan``: 1. the bound PV of every claim-backed volume; 2. the volumes'
facts (no CSIDriver objects exist here: no driver declares ``seLinuxMount``);
3. ``plan_pod_volumes``; 4. the events and the blocking error.
Callers: seclet.kubelet.worker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from seclet.api import models
from seclet.api.featuregates import FeatureGates
from seclet.securitycontext import selinux_mount

Lookup = Callable[[str, str, str], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class SELinuxPlan:
    plans: tuple[selinux_mount.VolumePlan, ...]
    events: tuple[tuple[str, str, str], ...]
    """(type, reason, message) to record on the pod."""
    error: str
    """The first plan's refusal to mount ("" when every volume may be mounted)."""

    def relabel(self) -> dict[str, bool]:
        """Volume name -> CRI ``Mount.selinux_relabel``."""
        return {p.volume: p.selinux_relabel for p in self.plans}


def _bound_volumes(pod: models.Pod, lookup: Lookup) -> dict[str, Mapping[str, Any] | None]:
    """Step 1: volume name -> the PersistentVolume its claim is bound to (or None)."""
    namespace = (pod.metadata or models.ObjectMeta()).namespace or "default"
    pod_name = (pod.metadata or models.ObjectMeta()).name or ""
    out: dict[str, Mapping[str, Any] | None] = {}
    for volume in (pod.spec or models.PodSpec()).volumes:
        name = volume.name or ""
        if volume.persistentVolumeClaim is not None:
            claim = volume.persistentVolumeClaim.claimName or ""
        elif volume.ephemeral is not None:
            claim = f"{pod_name}-{name}"
        else:
            continue
        pvc = lookup("persistentvolumeclaims", namespace, claim)
        pv_name = str(((pvc or {}).get("spec") or {}).get("volumeName") or "")
        out[name] = lookup("persistentvolumes", "", pv_name) if pv_name else None
    return out


def plan(
    pod: models.Pod, lookup: Lookup, gates: FeatureGates, *, selinux_enabled: bool
) -> SELinuxPlan:
    """Steps 1-4 (see the module doc)."""
    facts = selinux_mount.pod_volume_facts(pod, _bound_volumes(pod, lookup), {})
    plans = selinux_mount.plan_pod_volumes(pod, facts, gates, selinux_enabled=selinux_enabled)
    events = tuple(selinux_mount.plan_events(pod, plans))
    error = next((p.error for p in plans if p.error), "")
    return SELinuxPlan(plans, events, error)
