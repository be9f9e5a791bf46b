"""Which controllers run: kube-controller-manager's ``--controllers`` flag.

Role: the flag's value is a comma-separated list: ``*`` enables every controller that
is on by default, ``foo`` enables the controller named ``foo``, ``-foo`` disables it;
the first item naming a controller decides, and without ``*`` nothing else runs
(``IsControllerEnabled`` in ``k/k cmd/kube-controller-manager/app``). Unknown names
are refused as ``GenericControllerManagerConfigurationOptions.Validate`` refuses them
(``"foo" is not in the list of known controllers``). A controller also needs its
feature gates (``requiredFeatureGates``): the selinux-warning-controller is off by
default and needs ``SELinuxChangePolicy``.
Callers: seclet.cli.server.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

DEFAULT_CONTROLLERS = ("*",)
SELINUX_WARNING = "selinux-warning-controller"
PV_BINDER = "persistentvolume-binder-controller"
PV_PROTECTION = "pv-protection-controller"
PVC_PROTECTION = "pvc-protection-controller"
KNOWN_CONTROLLERS: frozenset[str] = frozenset(
    {SELINUX_WARNING, PV_BINDER, PV_PROTECTION, PVC_PROTECTION}
)
"""The names ``--controllers`` governs in seclet (upstream's names)."""
DISABLED_BY_DEFAULT: frozenset[str] = frozenset({SELINUX_WARNING})


class UnknownControllerError(ValueError):
    """A ``--controllers`` item naming no controller; ``str()`` is upstream's text."""


def parse_controllers(value: str) -> tuple[str, ...]:
    """Split the flag's value as pflag's string slice does (empty items dropped)."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


def validate_controllers(controllers: Sequence[str], known: Collection[str]) -> None:
    for item in controllers:
        if item == "*":
            continue
        name = item.removeprefix("-")
        if name not in known:
            raise UnknownControllerError(f'"{name}" is not in the list of known controllers')


def controller_enabled(
    name: str, controllers: Sequence[str], disabled_by_default: Collection[str]
) -> bool:
    """``IsControllerEnabled``."""
    star = False
    for item in controllers:
        if item == name:
            return True
        if item == "-" + name:
            return False
        if item == "*":
            star = True
    return star and name not in disabled_by_default
