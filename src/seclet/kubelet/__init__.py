"""The node agent: runs the pods bound to this node through the CRI seam.

Role: pod workers, volumes and ownership, status. Callers: seclet.cli.server.
"""
