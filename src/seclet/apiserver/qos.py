"""A new Pod's ``status.qosClass``, as ``qos.GetPodQOS`` computes it on create.

Role: re-exports ``pod_qos`` (the defaulted wire body -> Guaranteed, Burstable or
BestEffort) from ``seclet.runtime.oci.qos``, the one definition the runtime's
resource translation (oom_score_adj, the pod cgroup) shares.
Callers: ``seclet.apiserver.registry``.
"""

from __future__ import annotations

from seclet.runtime.oci.qos import pod_qos

__all__ = ["pod_qos"]
