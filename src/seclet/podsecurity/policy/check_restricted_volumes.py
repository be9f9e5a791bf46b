"""Restricted check ``restrictedVolumes``: only the safe inline volume types.

Upstream: ``policy/check_restrictedVolumes.go``, ID ``restrictedVolumes``, level restricted,
overriding baseline ``hostPathVolumes``. Revision: v1.0 only. A volume is allowed if it is
configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected
or secret; otherwise it is named with its type (the first set of hostPath,
gcePersistentDisk, awsElasticBlockStore, gitRepo, nfs, iscsi, glusterfs, rbd, flexVolume,
cinder, cephfs, flocker, fc, azureFile, vsphereVolume, quobyte, azureDisk,
photonPersistentDisk, portworxVolume, scaleIO, storageos, else ``unknown``).
Callers: ``policy/registry.py`` (through ``CHECK``).
"""

from __future__ import annotations

from typing import Final

from seclet.api.models import ObjectMeta, PodSpec, Volume
from seclet.podsecurity.api.version import Level, Version
from seclet.podsecurity.policy import check_hostpath_volumes
from seclet.podsecurity.policy.checks import ALLOWED, Check, CheckResult, VersionedCheck
from seclet.podsecurity.policy.helpers import Containers, join_quote, pluralize

ID: Final = "restrictedVolumes"

# (model attribute, name in the message), in upstream's switch order.
_RESTRICTED_TYPES: Final = (
    ("hostPath", "hostPath"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("gitRepo", "gitRepo"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("rbd", "rbd"),
    ("flexVolume", "flexVolume"),
    ("cinder", "cinder"),
    ("cephfs", "cephfs"),
    ("flocker", "flocker"),
    ("fc", "fc"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("quobyte", "quobyte"),
    ("azureDisk", "azureDisk"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("scaleIO", "scaleIO"),
    ("storageos", "storageos"),
)


def _allowed(v: Volume) -> bool:
    return (
        v.configMap is not None
        or v.csi is not None
        or v.downwardAPI is not None
        or v.emptyDir is not None
        or v.ephemeral is not None
        or v.image is not None
        or v.persistentVolumeClaim is not None
        or v.projected is not None
        or v.secret is not None
    )


def _type_name(v: Volume) -> str:
    for attr, name in _RESTRICTED_TYPES:
        if getattr(v, attr) is not None:
            return name
    return "unknown"


def restricted_volumes_1_0(
    metadata: ObjectMeta | None, spec: PodSpec, containers: Containers
) -> CheckResult:
    bad_volumes: list[str] = []
    bad_types: list[str] = []  # a set, deduplicated when reported
    for v in spec.volumes:
        if _allowed(v):
            continue
        bad_volumes.append(v.name or "")
        bad_types.append(_type_name(v))
    if bad_volumes:
        n = len(bad_volumes)
        types = sorted(set(bad_types))
        return CheckResult(
            False,
            "restricted volume types",
            f"{pluralize('volume', 'volumes', n)} {join_quote(bad_volumes)} "
            f"{pluralize('uses', 'use', n)} "
            f"{pluralize('restricted volume type', 'restricted volume types', len(types))} "
            f"{join_quote(types)}",
        )
    return ALLOWED


CHECK: Final[Check] = Check(
    ID,
    Level.RESTRICTED,
    (VersionedCheck(Version(1, 0), restricted_volumes_1_0, (check_hostpath_volumes.ID,)),),
)
