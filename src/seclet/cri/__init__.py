"""The CRI-shaped seam between the kubelet and the container runtime.

Role: the types (``seclet.cri.types``), errors (``seclet.cri.errors``), streaming
handles (``seclet.cri.streaming``) and the two service Protocols
(``seclet.cri.services``: ``RuntimeService``, ``ImageService``) that upstream's
kubelet and containerd exchange over gRPC, here as in-process async calls.
``seclet.cri.fake`` is an in-memory runtime for kubelet tests.
Callers: seclet.kubelet (consumes), seclet.runtime.runc (implements), tests.
"""
