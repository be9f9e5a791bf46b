"""Which controllers run: kube-controller-manager's ``--controllers`` flag.

Role: the flag's value is a comma-separated list: ``*`` enables every controller that is
on by default, ``foo`` enables the controller named ``foo``, ``-foo`` disables it; the
first item naming a controller decides, and without ``*`` nothing else runs
(``IsControllerEnabled`` in ``k/k cmd/kube-controller-manager/app``). An item may use a
controller's alias (``ControllerDescriptor.aliases``, e.g. ``pvc-protection``):
``GenericControllerManagerConfigurationOptions.ApplyTo`` replaces it by the canonical
name (``canonical``). Unknown names are refused as ``Validate`` refuses them (``"foo" is
not in the list of known controllers``, the name as written). A controller also needs
its feature gates (``requiredFeatureGates``): the selinux-warning-controller is off by
default and needs ``SELinuxChangePolicy``.
Callers: seclet.cli.server.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

DEFAULT_CONTROLLERS = ("*",)
SELINUX_WARNING = "selinux-warning-controller"
PV_BINDER = "persistentvolume-binder-controller"
PV_PROTECTION = "persistentvolume-protection-controller"
PVC_PROTECTION = "persistentvolumeclaim-protection-controller"
EPHEMERAL_VOLUME = "ephemeral-volume-controller"
GARBAGE_COLLECTOR = "garbage-collector-controller"
ROOT_CA_PUBLISHER = "root-ca-certificate-publisher-controller"
NODE_LIFECYCLE = "node-lifecycle-controller"
TAINT_EVICTION = "taint-eviction-controller"
KNOWN_CONTROLLERS: frozenset[str] = frozenset(
    {
        SELINUX_WARNING,
        PV_BINDER,
        PV_PROTECTION,
        PVC_PROTECTION,
        EPHEMERAL_VOLUME,
        GARBAGE_COLLECTOR,
        ROOT_CA_PUBLISHER,
        NODE_LIFECYCLE,
        TAINT_EVICTION,
    }
)
"""The names ``--controllers`` governs in seclet (upstream's canonical names,
``cmd/kube-controller-manager/names/controller_names.go``)."""
ALIASES: dict[str, str] = {
    "persistentvolume-binder": PV_BINDER,
    "pv-protection": PV_PROTECTION,
    "pvc-protection": PVC_PROTECTION,
    "ephemeral-volume": EPHEMERAL_VOLUME,
    "garbagecollector": GARBAGE_COLLECTOR,
    "root-ca-cert-publisher": ROOT_CA_PUBLISHER,
    "nodelifecycle": NODE_LIFECYCLE,
}
"""Upstream's aliases of those controllers (their descriptors' ``aliases``)."""
DISABLED_BY_DEFAULT: frozenset[str] = frozenset({SELINUX_WARNING})


class UnknownControllerError(ValueError):
    """A ``--controllers`` item naming no controller; ``str()`` is upstream's text."""


def parse_controllers(value: str) -> tuple[str, ...]:
    """Split the flag's value as pflag's string slice does (empty items dropped)."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


def validate_controllers(
    controllers: Sequence[str], known: Collection[str], aliases: Mapping[str, str] = ALIASES
) -> None:
    for item in controllers:
        if item == "*":
            continue
        name = item.removeprefix("-")
        if aliases.get(name, name) not in known:
            raise UnknownControllerError(f'"{name}" is not in the list of known controllers')


def canonical(controllers: Sequence[str], aliases: Mapping[str, str] = ALIASES) -> tuple[str, ...]:
    """``ApplyTo``: each item with an alias replaced by its canonical name (the ``-``
    kept)."""
    out: list[str] = []
    for item in controllers:
        name = item.removeprefix("-")
        prefix = "-" if item.startswith("-") else ""
        out.append(prefix + aliases.get(name, name))
    return tuple(out)


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
