"""Micro-benchmark: the OCI spec builder per container, and the base-spec strategies.

Role: times ``build_container_spec`` and ``build_container`` over every container of
the 4,537 Pod Security fixtures (the ``oci`` row of bench.pipeline, alone), and, side
by side in the same rounds so machine noise moves both columns alike:
the fresh-literal base spec (``base.default_unix_spec``, what the builder uses)
against a cached template copied per container (recursive JSON copy, pickle); and the
shared read-only RuntimeDefault seccomp profile against a fresh copy per container.
With ``--baseline-src DIR`` (a ``src`` folder of another revision, e.g. from
``git archive``) both revisions run in child processes, alternately, and the table
shows the best median of each: before/after on the same machine and fixtures.
Run: ``.venv/bin/python -m bench.oci_build [--rounds N] [--shared DIR]
[--baseline-src DIR] [--json]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from seclet.api.featuregates import DEFAULT_GATES
from seclet.api.load import PodBody, load
from seclet.host.facts import NodeFacts
from seclet.review import admit_body
from seclet.runtime.oci.base import default_unix_spec
from seclet.runtime.oci.builder import SpecError, build_container, build_container_spec
from seclet.runtime.oci.inputs import ContainerSpecInputs, ImageConfig
from seclet.securitycontext.capabilities import DEFAULT_CAPABILITIES
from seclet.securitycontext.seccomp import runtime_default_profile

REPO = Path(__file__).resolve().parents[1]


def shared_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("SECLET_SHARED")
    if env:
        return Path(env)
    return REPO.parent / "shared"


def fixture_inputs(shared: Path) -> list[ContainerSpecInputs]:
    """One input per init container and container, as bench.pipeline builds them."""
    files = sorted((shared / "conformance" / "pod-security").glob("*/*/*/*.yaml"))
    if not files:
        raise SystemExit("no fixtures found: pass --shared DIR or set SECLET_SHARED")
    node = NodeFacts.reference()
    image = ImageConfig(entrypoint=("/pause",))
    out: list[ContainerSpecInputs] = []
    for f in files:
        for item in load(f.read_bytes(), str(f)):
            assert isinstance(item, PodBody), item
            pod = admit_body(item.body, DEFAULT_GATES).pod
            spec = pod.spec
            assert spec is not None
            for ctr in (*spec.initContainers, *spec.containers):
                out.append(ContainerSpecInputs(pod=pod, container=ctr, image=image, node=node))
    return out


def per_item_us(fn: Callable[[Any], object], items: Sequence[Any]) -> float:
    """Microseconds per item for one pass; SpecError counts (its cost is real too)."""
    t0 = time.perf_counter()
    for x in items:
        with contextlib.suppress(SpecError):
            fn(x)
    return (time.perf_counter() - t0) / len(items) * 1e6


def copy_json(value: Any) -> Any:
    """A generic structural copy of JSON-shaped data (the template-copy candidate)."""
    if type(value) is dict:
        return {k: copy_json(v) for k, v in value.items()}
    if type(value) is list:
        return [copy_json(v) for v in value]
    return value


def builder_rows(inputs: Sequence[ContainerSpecInputs], rounds: int) -> dict[str, float]:
    """First (cold-memo) pass and the median of ``rounds`` passes, per container."""
    cold = per_item_us(build_container_spec, inputs)
    spec = [per_item_us(build_container_spec, inputs) for _ in range(rounds)]
    full = [per_item_us(build_container, inputs) for _ in range(rounds)]
    return {
        "spec_cold": cold,
        "spec": statistics.median(spec),
        "full": statistics.median(full),
    }


def strategy_rows(inputs: Sequence[ContainerSpecInputs], rounds: int) -> dict[str, float]:
    """Base-spec and seccomp-profile strategies, interleaved round by round."""
    ids = [f"ns_{i}" for i in range(len(inputs))]
    template = default_unix_spec("k8s.io", "")
    pickled = pickle.dumps(template, protocol=pickle.HIGHEST_PROTOCOL)

    def literal(cid: str) -> object:
        return default_unix_spec("k8s.io", cid)

    def template_copy(cid: str) -> object:
        spec = copy_json(template)
        spec["linux"]["cgroupsPath"] = "/k8s.io/" + cid
        return spec

    def template_pickle(cid: str) -> object:
        spec = pickle.loads(pickled)
        spec["linux"]["cgroupsPath"] = "/k8s.io/" + cid
        return spec

    bounding = tuple(DEFAULT_CAPABILITIES)
    profile_ids = ids[: max(1, len(ids) // 3)]  # about a third of the fixtures use it

    def seccomp_copy(_cid: str) -> object:
        return runtime_default_profile("x86_64", (6, 18), bounding)

    candidates: dict[str, tuple[Callable[[str], object], list[str]]] = {
        "base_literal": (literal, ids),
        "base_template_copy_json": (template_copy, ids),
        "base_template_pickle": (template_pickle, ids),
        "seccomp_fresh_copy": (seccomp_copy, profile_ids),
    }
    try:
        from seclet.securitycontext.seccomp import (  # noqa: PLC0415 - newer revisions only
            shared_runtime_default_profile,
        )
    except ImportError:
        pass
    else:

        def seccomp_shared(_cid: str) -> object:
            return shared_runtime_default_profile("x86_64", (6, 18), bounding)

        candidates["seccomp_shared"] = (seccomp_shared, profile_ids)
    times: dict[str, list[float]] = {k: [] for k in candidates}
    for _ in range(rounds):
        for name, (fn, items) in candidates.items():
            times[name].append(per_item_us(fn, items))
    return {k: statistics.median(v) for k, v in times.items()}


def child(src: Path, rounds: int, shared: Path) -> dict[str, float]:
    """Builder rows of the revision whose ``src`` folder is ``src``, in a child process."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((str(src), str(REPO))))
    out = subprocess.run(
        [
            sys.executable,
            *("-m", "bench.oci_build", "--json", "--builder-only"),
            *("--rounds", str(rounds), "--shared", str(shared)),
        ],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows: dict[str, float] = json.loads(out)
    return rows


def compare(baseline: Path, rounds: int, shared: Path, repeats: int = 2) -> None:
    """Alternate baseline and current child processes; keep each row's best median."""
    best: dict[str, dict[str, float]] = {"before": {}, "after": {}}
    for _ in range(repeats):
        for label, src in (("before", baseline), ("after", REPO / "src")):
            for k, v in child(src, rounds, shared).items():
                best[label][k] = min(v, best[label].get(k, v))
    print(f"us per container, best of {repeats} child runs x median of {rounds} rounds")
    print(f"  {'':<26}{'before':>9}{'after':>9}{'speed-up':>10}")
    for key, label in (
        ("spec_cold", "build_container_spec 1st"),
        ("spec", "build_container_spec"),
        ("full", "build_container"),
    ):
        b, a = best["before"][key], best["after"][key]
        print(f"  {label:<26}{b:9.1f}{a:9.1f}{b / a:9.1f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--shared", help="the shared/ folder (default: ../shared)")
    ap.add_argument("--baseline-src", help="src/ of the revision to compare against")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    ap.add_argument("--builder-only", action="store_true", help="skip the strategy rows")
    args = ap.parse_args()
    shared = shared_dir(args.shared)
    if args.baseline_src:
        compare(Path(args.baseline_src).resolve(), args.rounds, shared)
        return 0
    inputs = fixture_inputs(shared)
    rows = builder_rows(inputs, args.rounds)
    if not args.builder_only:
        rows |= strategy_rows(inputs, args.rounds)
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"containers: {len(inputs)}  rounds: {args.rounds}  (medians, us per container)")
    print(f"  build_container_spec      {rows['spec']:7.1f}  (first pass {rows['spec_cold']:.1f})")
    print(f"  build_container           {rows['full']:7.1f}")
    if "base_literal" in rows:
        print("  base spec, side by side:")
        for key in ("base_literal", "base_template_copy_json", "base_template_pickle"):
            print(f"    {key.removeprefix('base_'):<22}{rows[key]:7.2f}")
        print("  RuntimeDefault profile, side by side:")
        for key in ("seccomp_shared", "seccomp_fresh_copy"):
            if key in rows:
                print(f"    {key.removeprefix('seccomp_'):<22}{rows[key]:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
