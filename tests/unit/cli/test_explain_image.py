"""``seclet explain --image REF``: the image's config and account files from the
node's image store (never pulled), the same answer as ``--image-root`` +
``--image-config`` give for the same files.

The store is laid out as ``ImageStore`` writes it (an index naming the image, its
unpacked ``rootfs``), without skopeo.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seclet.cli.main import main
from seclet.runtime.image.config import parse_image_config

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
AGNHOST_DIR = EXAMPLES / "images" / "agnhost-2.45"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.45"
IMAGE_ID = "sha256:" + "4" * 64


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """``<data>/images`` holding agnhost as the store records an imported image: a base
    layer with busybox's account files, agnhost's over it."""
    data = tmp_path / "data"
    base, top = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    layers = data / "images" / "layers"
    (layers / base[7:] / "etc").mkdir(parents=True)
    (layers / base[7:] / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (layers / base[7:] / "etc" / "group").write_text("root:x:0:\n")
    shutil.copytree(AGNHOST_DIR / "etc", layers / top[7:] / "etc")
    config = parse_image_config((AGNHOST_DIR / "config.json").read_text())
    entry = {
        "id": IMAGE_ID,
        "layers": [base, top],
        "repo_tags": [AGNHOST],
        "repo_digests": [],
        "size": 1,
        "config": {
            "entrypoint": None if config.entrypoint is None else list(config.entrypoint),
            "cmd": list(config.cmd),
            "env": list(config.env),
            "user": config.user,
            "working_dir": config.working_dir,
        },
    }
    (data / "images" / "images.json").write_text(json.dumps({"version": 2, "images": [entry]}))
    return data


@pytest.mark.parametrize(
    ("manifest", "groups"),
    [("security-context-5.yaml", "3000,4000,50000"), ("security-context-6.yaml", "3000,4000")],
)
def test_stored_image_explains_like_its_files(
    capsys: pytest.CaptureFixture[str], data_dir: Path, manifest: str, groups: str
) -> None:
    common = ["explain", "--node", "reference", "-f", str(EXAMPLES / manifest)]
    code, stored, err = run(capsys, *common, "--image", AGNHOST, "--data-dir", str(data_dir))
    assert (code, err) == (0, "")
    code_files, files, _ = run(
        capsys,
        *common,
        "--image-root",
        str(AGNHOST_DIR),
        "--image-config",
        str(AGNHOST_DIR / "config.json"),
    )
    assert (code, stored) == (code_files, files)
    assert f"  id:           uid=1000 gid=3000 groups={groups}\n" in stored


def test_an_image_id_prefix_names_it_too(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(
        capsys, "explain", "--node", "reference", "-f", str(EXAMPLES / "security-context-5.yaml"),
        "--image", "4" * 12, "--data-dir", str(data_dir),
    )  # fmt: skip
    assert code == 0
    assert "groups=3000,4000,50000" in out


def test_refusals(capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path) -> None:
    pod = str(EXAMPLES / "security-context-5.yaml")
    base = ["explain", "--node", "reference", "-f", pod]
    assert run(capsys, *base, "--image", "busybox:1.28", "--data-dir", str(data_dir)) == (
        2,
        "",
        f"error: --image busybox:1.28: no such image in {data_dir / 'images'} "
        "(see seclet images ls)\n",
    )
    empty = tmp_path / "empty"
    assert run(capsys, *base, "--image", AGNHOST, "--data-dir", str(empty)) == (
        2,
        "",
        f"error: --image {AGNHOST}: no image store in {empty / 'images'} "
        "(see seclet images import)\n",
    )
    assert not empty.exists()
    both = [*base, "--image", AGNHOST, "--image-root", str(AGNHOST_DIR)]
    assert run(capsys, *both) == (
        2,
        "",
        "error: --image cannot be combined with --image-root or --image-config\n",
    )
