"""Benchmark: ``validate_pod_create`` and Pod Security alone, per pod, over every fixture.

Role: isolates the two pure checks the pipeline benchmark lumps into its ``admit`` and
``psa`` rows. Loading, defaulting and building the frozen ``Pod`` happen once, untimed;
each round then times validation over all pods and Pod Security (baseline and
restricted, latest) over all pods, and the medians print side by side in µs per pod.
Run: ``.venv/bin/python -m bench.validation [--rounds N] [--shared DIR]``.

Steps:
1. read, load, default and build every fixture pod (not timed);
2. per round, time ``validate_pod_create`` over all pods, then ``check_pod`` at both
   levels over all pods;
3. print the medians (and the best round) in µs per pod.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.pipeline import shared_dir
from seclet.api.decode import build
from seclet.api.featuregates import DEFAULT_GATES
from seclet.api.load import PodBody, load
from seclet.api.models import ObjectMeta, Pod, PodSpec
from seclet.podsecurity.api.version import level_version
from seclet.podsecurity.policy.registry import check_pod
from seclet.review import default_body
from seclet.validation import PodValidationOptions, validate_pod_create

VALIDATION_TARGET_US = 50.0


def load_pods(shared: str | None) -> list[Pod]:
    """Step 1: every fixture pod, defaulted and frozen as ``admit_body`` builds it."""
    files = sorted((shared_dir(shared) / "conformance" / "pod-security").glob("*/*/*/*.yaml"))
    if not files:
        raise SystemExit("no fixtures found: pass --shared DIR or set SECLET_SHARED")
    pods: list[Pod] = []
    for f in files:
        for item in load(f.read_bytes(), str(f)):
            assert isinstance(item, PodBody), item
            pods.append(build(default_body(item.body, DEFAULT_GATES), Pod))
    return pods


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--shared", help="the shared/ folder (default: ../shared)")
    args = ap.parse_args()

    pods = load_pods(args.shared)
    opts = PodValidationOptions()
    levels = (level_version("baseline", "latest"), level_version("restricted", "latest"))
    pairs = [(p.metadata or ObjectMeta(), p.spec or PodSpec()) for p in pods]

    t_val: list[float] = []
    t_psa: list[float] = []
    errors = 0
    for _ in range(args.rounds):  # step 2
        t0 = time.perf_counter()
        errors = sum(len(validate_pod_create(p, opts)) for p in pods)
        t1 = time.perf_counter()
        for meta, spec in pairs:
            for level in levels:
                check_pod(meta, spec, level)
        t2 = time.perf_counter()
        t_val.append(t1 - t0)
        t_psa.append(t2 - t1)

    n = len(pods)  # step 3
    med_v, med_p = statistics.median(t_val) / n * 1e6, statistics.median(t_psa) / n * 1e6
    best_v, best_p = min(t_val) / n * 1e6, min(t_psa) / n * 1e6
    print(f"pods: {n}  rounds: {args.rounds}  validation errors: {errors}")
    print(f"  {'':<12} {'median':>9} {'best':>9}   (us/pod)")
    print(f"  {'validation':<12} {med_v:9.1f} {best_v:9.1f}")
    print(f"  {'podsecurity':<12} {med_p:9.1f} {best_p:9.1f}   (baseline + restricted)")
    verdict = "meets" if med_v <= VALIDATION_TARGET_US else "MISSES"
    print(f"validation target {VALIDATION_TARGET_US:.0f} us/pod: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
