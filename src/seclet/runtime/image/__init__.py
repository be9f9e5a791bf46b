"""The node's images: references, mirrors, pulls, safe unpacking, and image files.

Modules: ``reference`` (containerd's reference normalisation), ``hosts`` (registry
mirrors, loopback-only plain http), ``resolve`` (tag -> manifest digest on the
mirrors, containerd's error texts), ``unpack`` (layers applied without ever writing
outside the root), ``store`` (``ImageStore``: CRI ``ImageService`` and
``ImageLookup``, one root shared by several processes, archive imports), ``archive``
(what a docker-archive or oci-archive holds), ``registries_conf``
(containers-registries.conf mirrors), ``stored`` (what the runtime receives),
``rootfs`` (the one reader of an image root's account files), ``config`` (image
config parsing).
Callers: seclet.runtime.runc, seclet.cli, tests.
"""
