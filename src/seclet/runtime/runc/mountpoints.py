"""Mount points made ahead of runc for user-namespaced containers.

Role: in a user namespace runc's init runs as the mapped root, which cannot create
``/proc``, ``/etc/hostname`` and the other mount destinations in a rootfs owned by
the host's root. seclet creates them first, as host root, exactly where runc would
(a file for a file source, else a directory), resolving every path inside the rootfs
(``image.rootfs.resolve_in_root``, so an image's symlink never leads outside).
containerd solves the same problem by remapping the snapshot's ownership.
Callers: run_pod_sandbox, create_container (only when the spec has a user namespace).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seclet.runtime.image.rootfs import resolve_in_root


def has_user_namespace(spec: dict[str, Any]) -> bool:
    return any(ns.get("type") == "user" for ns in spec.get("linux", {}).get("namespaces", []))


def prepare_mountpoints(rootfs: Path, spec: dict[str, Any]) -> None:
    """Create every mount destination of ``spec`` under ``rootfs`` that is missing."""
    for mount in spec.get("mounts", []):
        destination = str(mount["destination"])
        target = resolve_in_root(rootfs, destination)
        if target.exists():
            continue
        source = Path(str(mount.get("source", "")))
        is_file = mount.get("type") == "bind" and source.is_file()
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        if is_file:
            target.touch(mode=0o644)
        else:
            target.mkdir(mode=0o755, exist_ok=True)
