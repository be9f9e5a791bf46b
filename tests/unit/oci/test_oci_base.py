"""The builder's starting spec: containerd's default spec after the folded steps.

``base.cri_container_base_spec`` stands for ``default_unix_spec`` followed by the
plan-independent steps in ``steps.FOLDED_STEPS`` (and the builder runs only
``steps.BUILD_STEPS``); these tests hold the two equal, JSON key order included, so
every spec the builder writes keeps containerd's bytes.
"""

from __future__ import annotations

import json

from seclet.api import models
from seclet.runtime.oci.base import DEFAULT_PATH_ENV, cri_container_base_spec, default_unix_spec
from seclet.runtime.oci.builder import build_container_spec
from seclet.runtime.oci.inputs import ContainerSpecInputs
from seclet.runtime.oci.plan import make_plan
from seclet.runtime.oci.steps import BUILD_STEPS, FOLDED_STEPS, STEPS


def _inputs() -> ContainerSpecInputs:
    c = models.Container(name="c", image="busybox", command=("sh",))
    pod = models.Pod(
        metadata=models.ObjectMeta(name="p", namespace="ns"), spec=models.PodSpec(containers=(c,))
    )
    return ContainerSpecInputs(pod=pod, container=c)


def test_folded_steps_are_the_leading_plan_free_ones() -> None:
    names = [n for n, _ in STEPS]
    assert {
        "without_run_mount",
        "without_default_security_settings",
        "with_default_path_env",
        "with_new_privileges",
    } == FOLDED_STEPS
    assert set(names) >= FOLDED_STEPS
    assert tuple(s for n, s in STEPS if n not in FOLDED_STEPS) == BUILD_STEPS


def test_base_spec_is_the_default_spec_after_the_folded_steps() -> None:
    plan = make_plan(_inputs())
    spec = default_unix_spec("k8s.io", "cid")
    for name, step in STEPS:
        if name == "with_process_args":
            spec["process"]["args"] = []  # its place; the step itself always sets it
        elif name in FOLDED_STEPS:
            step(spec, plan)
        if name == "with_new_privileges":  # the last folded step
            break
    base = cri_container_base_spec("k8s.io", "cid")
    assert json.dumps(base) == json.dumps(spec)
    assert "rlimits" not in base["process"]
    assert [m["destination"] for m in base["mounts"]] == [
        "/proc",
        "/dev",
        "/dev/pts",
        "/dev/shm",
        "/dev/mqueue",
        "/sys",
    ]


def test_build_equals_every_step_on_the_default_spec() -> None:
    inputs = _inputs()
    plan = make_plan(inputs)
    spec = default_unix_spec("k8s.io", plan.container_id)
    for _name, step in STEPS:
        step(spec, plan)
    built = build_container_spec(inputs)
    assert built["process"]["args"] == ["sh"]
    assert built["process"]["env"][0].startswith("PATH=")
    # the builder also drops empty fields (omitempty); compare what both have
    assert list(built["process"]) == [k for k in spec["process"] if k in built["process"]]
    assert list(built) == list(spec)


def test_base_spec_is_fresh_each_time() -> None:
    a, b = cri_container_base_spec("k8s.io", "x"), cri_container_base_spec("k8s.io", "x")
    a["mounts"].clear()
    a["process"]["env"].append("X=1")
    assert len(b["mounts"]) == 6
    assert b["process"]["env"] == [DEFAULT_PATH_ENV]
