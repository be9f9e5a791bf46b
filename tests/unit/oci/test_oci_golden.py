"""Golden config.json files for the docs page's manifests, and the page's numbers.

Every manifest under shared/conformance/doc-examples (variants included) is
built with ``NodeFacts.reference()`` and a fixed runtime context; the JSON must equal
``tests/golden/<path>.config.json`` byte for byte. ``SECLET_UPDATE_GOLDEN=1``
rewrites them. The outputs the page shows are asserted explicitly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from imagefixtures import IMAGES
from ocischema import schema_errors
from podload import DOC_EXAMPLES, load_pod

from seclet.host.facts import NodeFacts
from seclet.runtime.oci.builder import ContainerBuild, build_container
from seclet.runtime.oci.inputs import ContainerSpecInputs, RuntimeContext

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden"
UPDATE = os.environ.get("SECLET_UPDATE_GOLDEN") == "1"
GOLDEN_RUNTIME = RuntimeContext(sandbox_id="0123456789ab", sandbox_pid=4242)
MANIFESTS = sorted(p.relative_to(DOC_EXAMPLES) for p in DOC_EXAMPLES.rglob("*.yaml"))


def build_example(rel: Path, runtime: RuntimeContext = GOLDEN_RUNTIME) -> ContainerBuild:
    pod = load_pod(DOC_EXAMPLES / rel)
    assert pod.spec is not None
    container = pod.spec.containers[0]
    image = IMAGES[container.image or ""]
    return build_container(
        ContainerSpecInputs(
            pod=pod,
            container=container,
            image=image.config,
            passwd_text=image.passwd,
            group_text=image.group,
            node=NodeFacts.reference(),
            runtime=runtime,
        )
    )


def dump(spec: object) -> str:
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("rel", MANIFESTS, ids=str)
def test_golden_config_json(rel: Path) -> None:
    build = build_example(rel)
    text = dump(build.spec)
    golden = GOLDEN_DIR / (str(rel).removesuffix(".yaml") + ".config.json")
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"missing {golden}; run with SECLET_UPDATE_GOLDEN=1"
    assert text == golden.read_text()
    assert schema_errors(build.spec) == []


def test_every_manifest_has_a_golden() -> None:
    assert len(MANIFESTS) == 9
    names = {str(p) for p in MANIFESTS}
    assert "security-context.yaml" in names
    assert "variants/zh-cn-f9610cd/security-context-5.yaml" in names


def test_page_security_context_id_line() -> None:
    p = build_example(Path("security-context.yaml")).process
    assert p.id_line == "uid=1000 gid=3000 groups=2000,3000,4000"
    assert p.no_new_privs is True


def test_page_runtime_default_caps_demo3() -> None:
    p = build_example(Path("security-context-3.yaml")).process
    assert p.cap_prm.hex == "00000000a80425fb"
    assert p.cap_eff.hex == "00000000a80425fb"


def test_page_added_caps_demo4() -> None:
    p = build_example(Path("security-context-4.yaml")).process
    assert p.cap_prm.hex == "00000000aa0435fb"
    assert p.cap_eff.hex == "00000000aa0435fb"
    assert "CAP_NET_ADMIN" in p.cap_eff.names
    assert "CAP_SYS_TIME" in p.cap_eff.names


def test_page_merge_groups_demo5() -> None:
    for rel in ("security-context-5.yaml", "variants/zh-cn-f9610cd/security-context-5.yaml"):
        b = build_example(Path(rel))
        assert b.process.id_line == "uid=1000 gid=3000 groups=3000,4000,50000"
        assert any("50000" in w and "Strict" in w for w in b.warnings)


def test_page_strict_groups_demo6() -> None:
    b = build_example(Path("security-context-6.yaml"))
    assert b.process.id_line == "uid=1000 gid=3000 groups=3000,4000"
    assert b.process.user_linux() == {"uid": 1000, "gid": 3000, "supplementalGroups": [3000, 4000]}
    assert not any("Merge" in w for w in b.warnings)


def test_page_container_overrides_pod_demo2() -> None:
    assert build_example(Path("security-context-2.yaml")).process.uid == 2000


def test_old_revision_without_run_as_group_has_gid_0() -> None:
    # The page: "without runAsGroup the gid would be 0" (uid 1000 is not in busybox's passwd).
    p = build_example(Path("variants/en-67b6569/security-context.yaml")).process
    assert p.id_line == "uid=1000 gid=0 groups=0,2000"


def test_busybox_root_gets_wheel_from_image_group() -> None:
    # containerd's Merge looks up root's memberships: busybox has wheel:x:10:root.
    p = build_example(Path("variants/zh-cn-22fbf2f/security-context-3.yaml")).process
    assert p.id_line == "uid=0 gid=0 groups=0,10"


def test_fs_group_warning_for_emptydir() -> None:
    warnings = build_example(Path("security-context.yaml")).warnings
    assert any("fsGroup 2000" in w and "OnRootMismatch" in w for w in warnings)
