"""``seclet check``: what Pod Security admission answers at a level and version.

Role: run the create path up to Pod Security enforcement for every Pod of the
inputs, as if its namespace carried ``pod-security.kubernetes.io/enforce=<level>``
and ``enforce-version=<version>``. An invalid Pod is refused by validation first,
as the apiserver does (validation runs before validating admission).
Callers: ``seclet.cli.main``.
"""

from __future__ import annotations

import argparse
import sys

from seclet.api.featuregates import FeatureGates
from seclet.api.field import go_quote
from seclet.api.models import ObjectMeta, PodSpec
from seclet.cli.admitted import admitted_pods
from seclet.cli.report import EXIT_UNUSABLE, Failure, finish, forbidden_failure
from seclet.podsecurity.admission.response import forbidden_message, violates_message
from seclet.podsecurity.api.version import level_version
from seclet.podsecurity.policy.registry import check_pod


def run(args: argparse.Namespace, gates: FeatureGates) -> int:
    try:
        lv = level_version(args.level, args.version)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    failures: list[Failure] = []
    for item, admitted in admitted_pods(args.filename, gates, failures, "check"):
        pod = admitted.pod
        result = check_pod(pod.metadata or ObjectMeta(), pod.spec or PodSpec(), lv)
        if result.allowed:
            if not args.quiet:
                print(f"pod/{admitted.name} allowed by PodSecurity {go_quote(str(lv))}")
            continue
        message = forbidden_message("pods", admitted.name, violates_message(lv, result))
        failures.append(forbidden_failure(item.source, message))
    return finish(failures)
