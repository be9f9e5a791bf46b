"""The local-path provisioner behind the default StorageClass ``local-path``, as k3s ships it.

Role: rancher/local-path-provisioner (``provisioner.go``) driven by
sig-storage-lib-external-provisioner's ProvisionController (``controller.go``,
``volume_store.go``), embedded: no helper pod, the directory work is done here.

- ``ensure_default_class``: at start, if absent, the StorageClass k3s deploys
  (``local-path``, provisioner ``rancher.io/local-path``, WaitForFirstConsumer,
  reclaimPolicy Delete, annotated the default class) with the provisioner's own
  ``defaultVolumeType: local`` annotation, so claims get ``local`` volumes (which
  honour fsGroup; hostPath ones do not).
- ``sync_claim`` (``shouldProvision`` + ``provisionClaimOperation``): a claim without
  volumeName, annotated ``volume.kubernetes.io/storage-provisioner:
  rancher.io/local-path`` and, for WaitForFirstConsumer, with a selected node, and
  no volume ``pvc-<claim uid>`` yet. Steps: 1. ``Provisioning`` event; 2. refuse a
  selector, access modes other than RWO/RWOP, a missing node or a Block claim
  (``ProvisioningFailed`` with the provisioner's text); 3. create the directory
  ``<root>/pvc-<uid>_<namespace>_<name>`` as the setup script does (``mkdir -m 0777
  -p``, then ``chmod 700`` the storage root); 4. create the PersistentVolume (local
  or hostPath source, node affinity ``kubernetes.io/hostname In [<node>]``,
  capacity and access modes from the claim, reclaim policy from the class,
  claimRef, ``pv.kubernetes.io/provisioned-by``, the PV-protection finalizer the
  API server's admission adds); 5. ``ProvisioningSucceeded``.
- ``sync_volume`` (``shouldDelete`` + ``deleteVolumeOperation``): a Released volume
  of ours with reclaim policy Delete: the directory goes (the teardown's ``rm -rf``,
  but only a direct child of the storage root and never through a symlink), then
  the PersistentVolume is deleted (the protection controller lets it go).
Callers: seclet.controllers.manager (via seclet.cli.server), tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import stat
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from seclet.api import storagehelpers as sh
from seclet.api.managedfields import record_update
from seclet.controllers import writes
from seclet.controllers.clock import Clock, rfc3339
from seclet.controllers.events import NORMAL, WARNING, EventRecorder, object_reference
from seclet.controllers.manager import WorkQueue, get_by_key, queue_all
from seclet.store.api import AlreadyExistsError, JSONObject, NotFoundError, Store

PROVISIONER = "rancher.io/local-path"
CLASS_NAME = "local-path"
NODE_AFFINITY_KEY = "kubernetes.io/hostname"
ANN_SELECTED_NODE_LOCAL = "local.path.provisioner/selected-node"
ANN_DEFAULT_VOLUME_TYPE = "defaultVolumeType"
ANN_VOLUME_TYPE = "volumeType"
VOLUME_DIR_MODE = 0o777
ROOT_MODE = 0o700


class ProvisionError(Exception):
    """The provisioner's refusal (``str()`` is the event message)."""


def default_class() -> JSONObject:
    """k3s's ``local-storage.yaml`` StorageClass (plus ``defaultVolumeType: local``)."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": CLASS_NAME,
            "annotations": {
                sh.ANN_DEFAULT_CLASS: "true",
                ANN_DEFAULT_VOLUME_TYPE: "local",
            },
        },
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": sh.WAIT_FOR_FIRST_CONSUMER,
    }


def ensure_default_class(store: Store, now: float) -> bool:
    """Create the ``local-path`` class unless a class of that name exists; True when
    it was created."""
    try:
        store.get("storageclasses", "", CLASS_NAME)
        return False
    except NotFoundError:
        pass
    try:
        store.create("storageclasses", "", CLASS_NAME, writes.stamp_new(default_class(), now))
    except AlreadyExistsError:
        return False
    return True


def folder_name(pv_name: str, claim: Mapping[str, Any]) -> str:
    """``<pv>_<namespace>_<claim>``: the provisioner's directory name."""
    m = sh.meta(claim)
    return "_".join((pv_name, str(m.get("namespace", "")), str(m.get("name", ""))))


def volume_source(volume_type: str, path: str) -> JSONObject:
    """``createPersistentVolumeSource``."""
    kind = volume_type.lower()
    if kind == "local":
        return {"local": {"path": path}}
    if kind == "hostpath":
        return {"hostPath": {"path": path, "type": "DirectoryOrCreate"}}
    raise ProvisionError(
        f'failed to create persistent volume source: "{volume_type}" is not a recognised '
        "volume type"
    )


def check_claim(claim: Mapping[str, Any], node_name: str) -> None:
    """``provisionFor``'s refusals for a node-local (not shared) path."""
    if sh.spec(claim).get("selector") is not None:
        raise ProvisionError("claim.Spec.Selector is not supported")
    for mode in sh.spec(claim).get("accessModes") or ():
        if mode not in (sh.READ_WRITE_ONCE, sh.READ_WRITE_ONCE_POD):
            raise ProvisionError(
                "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes"
            )
    if not node_name:
        raise ProvisionError("configuration error, no node was specified")


def persistent_volume(
    claim: Mapping[str, Any],
    sc: Mapping[str, Any],
    pv_name: str,
    path: str,
    node_name: str,
    node_labels: Mapping[str, str],
) -> JSONObject:
    """The PersistentVolume ``provisionFor`` returns, completed as the library stores
    it (claimRef, provisioned-by, storageClassName)."""
    volume_type = sh.annotations_of(sc).get(ANN_DEFAULT_VOLUME_TYPE) or "hostPath"
    volume_type = sh.annotations_of(claim).get(ANN_VOLUME_TYPE) or volume_type
    source = volume_source(volume_type, path)
    storage = ((sh.spec(claim).get("resources") or {}).get("requests") or {}).get("storage")
    pv_spec: JSONObject = {
        "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
        "accessModes": list(sh.spec(claim).get("accessModes") or ()),
        "volumeMode": "Filesystem",
        "capacity": {"storage": storage},
        **source,
        "nodeAffinity": {
            "required": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {
                                "key": NODE_AFFINITY_KEY,
                                "operator": "In",
                                "values": [node_labels.get(NODE_AFFINITY_KEY) or node_name],
                            }
                        ]
                    }
                ]
            }
        },
        "claimRef": sh.claim_reference(claim),
        "storageClassName": sh.claim_class(claim),
    }
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": pv_name,
            "annotations": {
                ANN_SELECTED_NODE_LOCAL: node_name,
                sh.ANN_DYNAMICALLY_PROVISIONED: PROVISIONER,
            },
        },
        "spec": pv_spec,
    }


def setup_volume_dir(root: Path, folder: str) -> Path:
    """The setup script: ``mkdir -m 0777 -p <root>/<folder>``, ``chmod 700 <root>``.
    ``folder`` is one path component; an existing symlink there is refused."""
    if not folder or "/" in folder or folder in (".", ".."):
        raise ProvisionError(f"folder path contains invalid references: {folder}")
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        try:
            os.mkdir(folder, VOLUME_DIR_MODE, dir_fd=fd)
        except FileExistsError:
            st = os.stat(folder, dir_fd=fd, follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode):
                raise ProvisionError(f"{root / folder} exists and is not a directory") from None
        os.chmod(folder, VOLUME_DIR_MODE, dir_fd=fd, follow_symlinks=False)
        os.fchmod(fd, ROOT_MODE)
    finally:
        os.close(fd)
    return root / folder


def teardown_volume_dir(root: Path, path: str) -> None:
    """The teardown script's ``rm -rf <path>``, confined: ``path`` must be a direct
    child of ``root``; a symlink there is unlinked (its target untouched); nothing is
    followed out of the tree. A missing directory is fine."""
    target = Path(os.path.normpath(path))
    if target.parent != Path(os.path.normpath(root)) or target.name in ("", ".", ".."):
        raise ProvisionError(f"refusing to remove {path}: not a volume directory under {root}")
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    try:
        try:
            st = os.stat(target.name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(target.name, dir_fd=fd)
        else:
            os.unlink(target.name, dir_fd=fd)
    finally:
        os.close(fd)


class LocalPathProvisioner:
    name: str = "local-path-provisioner"
    resources: tuple[str, ...] = ("persistentvolumeclaims", "persistentvolumes")

    def __init__(self, store: Store, clock: Clock, root: Path, host: str) -> None:
        self.store = store
        self.clock = clock
        self.root = root
        self.recorder = EventRecorder(store, clock, f"{PROVISIONER}_{host}_{uuid.uuid4()}")
        self.claim_queue = WorkQueue()
        self.volume_queue = WorkQueue()

    def observe(self, resource: str, type_: str, obj: JSONObject) -> None:
        if type_ == "DELETED":
            return
        meta = obj.get("metadata") or {}
        if resource == "persistentvolumeclaims":
            self.claim_queue.add(f"{meta.get('namespace', '')}/{meta.get('name', '')}")
        else:
            self.volume_queue.add(str(meta.get("name", "")))

    def resync(self) -> None:
        queue_all(self.store, "persistentvolumeclaims", self.claim_queue)
        queue_all(self.store, "persistentvolumes", self.volume_queue)

    def queues(self) -> Sequence[tuple[WorkQueue, Callable[[str], Awaitable[None]]]]:
        return ((self.claim_queue, self.sync_claim_key), (self.volume_queue, self.sync_volume_key))

    async def sync_claim_key(self, key: str) -> None:
        claim = get_by_key(self.store, "persistentvolumeclaims", key)
        if claim is not None:
            await self.sync_claim(claim)

    async def sync_volume_key(self, key: str) -> None:
        volume = get_by_key(self.store, "persistentvolumes", key)
        if volume is not None:
            await self.sync_volume(volume)

    def _class(self, name: str) -> JSONObject | None:
        try:
            return self.store.get("storageclasses", "", name)
        except NotFoundError:
            return None

    def _should_provision(self, claim: Mapping[str, Any]) -> JSONObject | None:
        """``shouldProvision``: the claim's class when this provisioner should act."""
        if sh.spec(claim).get("volumeName"):
            return None
        anns = sh.annotations_of(claim)
        wanted = anns.get(sh.ANN_STORAGE_PROVISIONER) or anns.get(sh.ANN_BETA_STORAGE_PROVISIONER)
        if wanted != PROVISIONER:
            return None
        sc = self._class(sh.claim_class(claim))
        if sc is None:
            return None
        if sc.get("volumeBindingMode") == sh.WAIT_FOR_FIRST_CONSUMER and not anns.get(
            sh.ANN_SELECTED_NODE
        ):
            return None
        return sc

    async def sync_claim(self, claim: JSONObject) -> None:
        sc = self._should_provision(claim)
        if sc is None or sc.get("provisioner") != PROVISIONER:
            return
        pv_name = f"pvc-{sh.meta(claim).get('uid', '')}"
        try:
            self.store.get("persistentvolumes", "", pv_name)
            return
        except NotFoundError:
            pass
        ref = object_reference(claim, "PersistentVolumeClaim")
        if (sh.spec(claim).get("volumeMode") or "Filesystem") == "Block":
            self.recorder.event(
                ref, WARNING, "ProvisioningFailed",
                f"{PROVISIONER} does not support block volume provisioning",
            )
            return
        self.recorder.event(
            ref, NORMAL, "Provisioning",
            f'External provisioner is provisioning volume for claim "{sh.claim_key(claim)}"',
        )
        node_name = str(sh.annotations_of(claim).get(sh.ANN_SELECTED_NODE) or "")
        try:
            volume = await self._provision(claim, sc, pv_name, node_name)
        except (ProvisionError, OSError) as exc:
            self.recorder.event(ref, WARNING, "ProvisioningFailed", str(exc))
            return
        try:
            self.store.create("persistentvolumes", "", pv_name, volume)
        except AlreadyExistsError:
            return
        self.recorder.event(
            ref, NORMAL, "ProvisioningSucceeded", f"Successfully provisioned volume {pv_name}"
        )

    async def _provision(
        self, claim: JSONObject, sc: Mapping[str, Any], pv_name: str, node_name: str
    ) -> JSONObject:
        check_claim(claim, node_name)
        labels: Mapping[str, str] = {}
        with contextlib.suppress(NotFoundError):
            node = self.store.get("nodes", "", node_name)
            labels = sh.meta(node).get("labels") or {}
        folder = folder_name(pv_name, claim)
        volume = persistent_volume(claim, sc, pv_name, str(self.root / folder), node_name, labels)
        await asyncio.to_thread(setup_volume_dir, self.root, folder)
        now = self.clock.now()
        volume = writes.stamp_new(volume, now)
        # The provisioner's create, seen by the field manager before admission.
        record_update(None, volume, manager="local-path-provisioner", now=now)
        volume["metadata"]["finalizers"] = [sh.PV_PROTECTION_FINALIZER]
        volume["status"] = {"phase": "Pending", "lastPhaseTransitionTime": rfc3339(now)}
        return volume

    def _should_delete(self, volume: Mapping[str, Any]) -> bool:
        """``shouldDelete`` (no provisioner finalizer: a deleting volume is left)."""
        if sh.annotations_of(volume).get(sh.ANN_DYNAMICALLY_PROVISIONED) != PROVISIONER:
            return False
        if sh.meta(volume).get("deletionTimestamp"):
            return False
        if sh.phase(volume) != "Released":
            return False
        return bool(sh.spec(volume).get("persistentVolumeReclaimPolicy") == "Delete")

    async def sync_volume(self, volume: JSONObject) -> None:
        if not self._should_delete(volume):
            return
        name = str(sh.meta(volume).get("name", ""))
        try:
            await self._delete(volume)
        except (ProvisionError, OSError) as exc:
            self.recorder.event(
                object_reference(volume, "PersistentVolume"), WARNING, "VolumeFailedDelete",
                f"failed to delete volume {name}: {exc}",
            )
            return
        writes.delete(self.store, "persistentvolumes", "", name, self.clock.now())

    async def _delete(self, volume: Mapping[str, Any]) -> None:
        """``deleteFor``: the node's directory goes (cleanup is skipped when the node
        is gone, as upstream)."""
        pv_spec = sh.spec(volume)
        source = pv_spec.get("local") or pv_spec.get("hostPath")
        if not source or (pv_spec.get("local") and pv_spec.get("hostPath")):
            raise ProvisionError("no path set")
        node = ""
        for term in ((pv_spec.get("nodeAffinity") or {}).get("required") or {}).get(
            "nodeSelectorTerms"
        ) or ():
            for expr in term.get("matchExpressions") or ():
                if expr.get("operator") == "In" and len(expr.get("values") or ()) == 1:
                    node = str(expr["values"][0])
                    break
            if node:
                break
        if not node:
            raise ProvisionError("cannot find affinited node")
        if not any(
            sh.meta(n).get("name") == node
            or (sh.meta(n).get("labels") or {}).get(NODE_AFFINITY_KEY) == node
            for n in self.store.list("nodes").items
        ):
            return
        await asyncio.to_thread(teardown_volume_dir, self.root, str(source.get("path") or ""))

