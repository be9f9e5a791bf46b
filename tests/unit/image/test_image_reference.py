"""Unit tests of ``seclet.runtime.image.reference`` and ``.hosts``.

Role: the normalisation table of containerd's ``ParseDockerRef`` (expected values as
containerd prints them in ``crictl images`` / pull errors), its error messages, and
mirror selection / validation of ``RegistryHosts``.
Callers: pytest.
"""

from __future__ import annotations

import pytest

from seclet.runtime.image.hosts import Endpoint, RegistryHosts, RegistryHostsError
from seclet.runtime.image.reference import InvalidReferenceError, normalize, parse_docker_ref

D = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:1.28", "docker.io/library/busybox:1.28"),
        ("library/busybox:1.28", "docker.io/library/busybox:1.28"),
        ("docker.io/busybox:1.28", "docker.io/library/busybox:1.28"),
        ("index.docker.io/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/library/busybox:1.28", "docker.io/library/busybox:1.28"),
        ("user/app", "docker.io/user/app:latest"),
        ("gcr.io/google-samples/hello-app:2.0", "gcr.io/google-samples/hello-app:2.0"),
        (
            "registry.k8s.io/e2e-test-images/agnhost:2.45",
            "registry.k8s.io/e2e-test-images/agnhost:2.45",
        ),
        ("localhost/x", "localhost/x:latest"),
        ("localhost:5000/x/y:1", "localhost:5000/x/y:1"),
        ("127.0.0.1:5000/x", "127.0.0.1:5000/x:latest"),
        ("Foo/bar", "Foo/bar:latest"),
        (f"busybox@{D}", f"docker.io/library/busybox@{D}"),
        (f"busybox:1.28@{D}", f"docker.io/library/busybox@{D}"),
        ("a__b-c.d:v_1.0-rc", "docker.io/library/a__b-c.d:v_1.0-rc"),
        ("[::1]:5000/x:1", "[::1]:5000/x:1"),
        ("example.com/" + "a" * 255, "example.com/" + "a" * 255 + ":latest"),
        ("x/" + "a" * 253, "docker.io/x/" + "a" * 253 + ":latest"),
    ],
)
def test_normalisation(ref: str, expected: str) -> None:
    assert normalize(ref) == expected


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("", "invalid reference format"),
        (
            "Busybox",
            "invalid reference format: repository name (library/Busybox) must be lowercase",
        ),
        (
            "docker.io/Busybox:1",
            "invalid reference format: repository name (library/Busybox) must be lowercase",
        ),
        ("busybox:", "invalid reference format"),
        ("busybox:-1", "invalid reference format"),
        ("busybox::1", "invalid reference format"),
        ("-busybox", "invalid reference format"),
        ("busybox@sha256:abc", "invalid reference format"),
        ("busybox@sha256:" + "a" * 32, "invalid checksum digest length"),
        ("busybox@md5:" + "a" * 32, "unsupported digest algorithm"),
        (
            "a" * 64,
            f"invalid repository name ({'a' * 64}), cannot specify 64-byte hexadecimal strings",
        ),
        ("x/" + "a" * 254, "repository name must not be more than 255 characters"),
        ("example.com/" + "a" * 256, "repository name must not be more than 255 characters"),
        ("busybox:" + "a" * 129, "invalid reference format"),
    ],
)
def test_invalid_references(ref: str, message: str) -> None:
    with pytest.raises(InvalidReferenceError) as err:
        parse_docker_ref(ref)
    assert str(err.value) == message


def test_reference_parts() -> None:
    ref = parse_docker_ref("busybox:1.28")
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (
        "docker.io",
        "library/busybox",
        "1.28",
        "",
    )
    assert ref.name == "docker.io/library/busybox"
    assert str(ref.with_digest(D)) == f"docker.io/library/busybox@{D}"


def test_mirror_selection_and_urls() -> None:
    hosts = RegistryHosts.of(
        {"docker.io": ["http://127.0.0.1:5000"], "*": ["http://localhost:5001/v2"]}
    )
    busybox = parse_docker_ref("busybox:1.28")
    (ep,) = hosts.endpoints(busybox)
    assert ep == Endpoint("http", "127.0.0.1:5000")
    assert ep.manifest_url(busybox) == (
        "http://127.0.0.1:5000/v2/library/busybox/manifests/1.28?ns=docker.io"
    )
    assert ep.source(busybox, D) == f"docker://127.0.0.1:5000/library/busybox@{D}"
    gcr = parse_docker_ref("gcr.io/google-samples/hello-app:2.0")
    assert hosts.endpoints(gcr) == (Endpoint("http", "localhost:5001"),)
    assert RegistryHosts.of({"docker.io": ["http://127.0.0.1:5000"]}).endpoints(gcr) == ()
    upstream = Endpoint("https", "registry-1.docker.io")
    assert upstream.manifest_url(busybox) == (
        "https://registry-1.docker.io/v2/library/busybox/manifests/1.28"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://10.0.0.1:5000",
            "mirror 'http://10.0.0.1:5000': plain http is only allowed for loopback endpoints",
        ),
        (
            "http://registry.example:5000",
            "mirror 'http://registry.example:5000': plain http is only allowed for loopback endpoints",
        ),
        ("ftp://127.0.0.1", "mirror 'ftp://127.0.0.1': scheme must be http or https"),
        (
            "http://127.0.0.1:5000/prefix",
            "mirror 'http://127.0.0.1:5000/prefix': only the /v2 API root is supported",
        ),
    ],
)
def test_refused_mirrors(url: str, message: str) -> None:
    with pytest.raises(RegistryHostsError) as err:
        RegistryHosts.of({"docker.io": [url]})
    assert str(err.value) == message


def test_https_and_loopback_variants_accepted() -> None:
    hosts = RegistryHosts.of(
        {
            "a.io": ["https://mirror.example"],
            "b.io": ["http://127.1.2.3:80", "http://[::1]:5000"],
        }
    )
    assert hosts.endpoints(parse_docker_ref("b.io/x")) == (
        Endpoint("http", "127.1.2.3:80"),
        Endpoint("http", "[::1]:5000"),
    )


def test_loopback_registry_is_its_own_last_endpoint() -> None:
    hosts = RegistryHosts.of({"*": ["http://127.0.0.1:5000"]})
    assert hosts.endpoints(parse_docker_ref("localhost:5001/x")) == (
        Endpoint("http", "127.0.0.1:5000"),
        Endpoint("http", "localhost:5001"),
    )
    assert hosts.endpoints(parse_docker_ref("127.0.0.1:5000/x")) == (
        Endpoint("http", "127.0.0.1:5000"),
    )
    assert RegistryHosts().endpoints(parse_docker_ref("[::1]:5000/x")) == (
        Endpoint("http", "[::1]:5000"),
    )
    assert RegistryHosts().endpoints(parse_docker_ref("quay.io/x")) == ()
    (ep,) = RegistryHosts().endpoints(parse_docker_ref("127.0.0.1:5000/x/y:1"))
    assert ep.manifest_url(parse_docker_ref("127.0.0.1:5000/x/y:1")) == (
        "http://127.0.0.1:5000/v2/x/y/manifests/1"
    )


def test_from_flags_keeps_the_order_per_host() -> None:
    hosts = RegistryHosts.from_flags(
        [
            "docker.io=http://127.0.0.1:5000",
            "*=http://127.0.0.1:5002",
            "docker.io=http://127.0.0.1:5001",
        ]
    )
    assert hosts == RegistryHosts.of(
        {
            "docker.io": ["http://127.0.0.1:5000", "http://127.0.0.1:5001"],
            "*": ["http://127.0.0.1:5002"],
        }
    )
    with pytest.raises(RegistryHostsError) as err:
        RegistryHosts.from_flags(["http://127.0.0.1:5000"])
    assert str(err.value) == "registry mirror 'http://127.0.0.1:5000': expected HOST=URL"
