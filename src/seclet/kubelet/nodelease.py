"""The node's Lease: ``kube-node-lease/<node>``, the kubelet's cheap heartbeat.

Role: upstream's node lease controller (``component-helpers/apimachinery/lease``,
started by the kubelet with ``nodeLeaseDurationSeconds`` 40 and
``nodeLeaseRenewIntervalFraction`` 0.25: renewed every 10 s). ``lease_for`` (pure)
is ``newLease``: a fresh Lease (name and ``holderIdentity`` the node's name,
``leaseDurationSeconds``) or a copy of the stored one, ``renewTime`` set to now
(MicroTime), and the kubelet's post-processing ``setNodeOwnerFunc``: an
``ownerReference`` to the Node (``v1``/``Node``, name, uid) when it has none.
``NodeLeaseController.sync`` creates the lease or updates the latest one (a conflict
re-reads it, up to 5 tries as ``maxUpdateRetries``); ``run`` syncs now and then every
renew interval. ``kubectl describe node`` shows it as ``Lease: HolderIdentity ...
RenewTime ...``.
Callers: seclet.kubelet.kubelet, tests.
"""

from __future__ import annotations

import copy
import logging
import uuid
from typing import Any

from seclet.api.managedfields import record_update
from seclet.kubelet.clock import Clock, rfc3339, rfc3339_micro
from seclet.store.api import AlreadyExistsError, ConflictError, JSONObject, NotFoundError, Store

log = logging.getLogger(__name__)

NODE_LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION_SECONDS = 40
RENEW_INTERVAL_FRACTION = 0.25
MAX_UPDATE_RETRIES = 5


def renew_interval(duration_seconds: int, fraction: float) -> float:
    """``leaseDuration * nodeLeaseRenewIntervalFraction`` (10 s by default)."""
    return duration_seconds * fraction


def lease_for(
    node_name: str,
    node_uid: str,
    now: float,
    base: JSONObject | None = None,
    duration_seconds: int = LEASE_DURATION_SECONDS,
) -> JSONObject:
    """``newLease`` + ``setNodeOwnerFunc`` (pure, except a new lease's uid)."""
    if base is None:
        lease: JSONObject = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": node_name,
                "namespace": NODE_LEASE_NAMESPACE,
                "uid": str(uuid.uuid4()),
                "creationTimestamp": rfc3339(now),
            },
            "spec": {
                "holderIdentity": node_name,
                "leaseDurationSeconds": duration_seconds,
            },
        }
    else:
        lease = copy.deepcopy(base)
    spec: dict[str, Any] = lease.setdefault("spec", {})
    spec["renewTime"] = rfc3339_micro(now)
    meta: dict[str, Any] = lease.setdefault("metadata", {})
    if not meta.get("ownerReferences") and node_uid:
        meta["ownerReferences"] = [
            {"apiVersion": "v1", "kind": "Node", "name": node_name, "uid": node_uid}
        ]
    return lease


class NodeLeaseController:
    """Keeps ``kube-node-lease/<node>`` renewed."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        node_name: str,
        duration_seconds: int = LEASE_DURATION_SECONDS,
        renew_fraction: float = RENEW_INTERVAL_FRACTION,
    ) -> None:
        self.store = store
        self.clock = clock
        self.node_name = node_name
        self.duration_seconds = duration_seconds
        self.interval = renew_interval(duration_seconds, renew_fraction)

    def _node_uid(self) -> str:
        try:
            node = self.store.get("nodes", "", self.node_name)
        except NotFoundError:
            return ""
        return str((node.get("metadata") or {}).get("uid") or "")

    def sync(self) -> JSONObject | None:
        """Create the lease, or renew the stored one; the lease written (None when
        every try conflicted)."""
        for _ in range(MAX_UPDATE_RETRIES):
            try:
                current = self.store.get("leases", NODE_LEASE_NAMESPACE, self.node_name)
            except NotFoundError:
                current = None
            lease = lease_for(
                self.node_name,
                self._node_uid(),
                self.clock.now(),
                current,
                self.duration_seconds,
            )
            # the kubelet's Update entry, as its lease client's writes get upstream
            record_update(current, lease, manager="kubelet", now=self.clock.now())
            try:
                if current is None:
                    return self.store.create("leases", NODE_LEASE_NAMESPACE, self.node_name, lease)
                rv = (current.get("metadata") or {}).get("resourceVersion")
                return self.store.update(
                    "leases",
                    NODE_LEASE_NAMESPACE,
                    self.node_name,
                    lease,
                    expected_resource_version=rv,
                )
            except (ConflictError, AlreadyExistsError, NotFoundError):
                continue
        return None

    async def run(self) -> None:
        """Sync now, then every renew interval (a failed sync is logged and retried at
        the next tick)."""
        while True:
            try:
                self.sync()
            except Exception:
                log.exception("node lease %s/%s", NODE_LEASE_NAMESPACE, self.node_name)
            await self.clock.sleep(self.interval)
