"""ContainerStatus's image fields as containerd reports them, without root.

Role: unit tests of ``container_status.status_image``: the stored image's first
repo tag and first repo digest; the config's image and the image id when the image
is gone or has neither. And ``observe`` of a StartContainer that seclet's death
interrupted (a fake ``runc state``), and one it interrupted before the start
handshake undone (a fake runc, conmon and ``runc init``).
Callers: pytest.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seclet.cri.types import ContainerState, Image
from seclet.runtime.image.stored import StoredImage
from seclet.runtime.oci.inputs import ImageConfig
from seclet.runtime.runc import exec_fifo, records
from seclet.runtime.runc.config import RuntimeConfig
from seclet.runtime.runc.container_status import StatusImage, observe, status_image
from seclet.runtime.runc.records import ContainerRecord

IMAGE_ID = "sha256:" + "8c" * 32


def _record() -> ContainerRecord:
    return ContainerRecord(
        id="cd" * 32,
        sandbox_id="ab" * 32,
        name="c",
        attempt=0,
        created_at=1,
        image=IMAGE_ID,  # the kubelet puts the image id in the CreateContainer config
        image_ref=IMAGE_ID,
        image_id="",
        log_path="",
        uid=0,
        gid=0,
        additional_gids=(),
    )


def _stored(tags: tuple[str, ...], digests: tuple[str, ...]) -> StoredImage:
    image = Image(id=IMAGE_ID, repo_tags=tags, repo_digests=digests, size=0)
    return StoredImage(image, (Path("/nonexistent"),), ImageConfig())


def test_first_repo_tag_and_first_repo_digest() -> None:
    stored = _stored(
        ("gcr.io/google-samples/hello-app:2.0", "gcr.io/google-samples/hello-app:latest"),
        ("gcr.io/google-samples/hello-app@sha256:" + "2b" * 32, "mirror.local/hello@sha256:00"),
    )
    assert status_image(_record(), stored) == StatusImage(
        image="gcr.io/google-samples/hello-app:2.0",
        image_ref="gcr.io/google-samples/hello-app@sha256:" + "2b" * 32,
        image_id=IMAGE_ID,
    )


def test_busybox_tag() -> None:
    stored = _stored(
        ("docker.io/library/busybox:1.28",), ("docker.io/library/busybox@sha256:" + "14" * 32,)
    )
    got = status_image(_record(), stored)
    assert got.image == "docker.io/library/busybox:1.28"
    assert got.image_ref == "docker.io/library/busybox@sha256:" + "14" * 32


def test_image_gone_or_untagged_falls_back_to_config_image_and_id() -> None:
    assert status_image(_record(), None) == StatusImage(
        image=IMAGE_ID, image_ref=IMAGE_ID, image_id=IMAGE_ID
    )
    assert status_image(_record(), _stored((), ())) == StatusImage(
        image=IMAGE_ID, image_ref=IMAGE_ID, image_id=IMAGE_ID
    )
    digest_only = _stored((), ("docker.io/library/busybox@sha256:" + "14" * 32,))
    got = status_image(_record(), digest_only)
    assert (got.image, got.image_ref) == (IMAGE_ID, "docker.io/library/busybox@sha256:" + "14" * 32)


def _fake_runc(tmp_path: Path, state: str) -> str:
    """A ``runc`` whose ``state`` prints ``state`` (exit 1 for "")."""
    script = tmp_path / "runc"
    body = f"echo '{state}'" if state else "exit 1"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    ("conmon_spawned", "state", "expected"),
    [
        # CreateContainer done, StartContainer never reached conmon: created
        (False, "", ContainerState.CONTAINER_CREATED),
        # conmon ran `runc create`, seclet died before `runc start`: still created
        (True, '{"status": "created", "pid": 4242}', ContainerState.CONTAINER_CREATED),
        # seclet died after `runc start`, before saving the record: started, adopted
        (
            True,
            '{"status": "running", "pid": 4242, "created": "2026-11-28T07:00:00.123456789Z"}',
            ContainerState.CONTAINER_RUNNING,
        ),
    ],
)
def test_a_start_interrupted_by_seclets_death(
    tmp_path: Path, conmon_spawned: bool, state: str, expected: ContainerState
) -> None:
    config = RuntimeConfig(root=tmp_path / "root", runc=_fake_runc(tmp_path, state))
    record = _record()
    directory = config.container_dir(record.id)
    directory.mkdir(parents=True)
    records.save(directory, record)
    if conmon_spawned:
        (directory / "conmon.pid").write_text(f"{os.getpid()}\n")  # alive: the test itself
    seen = asyncio.run(observe(config, record))
    assert seen.state == expected
    saved = records.load_container(config, record.id)
    if expected == ContainerState.CONTAINER_RUNNING:
        assert (saved.started_at, saved.pid) == (1795849200123456789, 4242)
        assert seen.pid == 4242
    else:
        assert saved.started_at == 0


def _stateful_runc(tmp_path: Path, init_pid: int) -> tuple[str, Path]:
    """A ``runc`` that says ``created`` (init ``init_pid``) until ``delete``; each call
    is logged (its subcommand) in the second path."""
    calls = tmp_path / "runc-calls"
    deleted = tmp_path / "runc-deleted"
    script = tmp_path / "runc"
    script.write_text(
        "#!/bin/sh\n"
        'while [ "${1#-}" != "$1" ]; do shift 2; done\n'  # --root X --log-format json
        f'echo "$1" >> {calls}\n'
        'case "$1" in\n'
        f"  state) [ -e {deleted} ] && exit 1\n"
        f'         echo \'{{"status": "created", "pid": {init_pid}}}\' ;;\n'
        f"  delete) touch {deleted} ;;\n"
        "  *) exit 1 ;;\n"
        "esac\n"
    )
    script.chmod(0o755)
    return str(script), calls


def test_a_start_interrupted_before_the_handshake_is_undone(tmp_path: Path) -> None:
    """seclet died in StartContainer after conmon's ``runc create``, before the exec
    fifo handshake: the init still waits in ``runc init`` and nothing ran. That conmon
    answers a seclet that is gone (conmon < 2.1.10 exits then: containers/conmon#438),
    so the start is not finished with it — the container would run with no one
    logging its output. The conmon is killed, the runc container deleted, and the
    container stays created (the kubelet starts a new attempt)."""
    record = _record()
    (tmp_path / "init").write_text("read line\n")  # waits on its stdin, no child
    # a process whose command line is `runc init`, as runc's waiting init's is
    init = subprocess.Popen(
        ["runc", "init"], executable="/bin/sh", cwd=tmp_path, stdin=subprocess.PIPE
    )
    conmon = subprocess.Popen(
        ["conmon", "-c", "import time; time.sleep(60)", "-c", record.id],
        executable=sys.executable,
    )
    try:
        runc, calls = _stateful_runc(tmp_path, init.pid)
        config = RuntimeConfig(root=tmp_path / "root", runc=runc)
        directory = config.container_dir(record.id)
        directory.mkdir(parents=True)
        records.save(directory, record)
        (directory / "conmon.pid").write_text(f"{conmon.pid}\n")
        deadline = time.monotonic() + 10
        while not exec_fifo.in_runc_init(init.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen = asyncio.run(observe(config, record))
        assert seen.state == ContainerState.CONTAINER_CREATED
        assert conmon.wait(10) == -signal.SIGKILL
        assert calls.read_text().split() == ["state", "delete"]
        assert not (directory / "conmon.pid").exists()
        assert records.load_container(config, record.id).started_at == 0
        # undone once: later looks see a container that was never started
        seen = asyncio.run(observe(config, record))
        assert seen.state == ContainerState.CONTAINER_CREATED
        assert calls.read_text().split() == ["state", "delete"]
    finally:
        for proc in (init, conmon):
            if proc.poll() is None:
                proc.kill()
            proc.wait()
