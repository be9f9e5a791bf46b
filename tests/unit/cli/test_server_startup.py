"""``seclet server``'s start-up: aiohttp's import-time loading of the system's CA
certificates deferred until the API listens, then made on the very same contexts."""

from __future__ import annotations

import ssl
import subprocess
import sys

from seclet.cli.server import _deferred_verify_paths, _load_verify_paths


def test_verify_paths_are_recorded_within_then_loaded_on_the_same_contexts() -> None:
    expected = ssl.create_default_context().cert_store_stats()
    with _deferred_verify_paths() as contexts:
        made = ssl.create_default_context()
        assert made.cert_store_stats() == {"x509": 0, "crl": 0, "x509_ca": 0}
    assert contexts == [made]
    assert "set_default_verify_paths" not in ssl.SSLContext.__dict__  # restored
    _load_verify_paths(contexts)
    assert made.cert_store_stats() == expected


_AIOHTTP = """
import sys
import seclet.cli.server as s
with s._deferred_verify_paths() as contexts:
    import aiohttp.connector as connector
print(contexts == [connector._SSL_CONTEXT_VERIFIED, connector._SSL_CONTEXT_UNVERIFIED])
print(connector._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509"])
"""


def test_aiohttps_two_import_time_contexts_are_the_ones_deferred() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _AIOHTTP], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "0"]
