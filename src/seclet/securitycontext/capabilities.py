"""Linux capability tables and containerd's capability arithmetic.

Role: names <-> bit numbers (``include/uapi/linux/capability.h``, the same table as
containerd ``pkg/cap``), containerd's default set (``pkg/oci/spec.go``
``defaultUnixCaps``), the ``/proc/PID/status`` hex spelling (``00000000a80425fb``),
and ``apply_cri_capabilities`` - containerd ``internal/cri/opts`` ``WithCapabilities``
(add ALL, drop ALL, then ``"CAP_" + upper`` adds and drops; drop wins; the ``CAP_``
prefix is always prepended, so ``CAP_X`` in a manifest becomes the unknown
``CAP_CAP_X`` that runc ignores).
Callers: seclet.host.facts, seclet.runtime.oci.steps, seclet.runtime.oci.explain,
seclet.securitycontext.seccomp.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from seclet.api.record import hot_dataclass

CAPABILITY_NAMES: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
"""Index = capability number (kernel 5.9+, cap_last_cap 40)."""

CAPABILITY_BITS: dict[str, int] = {name: bit for bit, name in enumerate(CAPABILITY_NAMES)}

DEFAULT_CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)
"""containerd ``defaultUnixCaps`` in its order (Bounding = Permitted = Effective)."""


CAPABILITY_MASKS: dict[str, int] = {name: 1 << bit for bit, name in enumerate(CAPABILITY_NAMES)}


def names_to_mask(names: Iterable[str]) -> int:
    """Bitmask of the known names; unknown names (runc ignores them) contribute nothing."""
    get = CAPABILITY_MASKS.get
    mask = 0
    for name in names:
        mask |= get(name, 0)
    return mask


def mask_to_names(mask: int) -> tuple[str, ...]:
    """Known capability names of the set bits, in bit order (containerd ``FromBitmap``)."""
    return tuple(name for bit, name in enumerate(CAPABILITY_NAMES) if mask >> bit & 1)


def format_cap_hex(mask: int) -> str:
    """The ``/proc/PID/status`` spelling: 16 lower-case hex digits."""
    return f"{mask:016x}"


def unknown_capabilities(names: Iterable[str]) -> tuple[str, ...]:
    """Names runc would drop with "ignoring unknown or unavailable capabilities"."""
    return tuple(n for n in names if n not in CAPABILITY_BITS)


@hot_dataclass(frozen=True, slots=True)
class CapabilitySets:
    """The five OCI capability lists, in the order containerd leaves them."""

    bounding: tuple[str, ...]
    effective: tuple[str, ...]
    permitted: tuple[str, ...]
    inheritable: tuple[str, ...] = ()
    ambient: tuple[str, ...] = ()


def go_upper(s: str) -> str:
    """Go ``strings.ToUpper``: rune-wise; a rune without a one-rune upper case stays."""
    if s.isascii():
        return s.upper()
    out = []
    for ch in s:
        up = ch.upper()
        out.append(up if len(up) == 1 else ch)
    return "".join(out)


def _added(current: Sequence[str], caps: Sequence[str]) -> tuple[str, ...]:
    out = list(current)
    for c in caps:
        if c not in out:
            out.append(c)
    return tuple(out)


def _dropped(current: Sequence[str], caps: Sequence[str]) -> tuple[str, ...]:
    drop = set(caps)
    return tuple(c for c in current if c not in drop)


def with_capabilities(sets: CapabilitySets, caps: Sequence[str]) -> CapabilitySets:
    """containerd ``oci.WithCapabilities``: B = E = P = caps; inheritable filtered."""
    caps_t = tuple(caps)
    if not caps_t:
        inheritable: tuple[str, ...] = ()
    else:
        inheritable = tuple(c for c in sets.inheritable if c in caps_t)
    return CapabilitySets(caps_t, caps_t, caps_t, inheritable, sets.ambient)


def apply_cri_capabilities(
    sets: CapabilitySets,
    add: Sequence[str],
    drop: Sequence[str],
    all_caps: Sequence[str],
) -> CapabilitySets:
    """containerd ``customopts.WithCapabilities`` for a non-nil CRI capability message.

    ``ALL`` is matched case-insensitively (``util.InStringSlice`` uses EqualFold).
    """
    up_add = [go_upper(a) for a in add]
    up_drop = [go_upper(d) for d in drop]
    if "ALL" in up_add:
        sets = with_capabilities(sets, all_caps)
    if "ALL" in up_drop:
        sets = with_capabilities(sets, ())
    adds = tuple("CAP_" + a for a in up_add if a != "ALL")
    drops = tuple("CAP_" + d for d in up_drop if d != "ALL")
    sets = CapabilitySets(
        _added(sets.bounding, adds),
        _added(sets.effective, adds),
        _added(sets.permitted, adds),
        sets.inheritable,
        sets.ambient,
    )
    return CapabilitySets(
        _dropped(sets.bounding, drops),
        _dropped(sets.effective, drops),
        _dropped(sets.permitted, drops),
        _dropped(sets.inheritable, drops),
        sets.ambient,
    )
