"""The ``seclet`` command: argument parsing and dispatch to one module per subcommand.

Role: parse flags into frozen values (feature gates, Pod Security level/version),
call the subcommand, and turn any failure into a one-line message and an exit code,
never a traceback.
Callers: the ``seclet`` console script (``pyproject.toml``), ``python -m seclet``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from seclet.api.featuregates import DEFAULT_GATES, FeatureGateError, parse_feature_gates
from seclet.cli.report import EXIT_UNUSABLE

# Each subcommand is a module ``seclet.cli.<name>`` with ``run(args, gates) -> int``,
# imported only when chosen: ``seclet validate`` never pays for the API server's
# imports, and ``seclet server`` starts without the explain machinery.
DEFAULT_DATA_DIR = Path("/var/lib/seclet")
DEFAULT_KUBECONFIG = Path("/etc/seclet/kubeconfig.yaml")
DEFAULT_REGISTRIES_CONF = Path("/etc/containers/registries.conf")

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
    e.add_argument(
        "--seccomp-root",
        metavar="DIR",
        default="/var/lib/kubelet/seccomp",
        help="where Localhost seccomp profiles live (kubelet's <root-dir>/seccomp)",
    )
    e.add_argument(
        "--image",
        metavar="REF",
        help="a stored image (seclet images ls) whose config, /etc/passwd and /etc/group "
        "are read (no pull); replaces --image-root and --image-config",
    )
    e.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                   help=f"seclet server's state directory, for --image ({DEFAULT_DATA_DIR})")
    e.add_argument("-o", "--output", choices=("text", "json"), default="text")
    e.add_argument(
        "--node",
        choices=("probe", "reference"),
        default="probe",
        help="node facts: probe this machine (default) or the documented reference node",
    )
    e.add_argument(
        "--assume-selinux",
        action="store_true",
        help="plan volumes' SELinux labels as on a node with SELinux enabled",
    )
    srv = sub.add_parser("server", help="serve the Kubernetes API for kubectl (foreground)")
    srv.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                     help=f"state directory (default {DEFAULT_DATA_DIR})")
    srv.add_argument("--bind", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    srv.add_argument("--port", type=int, default=6443, help="HTTPS port (6443; 0: any free)")
    srv.add_argument("--kubeconfig", type=Path, default=DEFAULT_KUBECONFIG,
                     help=f"where to write the kubeconfig (default {DEFAULT_KUBECONFIG})")
    srv.add_argument("--store", choices=("auto", "sqlite", "memory"), default="auto",
                     help="object store (auto: SQLite under the data directory)")
    srv.add_argument("--no-kubelet", dest="kubelet", action="store_false",
                     help="serve the API only: pods are stored but not run")
    srv.add_argument("--registry-mirror", action="append", default=[], metavar="HOST=URL",
                     help="pull HOST's images from URL (repeatable; HOST * for any other; "
                     "plain http only for loopback)")
    srv.add_argument("--registries-conf", default=None, metavar="PATH",
                     help="containers-registries.conf(5) file whose [[registry]] mirrors "
                     "pulls use after the --registry-mirror ones (default "
                     f"{DEFAULT_REGISTRIES_CONF} when it or its drop-in directory "
                     "exists; drop-ins from the registries.conf.d/ beside it; '' for none)")
    srv.add_argument("--node-name", default="", help="this node's name (default: hostname)")
    srv.add_argument("--root-dir", type=Path, default=None,
                     help="kubelet root (default DATA_DIR/kubelet; Localhost seccomp "
                     "profiles in its seccomp/)")
    srv.add_argument("--pod-logs-dir", type=Path, default=None,
                     help="container logs, as the kubelet's (default /var/log/pods)")
    srv.add_argument("--seccomp-default", action="store_true",
                     help="RuntimeDefault for containers that set no seccomp profile")
    srv.add_argument("--allowed-unsafe-sysctls", action="append", default=[],
                     metavar="PATTERNS", help="unsafe sysctls pods may set (kernel.msg*,...)")
    srv.add_argument("--container-log-max-size", default="10Mi", metavar="QUANTITY",
                     help="rotate a container's log once it reaches this size (10Mi)")
    srv.add_argument("--container-log-max-files", type=int, default=5, metavar="N",
                     help="log files kept per container, current included (5)")
    srv.add_argument("--container-log-monitor-interval", default="10s", metavar="DURATION",
                     help="how often log sizes are checked (10s; at least 3s)")
    srv.add_argument(
        "--controllers",
        default="*",
        metavar="NAMES",
        help="controllers to run, as kube-controller-manager's: * (those on by default), "
        "NAME, -NAME (selinux-warning-controller is off by default)",
    )
    srv.add_argument("--container-log-max-workers", type=int, default=1, metavar="N",
                     help="containers whose logs are rotated at the same time (1)")
    srv.add_argument("--pod-max-pids", type=int, default=-1, metavar="N",
                     help="pids.max of each pod's cgroup (-1: unlimited)")
    img = sub.add_parser("images", help="import, list and remove the node's images")
    data_help = f"seclet server's state directory (default {DEFAULT_DATA_DIR})"
    img.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=data_help)
    isub = img.add_subparsers(dest="images_command", required=True, metavar="SUBCOMMAND")
    imp = isub.add_parser("import", help="import docker-archive or oci-archive tars")
    imp.add_argument("files", nargs="+", metavar="FILE")
    ls = isub.add_parser("ls", help="list images as crictl images does")
    rm = isub.add_parser("rm", help="remove images as crictl rmi does")
    rm.add_argument("refs", nargs="+", metavar="REF", help="reference or image id")
    for leaf in (imp, ls, rm):
        leaf.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=data_help)
    kc = sub.add_parser("kubeconfig", help="print the kubeconfig seclet server wrote")
    kc.add_argument("--kubeconfig", type=Path, default=DEFAULT_KUBECONFIG,
                    help=f"the file to print (default {DEFAULT_KUBECONFIG})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        gates = parse_feature_gates(args.feature_gates) if args.feature_gates else DEFAULT_GATES
    except FeatureGateError as exc:
        print(f"error: invalid argument {args.feature_gates!r} for --feature-gates: {exc}",
              file=sys.stderr)
        return EXIT_USAGE
    # A short-lived batch process that allocates many small immutable objects: the
    # cyclic collector's frequent young-generation passes find nothing to free.
    gc.set_threshold(50_000, 20, 20)
    try:
        module = importlib.import_module(f"seclet.cli.{args.command}")
        code: int = module.run(args, gates)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the CLI must never print a traceback
        print(f"error: seclet could not finish: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE


if __name__ == "__main__":
    raise SystemExit(main())
