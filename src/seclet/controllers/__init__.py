"""Control loops of kube-controller-manager that a single node needs, over the store.

Role: the controllers seclet runs beside the API server and the kubelet (as a k3s
server embeds kube-controller-manager): each module is one upstream controller, its
decisions pure and its loop a thin shell that lists/watches the ``Store`` and writes
objects and events back. They never import the kubelet, the runtime or the HTTP layer.
Callers: ``seclet.cli.server`` starts them; tests drive them over a ``MemoryStore``.
"""
