"""What the runtime remembers about each sandbox and container, as JSON on disk.

Role: ``SandboxRecord`` and ``ContainerRecord`` are frozen values saved as
``state.json`` (mode 0600, written to a temporary file and renamed, so a crash never
leaves half a file) in the object's directory. The files are the truth: a
restarted seclet re-adopts every sandbox and container by reading them, and asks
runc and conmon's exit files for what changed while it was away. In memory there is
only a cache of decoded records, checked against each file's inode, size and times
on every load (written through by ``save``), so listing costs a ``stat`` per record.
Callers: every verb module of seclet.runtime.runc.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from seclet.cri.errors import NotFoundError
from seclet.runtime.runc.config import RuntimeConfig

STATE_FILE = "state.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxRecord:
    id: str
    name: str
    uid: str
    namespace: str
    attempt: int
    created_at: int
    hostname: str
    host_network: bool
    host_pid: bool
    host_ipc: bool
    log_directory: str = ""
    cgroup_parent: str = ""
    """The pod cgroup the sandbox and its containers nest under."""
    pod_cgroup_owned: bool = False
    """``cgroup_parent`` was computed here (the kubelet sent none): removing the
    sandbox also removes the pod cgroup directories once empty."""
    userns_host_id: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    pid: int = 0
    """The pause process (host pid) once started; kept after stop for reference."""
    pid_start_time: int = 0
    """That process's start time (``/proc/<pid>/stat``), set when it runs without
    conmon (``pause``); 0: conmon's exit file tells its exit."""
    shm_mounted: bool = False
    stopped: bool = False
    drop_infra: bool = False
    """No pause process (CRI-O's ``drop_infra_ctr``, module ``pinns``): ready until
    stopped while its pins hold; ``pid`` stays 0."""
    pinned_namespaces: dict[str, str] = field(default_factory=dict)
    """OCI namespace type -> the file it is bind-mounted on (``pinns``); claimed before
    pinning, so every cleanup unmounts them (unmounting no mount is a no-op)."""
    selinux_label: str = ""
    """The sandbox's SELinux process label with its MCS level (containerd's
    ``ProcessLabel``); "" without SELinux. Its level stays reserved while this record
    exists (``mcs``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerRecord:
    id: str
    sandbox_id: str
    name: str
    attempt: int
    created_at: int
    image: str
    """The config's ``ImageSpec.image`` (the kubelet sends the image id)."""
    image_ref: str
    """The id of the image the container was created from (``sha256:...``; containerd's
    ``container.ImageRef``); ContainerStatus looks it up again for the repo tag and
    digest it reports."""
    image_id: str
    """The image's first repo digest at create time (kept for reference only)."""
    log_path: str
    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    stop_signal: str = "SIGTERM"
    terminal: bool = False
    stdin: bool = False
    """CRI ``ContainerConfig.stdin``: conmon keeps the container's stdin open for attach."""
    stdin_once: bool = False
    """CRI ``stdin_once``: the first attach to detach closes that stdin."""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    rootfs_mounted: bool = False
    cgroups_path: str = ""
    """The spec's ``linux.cgroupsPath`` (cgroupfs driver), for OOM accounting."""
    started_at: int = 0
    pid: int = 0
    start_error: str = ""
    """StartContainer failed: containerd's message (status reason ``StartError``)."""
    finished_at: int = 0
    """Only set by a failed start (an exit is read from conmon's exit file)."""
    selinux_label: str = ""
    """The container's SELinux process label with its level, recorded even when a
    privileged container runs unlabelled (containerd's ``ProcessLabel``): its level
    stays reserved while this record exists (``mcs``)."""


R = TypeVar("R", SandboxRecord, ContainerRecord)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` (0600) through a temporary file and rename."""
    # one json.dumps (C encoder, one string) and one write: json.dump would write the
    # encoder's many small chunks one by one (config.json holds a seccomp profile)
    payload = json.dumps(data, sort_keys=True).encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    tmp.replace(path)


_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in (SandboxRecord, ContainerRecord)
}


def to_json(record: SandboxRecord | ContainerRecord) -> dict[str, Any]:
    """The record as a JSON-ready dict: a shallow read of its fields (no deep copy, as
    ``dataclasses.asdict`` makes; tuples are written as JSON arrays all the same)."""
    return {name: getattr(record, name) for name in _FIELDS[type(record)]}


_CACHE: dict[Path, tuple[tuple[int, int, int, int], SandboxRecord | ContainerRecord]] = {}
"""state.json path -> (its inode, size, mtime, ctime; the record it holds). Records
are frozen, so one value serves every reader; the kubelet lists them many times a
second."""


def _stat_key(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def save(directory: Path, record: SandboxRecord | ContainerRecord) -> None:
    path = directory / STATE_FILE
    write_json_atomic(path, to_json(record))
    _CACHE[path] = (_stat_key(path), record)


def _decode(cls: type[R], data: dict[str, Any]) -> R:
    if "additional_gids" in data:
        data["additional_gids"] = tuple(data["additional_gids"])
    names = _FIELDS[cls]
    return cls(**{k: v for k, v in data.items() if k in names})


def _load(cls: type[R], directory: Path) -> R | None:
    """The record in ``directory``: from the cache while state.json is the file it was
    read from or written as (same inode, size, times), else read and cached."""
    path = directory / STATE_FILE
    try:
        key = _stat_key(path)
        cached = _CACHE.get(path)
        if cached is not None and cached[0] == key and isinstance(cached[1], cls):
            return cached[1]
        text = path.read_text()
    except FileNotFoundError:
        _CACHE.pop(path, None)
        return None
    record = _decode(cls, json.loads(text))
    _CACHE[path] = (key, record)
    return record


def load_sandbox(config: RuntimeConfig, sandbox_id: str) -> SandboxRecord:
    """The sandbox's record; ``NotFoundError`` worded as containerd's."""
    record = _load(SandboxRecord, config.sandbox_dir(sandbox_id)) if _safe(sandbox_id) else None
    if record is None:
        raise NotFoundError(f'an error occurred when try to find sandbox "{sandbox_id}": not found')
    return record


def load_container(config: RuntimeConfig, container_id: str) -> ContainerRecord:
    """The container's record; ``NotFoundError`` worded as containerd's."""
    record = (
        _load(ContainerRecord, config.container_dir(container_id)) if _safe(container_id) else None
    )
    if record is None:
        raise NotFoundError(
            f'an error occurred when try to find container "{container_id}": not found'
        )
    return record


def find_sandbox(config: RuntimeConfig, sandbox_id: str) -> SandboxRecord | None:
    return _load(SandboxRecord, config.sandbox_dir(sandbox_id)) if _safe(sandbox_id) else None


def find_container(config: RuntimeConfig, container_id: str) -> ContainerRecord | None:
    if not _safe(container_id):
        return None
    return _load(ContainerRecord, config.container_dir(container_id))


def all_sandboxes(config: RuntimeConfig) -> list[SandboxRecord]:
    return _all(SandboxRecord, config.sandboxes_dir)


def all_containers(config: RuntimeConfig) -> list[ContainerRecord]:
    return _all(ContainerRecord, config.containers_dir)


def _all(cls: type[R], parent: Path) -> list[R]:
    out: list[R] = []
    try:
        entries = sorted(parent.iterdir())
    except FileNotFoundError:
        return out
    for entry in entries:
        record = _load(cls, entry)
        if record is not None:
            out.append(record)
    out.sort(key=lambda r: r.created_at)
    return out


def _safe(object_id: str) -> bool:
    """Ids are ours (hex); anything else cannot name a directory of ours."""
    return bool(object_id) and all(c in "0123456789abcdef" for c in object_id)
