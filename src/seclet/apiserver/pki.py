"""The server's credentials on disk: CA, serving certificate, bearer token, kubeconfig.

Role: on first start, create under the data directory (mode 0700) a self-signed CA,
a serving certificate for ``127.0.0.1``/``localhost`` (and the bind address) signed by
it, and a random bearer token, each file mode 0600; later starts reuse them. Writes
the kubeconfig kubectl uses (mode 0600): the CA data, the server URL and the token.
Certificates are made by a child Python process (``start_issuing``): the server never
imports ``cryptography`` (about 10 MB it would keep for its whole life), and
``seclet server`` starts the child before its own imports, so on two cores the keys
are made while the API modules load.
Callers: ``seclet.cli.server`` (at start), ``seclet.apiserver.server``, tests.
"""

from __future__ import annotations

import base64
import datetime
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CLUSTER_NAME = "seclet"
_HOSTS_FILE = "apiserver.hosts"
"""The hosts the serving certificate was issued for (so warm starts need not parse it)."""
USER_NAME = "seclet-admin"


@dataclass(frozen=True, slots=True)
class Credentials:
    """Paths of the PEM files and the token the server authenticates requests with."""

    ca_cert: Path
    cert: Path
    key: Path
    token: str


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 from the start (never world-readable)."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    partial.chmod(0o600)
    partial.replace(path)


_ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (names them; binds nothing)


def _serving_hosts(bind: str) -> tuple[str, ...]:
    hosts = ["127.0.0.1", "localhost", "::1"]
    if bind not in hosts and bind not in _ANY_ADDRESS:
        hosts.append(bind)
    return tuple(hosts)


def _known_covered(pki: Path, hosts: tuple[str, ...]) -> bool:
    """Every file there and the serving certificate recorded as covering ``hosts``."""
    files = ("ca.crt", "ca.key", "apiserver.crt", "apiserver.key", _HOSTS_FILE)
    if not all((pki / name).exists() for name in files):
        return False
    return set(hosts) <= set((pki / _HOSTS_FILE).read_text().split())


def _issue(pki: Path, hosts: tuple[str, ...]) -> None:
    """Make what is missing: the CA, and a serving certificate covering ``hosts``
    (kept if the existing one already does); record the hosts it covers."""
    from seclet.apiserver import certs  # noqa: PLC0415 - only when issuing (10 MB, tens of ms)

    ca_cert_path, ca_key_path = pki / "ca.crt", pki / "ca.key"
    cert_path, key_path = pki / "apiserver.crt", pki / "apiserver.key"
    now = datetime.datetime.now(datetime.UTC)
    if ca_cert_path.exists() and ca_key_path.exists():
        ca_key, ca_cert = certs.load_ca(ca_cert_path, ca_key_path)
    else:
        ca_key, ca_cert = certs.make_ca(now)
        _write_private(ca_key_path, certs.key_pem(ca_key))
        _write_private(ca_cert_path, certs.cert_pem(ca_cert))
    if not (cert_path.exists() and key_path.exists() and certs.covers(cert_path, hosts)):
        key, cert = certs.make_serving(ca_key, ca_cert, hosts, now)
        _write_private(key_path, certs.key_pem(key))
        _write_private(cert_path, certs.cert_pem(cert))
    _write_private(pki / _HOSTS_FILE, (" ".join(hosts) + "\n").encode())


class CredentialsError(RuntimeError):
    """The child making the certificates failed (its last line of stderr)."""


_ISSUE = (
    "import sys\n"
    "from pathlib import Path\n"
    "from seclet.apiserver.pki import _issue\n"
    "_issue(Path(sys.argv[1]), tuple(sys.argv[2:]))\n"
)
"""The child's program: ``_issue`` for the pki directory and hosts in its argv."""


@dataclass
class Issuing:
    """Certificates being made by a child process (``process`` None: nothing to make)."""

    process: subprocess.Popen[bytes] | None = None

    def wait(self) -> None:
        """Until the child is done; ``CredentialsError`` when it failed."""
        if self.process is None:
            return
        _out, err = self.process.communicate()
        code, self.process = self.process.returncode, None
        if code != 0:
            lines = err.decode(errors="replace").strip().splitlines() or [f"exit status {code}"]
            raise CredentialsError(f"cannot make the API server's certificates: {lines[-1]}")


def _pki_dir(data_dir: Path) -> Path:
    # 0711 as containerd's root: a user-namespaced pod's mapped root must traverse it to
    # reach its rootfs; nothing in it can be listed, and every secret below is 0600
    # (pki/ itself 0700).
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o711)
    data_dir.chmod(0o711)
    pki = data_dir / "pki"
    pki.mkdir(exist_ok=True, mode=0o700)
    return pki


def start_issuing(data_dir: Path, bind: str = "127.0.0.1") -> Issuing:
    """Start a child making the certificates the data directory lacks for ``bind``
    (none when they are all there: a warm start). ``wait`` before
    ``ensure_credentials``."""
    pki = _pki_dir(data_dir)
    hosts = _serving_hosts(bind)
    if _known_covered(pki, hosts):
        return Issuing()
    # The child finds this very package, whatever path the parent was started with.
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    process = subprocess.Popen(
        [sys.executable, "-c", _ISSUE, str(pki), *hosts],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    return Issuing(process)


def ensure_credentials(data_dir: Path, bind: str = "127.0.0.1") -> Credentials:
    """The data directory's credentials, created on first start (idempotent)."""
    start_issuing(data_dir, bind).wait()
    pki = data_dir / "pki"
    ca_cert_path = pki / "ca.crt"
    cert_path, key_path = pki / "apiserver.crt", pki / "apiserver.key"
    token_path = data_dir / "token"
    if not token_path.exists():
        _write_private(token_path, secrets.token_urlsafe(32).encode())
    return Credentials(ca_cert_path, cert_path, key_path, token_path.read_text().strip())


def server_url(host: str, port: int) -> str:
    if host in _ANY_ADDRESS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"https://{host}:{port}"


def kubeconfig_text(creds: Credentials, url: str) -> str:
    """The kubeconfig YAML for ``url`` with the CA data and the token."""
    import yaml  # noqa: PLC0415 - keeps the certificate-making child light

    ca_data = base64.b64encode(creds.ca_cert.read_bytes()).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CLUSTER_NAME,
                "cluster": {"server": url, "certificate-authority-data": ca_data},
            }
        ],
        "users": [{"name": USER_NAME, "user": {"token": creds.token}}],
        "contexts": [
            {
                "name": CLUSTER_NAME,
                "context": {"cluster": CLUSTER_NAME, "user": USER_NAME, "namespace": "default"},
            }
        ],
        "current-context": CLUSTER_NAME,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)


def write_kubeconfig(path: Path, creds: Credentials, url: str) -> None:
    """Write the kubeconfig with mode 0600 (its directory is created if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_private(path, kubeconfig_text(creds, url).encode())
