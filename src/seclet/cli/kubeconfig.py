"""``seclet kubeconfig``: print the kubeconfig ``seclet server`` wrote.

Role: let a user (or a script: ``seclet kubeconfig > ~/.kube/config``) get the
credentials for kubectl without knowing where they live. The file holds a bearer
token, so it is read only if it is private (mode 0600, as the server writes it).
Callers: ``seclet.cli.main``.
"""

from __future__ import annotations

import argparse
import stat
import sys

from seclet.api.featuregates import FeatureGates
from seclet.cli.report import EXIT_UNUSABLE


def run(args: argparse.Namespace, gates: FeatureGates) -> int:
    del gates
    path = args.kubeconfig
    try:
        st = path.stat()
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            print(
                f"error: {path} is readable by others (mode {stat.S_IMODE(st.st_mode):04o}); "
                "refusing to print a token from it",
                file=sys.stderr,
            )
            return EXIT_UNUSABLE
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        print(f"error: {path} does not exist: start `seclet server` first", file=sys.stderr)
        return EXIT_UNUSABLE
    except OSError as exc:
        print(f"error: {path}: {exc.strerror}", file=sys.stderr)
        return EXIT_UNUSABLE
    sys.stdout.write(text)
    return 0
