"""seclet: Kubernetes securityContext exactly as kube-apiserver, Pod Security and a
kubelet + containerd + runc node apply it.

Role: the package root. Layers (pure unless noted): ``api`` (models, parsing, strict
decoding, defaults, field errors), ``validation``, ``podsecurity``, ``securitycontext``,
``runtime.oci`` (the spec builder), ``host`` (node facts; ``host.probe`` does I/O),
``runtime.image`` (I/O: image files), ``review`` (the apiserver's create path), ``cli``.
Callers: the ``seclet`` command, tests, benchmarks.
"""
