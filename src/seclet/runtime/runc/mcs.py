"""MCS level allocation for pods and containers on an SELinux node, as containerd does it.

Role: when SELinux is on and no ``seLinuxOptions.level`` is given, containerd gives
each pod sandbox a unique MCS pair and keeps it reserved while anything uses it:
- ``internal/cri/server/podsandbox/sandbox_run_linux.go``: the sandbox's labels are
  ``label.InitLabels(<pod's options>)`` (go-selinux ``go-selinux/label/
  label_linux.go``): the default labels with a fresh pair from ``uniqMcs``
  (``go-selinux/selinux_linux.go``: two distinct categories below
  ``CategoryRange`` 1024, the lower first, ``s0:c<a>,c<b>``, drawn again while
  reserved), unless the options carry a level, which then replaces it;
- ``internal/cri/server/container_create.go`` ``buildLinuxSpec``: a container whose
  CRI ``selinux_options`` are empty inherits the sandbox's process label
  (``selinux.DupSecOpt``: user, role, type and level), so the pod's containers
  share its pair; one with options but no level gets a fresh pair of its own;
  a privileged container runs unlabelled (``spec.Process.SelinuxLabel = ""``)
  but its label is still recorded, so the pair stays reserved until it is removed;
- ``internal/cri/store/label/label.go``: a level is reserved (reference-counted)
  by every sandbox and container in containerd's stores and released when the last
  is deleted; the stores are rebuilt from disk on restart, which reserves the levels
  of recovered pods again. go-selinux also reserves ``s0:c1022,c1023`` (the
  privileged-container mount level, ``loadLabels``) and ignores levels without
  ``:c`` (``mcsAdd``).
seclet's records are that store: the levels in use are those of every sandbox and
container record on disk (so removal releases, and a restarted seclet re-adopts,
by construction), plus the pairs handed out whose record is not written yet
(``Reservations.pending``, for the time a create waits on a relabel).
Pure: ``level_of``, ``with_level``, ``draw_level``, ``levels_in_use``,
``container_level``, ``apply_level``. I/O (thin): ``Reservations.allocate`` (reads
the records).
Callers: seclet.runtime.runc.run_pod_sandbox, .create_container, .service.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from seclet.api import models
from seclet.runtime.runc import records
from seclet.runtime.runc.config import RuntimeConfig

CATEGORY_RANGE = 1024
"""go-selinux ``DefaultCategoryRange`` (``maxCategory``)."""
PRIV_CONTAINER_MOUNT_LEVEL = f"s0:c{CATEGORY_RANGE - 2},c{CATEGORY_RANGE - 1}"
"""go-selinux ``privContainerMountLabel``'s level, reserved when labels load."""

Draw = Callable[[int], int]
"""``n -> a number in [0, n)`` (``rand.Uint32N``)."""


def level_of(label: str) -> str:
    """The level of ``user:role:type[:level]`` (go-selinux ``NewContext``)."""
    parts = label.split(":", 3)
    return parts[3] if len(parts) > 3 else ""


def with_level(label: str, level: str) -> str:
    """``label`` with its level replaced (or added); "" stays ""."""
    if not label:
        return label
    parts = label.split(":", 3)
    return ":".join([*parts[:3], level]) if level else ":".join(parts[:3])


def draw_level(reserved: Collection[str], draw: Draw = secrets.randbelow) -> str:
    """go-selinux ``uniqMcs``: ``s0:c<a>,c<b>``, a < b, not in ``reserved``."""
    while True:
        c1 = draw(CATEGORY_RANGE)
        c2 = draw(CATEGORY_RANGE)
        if c1 == c2:
            continue
        if c1 > c2:
            c1, c2 = c2, c1
        level = f"s0:c{c1},c{c2}"
        if level not in reserved:
            return level


def levels_in_use(labels: Iterable[str]) -> frozenset[str]:
    """The reserved levels given every recorded process label: ``mcsAdd`` keeps only
    levels with categories, and the privileged mount level is always reserved."""
    out = {PRIV_CONTAINER_MOUNT_LEVEL}
    for label in labels:
        level = level_of(label)
        if ":c" in level:
            out.add(level)
    return frozenset(out)


def _empty(options: models.SELinuxOptions | None) -> bool:
    return options is None or not (options.user or options.role or options.type or options.level)


def container_level(options: models.SELinuxOptions | None, sandbox_label: str) -> str | None:
    """The level of a container that needs one (no ``level`` in its options): the
    sandbox's when its CRI options are empty and the sandbox has a labelled level
    (``DupSecOpt``), else None: a fresh pair (``InitLabels``)."""
    if _empty(options):
        level = level_of(sandbox_label)
        if level:
            return level
    return None


def apply_level(spec: dict[str, Any], level: str) -> None:
    """Complete the builder's level-less ``process.selinuxLabel`` and
    ``linux.mountLabel`` with ``level``."""
    process = spec.get("process", {})
    if process.get("selinuxLabel"):
        process["selinuxLabel"] = with_level(process["selinuxLabel"], level)
    linux = spec.get("linux", {})
    if linux.get("mountLabel"):
        linux["mountLabel"] = with_level(linux["mountLabel"], level)


def recorded_labels(config: RuntimeConfig) -> list[str]:
    """Every process label a sandbox or container record holds (I/O: the records)."""
    return [
        *(s.selinux_label for s in records.all_sandboxes(config) if s.selinux_label),
        *(c.selinux_label for c in records.all_containers(config) if c.selinux_label),
    ]


@dataclass(slots=True)
class Reservations:
    """Pairs handed out whose record is not saved yet (one per ``RuncRuntime``)."""

    pending: set[str] = field(default_factory=set)
    draw: Draw = secrets.randbelow

    def allocate(self, config: RuntimeConfig) -> str:
        """A pair no record and no pending create uses; pending until ``settle``."""
        reserved = levels_in_use(recorded_labels(config)) | self.pending
        level = draw_level(reserved, self.draw)
        self.pending.add(level)
        return level

    def settle(self, level: str) -> None:
        """The record holding ``level`` is saved (or the create failed)."""
        self.pending.discard(level)
