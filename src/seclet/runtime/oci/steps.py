"""Named spec steps, in containerd's order: each writes decided values into the spec.

Role: one small function per containerd spec opt (``buildLinuxSpec``, then
``platformSpecOpts``/``containerSpecOpts``), each ``(spec, plan) -> None`` mutating
the fresh spec dict the builder owns. ``STEPS`` is the order; ``with_privileged``
overrides capabilities, masked/readonly paths, sysfs/cgroup mounts, labels and
seccomp for privileged containers and nothing after it undoes that; the seccomp
step comes after every capability change because RuntimeDefault depends on the
final Bounding set. No I/O: host devices for privileged containers are a decision
(``plan``/builder flag) the shell fills in.
Cost: steps run for every container (tens of thousands per second), so each one
returns early when the plan says it does not apply, and derived tables (capability
arithmetic, sorted gid lists, the seccomp profile) are memoised on frozen values.
Callers: seclet.runtime.oci.builder.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from seclet.api import models
from seclet.api.expansion import expand
from seclet.runtime.oci.base import DEFAULT_PATH_ENV
from seclet.runtime.oci.expansion import container_env
from seclet.runtime.oci.plan import CONTAINERD_NAMESPACE, SpecError, SpecPlan
from seclet.securitycontext.capabilities import CapabilitySets, apply_cri_capabilities
from seclet.securitycontext.namespaces import CONTAINER, NODE, POD, USERNS_LENGTH
from seclet.securitycontext.seccomp import (
    LOCALHOST,
    RUNTIME_DEFAULT,
    SeccompError,
    parse_localhost_profile,
    shared_runtime_default_profile,
)
from seclet.securitycontext.users import merge_gids

Spec = dict[str, Any]
Step = Callable[[Spec, SpecPlan], None]


def replace_or_append_env(defaults: Sequence[str], overrides: Sequence[str]) -> list[str]:
    """containerd ``replaceOrAppendEnvValues``: KEY=V replaces in place or appends;
    a bare KEY removes it."""
    results = list(defaults)
    cache = {e.partition("=")[0]: i for i, e in enumerate(results)}
    removed = "" in cache  # an empty entry (key "") may be in defaults: filter then
    for value in overrides:
        k, sep, _ = value.partition("=")
        if not sep:
            if k in cache:
                results[cache[k]] = ""
                removed = True
            continue
        i = cache.get(k)
        if i is None:
            cache[k] = len(results)
            results.append(value)
        else:
            results[i] = value
    return [r for r in results if r != ""] if removed else results


def _with_env(spec: Spec, env: Sequence[str]) -> None:
    if env:
        p = spec["process"]
        p["env"] = replace_or_append_env(p.get("env", ()), env)


def _with_env_var(spec: Spec, value: str) -> None:
    """``_with_env(spec, (value,))`` for one ``KEY=V`` (the common case, in place).

    With no bare-KEY removal and no empty entry nothing is filtered, so this is:
    replace the last entry named KEY, else append.
    """
    p = spec["process"]
    env = p.get("env")
    eq = value.find("=")
    if eq < 0:
        _with_env(spec, (value,))
    elif not env:
        p["env"] = [value]
    elif "" in env:
        _with_env(spec, (value,))
    else:
        key = value[:eq]
        prefix = value[: eq + 1]
        for i in range(len(env) - 1, -1, -1):  # the last entry named KEY ("KEY=..." or "KEY")
            e = env[i]
            if e.startswith(prefix) or e == key:
                env[i] = value
                return
        env.append(value)


# --- buildLinuxSpec ------------------------------------------------------------------


def without_run_mount(spec: Spec, plan: SpecPlan) -> None:
    """``oci.WithoutRunMount``: CRI containers get no /run tmpfs."""
    spec["mounts"] = [m for m in spec["mounts"] if m["destination"] != "/run"]


def without_default_security_settings(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithoutDefaultSecuritySettings``: no AppArmor, seccomp or rlimits."""
    process = spec["process"]
    process.pop("apparmorProfile", None)
    spec["linux"].pop("seccomp", None)
    process.pop("rlimits", None)


def with_relative_root(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithRelativeRoot``."""
    spec["root"]["path"] = plan.inputs.runtime.rootfs


def with_process_args(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithProcessArgs`` on the kubelet's expanded command and args (CRI's
    when the kubelet sent them, else expanded here from the pod)."""
    c, image, rt = plan.inputs.container, plan.inputs.image, plan.inputs.runtime
    if rt.cri_command is not None:
        command = list(rt.cri_command)
        args = list(rt.cri_args)
    elif "$" in "".join(c.command) or "$" in "".join(c.args):
        env = dict(container_env(c, plan.inputs.runtime.extra_env))
        command = [expand(a, env) for a in c.command]
        args = [expand(a, env) for a in c.args]
    else:  # nothing to expand: ``expand`` would return every string unchanged
        command = list(c.command)
        args = list(c.args)
    if not command:
        if not args:
            args = list(image.cmd)
        if image.entrypoint is not None and image.entrypoint != ("",):
            command = list(image.entrypoint)
    if not command and not args:
        raise SpecError("no command specified")
    spec["process"]["args"] = command + args


def with_default_path_env(spec: Spec, plan: SpecPlan) -> None:
    """``oci.WithDefaultPathEnv``."""
    _with_env_var(spec, DEFAULT_PATH_ENV)


def with_new_privileges(spec: Spec, plan: SpecPlan) -> None:
    """``oci.WithNewPrivileges``: NNP off; set again from the security context later."""
    spec["process"]["noNewPrivileges"] = False


def with_process_cwd(spec: Spec, plan: SpecPlan) -> None:
    """workingDir, else the image WorkingDir, else the default ``/``."""
    cwd = plan.inputs.container.workingDir or plan.inputs.image.working_dir
    if cwd:
        spec["process"]["cwd"] = cwd


def with_tty(spec: Spec, plan: SpecPlan) -> None:
    """``oci.WithTTY`` (also sets TERM=xterm)."""
    if plan.inputs.container.tty:
        spec["process"]["terminal"] = True
        _with_env_var(spec, "TERM=xterm")


def with_hostname_env(spec: Spec, plan: SpecPlan) -> None:
    """``HOSTNAME`` from the sandbox hostname (node hostname for hostNetwork)."""
    _with_env_var(spec, "HOSTNAME=" + plan.hostname)


def with_env(spec: Spec, plan: SpecPlan) -> None:
    """Image env first, then the container's (later wins, in place): CRI's envs when
    the kubelet sent them, else computed here from the pod."""
    inputs = plan.inputs
    env: Sequence[str] = inputs.image.env
    if inputs.runtime.cri_envs is not None:
        env = [*env, *(f"{k}={v}" for k, v in inputs.runtime.cri_envs)]
    elif inputs.container.env or inputs.runtime.extra_env:
        pairs = container_env(inputs.container, inputs.runtime.extra_env)
        env = [*env, *(f"{k}={v}" for k, v in pairs)]
    if len(env) == 1:
        _with_env_var(spec, env[0])
    else:
        _with_env(spec, env)


def with_cgroup_namespace(spec: Spec, plan: SpecPlan) -> None:
    """cgroupns only on a pure cgroup v2 host and only for unprivileged containers."""
    if plan.inputs.node.unified_cgroups and not plan.cri.privileged:
        _set_namespace(spec, "cgroup", None)


_PROPAGATION = {
    "PROPAGATION_PRIVATE": "rprivate",
    "PROPAGATION_HOST_TO_CONTAINER": "rslave",
    "PROPAGATION_BIDIRECTIONAL": "rshared",
}


def with_mounts(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithMounts``: cgroup mount, defaults not shadowed, then CRI binds
    sorted by depth (stable)."""
    cgroup_mount = {
        "destination": "/sys/fs/cgroup",
        "type": "cgroup",
        "source": "cgroup",
        "options": ["nosuid", "noexec", "nodev", "relatime", "ro"],
    }
    cri_mounts = plan.inputs.runtime.mounts
    if not cri_mounts:
        spec["mounts"].append(cgroup_mount)
        return
    mounts = sorted(
        cri_mounts,
        key=lambda m: posixpath.normpath(m.container_path).count("/"),
    )
    current = [*spec["mounts"], cgroup_mount]
    supplied = {posixpath.normpath(m.container_path) for m in mounts}
    out = []
    for m in current:
        dst = posixpath.normpath(m["destination"])
        if dst in supplied or ("/dev" in supplied and dst.startswith("/dev/")):
            continue
        out.append(m)
    linux = spec["linux"]
    for m in mounts:
        options = ["rbind", _PROPAGATION.get(m.propagation, "rprivate")]
        if m.propagation == "PROPAGATION_BIDIRECTIONAL":
            linux["rootfsPropagation"] = "rshared"
        elif m.propagation == "PROPAGATION_HOST_TO_CONTAINER" and linux.get(
            "rootfsPropagation"
        ) not in ("rshared", "rslave"):
            linux["rootfsPropagation"] = "rslave"
        if m.readonly:
            if m.recursive_readonly:
                if m.propagation != "PROPAGATION_PRIVATE":
                    raise SpecError(
                        "recursive read-only mount needs private propagation, got "
                        f'"{m.propagation}" (hostPath="{m.host_path}")'
                    )
                options.append("rro")
            else:
                options.append("ro")
        else:
            if m.recursive_readonly:
                raise SpecError(
                    f'recursive read-only mount conflicts with RW mount (hostPath="{m.host_path}")'
                )
            options.append("rw")
        out.append(
            {
                "destination": m.container_path,
                "type": "bind",
                "source": m.host_path,
                "options": options,
            }
        )
    spec["mounts"] = out


def with_masked_and_readonly_paths(spec: Spec, plan: SpecPlan) -> None:
    """Clear containerd's defaults, then apply the kubelet's lists (procMount)."""
    spec["linux"]["maskedPaths"] = list(plan.cri.masked_paths)
    spec["linux"]["readonlyPaths"] = list(plan.cri.readonly_paths)


def _caps_of(spec: Spec) -> CapabilitySets:
    c = spec["process"].get("capabilities", {})
    return CapabilitySets(
        tuple(c.get("bounding", ())),
        tuple(c.get("effective", ())),
        tuple(c.get("permitted", ())),
        tuple(c.get("inheritable", ())),
        tuple(c.get("ambient", ())),
    )


@lru_cache(maxsize=512)
def _cri_capabilities(
    current: tuple[tuple[str, ...], ...],
    add: tuple[str, ...],
    drop: tuple[str, ...],
    all_caps: tuple[str, ...],
) -> CapabilitySets:
    """``apply_cri_capabilities`` memoised on plain tuples (manifests repeat a few
    add/drop lists; the current sets are containerd's defaults)."""
    return apply_cri_capabilities(CapabilitySets(*current), add, drop, all_caps)


def _set_caps(spec: Spec, sets: CapabilitySets) -> None:
    spec["process"]["capabilities"] = {
        "bounding": list(sets.bounding),
        "effective": list(sets.effective),
        "permitted": list(sets.permitted),
        "inheritable": list(sets.inheritable),
        "ambient": list(sets.ambient),
    }


def with_capabilities(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithCapabilities`` (only when the CRI message is non-nil)."""
    caps = plan.cri.capabilities
    if caps is None:
        return
    c = spec["process"].get("capabilities", {})
    current = (
        tuple(c.get("bounding", ())),
        tuple(c.get("effective", ())),
        tuple(c.get("permitted", ())),
        tuple(c.get("inheritable", ())),
        tuple(c.get("ambient", ())),
    )
    all_caps = plan.inputs.node.grantable_capabilities
    _set_caps(spec, _cri_capabilities(current, caps.add, caps.drop, all_caps))


def with_privileged(spec: Spec, plan: SpecPlan) -> None:
    """``oci.WithPrivileged`` (+ host devices decision, all devices allowed).

    Every capability the node can grant, no masked or read-only paths, writable
    sysfs and cgroupfs, no SELinux label, no AppArmor, no seccomp.
    """
    if not plan.cri.privileged:
        return
    caps = plan.inputs.node.grantable_capabilities
    current = _caps_of(spec)
    inheritable = tuple(c for c in current.inheritable if c in caps) if caps else ()
    _set_caps(spec, CapabilitySets(caps, caps, caps, inheritable, current.ambient))
    linux = spec["linux"]
    linux.pop("maskedPaths", None)
    linux.pop("readonlyPaths", None)
    for m in spec["mounts"]:
        if m.get("type") in ("sysfs", "cgroup"):
            m["options"] = ["rw" if o == "ro" else o for o in m.get("options", ())]
    spec["process"].pop("selinuxLabel", None)
    spec["process"].pop("apparmorProfile", None)
    linux.pop("seccomp", None)
    if not plan.inputs.runtime.privileged_without_host_devices:
        linux["resources"]["devices"] = [{"allow": True, "access": "rwm"}]


def without_ambient_caps(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithoutAmbientCaps``: every container, privileged included."""
    spec["process"].setdefault("capabilities", {})["ambient"] = []


def with_selinux_labels(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithSelinuxLabels`` (re-applied after privileged, as containerd does)."""
    spec["linux"]["mountLabel"] = plan.selinux.mount
    spec["process"]["selinuxLabel"] = plan.selinux.process


def with_no_new_privileges(spec: Spec, plan: SpecPlan) -> None:
    """``oci.WithNoNewPrivileges`` iff CRI ``no_new_privs`` (allowPrivilegeEscalation: false)."""
    if plan.cri.no_new_privs:
        spec["process"]["noNewPrivileges"] = True


def with_rootfs_readonly(spec: Spec, plan: SpecPlan) -> None:
    """``oci.WithRootFSReadonly`` for readOnlyRootFilesystem."""
    if plan.cri.readonly_rootfs:
        spec["root"]["readonly"] = True


def with_resources(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithResources`` on the kubelet's CRI resources: cpu period, quota
    and shares when non-zero, the memory limit, swap pinned to the limit when the
    node accounts swap (or the kubelet's swap limit), ``unified`` copied. ``cpu``
    and ``memory`` exist even when empty, as containerd allocates both. Huge page
    limits are not written: containerd's ``disable_hugetlb_controller`` defaults to
    true."""
    r = plan.resources
    resources = spec["linux"]["resources"]
    cpu = resources.setdefault("cpu", {})
    memory = resources.setdefault("memory", {})
    if r.cpu_period:
        cpu["period"] = r.cpu_period
    if r.cpu_quota:
        cpu["quota"] = r.cpu_quota
    if r.cpu_shares:
        cpu["shares"] = r.cpu_shares
    swap_accounted = plan.inputs.node.swap_controller
    if r.memory_limit_in_bytes:
        memory["limit"] = r.memory_limit_in_bytes
        if r.memory_swap_limit_in_bytes == 0 and swap_accounted:
            memory["swap"] = r.memory_limit_in_bytes
    if r.memory_swap_limit_in_bytes and swap_accounted:
        memory["swap"] = r.memory_swap_limit_in_bytes
    if r.unified:
        resources.setdefault("unified", {}).update(r.unified)


def cgroups_path(parent: str, container_id: str) -> str:
    """containerd ``getCgroupsPath``: a systemd slice parent gives
    ``<slice>:cri-containerd:<id>``, a cgroupfs one ``<parent>/<id>`` (cleaned)."""
    base = posixpath.basename(parent.rstrip("/")) if parent.strip("/") else "/"
    if base.endswith(".slice"):
        return f"{base}:cri-containerd:{container_id}"
    joined = posixpath.normpath(posixpath.join(parent, container_id))
    return "/" + joined.lstrip("/") if joined.startswith("//") else joined  # Go's Clean


def with_cgroups_path(spec: Spec, plan: SpecPlan) -> None:
    """``oci.WithCgroup`` when the sandbox has a cgroup parent (the kubelet's pod
    cgroup); else containerd's default ``/k8s.io/<id>`` stays."""
    parent = plan.inputs.runtime.cgroup_parent
    if parent:
        spec["linux"]["cgroupsPath"] = cgroups_path(parent, plan.container_id)
    else:
        spec["linux"]["cgroupsPath"] = "/" + CONTAINERD_NAMESPACE + "/" + plan.container_id


def with_oom_score_adj(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithOOMScoreAdj``: the kubelet's oom_score_adj, raised to the
    node's floor as ``restrict_oom_score_adj`` does (``NodeFacts.oom_score_adj_floor``:
    without CAP_SYS_RESOURCE runc could not set a lower value)."""
    adj = plan.resources.oom_score_adj
    floor = plan.inputs.node.oom_score_adj_floor
    if floor is not None and adj < floor:
        adj = floor
    spec["process"]["oomScoreAdj"] = adj


def with_sys_bind_for_host_network_userns(spec: Spec, plan: SpecPlan) -> None:
    """hostNetwork + user namespace: /sys is an ``rro`` bind of the host's /sys."""
    ns = plan.cri.namespace_options
    if ns.network == NODE and ns.userns == POD:
        spec["mounts"] = [m for m in spec["mounts"] if m["destination"] != "/sys"]
        spec["mounts"].append(
            {
                "destination": "/sys",
                "type": "bind",
                "source": "/sys",
                "options": ["rbind", "rro", "nosuid", "nodev", "noexec"],
            }
        )


def _set_namespace(spec: Spec, ns_type: str, path: str | None) -> None:
    """``oci.WithLinuxNamespace``: replace the entry of that type, or append it."""
    entry: dict[str, str] = {"type": ns_type}
    if path:
        entry["path"] = path
    nss = spec["linux"]["namespaces"]
    for i, ns in enumerate(nss):
        if ns["type"] == ns_type:
            nss[i] = entry
            return
    nss.append(entry)


def _remove_namespace(spec: Spec, ns_type: str) -> None:
    spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] != ns_type]


def with_pod_namespaces(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithPodNamespaces``: join the sandbox's net/ipc/uts (and pid for
    POD/NODE), user namespace + mappings for ``hostUsers: false``.

    Without a sandbox process (``sandbox_pid`` None) pod-level namespaces stay fresh
    and host-level ones are removed, which is what joining a host-namespace pause
    process amounts to.
    """
    ns = plan.cri.namespace_options
    pid = plan.inputs.runtime.sandbox_pid
    if pid is not None:
        for ns_type in ("network", "ipc", "uts"):
            _set_namespace(spec, ns_type, f"/proc/{pid}/ns/{_NS_FILE[ns_type]}")
    else:
        if ns.network == NODE:
            _remove_namespace(spec, "network")
        if ns.ipc == NODE:
            _remove_namespace(spec, "ipc")
        if ns.network == NODE:
            _remove_namespace(spec, "uts")
    if ns.pid != CONTAINER:
        if pid is not None:
            _set_namespace(spec, "pid", f"/proc/{pid}/ns/pid")
        elif ns.pid == NODE:
            _remove_namespace(spec, "pid")
    if ns.userns == POD:
        if not plan.inputs.node.user_namespaces:
            raise SpecError("user namespaces are not supported by this node")
        _set_namespace(spec, "user", f"/proc/{pid}/ns/user" if pid is not None else None)
        mapping = [
            {"containerID": 0, "hostID": plan.inputs.runtime.userns_host_id, "size": USERNS_LENGTH}
        ]
        spec["linux"]["uidMappings"] = mapping
        spec["linux"]["gidMappings"] = [dict(m) for m in mapping]


_NS_FILE = {"network": "net", "ipc": "ipc", "uts": "uts"}


def with_hostname(spec: Spec, plan: SpecPlan) -> None:
    """A container that owns a fresh UTS namespace (no sandbox) gets the pod hostname."""
    for ns in spec["linux"]["namespaces"]:
        if ns["type"] == "uts" and "path" not in ns:
            spec["hostname"] = plan.hostname
            return


@lru_cache(maxsize=256)
def _sandbox_gids(groups: tuple[int, ...]) -> tuple[int, ...]:
    return merge_gids((), (g & 0xFFFFFFFF for g in groups))


def with_sandbox_supplemental_groups(spec: Spec, plan: SpecPlan) -> None:
    """``customopts.WithSupplementalGroups`` in buildLinuxSpec (before the user is set)."""
    user = spec["process"]["user"]
    groups = plan.cri.supplemental_groups
    current = user.get("additionalGids")
    if not current:
        user["additionalGids"] = list(_sandbox_gids(groups)) if groups else []
        return
    user["additionalGids"] = list(merge_gids(current, (g & 0xFFFFFFFF for g in groups)))


def with_cri_annotations(spec: Spec, plan: SpecPlan) -> None:
    """``annotations.DefaultCRIAnnotations`` for an application container."""
    md = plan.inputs.pod.metadata or models.ObjectMeta()
    rt = plan.inputs.runtime
    spec["annotations"] = {
        "io.kubernetes.cri.container-type": "container",
        "io.kubernetes.cri.sandbox-id": rt.sandbox_id,
        "io.kubernetes.cri.container-name": plan.inputs.container.name or "",
        "io.kubernetes.cri.image-name": rt.image_name or plan.inputs.container.image or "",
        "io.kubernetes.cri.sandbox-name": md.name or "",
        "io.kubernetes.cri.sandbox-namespace": md.namespace or "",
        "io.kubernetes.cri.sandbox-uid": md.uid or "",
    }


# --- platformSpecOpts / containerSpecOpts ----------------------------------------------


def with_user(spec: Spec, plan: SpecPlan) -> None:
    """``oci.WithUser`` + ``WithAdditionalGIDs`` (Merge) + ``WithSupplementalGroups``:
    the uid, gid and sorted additional gids resolved in the plan."""
    u = plan.user
    spec["process"]["user"] = {
        "uid": u.uid,
        "gid": u.gid,
        "additionalGids": list(u.additional_gids),
    }


def with_apparmor(spec: Spec, plan: SpecPlan) -> None:
    """``apparmor.WithProfile`` / ``WithDefaultProfile`` (nothing when "")."""
    if plan.apparmor_profile:
        spec["process"]["apparmorProfile"] = plan.apparmor_profile


def with_seccomp(spec: Spec, plan: SpecPlan) -> None:
    """RuntimeDefault from the final Bounding set, or the Localhost file's OCI fields."""
    decision = plan.seccomp
    if decision.kind == RUNTIME_DEFAULT:
        # Shared read-only value (see seclet.securitycontext.readonly): the same
        # profile object goes into every spec with this arch, kernel and Bounding set.
        bounding = tuple(spec["process"].get("capabilities", {}).get("bounding", ()))
        node = plan.inputs.node
        spec["linux"]["seccomp"] = shared_runtime_default_profile(
            node.arch, node.kernel_version, bounding
        )
    elif decision.kind == LOCALHOST:
        text = plan.inputs.runtime.localhost_seccomp_profiles.get(decision.path)
        try:
            spec["linux"]["seccomp"] = parse_localhost_profile(decision.path, text)
        except SeccompError as e:
            raise SpecError(str(e)) from e


def with_rlimits_within_node(spec: Spec, plan: SpecPlan) -> None:
    """Never ask runc for an rlimit above the node's hard limit (``setrlimit`` EPERM).

    containerd already cleared the default RLIMIT_NOFILE; this guards any rlimit a
    future step or base spec adds by clamping soft and hard to the node's hard limit.
    """
    rlimits = spec["process"].get("rlimits")
    if not rlimits:
        return
    node = plan.inputs.node
    for r in rlimits:
        hard = node.rlimit_hard(r["type"])
        if hard is not None:
            r["hard"] = min(r["hard"], hard)
            r["soft"] = min(r["soft"], r["hard"])


STEPS: tuple[tuple[str, Step], ...] = (
    ("without_run_mount", without_run_mount),
    ("without_default_security_settings", without_default_security_settings),
    ("with_relative_root", with_relative_root),
    ("with_process_args", with_process_args),
    ("with_default_path_env", with_default_path_env),
    ("with_new_privileges", with_new_privileges),
    ("with_process_cwd", with_process_cwd),
    ("with_tty", with_tty),
    ("with_hostname_env", with_hostname_env),
    ("with_env", with_env),
    ("with_cgroup_namespace", with_cgroup_namespace),
    ("with_mounts", with_mounts),
    ("with_masked_and_readonly_paths", with_masked_and_readonly_paths),
    ("with_capabilities", with_capabilities),
    ("with_privileged", with_privileged),
    ("without_ambient_caps", without_ambient_caps),
    ("with_selinux_labels", with_selinux_labels),
    ("with_no_new_privileges", with_no_new_privileges),
    ("with_rootfs_readonly", with_rootfs_readonly),
    ("with_resources", with_resources),
    ("with_cgroups_path", with_cgroups_path),
    ("with_sys_bind_for_host_network_userns", with_sys_bind_for_host_network_userns),
    ("with_oom_score_adj", with_oom_score_adj),
    ("with_pod_namespaces", with_pod_namespaces),
    ("with_hostname", with_hostname),
    ("with_sandbox_supplemental_groups", with_sandbox_supplemental_groups),
    ("with_cri_annotations", with_cri_annotations),
    ("with_user", with_user),
    ("with_apparmor", with_apparmor),
    ("with_seccomp", with_seccomp),
    ("with_rlimits_within_node", with_rlimits_within_node),
)
"""containerd's order: buildLinuxSpec opts, then platformSpecOpts (user, groups,
AppArmor, seccomp), then seclet's rlimit guard."""

FOLDED_STEPS: frozenset[str] = frozenset(
    {
        "without_run_mount",
        "without_default_security_settings",
        "with_default_path_env",
        "with_new_privileges",
    }
)
"""Steps that read nothing from the plan and run on containerd's default spec as it
is: ``base.cri_container_base_spec`` is their result (tested), so the builder
starts there and runs ``BUILD_STEPS``."""

BUILD_STEPS: tuple[Step, ...] = tuple(step for name, step in STEPS if name not in FOLDED_STEPS)
"""``STEPS`` after ``base.cri_container_base_spec``, in the same order."""
