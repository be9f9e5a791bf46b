"""``seclet validate``: what kube-apiserver 1.35 answers to creating each Pod.

Role: for every object of the inputs, decode strictly, default and validate as the
apiserver does on create, and print what kubectl prints for the refusals.
Callers: ``seclet.cli.main``.
"""

from __future__ import annotations

import argparse

from seclet.api.featuregates import FeatureGates
from seclet.cli.admitted import admitted_pods
from seclet.cli.report import Failure, finish


def run(args: argparse.Namespace, gates: FeatureGates) -> int:
    failures: list[Failure] = []
    for _item, admitted in admitted_pods(args.filename, gates, failures, "validate"):
        if not args.quiet:
            print(f"pod/{admitted.name} valid")
    return finish(failures)
