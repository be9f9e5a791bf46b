"""The container runtime: seclet's CRI RuntimeService over runc, conmon and catatonit.

Role: ``service.RuncRuntime`` implements ``seclet.cri.services.RuntimeService`` the
way containerd's CRI plugin drives runc, one module per verb:
``run_pod_sandbox`` / ``stop_pod_sandbox`` / ``remove_pod_sandbox`` /
``pod_sandbox_status`` (pause = ``catatonit -P``, spec from ``sandbox_spec``),
``create_container`` (image lookup, ``runtime.oci.build_container``, overlay rootfs),
``start_container`` (conmon runs ``runc create``; ``runc start``),
``stop_container``, ``remove_container``, ``container_status`` (+ List),
``exec_sync`` / ``exec`` (shared preparation in ``exec_process``),
``reopen_container_log``. Support: ``config`` (``RuntimeConfig`` + disk layout),
``records`` (JSON state, re-adoption), ``driver`` (the one module that starts runc
and conmon), ``mounts`` (overlay, shm), ``mountpoints`` (userns), ``exits``
(conmon exit files), ``oom``, ``host_devices``, ``pod_cgroup`` (removing the pod
cgroup seclet chose when the kubelet sent no cgroup parent).
Callers: seclet.cli.server (wires it to the kubelet), tests.
"""
