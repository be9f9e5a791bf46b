"""What the container's first process will look like to the kernel, from its spec.

Role: the "effective process" summary ``seclet explain`` renders: uid, gid, the
kernel-sorted group list (the ``id`` line, busybox style as the docs page shows:
``uid=1000 gid=3000 groups=2000,3000,4000``), the five capability sets as
``/proc/PID/status`` hex plus names, NoNewPrivs, seccomp mode and profile, AppArmor,
SELinux, read-only rootfs and masked/read-only paths. Capabilities are predicted
through runc (capset of the spec sets) and ``execve`` of a binary without file
capabilities or set-uid bits: root gets ``bounding | inheritable`` (limited to the
old permitted set under no_new_privs), a non-root uid keeps only its ambient set,
which containerd always clears. ``resources_line`` is the one-line summary of the
spec's cgroup resources and oom_score_adj.
Callers: seclet.runtime.oci.builder, the CLI's ``explain``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seclet.securitycontext.capabilities import (
    format_cap_hex,
    mask_to_names,
    names_to_mask,
    unknown_capabilities,
)
from seclet.securitycontext.seccomp import SECCOMP_MODE_DISABLED, SECCOMP_MODE_FILTER


@dataclass(frozen=True, slots=True)
class CapabilitySet:
    """One ``Cap*:`` line of /proc/PID/status."""

    mask: int

    @property
    def hex(self) -> str:
        """``00000000a80425fb``."""
        return format_cap_hex(self.mask)

    @property
    def names(self) -> tuple[str, ...]:
        """``CAP_*`` names in bit order."""
        return mask_to_names(self.mask)


@dataclass(frozen=True, slots=True)
class EffectiveProcess:
    """The identity and confinement of the container's first process."""

    uid: int
    gid: int
    groups: tuple[int, ...]
    """Supplementary groups as the kernel stores them (sorted, unique)."""
    cap_inh: CapabilitySet
    cap_prm: CapabilitySet
    cap_eff: CapabilitySet
    cap_bnd: CapabilitySet
    cap_amb: CapabilitySet
    no_new_privs: bool
    seccomp_mode: int
    """/proc/PID/status ``Seccomp:`` 0 = disabled, 2 = filter."""
    seccomp_profile: str
    """``unconfined``, ``RuntimeDefault`` or ``localhost/<path>``."""
    apparmor_profile: str
    """"" = unconfined."""
    selinux_label: str
    readonly_rootfs: bool
    masked_paths: tuple[str, ...]
    readonly_paths: tuple[str, ...]
    privileged: bool
    unknown_capabilities: tuple[str, ...]
    """Names in the spec runc does not know and silently ignores (e.g. CAP_CAP_X)."""

    @property
    def id_line(self) -> str:
        """What ``id`` prints inside the container (busybox/kernel group order)."""
        groups = ",".join(str(g) for g in self.groups)
        line = f"uid={self.uid} gid={self.gid}"
        return line + (f" groups={groups}" if groups else "")

    def status_lines(self) -> tuple[str, ...]:
        """The ``/proc/1/status`` lines this process shows."""
        return (
            f"NoNewPrivs:\t{int(self.no_new_privs)}",
            f"Seccomp:\t{self.seccomp_mode}",
            f"CapInh:\t{self.cap_inh.hex}",
            f"CapPrm:\t{self.cap_prm.hex}",
            f"CapEff:\t{self.cap_eff.hex}",
            f"CapBnd:\t{self.cap_bnd.hex}",
            f"CapAmb:\t{self.cap_amb.hex}",
        )

    def user_linux(self) -> dict[str, Any]:
        """``status.containerStatuses[].user.linux`` (KEP-3619)."""
        return {
            "uid": self.uid,
            "gid": self.gid,
            "supplementalGroups": list(self.groups),
        }


_MEMO: dict[tuple[object, ...], EffectiveProcess] = {}
_MEMO_MAX = 2048


def effective_process(
    spec: dict[str, Any], *, seccomp_profile: str, privileged: bool
) -> EffectiveProcess:
    """Predict the process state from a finished OCI spec.

    Memoised on the spec values it reads (as tuples): containers with the same
    identity and confinement share one frozen summary.
    """
    process = spec["process"]
    user = process["user"]
    caps = process.get("capabilities", {})
    linux = spec.get("linux", {})
    key = (
        user["uid"],
        user["gid"],
        tuple(user.get("additionalGids", ())),
        tuple(caps.get("bounding", ())),
        tuple(caps.get("effective", ())),
        tuple(caps.get("permitted", ())),
        tuple(caps.get("inheritable", ())),
        tuple(caps.get("ambient", ())),
        process.get("noNewPrivileges", False),
        bool(linux.get("seccomp")),
        seccomp_profile,
        process.get("apparmorProfile", ""),
        process.get("selinuxLabel", ""),
        spec.get("root", {}).get("readonly", False),
        tuple(linux.get("maskedPaths", ())),
        tuple(linux.get("readonlyPaths", ())),
        privileged,
    )
    try:
        hit = _MEMO.get(key)
    except TypeError:  # a hand-edited spec holding unhashable values
        return summarise_process(spec, seccomp_profile=seccomp_profile, privileged=privileged)
    if hit is None:
        hit = summarise_process(spec, seccomp_profile=seccomp_profile, privileged=privileged)
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[key] = hit
    return hit


def summarise_process(
    spec: dict[str, Any], *, seccomp_profile: str, privileged: bool
) -> EffectiveProcess:
    """``effective_process`` without the memo (reads only what its key holds)."""
    process = spec["process"]
    user = process["user"]
    caps = process.get("capabilities", {})
    known_names: list[str] = []
    for key in ("bounding", "effective", "permitted", "inheritable", "ambient"):
        known_names.extend(caps.get(key, ()))
    unknown = tuple(dict.fromkeys(unknown_capabilities(known_names)))
    bnd = names_to_mask(caps.get("bounding", ()))
    prm = names_to_mask(caps.get("permitted", ()))
    inh = names_to_mask(caps.get("inheritable", ()))
    amb = names_to_mask(caps.get("ambient", ())) & prm & inh
    nnp = bool(process.get("noNewPrivileges", False))
    uid = int(user["uid"])
    if uid == 0:
        new_prm = bnd | inh
        if nnp:
            new_prm &= prm
        new_eff = new_prm
        new_amb = 0
    else:
        new_prm = amb
        new_eff = amb
        new_amb = amb
    seccomp_mode = (
        SECCOMP_MODE_FILTER if spec.get("linux", {}).get("seccomp") else SECCOMP_MODE_DISABLED
    )
    root = spec.get("root", {})
    linux = spec.get("linux", {})
    return EffectiveProcess(
        uid=uid,
        gid=int(user["gid"]),
        groups=tuple(sorted(set(user.get("additionalGids", ())))),
        cap_inh=CapabilitySet(inh),
        cap_prm=CapabilitySet(new_prm),
        cap_eff=CapabilitySet(new_eff),
        cap_bnd=CapabilitySet(bnd),
        cap_amb=CapabilitySet(new_amb),
        no_new_privs=nnp,
        seccomp_mode=seccomp_mode,
        seccomp_profile=seccomp_profile if seccomp_mode else "unconfined",
        apparmor_profile=process.get("apparmorProfile", ""),
        selinux_label=process.get("selinuxLabel", ""),
        readonly_rootfs=bool(root.get("readonly", False)),
        masked_paths=tuple(linux.get("maskedPaths", ())),
        readonly_paths=tuple(linux.get("readonlyPaths", ())),
        privileged=privileged,
        unknown_capabilities=unknown,
    )


def resources_line(spec: dict[str, Any]) -> str:
    """``cpu shares 256, quota 50000/100000; memory 67108864 (swap 67108864);
    oom_score_adj 998``: what the container's cgroup and first process get."""
    resources = spec.get("linux", {}).get("resources", {})
    cpu = resources.get("cpu", {})
    memory = resources.get("memory", {})
    parts = [f"cpu shares {cpu.get('shares', 'default')}"]
    if "quota" in cpu:
        parts[0] += f", quota {cpu['quota']}/{cpu.get('period', 'default')}"
    else:
        parts[0] += ", no quota"
    if "limit" in memory:
        swap = f" (swap {memory['swap']})" if "swap" in memory else ""
        parts.append(f"memory {memory['limit']}{swap}")
    else:
        parts.append("memory unlimited")
    adj = spec.get("process", {}).get("oomScoreAdj")
    parts.append(f"oom_score_adj {adj if adj is not None else 'inherited'}")
    return "; ".join(parts)
