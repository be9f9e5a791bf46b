"""The node agent: runs the pods bound to this node through the CRI seam.

Role: an embedded kubelet (as k3s embeds one) that reads and writes the store
directly and reaches the container runtime only through ``seclet.cri``.
Modules:
- ``kubelet``: ``Kubelet`` (start/stop, watch, pod workers, node registration);
- ``config``: ``KubeletConfig``; ``clock``: time source and spellings;
- ``binder``: the single node's scheduler; ``node`` + ``hostinfo``: the Node object;
  ``nodelease``: the node's Lease in ``kube-node-lease``;
- ``worker``: one pod's lifecycle; ``actions``: ``compute_pod_actions`` (pure);
- ``runtimestate``: the runtime's view of a pod; ``status``: PodStatus (pure);
- ``images``: pull policy, back-off, events; ``pullsecrets``: registry credentials;
- ``env``: environment and ``$(VAR)`` expansion; ``admission``: pod admission;
- ``volumes`` + ``ownership``: emptyDir/hostPath and fsGroup; ``userns``: id ranges;
- ``probes``: exec readiness/liveness/startup probes; ``backoff``: back-off arithmetic;
- ``events``: the event recorder; ``logs`` + ``server``: the ``NodeClient`` (logs, exec).
Callers: seclet.cli.server.
"""
