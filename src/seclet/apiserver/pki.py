"""The server's credentials on disk: CA, serving certificate, bearer token, kubeconfig.

Role: on first start, create under the data directory (mode 0700) a self-signed CA,
a serving certificate for ``127.0.0.1``/``localhost`` (and the bind address) signed by
it, and a random bearer token, each file mode 0600; later starts reuse them. Writes
the kubeconfig kubectl uses (mode 0600): the CA data, the server URL and the token.
Callers: ``seclet.cli.server`` (at start), tests.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLUSTER_NAME = "seclet"
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


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _make_ca(now: datetime.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seclet-ca")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_serving(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    hosts: tuple[str, ...],
    now: datetime.datetime,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seclet-apiserver")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


_ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (names them; binds nothing)


def _serving_hosts(bind: str) -> tuple[str, ...]:
    hosts = ["127.0.0.1", "localhost", "::1"]
    if bind not in hosts and bind not in _ANY_ADDRESS:
        hosts.append(bind)
    return tuple(hosts)


def ensure_credentials(data_dir: Path, bind: str = "127.0.0.1") -> Credentials:
    """The data directory's credentials, created on first start (idempotent)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    data_dir.chmod(0o700)
    pki = data_dir / "pki"
    pki.mkdir(exist_ok=True, mode=0o700)
    ca_cert_path, ca_key_path = pki / "ca.crt", pki / "ca.key"
    cert_path, key_path = pki / "apiserver.crt", pki / "apiserver.key"
    token_path = data_dir / "token"
    now = datetime.datetime.now(datetime.UTC)
    if ca_cert_path.exists() and ca_key_path.exists():
        ca_key_loaded = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
        if not isinstance(ca_key_loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{ca_key_path}: not an EC private key")
        ca_key = ca_key_loaded
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    else:
        ca_key, ca_cert = _make_ca(now)
        _write_private(ca_key_path, _key_pem(ca_key))
        _write_private(ca_cert_path, ca_cert.public_bytes(serialization.Encoding.PEM))
    hosts = _serving_hosts(bind)
    if not (cert_path.exists() and key_path.exists() and _covers(cert_path, hosts)):
        key, cert = _make_serving(ca_key, ca_cert, hosts, now)
        _write_private(key_path, _key_pem(key))
        _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    if not token_path.exists():
        _write_private(token_path, secrets.token_urlsafe(32).encode())
    return Credentials(ca_cert_path, cert_path, key_path, token_path.read_text().strip())


def _covers(cert_path: Path, hosts: tuple[str, ...]) -> bool:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    names = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    names.update(san.get_values_for_type(x509.DNSName))
    return all(str(ipaddress.ip_address(h)) in names if _is_ip(h) else h in names for h in hosts)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def server_url(host: str, port: int) -> str:
    if host in _ANY_ADDRESS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"https://{host}:{port}"


def kubeconfig_text(creds: Credentials, url: str) -> str:
    """The kubeconfig YAML for ``url`` with the CA data and the token."""
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
