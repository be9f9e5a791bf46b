"""``ValidatePodSpec``: the whole spec, in kube-apiserver's order (semantics §1.1).

Role: steps, each appending to one ordered list: terminationGracePeriodSeconds
required; volumes; containers; initContainers; ephemeralContainers; (pod-level
resources: ``containers.validate_pod_resources``); hostNetwork port rule; restartPolicy; dnsPolicy;
nodeSelector labels; pod securityContext; imagePullSecrets; affinity
(``affinity.validate_affinity``); dnsConfig; readinessGates; schedulingGates;
topologySpreadConstraints (basic); Windows HostProcess; hostUsers;
hostnameOverride (validatePodHostName); serviceAccountName; nodeName;
activeDeadlineSeconds; hostname; subdomain; tolerations; hostAliases;
priorityClassName; runtimeClassName; preemptionPolicy; overhead; spec.os
(validateOS, then validateLinux or validateWindows); workloadRef (not
reproduced); finally the volumes named by env ``fileKeyRef``
(validateFileKeyRefVolumes). Order: k/k validation.go ``ValidatePodSpec`` (1.35).
Not reproduced: resource claims — seclet pods rarely use them; they pass unchecked.
Callers: ``pod.validate_pod_create``, ``pod.validate_pod_template_spec``.
"""

from __future__ import annotations

import ipaddress
import re

from seclet.api import models
from seclet.api.field import (
    ErrorList,
    FieldError,
    JSONValue,
    Path,
    duplicate,
    forbidden,
    invalid,
    not_found,
    not_supported,
    required,
    too_long,
)
from seclet.validation.affinity import validate_affinity
from seclet.validation.containers import (
    validate_containers,
    validate_ephemeral_containers,
    validate_init_containers,
    validate_pod_resources,
    validate_resources,
)
from seclet.validation.hostusers import validate_host_users
from seclet.validation.names import (
    MAX_INT32,
    inclusive_range_error,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_dns1123_subdomain_with_underscore,
    is_label_value,
    is_qualified_name,
    name_is_dns_subdomain,
    qualified_name_errors,
)
from seclet.validation.objectmeta import validate_labels
from seclet.validation.options import PodValidationOptions
from seclet.validation.os_specific import validate_linux, validate_os, validate_windows
from seclet.validation.podsecuritycontext import validate_pod_security_context
from seclet.validation.volumes import validate_volumes
from seclet.validation.windows import container_lists, validate_windows_host_process_pod

_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_TOLERATION_OPS = ("Equal", "Exists")
# Lt/Gt while TaintTolerationComparisonOperators is off: upstream lists all four.
_TOLERATION_OPS_ALL = ("Equal", "Exists", "Lt", "Gt")
_WHEN_UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")
MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32
MAX_DNS_SEARCH_LIST_CHARS = 2048


def _is_valid_ip(path: Path, value: str) -> ErrorList:
    """``validation.IsValidIP`` (strict parsing: no leading zeros)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return ErrorList(
            [invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
        )
    return ErrorList()


def _enum_error(value: str, path: Path, valid: tuple[str, ...]) -> FieldError:
    """The error for a value outside ``valid``: Required when empty, else NotSupported."""
    if value == "":
        return required(path)
    return not_supported(path, JSONValue(value), valid)


_GO_INT_RE = re.compile(r"[+-]?[0-9]+")


def _comparison_value_errors(value: str, path: Path) -> ErrorList:
    """Lt/Gt values (gate on): ``content.IsDecimalInteger``, then ``strconv.ParseInt``."""
    errs = ErrorList()
    digits = value[1:] if value.startswith("-") else value
    if not value:
        errs.append(invalid(path, value, "must be non-empty"))
    elif value != "0" and (
        not digits or not digits.isascii() or not digits.isdigit() or digits[0] == "0"
    ):
        errs.append(invalid(path, value, "must be a valid decimal integer in canonical form"))
    if _GO_INT_RE.fullmatch(value) is None:
        errs.append(invalid(path, value, f'strconv.ParseInt: parsing "{value}": invalid syntax'))
    elif not -(2**63) <= int(value) < 2**63:
        errs.append(
            invalid(path, value, f'strconv.ParseInt: parsing "{value}": value out of range')
        )
    return errs


def validate_tolerations(
    tolerations: tuple[models.Toleration, ...], path: Path, allow_comparison: bool = False
) -> ErrorList:
    """``ValidateTolerations`` of the list at ``path``; a valid toleration builds no path."""
    errs = ErrorList()
    for i, t in enumerate(tolerations):
        if _toleration_ok(t):
            continue
        ipath = path.index(i)
        key = t.key or ""
        op = t.operator or ""
        effect = t.effect or ""
        value = t.value or ""
        if key:
            errs.extend(invalid(ipath.child("key"), key, m) for m in qualified_name_errors(key))
        if not key and op != "Exists":
            errs.append(
                invalid(
                    ipath.child("operator"),
                    JSONValue(op),
                    'operator must be Exists when `key` is empty, which means "match all values '
                    'and all keys"',
                )
            )
        if t.tolerationSeconds is not None and effect != "NoExecute":
            errs.append(
                invalid(
                    ipath.child("effect"),
                    JSONValue(effect),
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        if op in ("Equal", ""):
            msgs = is_label_value(value)
            if msgs:
                errs.append(invalid(ipath.child("operator"), value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                errs.append(
                    invalid(
                        ipath.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    )
                )
        elif op in ("Lt", "Gt") and not allow_comparison:
            errs.append(not_supported(ipath.child("operator"), JSONValue(op), _TOLERATION_OPS_ALL))
        elif op in ("Lt", "Gt"):
            errs.extend(_comparison_value_errors(value, ipath.child("value")))
        else:
            errs.append(not_supported(ipath.child("operator"), JSONValue(op), _TOLERATION_OPS))
        if effect and effect not in _TAINT_EFFECTS:
            errs.append(not_supported(ipath.child("effect"), JSONValue(effect), _TAINT_EFFECTS))
    return errs


def _toleration_ok(t: models.Toleration) -> bool:
    """No rule of ``validate_tolerations`` fires for ``t`` (so no path is built).

    Mirrors the rules of ``validate_tolerations`` one for one; keep the two in step."""
    key = t.key or ""
    op = t.operator or ""
    effect = t.effect or ""
    value = t.value or ""
    if key and qualified_name_errors(key):
        return False
    if not key and op != "Exists":
        return False
    if t.tolerationSeconds is not None and effect != "NoExecute":
        return False
    if op in ("Equal", ""):
        if is_label_value(value):
            return False
    elif op != "Exists" or value:
        return False
    return not effect or effect in _TAINT_EFFECTS


def _validate_dns_config(spec: models.PodSpec, path: Path, opts: PodValidationOptions) -> ErrorList:
    cfg = spec.dnsConfig
    if spec.dnsPolicy == "None":
        if cfg is None:
            return ErrorList([required(path, "must provide `dnsConfig` when `dnsPolicy` is None")])
        if not cfg.nameservers:
            return ErrorList(
                [
                    required(
                        path.child("nameservers"),
                        "must provide at least one DNS nameserver when `dnsPolicy` is None",
                    )
                ]
            )
    errs = ErrorList()
    if cfg is None:
        return errs
    if len(cfg.nameservers) > MAX_DNS_NAMESERVERS:
        errs.append(
            invalid(
                path.child("nameservers"),
                JSONValue(list(cfg.nameservers)),
                f"must not have more than {MAX_DNS_NAMESERVERS} nameservers",
            )
        )
    for i, ns in enumerate(cfg.nameservers):
        errs.extend(_is_valid_ip(path.child("nameservers").index(i), ns))
    if len(cfg.searches) > MAX_DNS_SEARCH_PATHS:
        errs.append(
            invalid(
                path.child("searches"),
                JSONValue(list(cfg.searches)),
                f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths",
            )
        )
    if len(" ".join(cfg.searches)) > MAX_DNS_SEARCH_LIST_CHARS:
        errs.append(
            invalid(
                path.child("searches"),
                JSONValue(list(cfg.searches)),
                f"must not have more than {MAX_DNS_SEARCH_LIST_CHARS} characters "
                "(including spaces) in the search list",
            )
        )
    for i, search in enumerate(cfg.searches):
        spath = path.child("searches").index(i)
        if opts.allow_relaxed_dns_search_validation:
            if search != ".":
                s = search.removesuffix(".")
                errs.extend(invalid(spath, s, m) for m in is_dns1123_subdomain_with_underscore(s))
        else:
            s = search.removesuffix(".")
            errs.extend(invalid(spath, s, m) for m in is_dns1123_subdomain(s))
    for i, option in enumerate(cfg.options):
        if not option.name:
            errs.append(required(path.child("options").index(i), "must not be empty"))
    return errs


def _validate_topology_spread(
    constraints: tuple[models.TopologySpreadConstraint, ...], path: Path
) -> ErrorList:
    errs = ErrorList()
    for i, c in enumerate(constraints):
        ipath = path.index(i)
        if (c.maxSkew or 0) <= 0:
            errs.append(
                invalid(ipath.child("maxSkew"), c.maxSkew or 0, "must be greater than zero")
            )
        if not c.topologyKey:
            errs.append(required(ipath.child("topologyKey"), "can not be empty"))
        wu = c.whenUnsatisfiable or ""
        if wu not in _WHEN_UNSATISFIABLE:
            errs.append(
                not_supported(ipath.child("whenUnsatisfiable"), JSONValue(wu), _WHEN_UNSATISFIABLE)
            )
        for other in constraints[i + 1 :]:
            if (
                other.topologyKey == c.topologyKey
                and other.whenUnsatisfiable == c.whenUnsatisfiable
            ):
                errs.append(
                    duplicate(
                        ipath.child("{topologyKey, whenUnsatisfiable}"),
                        f"{{{c.topologyKey or ''}, {wu}}}",
                    )
                )
                break
    return errs


def _name_errors(value: str, path: Path) -> ErrorList:
    return ErrorList(invalid(path, value, m) for m in name_is_dns_subdomain(value, False))


def validate_pod_spec(spec: models.PodSpec, path: Path, opts: PodValidationOptions) -> ErrorList:
    """``ValidatePodSpec``; steps as in the module docstring.

    A step whose field is unset (most are) is skipped before its path is built.
    """
    errs = ErrorList()
    if spec.terminationGracePeriodSeconds is None:
        errs.append(required(path.child("terminationGracePeriodSeconds")))
    grace = spec.terminationGracePeriodSeconds
    host_users = spec.hostUsers is None or spec.hostUsers
    restart = spec.restartPolicy or ""
    if spec.volumes:
        vols, verrs = validate_volumes(
            spec.volumes,
            path.child("volumes"),
            opts.resource_is_pod,
            opts.allow_non_local_projected_token_path,
        )
        errs.extend(verrs)
    else:
        vols = {}
    errs.extend(
        validate_containers(
            spec.containers, vols, grace, path.child("containers"), opts, restart, host_users
        )
    )
    if spec.initContainers:
        errs.extend(
            validate_init_containers(
                spec.initContainers,
                spec.containers,
                vols,
                grace,
                path.child("initContainers"),
                opts,
                restart,
                host_users,
            )
        )
    if spec.ephemeralContainers:
        errs.extend(
            validate_ephemeral_containers(
                spec.ephemeralContainers,
                spec.containers,
                spec.initContainers,
                vols,
                path.child("ephemeralContainers"),
                opts,
                restart,
                host_users,
            )
        )
    if opts.pod_level_resources_enabled and spec.resources is not None:
        errs.extend(validate_pod_resources(spec, path.child("resources"), opts))
    if spec.hostNetwork:
        for i, ctr in enumerate(spec.containers):
            for j, port in enumerate(ctr.ports):
                hp, cp = port.hostPort or 0, port.containerPort or 0
                if (opts.resource_is_pod or hp != 0) and hp != cp:
                    errs.append(
                        invalid(
                            path.child("containers")
                            .index(i)
                            .child("ports")
                            .index(j)
                            .child("hostPort"),
                            hp,
                            "must match `containerPort` when `hostNetwork` is true",
                        )
                    )
    if restart not in _RESTART_POLICIES:
        errs.append(_enum_error(restart, path.child("restartPolicy"), _RESTART_POLICIES))
    dns_policy = spec.dnsPolicy or ""
    if dns_policy not in _DNS_POLICIES:
        errs.append(_enum_error(dns_policy, path.child("dnsPolicy"), _DNS_POLICIES))
    if spec.nodeSelector:
        errs.extend(validate_labels(spec.nodeSelector, path.child("nodeSelector")))
    errs.extend(validate_pod_security_context(spec, path, opts))
    if spec.affinity is not None:
        errs.extend(validate_affinity(spec.affinity, opts, path.child("affinity")))
    if spec.dnsConfig is not None or dns_policy == "None":
        errs.extend(_validate_dns_config(spec, path.child("dnsConfig"), opts))
    for i, gate in enumerate(spec.readinessGates):
        ct = gate.conditionType or ""
        gpath = path.child("readinessGates").index(i).child("conditionType")
        errs.extend(invalid(gpath, ct, m) for m in is_qualified_name(ct))
    seen_gates: set[str] = set()
    for i, sg in enumerate(spec.schedulingGates):
        gname = sg.name or ""
        gpath = path.child("schedulingGates").index(i)
        errs.extend(invalid(gpath, gname, m) for m in is_qualified_name(gname))
        if gname in seen_gates:
            errs.append(duplicate(gpath, gname))
        seen_gates.add(gname)
    if spec.topologySpreadConstraints:
        errs.extend(
            _validate_topology_spread(
                spec.topologySpreadConstraints, path.child("topologySpreadConstraints")
            )
        )
    errs.extend(validate_windows_host_process_pod(spec, path, opts.allow_privileged))
    if spec.hostUsers is not None and not spec.hostUsers:
        errs.extend(validate_host_users(spec, path, opts))
    if spec.hostnameOverride is not None:
        errs.extend(_validate_pod_host_name(spec, path))
    if spec.serviceAccountName:
        errs.extend(_name_errors(spec.serviceAccountName, path.child("serviceAccountName")))
    if spec.nodeName:
        errs.extend(_name_errors(spec.nodeName, path.child("nodeName")))
    if spec.activeDeadlineSeconds is not None:
        ads = spec.activeDeadlineSeconds
        if ads < 1 or ads > MAX_INT32:
            errs.append(
                invalid(
                    path.child("activeDeadlineSeconds"), ads, inclusive_range_error(1, MAX_INT32)
                )
            )
    if spec.hostname:
        errs.extend(
            invalid(path.child("hostname"), spec.hostname, m)
            for m in is_dns1123_label(spec.hostname)
        )
    if spec.subdomain:
        errs.extend(
            invalid(path.child("subdomain"), spec.subdomain, m)
            for m in is_dns1123_label(spec.subdomain)
        )
    if spec.tolerations:
        errs.extend(
            validate_tolerations(
                spec.tolerations,
                path.child("tolerations"),
                opts.allow_taint_toleration_comparison_operators,
            )
        )
    for i, alias in enumerate(spec.hostAliases):
        apath = path.child("hostAliases").index(i)
        errs.extend(_is_valid_ip(apath.child("ip"), alias.ip or ""))
        for j, hostname in enumerate(alias.hostnames):
            errs.extend(
                invalid(apath.child("hostnames").index(j), hostname, m)
                for m in is_dns1123_subdomain(hostname)
            )
    if spec.priorityClassName:
        errs.extend(_name_errors(spec.priorityClassName, path.child("priorityClassName")))
    if spec.runtimeClassName is not None:
        errs.extend(_name_errors(spec.runtimeClassName, path.child("runtimeClassName")))
    if spec.preemptionPolicy is not None and spec.preemptionPolicy not in _PREEMPTION_POLICIES:
        errs.append(
            _enum_error(spec.preemptionPolicy, path.child("preemptionPolicy"), _PREEMPTION_POLICIES)
        )
    if spec.overhead:
        errs.extend(
            validate_resources(
                models.ResourceRequirements(limits=spec.overhead), path.child("overhead")
            )
        )
    if spec.os is not None:
        os_errs = validate_os(spec, path.child("os"))
        if os_errs:
            errs.extend(os_errs)
        elif spec.os.name == "linux":
            errs.extend(validate_linux(spec, path))
        elif spec.os.name == "windows":
            errs.extend(validate_windows(spec, path))
    errs.extend(_validate_file_key_ref_volumes(spec, path))
    return errs


def _validate_pod_host_name(spec: models.PodSpec, path: Path) -> ErrorList:
    """``validatePodHostName`` (HostnameOverride, on by default in 1.35)."""
    errs = ErrorList()
    value = spec.hostnameOverride or ""
    hpath = path.child("hostnameOverride")
    if spec.setHostnameAsFQDN:
        errs.append(forbidden(hpath, "may not be specified when setHostnameAsFQDN is true"))
    if spec.hostNetwork:
        errs.append(forbidden(hpath, "may not be specified when hostNetwork is true"))
    if len(value.encode()) > 64:
        errs.append(too_long(hpath, 64))
    errs.extend(invalid(hpath, value, m) for m in is_dns1123_subdomain(value))
    return errs


def _validate_file_key_ref_volumes(spec: models.PodSpec, path: Path) -> ErrorList:
    """``validateFileKeyRefVolumes``: a ``fileKeyRef`` must name an emptyDir volume.

    Containers are visited init, regular, ephemeral; no path is built unless reported.
    """
    errs = ErrorList()
    sources: dict[str, models.Volume] | None = None
    for field, ctrs in container_lists(spec):
        for i, ctr in enumerate(ctrs):
            for j, ev in enumerate(ctr.env):
                vf = ev.valueFrom
                if vf is None or vf.fileKeyRef is None:
                    continue
                if sources is None:
                    sources = {v.name or "": v for v in spec.volumes}
                name = vf.fileKeyRef.volumeName or ""
                npath = (
                    path.child(field)
                    .index(i)
                    .child("env")
                    .index(j)
                    .child("valueFrom", "fileKeyRef", "volumeName")
                )
                vol = sources.get(name)
                if vol is None:
                    errs.append(not_found(npath, name))
                elif vol.emptyDir is None:
                    errs.append(invalid(npath, name, "referenced volume must be of type emptyDir"))
    return errs
