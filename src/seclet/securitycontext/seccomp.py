"""Which seccomp profile a container gets, and the profile itself.

Role: kubelet ``helpers.go`` ``getSeccompProfile``/``fieldSeccompProfile`` (container
field, then pod field, then RuntimeDefault if ``--seccomp-default`` else Unconfined;
Localhost -> ``<root-dir>/seccomp/<localhostProfile>``), plus containerd
``sputil.GenerateSeccompSpecOpts`` (privileged -> none; seccomp unsupported on the
node -> error unless Unconfined; RuntimeDefault -> the generated default profile;
Localhost -> the file's JSON read into the OCI struct, Docker-format keys dropped).
The Localhost path decision is pure and refuses any profile that would leave the
seccomp root (absolute, ``..``); following symlinks is for the I/O shell.
Callers: seclet.securitycontext.linux_context, seclet.runtime.oci.steps.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Any

from seclet.api import models
from seclet.api.record import hot_dataclass
from seclet.securitycontext.seccomp_default import default_profile, shared_default_profile

RUNTIME_DEFAULT = "RuntimeDefault"
UNCONFINED = "Unconfined"
LOCALHOST = "Localhost"

SECCOMP_MODE_DISABLED = 0
SECCOMP_MODE_FILTER = 2


class SeccompError(ValueError):
    """The profile cannot be applied; container creation fails with this message."""


@dataclass(frozen=True, slots=True)
class SecurityProfile:
    """CRI ``SecurityProfile``: type plus, for Localhost, the absolute host path."""

    profile_type: str
    localhost_ref: str = ""


def check_localhost_profile(root: str, profile: str) -> str:
    """The absolute path of a Localhost profile under ``root``, or SeccompError.

    kubelet joins ``root`` and the profile with ``filepath.Join`` (which cleans ``..``);
    the apiserver already rejects absolute and ``..`` paths, and this check refuses
    them again so a decoded-but-unvalidated pod can never name a file outside root.
    """
    if profile == "":
        raise SeccompError("localhostProfile must be set if seccompProfile type is Localhost.")
    if "\x00" in profile:
        raise SeccompError(f"localhostProfile {profile!r}: must not contain NUL")
    if profile.startswith("/"):
        raise SeccompError(f'localhostProfile "{profile}": must be a relative path')
    if ".." in profile.split("/"):
        raise SeccompError(f"localhostProfile \"{profile}\": must not contain '..'")
    root_clean = posixpath.normpath(root)
    path = posixpath.normpath(posixpath.join(root_clean, profile))
    if path == root_clean or not path.startswith(root_clean.rstrip("/") + "/"):
        raise SeccompError(f'localhostProfile "{profile}" escapes the seccomp root {root_clean}')
    return path


_PROFILE_RUNTIME_DEFAULT = SecurityProfile(RUNTIME_DEFAULT)
_PROFILE_UNCONFINED = SecurityProfile(UNCONFINED)


def _field_profile(sp: models.SeccompProfile | None, root: str) -> SecurityProfile | None:
    if sp is None:
        return None
    if sp.type == RUNTIME_DEFAULT:
        return _PROFILE_RUNTIME_DEFAULT
    if sp.type == LOCALHOST:
        if not sp.localhostProfile:
            raise SeccompError("localhostProfile must be set if seccompProfile type is Localhost.")
        return SecurityProfile(LOCALHOST, check_localhost_profile(root, sp.localhostProfile))
    return _PROFILE_UNCONFINED


def kubelet_seccomp_profile(
    pod: models.Pod,
    container: models.Container,
    *,
    seccomp_root: str,
    seccomp_default: bool = False,
) -> SecurityProfile:
    """kubelet ``getSeccompProfile``: what the CRI ``seccomp`` field carries."""
    csc = container.securityContext
    if csc is not None and csc.seccompProfile is not None:
        got = _field_profile(csc.seccompProfile, seccomp_root)
        assert got is not None
        return got
    psc = pod.spec.securityContext if pod.spec is not None else None
    if psc is not None and psc.seccompProfile is not None:
        got = _field_profile(psc.seccompProfile, seccomp_root)
        assert got is not None
        return got
    return _PROFILE_RUNTIME_DEFAULT if seccomp_default else _PROFILE_UNCONFINED


@hot_dataclass(frozen=True, slots=True)
class SeccompDecision:
    """What the runtime does: no filter, the default profile, or a Localhost file."""

    kind: str
    """``none``, ``RuntimeDefault`` or ``Localhost``."""
    path: str = ""
    reason: str = ""


_DECISION_PRIVILEGED = SeccompDecision("none", reason="privileged")
_DECISION_UNAVAILABLE = SeccompDecision("none", reason="seccomp unavailable")
_DECISION_RUNTIME_DEFAULT = SeccompDecision(RUNTIME_DEFAULT)
_DECISION_UNCONFINED = SeccompDecision("none", reason="Unconfined")


def runtime_seccomp_decision(
    profile: SecurityProfile, *, privileged: bool, seccomp_available: bool
) -> SeccompDecision:
    """containerd ``GenerateSeccompSpecOpts`` (frozen values, shared where constant)."""
    if privileged:
        return _DECISION_PRIVILEGED
    if not seccomp_available:
        if profile.profile_type != UNCONFINED:
            raise SeccompError("seccomp is not supported")
        return _DECISION_UNAVAILABLE
    if profile.profile_type != LOCALHOST and profile.localhost_ref:
        raise SeccompError(
            "seccomp config invalid LocalhostRef must only be set if ProfileType is Localhost"
        )
    if profile.profile_type == RUNTIME_DEFAULT:
        return _DECISION_RUNTIME_DEFAULT
    if profile.profile_type == LOCALHOST:
        return SeccompDecision(LOCALHOST, path=profile.localhost_ref.removeprefix("localhost/"))
    return _DECISION_UNCONFINED


def runtime_default_profile(
    machine: str, kernel: tuple[int, int], bounding: tuple[str, ...]
) -> dict[str, Any]:
    """containerd's RuntimeDefault for the final Bounding set (a fresh dict)."""
    return default_profile(machine, kernel, bounding)


def shared_runtime_default_profile(
    machine: str, kernel: tuple[int, int], bounding: tuple[str, ...]
) -> dict[str, Any]:
    """``runtime_default_profile`` as a cached read-only value shared by reference
    (``TypeError`` on any change; ``copy.deepcopy`` it to edit). Same JSON."""
    return shared_default_profile(machine, kernel, bounding)


_ARG_KEYS = ("index", "value", "valueTwo", "op")


def _oci_syscall(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SeccompError("decoding seccomp profile failed: syscall is not an object")
    out: dict[str, Any] = {"names": list(raw.get("names") or []), "action": raw.get("action", "")}
    if raw.get("errnoRet") is not None:
        out["errnoRet"] = raw["errnoRet"]
    args = []
    for a in raw.get("args") or []:
        if not isinstance(a, dict):
            raise SeccompError("decoding seccomp profile failed: arg is not an object")
        arg: dict[str, Any] = {"index": a.get("index", 0), "value": a.get("value", 0)}
        if a.get("valueTwo"):
            arg["valueTwo"] = a["valueTwo"]
        arg["op"] = a.get("op", "")
        args.append(arg)
    if args:
        out["args"] = args
    return out


def parse_localhost_profile(path: str, text: str | None) -> dict[str, Any]:
    """containerd ``seccomp.WithProfile``: JSON unmarshalled into ``specs.LinuxSeccomp``.

    Only OCI fields survive (defaultAction, defaultErrnoRet, architectures, flags,
    listenerPath, listenerMetadata, syscalls[].names/action/errnoRet/args); moby keys
    such as archMap/includes/excludes/comment are silently dropped. ``text`` None
    means the file could not be read.
    """
    if text is None:
        raise SeccompError(
            f'cannot load seccomp profile "{path}": open {path}: no such file or directory'
        )
    try:
        raw = json.loads(text)
    except ValueError as e:
        raise SeccompError(f"decoding seccomp profile failed: {e}") from None
    if not isinstance(raw, dict):
        raise SeccompError("decoding seccomp profile failed: not a JSON object")
    out: dict[str, Any] = {"defaultAction": raw.get("defaultAction", "")}
    if raw.get("defaultErrnoRet") is not None:
        out["defaultErrnoRet"] = raw["defaultErrnoRet"]
    for key in ("architectures", "flags"):
        if raw.get(key):
            out[key] = list(raw[key])
    for key in ("listenerPath", "listenerMetadata"):
        if raw.get(key):
            out[key] = raw[key]
    syscalls = [_oci_syscall(s) for s in raw.get("syscalls") or []]
    if syscalls:
        out["syscalls"] = syscalls
    return out
