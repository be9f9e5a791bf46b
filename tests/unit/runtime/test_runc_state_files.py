"""Runtime bookkeeping without root: records, runc's error text, OOM witnesses,
containerd's extra mounts, host device entries.

Role: unit tests of ``records``, ``driver.runc_error_text``, ``oom.oom_killed``,
``create_container.container_mounts`` and ``host_devices``.
Callers: pytest.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from seclet.api.decode import decode_pod
from seclet.cri.errors import NotFoundError
from seclet.cri.types import (
    ContainerConfig,
    ContainerMetadata,
    ImageSpec,
    Mount,
    MountPropagation,
)
from seclet.runtime.runc import records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.create_container import container_mounts
from seclet.runtime.runc.driver import runc_error_text
from seclet.runtime.runc.host_devices import host_devices
from seclet.runtime.runc.oom import oom_killed
from seclet.runtime.runc.records import ContainerRecord, SandboxRecord

ID = "ab" * 32


def _sandbox(**kw: object) -> SandboxRecord:
    base: dict[str, object] = {
        "id": ID,
        "name": "p",
        "uid": "u",
        "namespace": "default",
        "attempt": 0,
        "created_at": 1,
        "hostname": "p",
        "host_network": False,
        "host_pid": False,
        "host_ipc": False,
        "labels": {"app": "x"},
    }
    base.update(kw)
    return SandboxRecord(**base)  # type: ignore[arg-type]


def test_records_round_trip_atomic_0600(tmp_path: Path) -> None:
    config = RuntimeConfig(root=tmp_path)
    directory = config.sandbox_dir(ID)
    directory.mkdir(parents=True)
    record = _sandbox()
    records.save(directory, record)
    state = directory / records.STATE_FILE
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert [p.name for p in directory.iterdir()] == [records.STATE_FILE]
    assert records.load_sandbox(config, ID) == record
    assert records.all_sandboxes(config) == [record]
    container = ContainerRecord(
        id="cd" * 32,
        sandbox_id=ID,
        name="c",
        attempt=0,
        created_at=2,
        image="busybox:1.28",
        image_ref="sha256:1",
        image_id="",
        log_path="/l/c/0.log",
        uid=1000,
        gid=3000,
        additional_gids=(2000, 3000, 4000),
    )
    config.container_dir(container.id).mkdir(parents=True)
    records.save(config.container_dir(container.id), container)
    assert records.load_container(config, container.id) == container


def test_unknown_ids_are_not_found(tmp_path: Path) -> None:
    config = RuntimeConfig(root=tmp_path)
    with pytest.raises(NotFoundError) as info:
        records.load_container(config, "ff" * 32)
    assert info.value.message == (
        f'an error occurred when try to find container "{"ff" * 32}": not found'
    )
    with pytest.raises(NotFoundError, match="find sandbox"):
        records.load_sandbox(config, "../etc")
    assert records.find_container(config, "../../x") is None


def test_runc_error_text() -> None:
    json_lines = (
        b'{"level":"warning","msg":"ignoring","time":"t"}\n'
        b'{"level":"error","msg":"container does not exist","time":"t"}\n'
    )
    assert runc_error_text(json_lines) == "container does not exist"
    assert runc_error_text(b"runc create failed: boom\n") == "runc create failed: boom"


def test_oom_witnesses(tmp_path: Path) -> None:
    persist = tmp_path / "c"
    persist.mkdir()
    cgroups = tmp_path / "cg"
    assert not oom_killed(persist, "/k8s.io/x", cgroups)
    v1 = cgroups / "memory" / "k8s.io" / "x"
    v1.mkdir(parents=True)
    (v1 / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
    assert not oom_killed(persist, "/k8s.io/x", cgroups)
    (v1 / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
    assert oom_killed(persist, "/k8s.io/x", cgroups)
    (persist / "oom").touch()
    assert oom_killed(persist, "", cgroups)


def test_containerd_extra_mounts(tmp_path: Path) -> None:
    config = RuntimeConfig(root=tmp_path)
    pod = decode_pod(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "busybox:1.28",
                        "securityContext": {"readOnlyRootFilesystem": True},
                    }
                ]
            },
        }
    )
    assert pod.spec is not None
    req = ContainerConfig(
        metadata=ContainerMetadata(name="c"),
        image=ImageSpec(image="busybox:1.28"),
        pod=pod,
        container=pod.spec.containers[0],
        mounts=(
            Mount(
                container_path="/etc/hosts",
                host_path="/kubelet/etc-hosts",
                propagation=MountPropagation.PROPAGATION_HOST_TO_CONTAINER,
            ),
        ),
    )
    got = container_mounts(config, _sandbox(), req)
    sandbox_dir = config.sandbox_dir(ID)
    assert [(m.container_path, m.host_path, m.readonly, m.propagation) for m in got] == [
        ("/etc/hosts", "/kubelet/etc-hosts", False, "PROPAGATION_HOST_TO_CONTAINER"),
        ("/etc/hostname", str(sandbox_dir / "hostname"), True, "PROPAGATION_PRIVATE"),
        ("/etc/resolv.conf", str(sandbox_dir / "resolv.conf"), True, "PROPAGATION_PRIVATE"),
        ("/dev/shm", str(sandbox_dir / "shm"), False, "PROPAGATION_PRIVATE"),
    ]
    host_ipc = container_mounts(config, _sandbox(host_ipc=True), req)
    assert host_ipc[-1].host_path == "/dev/shm"


def test_host_devices_entries() -> None:
    devices = host_devices()
    null = next(d for d in devices if d["path"] == "/dev/null")
    assert (null["type"], null["major"], null["minor"]) == ("c", 1, 3)
    assert null["fileMode"] == 0o666
    assert not any(d["path"].startswith("/dev/pts/") for d in devices)
