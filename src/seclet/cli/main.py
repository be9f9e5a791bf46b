"""The ``seclet`` command: argument parsing and dispatch to one module per subcommand.

Role: parse flags into frozen values (feature gates, Pod Security level/version),
call the subcommand, and turn any failure into a one-line message and an exit code,
never a traceback.
Callers: the ``seclet`` console script (``pyproject.toml``), ``python -m seclet``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from seclet.api.featuregates import DEFAULT_GATES, FeatureGateError, parse_feature_gates
from seclet.cli import check, explain, server, validate
from seclet.cli.report import EXIT_UNUSABLE
from seclet.podsecurity.api.version import level_version

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seclet",
        description="Kubernetes securityContext, exactly as kube-apiserver, Pod Security "
        "and a kubelet + containerd + runc node apply it.",
    )
    parser.add_argument(
        "--feature-gates",
        default="",
        metavar="A=true,B=false",
        help="Kubernetes feature gates (upstream 1.35 defaults otherwise)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_files(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "-f",
            "--filename",
            action="append",
            required=True,
            metavar="FILE",
            help="manifest file, directory or - for stdin (repeatable, comma-separated)",
        )
        p.add_argument("-q", "--quiet", action="store_true", help="print refusals only")

    v = sub.add_parser("validate", help="what kube-apiserver 1.35 says on create")
    with_files(v)

    c = sub.add_parser("check", help="what Pod Security admission says")
    with_files(c)
    c.add_argument("--level", required=True, choices=("privileged", "baseline", "restricted"))
    c.add_argument("--version", default="latest", help="v1.N or latest (default)")

    e = sub.add_parser("explain", help="what each container's process really gets")
    with_files(e)
    e.add_argument(
        "--image-root", metavar="DIR", help="unpacked image root for /etc/passwd and /etc/group"
    )
    e.add_argument(
        "--image-config",
        metavar="FILE",
        help="the image's OCI config JSON (User, Entrypoint, Cmd, Env, WorkingDir)",
    )
    e.add_argument("-o", "--output", choices=("text", "json"), default="text")
    e.add_argument(
        "--node",
        choices=("probe", "reference"),
        default="probe",
        help="node facts: probe this machine (default) or the documented reference node",
    )
    server.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        gates = parse_feature_gates(args.feature_gates) if args.feature_gates else DEFAULT_GATES
    except FeatureGateError as exc:
        print(f"error: invalid argument {args.feature_gates!r} for --feature-gates: {exc}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "server":
            return server.run(args)
        if args.command == "validate":
            return validate.run(args, gates)
        if args.command == "check":
            try:
                lv = level_version(args.level, args.version)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return EXIT_USAGE
            return check.run(args, gates, lv)
        return explain.run(args, gates)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the CLI must never print a traceback
        print(f"error: seclet could not finish: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE


if __name__ == "__main__":
    raise SystemExit(main())
