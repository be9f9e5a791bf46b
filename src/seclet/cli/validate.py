"""``seclet validate``: what kube-apiserver 1.35 answers to creating each Pod.

Role: for every object of the inputs, decode strictly, default and validate as the
apiserver does on create, and print what kubectl prints for the refusals.
Callers: ``seclet.cli.main``.
"""

from __future__ import annotations

import argparse

from seclet.api.featuregates import FeatureGates
from seclet.api.load import Refusal
from seclet.cli.inputs import read_items
from seclet.cli.report import Failure, finish, invalid_failure, unusable_failure
from seclet.review import admit_body, kubectl_invalid


def run(args: argparse.Namespace, gates: FeatureGates) -> int:
    failures: list[Failure] = []
    for item in read_items(args.filename):
        if isinstance(item, Refusal):
            failures.append(unusable_failure(item.message))
            continue
        admitted = admit_body(item.body, gates, owned=True)
        if admitted.errors:
            failures.append(
                invalid_failure(
                    item.source,
                    kubectl_invalid("Pod", admitted.name, admitted.errors),
                    admitted.invalid_message(),
                )
            )
        elif not args.quiet:
            print(f"pod/{admitted.name} valid")
    return finish(failures)
