"""The container runtime side of seclet (containerd's role).

Role: ``oci`` builds OCI runtime configs (pure); ``image`` reads image files (I/O).
Callers: ``seclet.cli``; later the runtime behind the CRI-shaped interface.
"""
