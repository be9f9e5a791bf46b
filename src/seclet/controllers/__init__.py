"""Control loops of kube-controller-manager that a single node needs, over the store.

Role: the controllers seclet runs beside the API server and the kubelet (as a k3s
server embeds kube-controller-manager): each module is one upstream controller, its
decisions pure and its loop a thin shell that lists/watches the ``Store`` and writes
objects and events back. They never import the kubelet, the runtime or the HTTP layer.
Storage: ``pv_binder`` (persistentvolume-binder), ``local_path`` (k3s's local-path
provisioner and default class), ``protection`` (pv/pvc-protection), run by
``manager`` (watches, work queues, resync) as ``storage.start_storage`` wires them.
Objects: ``ephemeral`` (claims of generic ephemeral volumes), ``garbagecollector``
(dependents of deleted owners), ``rootca`` (``kube-root-ca.crt``),
``nodelifecycle`` (cordon and conditions as NoSchedule taints), ``tainteviction``
(pods off NoExecute taints), wired by ``core.start_core``; ``selinux_warning`` (off
by default, as upstream).
``enabled`` reads ``--controllers`` with upstream's names and aliases; ``events``,
``writes`` and ``clock`` are what they share (the API server's side effects and
client-go's event recorder, for writes that go to the store).
Callers: ``seclet.cli.server`` starts them; tests drive them over a ``MemoryStore``.
"""
