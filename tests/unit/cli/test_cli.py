"""The ``seclet`` command end to end: outputs and exit codes, as a user sees them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from seclet.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str, name: str = "pod.yaml") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


POD = """apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: busybox:1.28
    command: ["sh", "-c", "sleep 1h"]
"""


def test_validate_the_pages_manifests(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "-f", str(EXAMPLES))
    assert code == 0
    assert out.splitlines() == [
        "pod/security-context-demo-2 valid",
        "pod/security-context-demo-3 valid",
        "pod/security-context-demo-4 valid",
        "pod/security-context-demo valid",
        "pod/security-context-demo valid",
        "pod/security-context-demo valid",
    ]


def test_validate_one_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = write(tmp_path, POD.replace("spec:\n", "spec:\n  securityContext:\n    runAsUser: -1\n"))
    code, out, _ = run(capsys, "validate", "-f", f)
    assert code == 1
    assert out == (
        'The Pod "p" is invalid: spec.securityContext.runAsUser: Invalid value: -1: '
        "must be between 0 and 2147483647, inclusive\n"
    )


def test_validate_several_errors_in_one_pod(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = POD.replace("spec:\n", "spec:\n  securityContext:\n    runAsUser: -1\n    fsGroup: -2\n")
    code, out, _ = run(capsys, "validate", "-f", write(tmp_path, text))
    assert code == 1
    assert out == (
        'The Pod "p" is invalid: \n'
        "* spec.securityContext.fsGroup: Invalid value: -2: must be between 0 and 2147483647, inclusive\n"
        "* spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive\n"
    )


def test_validate_several_invalid_pods_use_status_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = POD.replace("spec:\n", "spec:\n  securityContext:\n    runAsUser: -1\n    fsGroup: -2\n")
    f = write(tmp_path, bad + "---\n" + bad.replace("name: p\n", "name: q\n"))
    code, out, _ = run(capsys, "validate", "-q", "-f", f)
    assert code == 1
    msg = (
        "is invalid: [spec.securityContext.fsGroup: Invalid value: -2: must be between 0 and "
        "2147483647, inclusive, spec.securityContext.runAsUser: Invalid value: -1: must be between 0 "
        "and 2147483647, inclusive]"
    )
    assert out.splitlines() == [
        f'Error from server (Invalid): error when creating "{f}": Pod "p" {msg}',
        f'Error from server (Invalid): error when creating "{f}": Pod "q" {msg}',
    ]


def test_unknown_field_is_unusable_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = write(tmp_path, POD + "  foo: 1\n")
    code, out, _ = run(capsys, "validate", "-f", f)
    assert code == 2
    assert out == (
        f'Error from server (BadRequest): error when creating "{f}": Pod in version "v1" cannot '
        'be handled as a Pod: strict decoding error: unknown field "spec.foo"\n'
    )


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x00\x01\x02binary", "control characters are not allowed"),
        (b"kind: Pod\nmetadata: [\n", "error converting YAML to JSON"),
        (b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n", "Kind=Deployment"),
    ],
)
def test_bad_input_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes, fragment: str
) -> None:
    p = tmp_path / "bad.yaml"
    p.write_bytes(data)
    code, out, err = run(capsys, "validate", "-f", str(p))
    assert code == 2
    assert fragment in out
    assert "Traceback" not in out + err


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "validate", "-f", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert out == f'error: the path "{tmp_path / "nope.yaml"}" does not exist\n'


def test_check_baseline_refuses_the_capabilities_demo(capsys: pytest.CaptureFixture[str]) -> None:
    f = str(EXAMPLES / "security-context-4.yaml")
    code, out, _ = run(capsys, "check", "--level", "baseline", "-f", f)
    assert code == 1
    assert out == (
        f'Error from server (Forbidden): error when creating "{f}": pods "security-context-demo-4" '
        'is forbidden: violates PodSecurity "baseline:latest": non-default capabilities '
        '(container "sec-ctx-4" must not include "NET_ADMIN", "SYS_TIME" in '
        "securityContext.capabilities.add)\n"
    )


def test_check_restricted_names_every_violation(capsys: pytest.CaptureFixture[str]) -> None:
    f = str(EXAMPLES / "security-context-3.yaml")
    code, out, _ = run(capsys, "check", "--level", "restricted", "--version", "v1.35", "-f", f)
    assert code == 1
    assert out == (
        f'Error from server (Forbidden): error when creating "{f}": pods "security-context-demo-3" '
        'is forbidden: violates PodSecurity "restricted:v1.35": allowPrivilegeEscalation != false '
        '(container "sec-ctx-3" must set securityContext.allowPrivilegeEscalation=false), '
        'unrestricted capabilities (container "sec-ctx-3" must set securityContext.capabilities.drop=["ALL"]), '
        'runAsNonRoot != true (pod or container "sec-ctx-3" must set securityContext.runAsNonRoot=true), '
        'seccompProfile (pod or container "sec-ctx-3" must set securityContext.seccompProfile.type '
        'to "RuntimeDefault" or "Localhost")\n'
    )


def test_check_bad_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--level", "baseline", "--version", "1.2", "-f", "x")
    assert code == 2
    assert err.startswith("error: invalid version '1.2'")


def test_explain_the_pages_first_pod(capsys: pytest.CaptureFixture[str]) -> None:
    f = str(EXAMPLES / "security-context.yaml")
    code, out, _ = run(capsys, "explain", "--node", "reference", "-f", f)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "pod/security-context-demo container sec-ctx-demo (namespace default)"
    assert lines[1] == "  id:           uid=1000 gid=3000 groups=2000,3000,4000"
    assert "  NoNewPrivs:   1" in lines


def test_explain_capabilities(capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(EXAMPLES / "images" / "hello-app-2.0.json")
    for name, caps in (("security-context-3.yaml", "a80425fb"), ("security-context-4.yaml", "aa0435fb")):
        code, out, _ = run(
            capsys, "explain", "--node", "reference", "--image-config", cfg, "-f", str(EXAMPLES / name)
        )
        assert code == 0
        assert f"  CapEff:       00000000{caps}  chown," in out


def test_explain_group_merge_from_the_image(capsys: pytest.CaptureFixture[str]) -> None:
    root = str(EXAMPLES / "images" / "agnhost-2.45")
    for name, groups in (("security-context-5.yaml", "3000,4000,50000"), ("security-context-6.yaml", "3000,4000")):
        code, out, _ = run(
            capsys, "explain", "--node", "reference", "--image-root", root, "-f", str(EXAMPLES / name)
        )
        assert code == 0
        assert f"  id:           uid=1000 gid=3000 groups={groups}\n" in out


def test_explain_json(capsys: pytest.CaptureFixture[str]) -> None:
    f = str(EXAMPLES / "security-context.yaml")
    code, out, _ = run(capsys, "explain", "--node", "reference", "-o", "json", "-f", f)
    assert code == 0
    records = json.loads(out)
    assert [sorted(r) for r in records] == [["container", "namespace", "pod", "spec", "warnings"]]
    r = records[0]
    assert (r["pod"], r["namespace"], r["container"]) == ("security-context-demo", "default", "sec-ctx-demo")
    user = r["spec"]["process"]["user"]
    assert (user["uid"], user["gid"]) == (1000, 3000)
    assert r["spec"]["process"]["noNewPrivileges"] is True


def test_explain_resources(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The kubelet's CRI resources as containerd writes them: requests cpu 250m -> 256
    shares, limits cpu 500m -> quota 50000 per 100000, memory 64Mi -> 67108864 (swap
    equal on cgroup v1), Burstable's oom_score_adj from the reference node's memory."""
    text = POD + (
        "    resources:\n"
        "      requests: {cpu: 250m, memory: 64Mi}\n"
        "      limits: {cpu: 500m, memory: 64Mi}\n"
    )
    code, out, _ = run(capsys, "explain", "--node", "reference", "-f", write(tmp_path, text))
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("  Resources:"))
    assert line.startswith(
        "  Resources:    cpu shares 256, quota 50000/100000; memory 67108864 (swap 67108864);"
        " oom_score_adj "
    ), line
    best_effort = run(capsys, "explain", "--node", "reference", "-f", write(tmp_path, POD))[1]
    assert "  Resources:    cpu shares 2, no quota; memory unlimited; oom_score_adj 1000\n" in (
        best_effort
    )


def test_explain_run_as_non_root_refusal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = POD.replace("spec:\n", "spec:\n  securityContext:\n    runAsNonRoot: true\n")
    code, out, _ = run(capsys, "explain", "--node", "reference", "-f", write(tmp_path, text))
    assert code == 1
    assert out == (
        "pod/p container c: CreateContainerConfigError: container has runAsNonRoot and image "
        'will run as root (pod: "p_default()", container: c)\n'
    )


def test_image_root_symlinks_stay_inside(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An image whose account files link out of the image reads nothing from the host."""
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "passwd").write_text("evil:x:1000:1000::/:/bin/sh\n")
    (outside / "group").write_text("evil:x:666:evil\n")
    root = tmp_path / "img"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").symlink_to("../../host/passwd")
    (root / "etc" / "group").symlink_to(str(outside / "group"))
    f = str(EXAMPLES / "security-context.yaml")
    code, out, _ = run(capsys, "explain", "--node", "reference", "--image-root", str(root), "-f", f)
    assert code == 0
    assert "groups=2000,3000,4000\n" in out
    assert "666" not in out


def test_image_root_symlink_loop(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = tmp_path / "img"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").symlink_to("/etc/passwd")
    f = str(EXAMPLES / "security-context.yaml")
    code, _, err = run(capsys, "explain", "--image-root", str(root), "-f", f)
    assert code == 2
    assert err == f"error: --image-root {root}: /etc/passwd: too many levels of symbolic links\n"


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    p = tmp_path / "x.yaml"
    p.write_bytes(b"{" * 5000)
    r = subprocess.run(
        [sys.executable, "-m", "seclet", "validate", "-f", str(p)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stdout + r.stderr


def test_no_objects(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "validate", "-f", write(tmp_path, "# nothing\n---\n"))
    assert code == 2
    assert out == "error: no objects passed to validate\n"


def test_kubeconfig_prints_a_private_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    kc = tmp_path / "kubeconfig.yaml"
    kc.write_text("apiVersion: v1\nkind: Config\n")
    kc.chmod(0o600)
    code, out, _ = run(capsys, "kubeconfig", "--kubeconfig", str(kc))
    assert (code, out) == (0, "apiVersion: v1\nkind: Config\n")
    kc.chmod(0o644)
    code, out, err = run(capsys, "kubeconfig", "--kubeconfig", str(kc))
    assert (code, out) == (2, "")
    assert "readable by others (mode 0644)" in err
    code, _, err = run(capsys, "kubeconfig", "--kubeconfig", str(tmp_path / "none"))
    assert code == 2
    assert "start `seclet server` first" in err


def test_generate_name_is_filled_before_validation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = b'{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"x-"},"spec":{"containers":[{"name":"c","image":"i"}]}}'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body)))
    code, out, _ = run(capsys, "validate", "-f", "-")
    assert code == 0
    assert out.startswith("pod/x-") and out.endswith(" valid\n")
    assert len(out.split()[0]) == len("pod/x-") + 5


def test_generated_names_follow_upstream() -> None:
    from seclet.review import GENERATE_ALPHABET, generated_name

    name = generated_name("a" * 70, choose=lambda alphabet: alphabet[0])
    assert name == "a" * 58 + GENERATE_ALPHABET[0] * 5


LOCALHOST_POD = """apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {seccompProfile: {type: Localhost, localhostProfile: PROFILE}}
  containers: [{name: c, image: i, command: [sh]}]
"""


def test_explain_reads_localhost_seccomp_profiles(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = tmp_path / "seccomp"
    (root / "profiles").mkdir(parents=True)
    (root / "profiles" / "log.json").write_text('{"defaultAction": "SCMP_ACT_LOG"}')
    f = write(tmp_path, LOCALHOST_POD.replace("PROFILE", "profiles/log.json"))
    code, out, _ = run(capsys, "explain", "--node", "reference", "--seccomp-root", str(root), "-f", f)
    assert code == 0
    assert "  Seccomp:      2 (filter)" in out
    code, out, _ = run(
        capsys, "explain", "--node", "reference", "--seccomp-root", str(root), "-o", "json", "-f", f
    )
    assert json.loads(out)[0]["spec"]["linux"]["seccomp"] == {"defaultAction": "SCMP_ACT_LOG"}


def test_explain_never_reads_a_profile_outside_the_seccomp_root(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = tmp_path / "seccomp"
    root.mkdir()
    secret = tmp_path / "secret.json"
    secret.write_text('{"defaultAction": "SCMP_ACT_ALLOW"}')
    (root / "escape.json").symlink_to(secret)
    f = write(tmp_path, LOCALHOST_POD.replace("PROFILE", "escape.json"))
    code, out, _ = run(capsys, "explain", "--node", "reference", "--seccomp-root", str(root), "-f", f)
    assert code == 1
    assert out == (
        f'pod/p container c: CreateContainerError: cannot load seccomp profile "{root}/escape.json": '
        f"open {root}/escape.json: no such file or directory\n"
    )
