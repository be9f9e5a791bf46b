"""The real kubectl 1.35 updating pods on ``seclet server``: replace (PUT) and patch.

Role: ``kubectl replace -f`` is a PUT of the whole pod (the generic store's Update with
the pod strategy): an image change is allowed, other spec changes print
``ValidatePodUpdate``'s Forbidden text, a stale resourceVersion prints the optimistic
lock conflict, a missing pod 404s, ``--dry-run=server`` stores nothing; ``kubectl
patch`` adding a scheduling gate prints ``validateOnlyDeletedSchedulingGates``' text.
Callers: pytest.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from integration.apiserver.conftest import Kubectl

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: busybox:1.36
"""

FORBIDDEN = (
    'The Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than '
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def _write(tmp_path: Path, text: str, name: str = "pod.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _get(kubectl: Kubectl, name: str = "p") -> dict[str, object]:
    out = kubectl("get", "pod", name, "-o", "json", "--show-managed-fields")
    assert out.returncode == 0, out.stderr
    pod: dict[str, object] = json.loads(out.stdout)
    return pod


def _created(kubectl: Kubectl, tmp_path: Path) -> dict[str, object]:
    out = kubectl("create", "-f", str(_write(tmp_path, POD, "created.yaml")))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "pod/p created\n"
    return _get(kubectl)


def test_replace_changing_the_image(kubectl: Kubectl, tmp_path: Path) -> None:
    before = _created(kubectl, tmp_path)
    path = _write(tmp_path, POD.replace("busybox:1.36", "busybox:1.37"))
    out = kubectl("replace", "-f", str(path))
    assert (out.returncode, out.stdout, out.stderr) == (0, "pod/p replaced\n", "")
    after = _get(kubectl)
    spec = after["spec"]
    assert isinstance(spec, dict)
    assert spec["containers"][0]["image"] == "busybox:1.37"
    meta, old_meta = after["metadata"], before["metadata"]
    assert isinstance(meta, dict) and isinstance(old_meta, dict)
    assert meta["uid"] == old_meta["uid"]
    assert meta["creationTimestamp"] == old_meta["creationTimestamp"]
    assert meta["generation"] == 2
    assert int(meta["resourceVersion"]) > int(old_meta["resourceVersion"])
    assert after["status"] == before["status"]
    managers = [(e["manager"], e["operation"]) for e in meta["managedFields"]]
    assert managers == [("kubectl-create", "Update"), ("kubectl-replace", "Update")], managers


def test_replace_with_the_same_object_keeps_the_generation(
    kubectl: Kubectl, tmp_path: Path
) -> None:
    _created(kubectl, tmp_path)
    out = kubectl("replace", "-f", str(_write(tmp_path, POD)))
    assert out.returncode == 0, out.stderr
    meta = _get(kubectl)["metadata"]
    assert isinstance(meta, dict)
    assert meta["generation"] == 1


def test_replace_changing_an_immutable_field(kubectl: Kubectl, tmp_path: Path) -> None:
    _created(kubectl, tmp_path)
    changed = POD.replace("spec:\n", "spec:\n  hostname: other\n")
    out = kubectl("replace", "-f", str(_write(tmp_path, changed)))
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.startswith(FORBIDDEN + "\n  core.PodSpec{\n"), out.stderr
    assert '+ \thostname: "other"\n' in out.stderr


def test_replace_with_a_stale_resource_version(kubectl: Kubectl, tmp_path: Path) -> None:
    pod = _created(kubectl, tmp_path)
    image = kubectl("set", "image", "pod/p", "c=busybox:1.37")
    assert image.returncode == 0, image.stderr
    stale = yaml.safe_dump(pod)  # carries the resourceVersion before the set image
    path = _write(tmp_path, stale)
    out = kubectl("replace", "-f", str(path))
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr == (
        f'Error from server (Conflict): error when replacing "{path}": Operation cannot be '
        'fulfilled on pods "p": the object has been modified; please apply your changes to '
        "the latest version and try again\n"
    )


def test_replace_of_a_missing_pod(kubectl: Kubectl, tmp_path: Path) -> None:
    path = _write(tmp_path, POD)
    out = kubectl("replace", "-f", str(path))
    assert out.returncode == 1
    assert out.stderr == (
        f'Error from server (NotFound): error when replacing "{path}": pods "p" not found\n'
    )


def test_replace_server_dry_run_stores_nothing(kubectl: Kubectl, tmp_path: Path) -> None:
    _created(kubectl, tmp_path)
    path = _write(tmp_path, POD.replace("busybox:1.36", "busybox:1.37"))
    out = kubectl("replace", "--dry-run=server", "-f", str(path))
    assert (out.returncode, out.stdout) == (0, "pod/p replaced (server dry run)\n"), out.stderr
    spec = _get(kubectl)["spec"]
    assert isinstance(spec, dict)
    assert spec["containers"][0]["image"] == "busybox:1.36"


def test_patch_adding_a_scheduling_gate(kubectl: Kubectl, tmp_path: Path) -> None:
    _created(kubectl, tmp_path)
    out = kubectl("patch", "pod", "p", "-p", '{"spec":{"schedulingGates":[{"name":"foo"}]}}')
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr == (
        'The Pod "p" is invalid: spec.schedulingGates[0].name: Forbidden: only deletion is '
        "allowed, but found new scheduling gate 'foo'\n"
    )


def test_replace_raw_with_another_name_or_namespace(kubectl: Kubectl, tmp_path: Path) -> None:
    _created(kubectl, tmp_path)
    url = "/api/v1/namespaces/default/pods/p"
    other_name = _write(tmp_path, POD.replace("name: p", "name: q"), "q.yaml")
    out = kubectl("replace", "--raw", url, "-f", str(other_name))
    assert out.returncode == 1
    assert out.stderr == (
        "Error from server (BadRequest): the name of the object (q) does not match the name "
        "on the URL (p)\n"
    )
    other_ns = _write(tmp_path, POD.replace("name: p", "name: p\n  namespace: kube-system"))
    out = kubectl("replace", "--raw", url, "-f", str(other_ns))
    assert out.returncode == 1
    assert out.stderr == (
        "Error from server (BadRequest): the namespace of the provided object does not match "
        "the namespace sent on the request\n"
    )


def test_replace_with_the_uid_of_a_deleted_pod(kubectl: Kubectl, tmp_path: Path) -> None:
    old = _created(kubectl, tmp_path)
    gone = kubectl("delete", "pod", "p")
    assert gone.returncode == 0, gone.stderr
    new = _created(kubectl, tmp_path)
    old_meta, new_meta = old["metadata"], new["metadata"]
    assert isinstance(old_meta, dict) and isinstance(new_meta, dict)
    path = _write(tmp_path, yaml.safe_dump(old))
    out = kubectl("replace", "-f", str(path))
    assert out.returncode == 1
    assert out.stderr == (
        f'Error from server (Conflict): error when replacing "{path}": Operation cannot be '
        f'fulfilled on pods "p": Precondition failed: UID in precondition: {old_meta["uid"]}, '
        f"UID in object meta: {new_meta['uid']}\n"
    )


def test_patch_with_a_stale_or_removed_resource_version(kubectl: Kubectl, tmp_path: Path) -> None:
    _created(kubectl, tmp_path)
    stale = '{"metadata":{"resourceVersion":"1"},"spec":{"activeDeadlineSeconds":30}}'
    out = kubectl("patch", "pod", "p", "-p", stale)
    assert out.returncode == 1
    assert out.stderr == (
        'Error from server (Conflict): Operation cannot be fulfilled on pods "p": the object '
        "has been modified; please apply your changes to the latest version and try again\n"
    )
    removed = '[{"op":"remove","path":"/metadata/resourceVersion"}]'
    out = kubectl("patch", "pod", "p", "--type=json", "-p", removed)
    assert (out.returncode, out.stdout) == (0, "pod/p patched (no change)\n"), out.stderr


def test_replace_with_an_unknown_field(kubectl: Kubectl, tmp_path: Path) -> None:
    _created(kubectl, tmp_path)
    path = _write(tmp_path, POD.replace("spec:\n", "spec:\n  foo: 1\n"))
    out = kubectl("replace", "-f", str(path))
    assert out.returncode == 1
    assert out.stderr == (
        f'Error from server (BadRequest): error when replacing "{path}": Pod in version "v1" '
        'cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"\n'
    )
    lenient = kubectl("replace", "--validate=warn", "-f", str(path))
    assert (lenient.returncode, lenient.stdout) == (0, "pod/p replaced\n"), lenient.stderr
    assert lenient.stderr == 'Warning: unknown field "spec.foo"\n'
