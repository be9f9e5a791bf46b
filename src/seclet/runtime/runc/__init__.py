"""The container runtime: implements seclet.cri with runc and conmon.

Role: RuntimeService over runc (the OCI runtime) and conmon (the monitor that keeps
stdio, CRI logs and exit codes). Callers: seclet.cli.server (wires it to the kubelet).
"""
