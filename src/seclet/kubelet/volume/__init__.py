"""The kubelet's volume plugins and the file-system mechanics they share.

Role: upstream's ``pkg/volume`` for the volume types seclet serves, one module each:
- ``plugin``: the plugin seam (``VolumePlugin`` Protocol, ``VolumePlan``, the plugin
  table passed to the kubelet) and the ownership policy each plugin declares;
- ``emptydir``, ``hostpath``, ``projection`` (configMap, secret, downwardAPI,
  projected), ``pvc`` (persistentVolumeClaim -> ``local`` / ``hostPath`` PVs);
- ``payload`` (pure): the files a configMap/secret/downwardAPI/projected volume holds;
- ``atomicwriter``: upstream's ``AtomicWriter`` (``..data`` swapped by rename);
- ``subpath``: subPath resolution that never leaves the volume (fd walk + bind mount);
- ``mounts``: the mount/umount syscalls and ``/proc/self/mountinfo``.
The volume manager (``seclet.kubelet.volumes``) drives them.
Callers: seclet.kubelet.volumes, seclet.kubelet.worker, tests.
"""
