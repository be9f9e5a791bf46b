"""The Kubernetes API that ``seclet server`` serves to kubectl and client libraries.

Role: ``server`` (start/stop, TLS, credentials), ``http`` (the thin aiohttp layer:
routing, auth, content negotiation, Status mapping), ``streaming`` (pods/log, exec and
attach through the kubelet's ``NodeClient``), ``registry`` (every decision per
request: decoding, defaults, validation, Pod Security, graceful deletion, storage),
and pure helpers (``status``, ``discovery``, ``tables``, ``selectors``, ``patch``,
``qos``, ``pki``, ``protobuf``, ``connect``, ``channels``).
Callers: ``seclet.cli.server``, the integration tests.
"""
