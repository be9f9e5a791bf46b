"""The server's credentials: made once, 0600, by a child process; the server itself
never imports cryptography (about 10 MB it would keep)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from seclet.apiserver.pki import CredentialsError, ensure_credentials

_WARM = """
import sys
from pathlib import Path
from seclet.apiserver.pki import ensure_credentials
creds = ensure_credentials(Path(sys.argv[1]), sys.argv[2])
print(creds.token, "cryptography" in sys.modules)
"""


def _warm(data: Path, bind: str) -> tuple[str, bool]:
    out = subprocess.run(
        [sys.executable, "-c", _WARM, str(data), bind], capture_output=True, text=True, check=True
    ).stdout.split()
    return out[0], out[1] == "True"


def test_first_start_issues_then_warm_starts_reuse_without_cryptography(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first_token, imported = _warm(data, "127.0.0.1")
    assert not imported  # the certificates were made by a child
    first = ensure_credentials(data)
    assert first.token == first_token
    pki = data / "pki"
    for name in ("ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "apiserver.hosts"):
        assert stat.S_IMODE((pki / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(data.stat().st_mode) == 0o711  # traversable, not listable
    assert stat.S_IMODE(pki.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "token").stat().st_mode) == 0o600
    assert (pki / "apiserver.hosts").read_text() == "127.0.0.1 localhost ::1\n"
    serving = (pki / "apiserver.crt").read_bytes()
    token, imported = _warm(data, "127.0.0.1")
    assert (token, imported) == (first.token, False)
    assert (pki / "apiserver.crt").read_bytes() == serving


def test_a_new_bind_address_reissues_the_serving_certificate(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ensure_credentials(data)
    ca = (data / "pki" / "ca.crt").read_bytes()
    serving = (data / "pki" / "apiserver.crt").read_bytes()
    _token, imported = _warm(data, "127.0.0.2")
    assert not imported
    assert (data / "pki" / "ca.crt").read_bytes() == ca
    assert (data / "pki" / "apiserver.crt").read_bytes() != serving
    assert (data / "pki" / "apiserver.hosts").read_text() == "127.0.0.1 localhost ::1 127.0.0.2\n"
    assert _warm(data, "127.0.0.2")[1] is False


def test_a_failing_child_is_an_error_with_its_last_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ensure_credentials(data)
    (data / "pki" / "ca.key").write_text("not a key\n")
    (data / "pki" / "apiserver.hosts").unlink()
    with pytest.raises(CredentialsError) as err:
        ensure_credentials(data)
    assert str(err.value).startswith("cannot make the API server's certificates: ValueError: ")
