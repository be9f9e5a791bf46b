"""Container lists: ``validateContainers``, ``validateInitContainers``,
``validateEphemeralContainers`` and ``validateContainerCommon``.

Role: per container, in upstream's order: name (required, DNS-1123 label), image
(required), terminationMessagePolicy, ports, env, envFrom, volumeMounts (must name
an existing volume: ``Not found``), volumeDevices, imagePullPolicy, resources,
resizePolicy, securityContext (``securitycontext.validate_security_context``);
then the list-specific rules (duplicate names, probes and lifecycle, restartPolicy
of init/sidecar containers, host port conflicts, ephemeral-container field
allow-list). Unset lists and structs are skipped before their paths are built.
Resources (``validate_resources``, also for overhead; ``validate_pod_resources`` for
``spec.resources``) print every quantity as ``Quantity.String()``, the canonical form.
Callers: ``podspec.validate_pod_spec`` (steps 2–4, pod-level resources, overhead);
``pod`` (the image whitespace rule, ``validate_container_only_for_pod`` /
``image_has_outer_space``); ``parse_quantity`` also the runtime and kubelet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from fractions import Fraction
from functools import lru_cache

from seclet.api import models
from seclet.api.field import (
    ErrorList,
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
from seclet.api.quantity import BINARY_SI, DECIMAL_EXPONENT, canonical
from seclet.api.quantity import parse as _parse_quantity
from seclet.validation.names import (
    is_config_map_key,
    is_dns1123_label,
    is_env_var_name,
    is_http_header_name,
    is_qualified_name,
    is_relaxed_env_var_name,
    is_valid_port_name,
    is_valid_port_num,
    name_is_dns_subdomain,
)
from seclet.validation.options import PodValidationOptions
from seclet.validation.profiles import validate_local_descending_path, validate_path_no_backsteps
from seclet.validation.resourcefield import validate_resource_field_selector
from seclet.validation.securitycontext import validate_security_context

parse_qty = lru_cache(maxsize=4096, typed=True)(_parse_quantity)
"""``resource.ParseQuantity`` (value rounded up to 1n, and format), memoised: the same
few spellings recur in every pod and an exact parse costs ~20 us."""
_canonical = lru_cache(maxsize=4096, typed=True)(canonical)
_NO_ERRORS = ErrorList()  # returned by hot checks that found nothing; callers only extend

AnyContainer = models.Container | models.EphemeralContainer

_TERMINATION_POLICIES = ("File", "FallbackToLogsOnError")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_PROTOCOLS = ("SCTP", "TCP", "UDP")
_SCHEMES = ("HTTP", "HTTPS")
_PROPAGATIONS = ("Bidirectional", "HostToContainer", "None")
_RRO = ("Disabled", "Enabled", "IfPossible")
_RESIZE_RESOURCES = ("cpu", "memory")
_RESIZE_POLICIES = ("NotRequired", "RestartContainer")
_IMAGE_SPACE = " \t\n\r\v\f\x85\xa0"  # the whitespace the image rule looks for at either end
_ENV_DOWNWARD_FIELDS = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
)
_ENV_DOWNWARD_SORTED = tuple(sorted(_ENV_DOWNWARD_FIELDS))
_STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
# helper.standardResources (IsStandardResourceName adds the hugepages prefixes).
_STANDARD_RESOURCES = frozenset(
    {
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "storage",
        "requests.storage",
        "services.nodeports",
        "services.loadbalancers",
    }
)
# helper.integerResources (IsIntegerResourceName adds extended resources).
_INTEGER_RESOURCES = frozenset(
    {
        "pods",
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)
# sets.List(resourcehelper.SupportedPodLevelResources()): cpu, memory and the prefix.
_POD_LEVEL_RESOURCES = ("cpu", "hugepages-", "memory")
# Ephemeral containers: fields upstream forbids ("cannot be set for an Ephemeral Container").
# In the field order of core.EphemeralContainerCommon (validateFieldAllowList walks it).
_EPHEMERAL_FORBIDDEN = (
    "ports",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "restartPolicyRules",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
)
_CONTAINER_RESTART_POLICIES = ("Always", "Never", "OnFailure")
_RESTART_RULE_OPERATORS = ("In", "NotIn")
_MAX_RESTART_RULES = 20
_MAX_RESTART_RULE_EXIT_CODES = 255

_QUANTITY_RE = re.compile(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)((?:[KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?")
_SUFFIX = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}


def parse_quantity(value: object) -> Fraction | None:
    """A ``resource.Quantity`` as an exact number (None when unparsable)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value)
    if not isinstance(value, str):
        return None
    m = _QUANTITY_RE.fullmatch(value)
    if m is None:
        return None
    sign, number, suffix = m.group(1), m.group(2), m.group(3) or ""
    n = Fraction(number)
    if suffix[:1] in ("e", "E"):
        n *= Fraction(10) ** int(suffix[1:])
    else:
        n *= _SUFFIX[suffix]
    return -n if sign == "-" else n


def _qty_text(value: object) -> str:
    """``Quantity.String()``: the canonical form upstream prints (``1024Mi`` is ``1Gi``)."""
    text = _canonical(value)
    if text is not None:
        return text
    return value if isinstance(value, str) else str(value)


def validate_container_ports(ports: tuple[models.ContainerPort, ...], path: Path) -> ErrorList:
    errs = ErrorList()
    names: set[str] = set()
    for i, port in enumerate(ports):
        ipath = path.index(i)
        if port.name:
            msgs = is_valid_port_name(port.name)
            if msgs:
                errs.extend(invalid(ipath.child("name"), port.name, m) for m in msgs)
            elif port.name in names:
                errs.append(duplicate(ipath.child("name"), port.name))
            else:
                names.add(port.name)
        cp = port.containerPort or 0
        if cp == 0:
            errs.append(required(ipath.child("containerPort")))
        else:
            errs.extend(invalid(ipath.child("containerPort"), cp, m) for m in is_valid_port_num(cp))
        hp = port.hostPort or 0
        if hp != 0:
            errs.extend(invalid(ipath.child("hostPort"), hp, m) for m in is_valid_port_num(hp))
        if not port.protocol:
            errs.append(required(ipath.child("protocol")))
        elif port.protocol not in _PROTOCOLS:
            errs.append(
                not_supported(ipath.child("protocol"), JSONValue(port.protocol), _PROTOCOLS)
            )
    return errs


def _validate_object_field_selector(fs: models.ObjectFieldSelector, path: Path) -> ErrorList:
    if not fs.apiVersion:
        return ErrorList([required(path.child("apiVersion"))])
    fp = fs.fieldPath or ""
    if not fp:
        return ErrorList([required(path.child("fieldPath"))])
    if "['" in fp and fp.endswith("']"):
        base, _, rest = fp.partition("['")
        sub = rest[:-2]
        if base == "metadata.annotations":
            return ErrorList(invalid(path, sub.lower(), m) for m in is_qualified_name(sub.lower()))
        if base == "metadata.labels":
            return ErrorList(invalid(path, sub, m) for m in is_qualified_name(sub))
        return ErrorList([invalid(path, base, "does not support subscript")])
    if fp not in _ENV_DOWNWARD_FIELDS:
        return ErrorList([not_supported(path.child("fieldPath"), fp, _ENV_DOWNWARD_SORTED)])
    return ErrorList()


def _key_selector(name: str | None, key: str | None, path: Path) -> ErrorList:
    errs = ErrorList(
        invalid(path.child("name"), name or "", m) for m in name_is_dns_subdomain(name or "", False)
    )
    if not key:
        errs.append(required(path.child("key")))
    else:
        errs.extend(invalid(path.child("key"), key, m) for m in is_config_map_key(key))
    return errs


def _file_key_selector(s: models.FileKeySelector, path: Path) -> ErrorList:
    """``validateFileKeySelector`` (EnvFiles): key, volumeName, path, in that order."""
    errs = ErrorList()
    key = s.key or ""
    if not key:
        errs.append(required(path.child("key")))
    else:
        errs.extend(invalid(path.child("key"), key, m) for m in is_relaxed_env_var_name(key))
    vol = s.volumeName or ""
    if not vol:
        errs.append(required(path.child("volumeName")))
    else:
        errs.extend(invalid(path.child("volumeName"), vol, m) for m in is_dns1123_label(vol))
    fpath = s.path or ""
    if not fpath:
        errs.append(required(path.child("path")))
    else:
        errs.extend(validate_path_no_backsteps(fpath, path.child("path")))
    return errs


def validate_container_restart_policy(ctr: models.Container, cpath: Path) -> ErrorList:
    """``validateContainerRestartPolicy`` (ContainerRestartRules): policy, then rules."""
    errs = ErrorList()
    policy = ctr.restartPolicy
    rules = ctr.restartPolicyRules
    if policy is None:
        if not rules:
            return errs
        errs.append(
            required(
                cpath.child("restartPolicy"),
                "must specify restartPolicy when restart rules are used",
            )
        )
    elif policy not in _CONTAINER_RESTART_POLICIES:
        errs.append(
            not_supported(
                cpath.child("restartPolicy"), JSONValue(policy), _CONTAINER_RESTART_POLICIES
            )
        )
    if len(rules) > _MAX_RESTART_RULES:
        errs.append(too_long(cpath.child("restartPolicyRules"), _MAX_RESTART_RULES))
    for i, rule in enumerate(rules):
        rpath = cpath.child("restartPolicyRules").index(i)
        action = rule.action or ""
        if action != "Restart":
            errs.append(not_supported(rpath.child("action"), JSONValue(action), ("Restart",)))
        codes = rule.exitCodes
        if codes is None:
            errs.append(required(rpath.child("exitCodes"), "must be specified"))
            continue
        op = codes.operator or ""
        if op not in _RESTART_RULE_OPERATORS:
            errs.append(
                not_supported(
                    rpath.child("exitCodes", "operator"), JSONValue(op), _RESTART_RULE_OPERATORS
                )
            )
        if len(codes.values) > _MAX_RESTART_RULE_EXIT_CODES:
            errs.append(too_long(rpath.child("exitCodes", "values"), _MAX_RESTART_RULE_EXIT_CODES))
    return errs


def validate_env(
    env: tuple[models.EnvVar, ...], path: Path, opts: PodValidationOptions
) -> ErrorList:
    errs = ErrorList()
    for i, ev in enumerate(env):
        ipath = path.index(i)
        name = ev.name or ""
        if not name:
            errs.append(required(ipath.child("name")))
        else:
            check = (
                is_relaxed_env_var_name
                if opts.allow_relaxed_environment_variable_validation
                else is_env_var_name
            )
            errs.extend(invalid(ipath.child("name"), name, m) for m in check(name))
        vf = ev.valueFrom
        if vf is None:
            continue
        vpath = ipath.child("valueFrom")
        num = 0
        if vf.fieldRef is not None:
            num += 1
            errs.extend(_validate_object_field_selector(vf.fieldRef, vpath.child("fieldRef")))
        if vf.resourceFieldRef is not None:
            num += 1
            errs.extend(
                validate_resource_field_selector(
                    vf.resourceFieldRef, vpath.child("resourceFieldRef"), volume=False
                )
            )
        if vf.configMapKeyRef is not None:
            num += 1
            ref = vf.configMapKeyRef
            errs.extend(_key_selector(ref.name, ref.key, vpath.child("configMapKeyRef")))
        if vf.secretKeyRef is not None:
            num += 1
            sref = vf.secretKeyRef
            errs.extend(_key_selector(sref.name, sref.key, vpath.child("secretKeyRef")))
        if vf.fileKeyRef is not None:
            num += 1
            errs.extend(_file_key_selector(vf.fileKeyRef, vpath.child("fileKeyRef")))
        if num == 0:
            errs.append(
                invalid(
                    vpath,
                    "",
                    "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, "
                    "`secretKeyRef` or `fileKeyRef`"
                    if opts.allow_env_files_validation
                    else "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` "
                    "or `secretKeyRef`",
                )
            )
        elif ev.value:
            errs.append(invalid(vpath, "", "may not be specified when `value` is not empty"))
        elif num > 1:
            errs.append(invalid(vpath, "", "may not have more than one field specified at a time"))
    return errs


def validate_env_from(
    env_from: tuple[models.EnvFromSource, ...], path: Path, opts: PodValidationOptions
) -> ErrorList:
    errs = ErrorList()
    for i, ev in enumerate(env_from):
        ipath = path.index(i)
        if ev.prefix:
            check = (
                is_relaxed_env_var_name
                if opts.allow_relaxed_environment_variable_validation
                else is_env_var_name
            )
            errs.extend(invalid(ipath.child("prefix"), ev.prefix, m) for m in check(ev.prefix))
        num = 0
        for kind, ref in (("configMapRef", ev.configMapRef), ("secretRef", ev.secretRef)):
            if ref is None:
                continue
            num += 1
            rpath = ipath.child(kind)
            if not ref.name:
                errs.append(required(rpath.child("name")))
            else:
                errs.extend(
                    invalid(rpath.child("name"), ref.name, m)
                    for m in name_is_dns_subdomain(ref.name, True)
                )
        if num == 0:
            errs.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif num > 1:
            errs.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errs


def validate_volume_mounts(
    ctr: AnyContainer, volumes: dict[str, models.Volume], path: Path
) -> ErrorList:
    """``ValidateVolumeMounts``; note upstream's subPath paths lack the index."""
    errs = ErrorList()
    devices = {d.name or "": d.devicePath or "" for d in ctr.volumeDevices}
    device_paths = set(devices.values())
    mountpoints: set[str] = set()
    privileged = ctr.securityContext is not None and ctr.securityContext.privileged is True
    for i, mnt in enumerate(ctr.volumeMounts):
        ipath = path.index(i)
        name = mnt.name or ""
        mount_path = mnt.mountPath or ""
        if not name:
            errs.append(required(ipath.child("name")))
        if name not in volumes:
            errs.append(not_found(ipath.child("name"), name))
        if not mount_path:
            errs.append(required(ipath.child("mountPath")))
        if mount_path in mountpoints:
            errs.append(invalid(ipath.child("mountPath"), mount_path, "must be unique"))
        mountpoints.add(mount_path)
        if name in devices:
            errs.append(
                invalid(ipath.child("name"), name, "must not already exist in volumeDevices")
            )
        if mount_path in device_paths:
            errs.append(
                invalid(
                    ipath.child("mountPath"),
                    mount_path,
                    "must not already exist as a path in volumeDevices",
                )
            )
        vol = volumes.get(name)
        if vol is not None and vol.image is not None:
            if mnt.subPath:
                errs.append(
                    invalid(
                        ipath.child("subPath"), mnt.subPath, "not allowed in image volume sources"
                    )
                )
            if mnt.subPathExpr:
                errs.append(
                    invalid(
                        ipath.child("subPathExpr"),
                        mnt.subPathExpr,
                        "not allowed in image volume sources",
                    )
                )
        if mnt.subPath:
            errs.extend(validate_local_descending_path(mnt.subPath, path.child("subPath")))
        if mnt.subPathExpr:
            if mnt.subPath:
                errs.append(
                    invalid(
                        ipath.child("subPathExpr"),
                        mnt.subPathExpr,
                        "subPathExpr and subPath are mutually exclusive",
                    )
                )
            errs.extend(validate_local_descending_path(mnt.subPathExpr, path.child("subPathExpr")))
        if mnt.mountPropagation is not None:
            ppath = path.child("mountPropagation")
            if mnt.mountPropagation not in _PROPAGATIONS:
                errs.append(not_supported(ppath, JSONValue(mnt.mountPropagation), _PROPAGATIONS))
            if mnt.mountPropagation == "Bidirectional" and not privileged:
                errs.append(
                    forbidden(
                        ppath,
                        "Bidirectional mount propagation is available only to privileged "
                        "containers",
                    )
                )
        rro = mnt.recursiveReadOnly
        if rro is not None and rro != "Disabled":
            rpath = path.child("recursiveReadOnly")
            if rro in ("Enabled", "IfPossible"):
                if not mnt.readOnly:
                    errs.append(forbidden(rpath, "may only be specified when readOnly is true"))
                if mnt.mountPropagation is not None and mnt.mountPropagation != "None":
                    errs.append(
                        forbidden(
                            rpath,
                            "may only be specified when mountPropagation is None or not specified",
                        )
                    )
            else:
                errs.append(not_supported(rpath, JSONValue(rro), _RRO))
    return errs


def validate_volume_devices(
    ctr: AnyContainer, volumes: dict[str, models.Volume], path: Path
) -> ErrorList:
    errs = ErrorList()
    mounts = {m.name or "": m.mountPath or "" for m in ctr.volumeMounts}
    mount_paths = set(mounts.values())
    device_paths: set[str] = set()
    device_names: set[str] = set()
    for i, dev in enumerate(ctr.volumeDevices):
        ipath = path.index(i)
        name = dev.name or ""
        dpath = dev.devicePath or ""
        vol = volumes.get(name)
        is_pvc = vol is not None and (
            vol.persistentVolumeClaim is not None or vol.ephemeral is not None
        )
        if not name:
            errs.append(required(ipath.child("name")))
        if name in device_names:
            errs.append(invalid(ipath.child("name"), name, "must be unique"))
        if vol is not None and not is_pvc:
            errs.append(
                invalid(
                    ipath.child("name"),
                    name,
                    "can only use volume source type of PersistentVolumeClaim or Ephemeral "
                    "for block mode",
                )
            )
        if vol is None:
            errs.append(not_found(ipath.child("name"), name))
        if not dpath:
            errs.append(required(ipath.child("devicePath")))
        if dpath in device_paths:
            errs.append(invalid(ipath.child("devicePath"), dpath, "must be unique"))
        if dpath and validate_path_no_backsteps(dpath, path.child("devicePath")):
            errs.append(
                invalid(ipath.child("devicePath"), dpath, "can not contain backsteps ('..')")
            )
        else:
            device_paths.add(dpath)
        if name in mounts:
            errs.append(
                invalid(ipath.child("name"), name, "must not already exist in volumeMounts")
            )
        if dpath in mount_paths:
            errs.append(
                invalid(
                    ipath.child("devicePath"),
                    dpath,
                    "must not already exist as a path in volumeMounts",
                )
            )
        if name:
            device_names.add(name)
    return errs


def _validate_resource_name(name: str, path: Path) -> ErrorList:
    """``validateResourceName``: a qualified name; one segment must be a standard
    resource (stops after the qualified-name errors)."""
    errs = ErrorList(invalid(path, JSONValue(name), m) for m in is_qualified_name(name))
    if errs:
        return errs
    if "/" not in name and not _is_standard_resource(name):
        errs.append(
            invalid(path, JSONValue(name), "must be a standard resource type or fully qualified")
        )
    return errs


def _validate_container_resource_name(name: str, path: Path) -> ErrorList:
    """``validateContainerResourceName``: ``validateResourceName``, then a container
    resource (cpu, memory, ephemeral-storage, hugepages-*) or an extended resource."""
    if name in _STANDARD_CONTAINER_RESOURCES:
        return _NO_ERRORS  # the common names: valid by construction
    errs = _validate_resource_name(name, path)
    if "/" not in name:
        if name not in _STANDARD_CONTAINER_RESOURCES and not name.startswith("hugepages-"):
            errs.append(
                invalid(path, JSONValue(name), "must be a standard resource for containers")
            )
    elif not _is_native_resource(name) and not _is_extended_resource(name):
        errs.append(
            invalid(path, JSONValue(name), "doesn't follow extended resource name standard")
        )
    return errs


def _validate_pod_resource_name(name: str, path: Path) -> ErrorList:
    """``validatePodResourceName``: ``validateResourceName``, then cpu, memory or
    hugepages-* (``resourcehelper.IsSupportedPodLevelResource``)."""
    errs = _validate_resource_name(name, path)
    if errs:
        return errs
    if name not in ("cpu", "memory") and not name.startswith("hugepages-"):
        errs.append(not_supported(path, JSONValue(name), _POD_LEVEL_RESOURCES))
    return errs


def _is_standard_resource(name: str) -> bool:
    """``helper.IsStandardResourceName``."""
    return name in _STANDARD_RESOURCES or name.startswith(("hugepages-", "requests.hugepages-"))


def _is_native_resource(name: str) -> bool:
    """``helper.IsNativeResource``: no domain, or ``kubernetes.io/`` anywhere in it."""
    return "/" not in name or "kubernetes.io/" in name


def _is_extended_resource(name: str) -> bool:
    """``helper.IsExtendedResourceName``."""
    if _is_native_resource(name) or name.startswith("requests."):
        return False
    return not is_qualified_name("requests." + name)


def _overcommit_allowed(name: str) -> bool:
    return _is_native_resource(name) and not name.startswith("hugepages-")


def _away_from_zero(v: Fraction) -> int:
    """``Quantity.Value()``/``ScaledValue``: rounded up, away from zero."""
    return math.ceil(v) if v >= 0 else math.floor(v)


def _quantity_value_errors(name: str, qty: object, value: Fraction, path: Path) -> ErrorList:
    """``ValidateResourceQuantityValue``: not negative; whole for integer resources
    (pods, quota object counts, extended resources)."""
    if value.numerator >= 0 and name in _STANDARD_CONTAINER_RESOURCES:
        return _NO_ERRORS
    errs = ErrorList()
    if value.numerator < 0:
        errs.append(invalid(path, _qty_text(qty), "must be greater than or equal to 0"))
    if (name in _INTEGER_RESOURCES or _is_extended_resource(name)) and _away_from_zero(
        value * 1000
    ) % 1000:
        errs.append(invalid(path, _qty_text(qty), "must be an integer"))
    return errs


def _huge_page_error(name: str, qty: object, value: Fraction, path: Path) -> ErrorList:
    """``validateResourceQuantityHugePageValue`` (``IsHugePageResourceValueDivisible``:
    the page size is the name's suffix, a positive whole quantity)."""
    page = parse_qty(name.removeprefix("hugepages-"))
    size = page[0] if page is not None else Fraction(0)
    if (
        size > 0
        and _away_from_zero(size * 1000) % 1000 == 0
        and _away_from_zero(value) % _away_from_zero(size) == 0
    ):
        return ErrorList()
    text = _qty_text(qty)
    return ErrorList([invalid(path, text, f"{text} is not positive integer multiple of {name}")])


def validate_resources(
    res: models.ResourceRequirements | None,
    path: Path,
    allow_indivisible_huge_pages: bool = False,
    *,
    pod_level: bool = False,
) -> ErrorList:
    """``validateResourceRequirements`` with ``validateContainerResourceName`` (or
    ``validatePodResourceName`` for ``pod_level``): per limit name, quantity, huge page
    size; per request the same and request ≤ limit (= for non-overcommitable
    resources); huge pages need cpu or memory. Quantities print as ``Quantity.String()``.
    """
    errs = ErrorList()
    if res is None:
        return errs
    name_errors = _validate_pod_resource_name if pod_level else _validate_container_resource_name
    lim_path = path.child("limits")
    req_path = path.child("requests")
    cpu_or_memory = huge_pages = False
    limits: dict[str, Fraction] = {}
    for name, qty in res.limits.items():
        qpath = lim_path.key(name)
        errs.extend(name_errors(name, qpath))
        parsed = parse_qty(qty)
        if parsed is None:
            continue
        value = limits[name] = parsed[0]
        errs.extend(_quantity_value_errors(name, qty, value, qpath))
        if name.startswith("hugepages-"):
            huge_pages = True
            if not allow_indivisible_huge_pages:
                errs.extend(_huge_page_error(name, qty, value, qpath))
        cpu_or_memory = cpu_or_memory or name in ("cpu", "memory")
    for name, qty in res.requests.items():
        qpath = req_path.key(name)
        errs.extend(name_errors(name, qpath))
        parsed = parse_qty(qty)
        if parsed is None:
            continue
        value = parsed[0]
        errs.extend(_quantity_value_errors(name, qty, value, qpath))
        if name in res.limits:
            limit = limits.get(name)
            if limit is not None and value != limit and not _overcommit_allowed(name):
                errs.append(
                    invalid(
                        req_path,
                        _qty_text(qty),
                        f"must be equal to {name} limit of {_qty_text(res.limits[name])}",
                    )
                )
            elif limit is not None and value > limit:
                errs.append(
                    invalid(
                        req_path,
                        _qty_text(qty),
                        f"must be less than or equal to {name} limit of "
                        f"{_qty_text(res.limits[name])}",
                    )
                )
        elif not _overcommit_allowed(name):
            errs.append(required(lim_path, "Limit must be set for non overcommitable resources"))
        if name.startswith("hugepages-"):
            huge_pages = True
            if not allow_indivisible_huge_pages:
                errs.extend(_huge_page_error(name, qty, value, qpath))
        cpu_or_memory = cpu_or_memory or name in ("cpu", "memory")
    if huge_pages and not cpu_or_memory:
        errs.append(forbidden(path, "HugePages require cpu or memory"))
    return errs


def validate_pod_resources(
    spec: models.PodSpec, path: Path, opts: PodValidationOptions
) -> ErrorList:
    """``validatePodResources`` (``spec.resources``): claims are refused, then the
    requirements with pod-level resource names, then ``validatePodResourceConsistency``
    (pod requests ≥ the containers' aggregate requests; each container limit ≤ the pod
    limit)."""
    res = spec.resources
    if res is None:
        return ErrorList()
    errs = ErrorList()
    if res.claims:
        errs.append(
            forbidden(path.child("claims"), "claims cannot be set for Resources at pod-level")
        )
    errs.extend(
        validate_resources(res, path, opts.allow_indivisible_huge_pages_values, pod_level=True)
    )
    req_path = path.child("requests")
    for name, (total, fmt) in _aggregate_container_requests(spec).items():
        pod_qty = res.requests.get(name)
        parsed = parse_qty(pod_qty) if pod_qty is not None else None
        pod_value = parsed[0] if parsed is not None else Fraction(0)
        if total > pod_value:
            shown = _qty_text(pod_qty) if pod_qty is not None else "0"
            errs.append(
                invalid(
                    req_path.key(name),
                    shown,
                    "must be greater than or equal to aggregate container requests of "
                    f"{format_quantity(total, fmt)}",
                )
            )
    for i, ctr in enumerate(spec.containers):
        if ctr.resources is None:
            continue
        for name, qty in ctr.resources.limits.items():
            if name not in res.limits:
                continue
            limit, pod_limit = parse_qty(qty), parse_qty(res.limits[name])
            if limit is not None and pod_limit is not None and limit[0] > pod_limit[0]:
                errs.append(
                    invalid(
                        path.child("containers").index(i).key(name).child("limits"),
                        _qty_text(qty),
                        "must be less than or equal to pod limits of "
                        f"{_qty_text(res.limits[name])}",
                    )
                )
    return errs


_Sum = dict[str, tuple[Fraction, str]]


def _add(total: _Sum, addends: _Sum) -> None:
    """``addResourceList``: the first quantity of a name is copied, later ones added;
    a zero sum takes the addend's format (``Quantity.Add``)."""
    for name, (value, fmt) in addends.items():
        if name not in total:
            total[name] = (value, fmt)
        else:
            old, old_fmt = total[name]
            total[name] = (old + value, fmt if old == 0 else old_fmt)


def _parsed(requests: Mapping[str, str | int | float]) -> _Sum:
    out: _Sum = {}
    for name, qty in requests.items():
        parsed = parse_qty(qty)
        if parsed is not None:
            out[name] = parsed
    return out


def _max(into: _Sum, other: _Sum) -> None:
    """``maxResourceList``: the larger quantity (with its format) per name."""
    for name, (value, fmt) in other.items():
        if name not in into or value > into[name][0]:
            into[name] = (value, fmt)


def _aggregate_container_requests(spec: models.PodSpec) -> _Sum:
    """``resourcehelper.AggregateContainerRequests``: the sum of the regular and
    sidecar containers' requests, or the largest init container (plus the sidecars
    started before it) when that is more."""
    reqs: _Sum = {}
    for ctr in spec.containers:
        if ctr.resources is not None:
            _add(reqs, _parsed(ctr.resources.requests))
    sidecars: _Sum = {}
    init: _Sum = {}
    for ctr in spec.initContainers:
        requests = _parsed(ctr.resources.requests) if ctr.resources is not None else {}
        if ctr.restartPolicy == "Always":
            _add(reqs, requests)
            _add(sidecars, requests)
            _max(init, sidecars)
        else:
            tmp: _Sum = {}
            _add(tmp, requests)
            _add(tmp, sidecars)
            _max(init, tmp)
    _max(reqs, init)
    return reqs


def _decimal_text(v: Fraction) -> str:
    """A terminating fraction written out in decimal."""
    sign = "-" if v < 0 else ""
    v = abs(v)
    places = 0
    while v.denominator != 1:
        v *= 10
        places += 1
    digits = str(v.numerator).rjust(places + 1, "0")
    return sign + (f"{digits[:-places]}.{digits[-places:]}" if places else digits)


def format_quantity(value: Fraction, fmt: str) -> str:
    """``Quantity.String()`` of an exact value in a format (a sum's, a max's)."""
    if fmt == BINARY_SI:
        text = f"{_decimal_text(value / 1024)}Ki"
    elif fmt == DECIMAL_EXPONENT:
        text = f"{_decimal_text(value)}e0"
    else:
        text = _decimal_text(value)
    return canonical(text) or text


def validate_resize_policy(
    policies: tuple[models.ContainerResizePolicy, ...], path: Path, pod_restart_policy: str
) -> ErrorList:
    errs = ErrorList()
    seen: set[str] = set()
    for i, p in enumerate(policies):
        rname = p.resourceName or ""
        if rname in seen:
            errs.append(duplicate(path.index(i), JSONValue(rname)))
        seen.add(rname)
        if rname == "":
            errs.append(required(path))
        elif rname not in _RESIZE_RESOURCES:
            errs.append(not_supported(path, JSONValue(rname), _RESIZE_RESOURCES))
        rp = p.restartPolicy or ""
        if rp == "":
            errs.append(required(path))
        elif rp not in _RESIZE_POLICIES:
            errs.append(not_supported(path, JSONValue(rp), _RESIZE_POLICIES))
        if pod_restart_policy == "Never" and rp != "NotRequired":
            errs.append(
                invalid(
                    path, JSONValue(rp), "must be 'NotRequired' when `restartPolicy` is 'Never'"
                )
            )
    return errs


def validate_container_common(
    ctr: AnyContainer,
    volumes: dict[str, models.Volume],
    path: Path,
    opts: PodValidationOptions,
    pod_restart_policy: str,
    host_users: bool,
) -> ErrorList:
    """``validateContainerCommon``; steps as in the module docstring.

    Unset lists and structs are skipped before their paths are built (their checks
    would report nothing).
    """
    errs = ErrorList()
    name = ctr.name or ""
    if not name:
        errs.append(required(path.child("name")))
    else:
        msgs = is_dns1123_label(name)
        if msgs:
            errs.extend(invalid(path.child("name"), name, m) for m in msgs)
    if not ctr.image:
        errs.append(required(path.child("image")))
    tmp = ctr.terminationMessagePolicy or ""
    if tmp not in _TERMINATION_POLICIES:
        if tmp == "":
            errs.append(required(path.child("terminationMessagePolicy")))
        else:
            errs.append(
                not_supported(
                    path.child("terminationMessagePolicy"), JSONValue(tmp), _TERMINATION_POLICIES
                )
            )
    if ctr.ports:
        errs.extend(validate_container_ports(ctr.ports, path.child("ports")))
    if ctr.env:
        errs.extend(validate_env(ctr.env, path.child("env"), opts))
    if ctr.envFrom:
        errs.extend(validate_env_from(ctr.envFrom, path.child("envFrom"), opts))
    if ctr.volumeMounts:
        errs.extend(validate_volume_mounts(ctr, volumes, path.child("volumeMounts")))
    if ctr.volumeDevices:
        errs.extend(validate_volume_devices(ctr, volumes, path.child("volumeDevices")))
    policy = ctr.imagePullPolicy or ""
    if policy not in _PULL_POLICIES:
        if policy == "":
            errs.append(required(path.child("imagePullPolicy")))
        else:
            errs.append(
                not_supported(path.child("imagePullPolicy"), JSONValue(policy), _PULL_POLICIES)
            )
    res = ctr.resources
    if res is not None and (res.limits or res.requests):
        errs.extend(
            validate_resources(
                res, path.child("resources"), opts.allow_indivisible_huge_pages_values
            )
        )
    if ctr.resizePolicy:
        errs.extend(
            validate_resize_policy(ctr.resizePolicy, path.child("resizePolicy"), pod_restart_policy)
        )
    if ctr.securityContext is not None:
        errs.extend(
            validate_security_context(
                ctr.securityContext, path.child("securityContext"), host_users, opts
            )
        )
    return errs


def _port_or_name(port: int | str | None, path: Path) -> ErrorList:
    if isinstance(port, str):
        return ErrorList(invalid(path, port, m) for m in is_valid_port_name(port))
    value = port or 0
    return ErrorList(invalid(path, value, m) for m in is_valid_port_num(value))


def _validate_handler(
    handler: models.Probe | models.LifecycleHandler,
    grace: int | None,
    path: Path,
    opts: PodValidationOptions,
) -> ErrorList:
    """``validateHandler``: exactly one of exec/httpGet/tcpSocket/grpc/sleep."""
    errs = ErrorList()
    num = 0
    kinds = ("exec", "httpGet", "tcpSocket", "grpc", "sleep")
    for kind in kinds:
        action = getattr(handler, kind, None)
        if action is None:
            continue
        if num > 0:
            errs.append(forbidden(path.child(kind), "may not specify more than 1 handler type"))
            continue
        num += 1
        apath = path.child(kind)
        if kind == "exec":
            if not action.command:
                errs.append(required(apath.child("command")))
        elif kind == "httpGet":
            if not action.path:
                errs.append(required(apath.child("path")))
            errs.extend(_port_or_name(action.port, apath.child("port")))
            scheme = action.scheme or ""
            if scheme not in _SCHEMES:
                errs.append(not_supported(apath.child("scheme"), JSONValue(scheme), _SCHEMES))
            for header in action.httpHeaders:
                errs.extend(
                    invalid(apath.child("httpHeaders"), header.name or "", m)
                    for m in is_http_header_name(header.name or "")
                )
        elif kind in ("tcpSocket", "grpc"):
            errs.extend(_port_or_name(action.port, apath.child("port")))
        else:
            seconds = action.seconds or 0
            if grace is not None:
                if opts.allow_pod_lifecycle_sleep_action_zero_value:
                    if seconds < 0 or seconds > grace:
                        errs.append(
                            invalid(
                                apath,
                                seconds,
                                "must be non-negative and less than terminationGracePeriodSeconds "
                                f"({grace})",
                            )
                        )
                elif seconds <= 0 or seconds > grace:
                    errs.append(
                        invalid(
                            apath,
                            seconds,
                            "must be greater than 0 and less than terminationGracePeriodSeconds "
                            f"({grace}). Enable AllowPodLifecycleSleepActionZeroValue feature gate "
                            "for zero sleep.",
                        )
                    )
    if num == 0:
        errs.append(required(path, "must specify a handler type"))
    return errs


def _validate_probe(
    probe: models.Probe | None, grace: int | None, path: Path, opts: PodValidationOptions, kind: str
) -> ErrorList:
    errs = ErrorList()
    if probe is None:
        return errs
    errs.extend(_validate_handler(probe, grace, path, opts))
    for attr in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        value = getattr(probe, attr) or 0
        if value < 0:
            errs.append(invalid(path.child(attr), value, "must be greater than or equal to 0"))
    tgps = probe.terminationGracePeriodSeconds
    if tgps is not None and tgps <= 0:
        errs.append(
            invalid(path.child("terminationGracePeriodSeconds"), tgps, "must be greater than 0")
        )
    if kind in ("liveness", "startup") and (probe.successThreshold or 0) != 1:
        errs.append(
            invalid(path.child("successThreshold"), probe.successThreshold or 0, "must be 1")
        )
    if kind == "readiness" and tgps is not None:
        errs.append(
            invalid(
                path.child("terminationGracePeriodSeconds"),
                tgps,
                "must not be set for readinessProbes",
            )
        )
    return errs


def _validate_lifecycle_and_probes(
    ctr: AnyContainer, grace: int | None, path: Path, opts: PodValidationOptions
) -> ErrorList:
    errs = ErrorList()
    if ctr.lifecycle is not None:
        for key in ("postStart", "preStop"):
            handler = getattr(ctr.lifecycle, key)
            if handler is not None:
                errs.extend(_validate_handler(handler, grace, path.child("lifecycle", key), opts))
    if ctr.livenessProbe is not None:
        errs.extend(
            _validate_probe(ctr.livenessProbe, grace, path.child("livenessProbe"), opts, "liveness")
        )
    if ctr.readinessProbe is not None:
        errs.extend(
            _validate_probe(
                ctr.readinessProbe, grace, path.child("readinessProbe"), opts, "readiness"
            )
        )
    if ctr.startupProbe is not None:
        errs.extend(
            _validate_probe(ctr.startupProbe, grace, path.child("startupProbe"), opts, "startup")
        )
    return errs


def _has_handlers(ctr: AnyContainer) -> bool:
    return (
        ctr.lifecycle is not None
        or ctr.livenessProbe is not None
        or ctr.readinessProbe is not None
        or ctr.startupProbe is not None
    )


def _host_port_conflicts(containers: tuple[models.Container, ...], path: Path) -> ErrorList:
    """Duplicate protocol/hostIP/hostPort; the path is built only for a duplicate."""
    errs = ErrorList()
    seen: set[str] = set()
    for ci, ctr in enumerate(containers):
        for pi, port in enumerate(ctr.ports):
            if not port.hostPort:
                continue
            key = f"{port.protocol or ''}/{port.hostIP or ''}/{port.hostPort}"
            if key in seen:
                errs.append(
                    duplicate(path.index(ci).child("ports").index(pi).child("hostPort"), key)
                )
            else:
                seen.add(key)
    return errs


def validate_containers(
    containers: tuple[models.Container, ...],
    volumes: dict[str, models.Volume],
    grace: int | None,
    path: Path,
    opts: PodValidationOptions,
    pod_restart_policy: str,
    host_users: bool,
) -> ErrorList:
    if not containers:
        return ErrorList([required(path)])
    errs = ErrorList()
    names: set[str] = set()
    any_ports = False
    for i, ctr in enumerate(containers):
        cpath = path.index(i)
        errs.extend(
            validate_container_common(ctr, volumes, cpath, opts, pod_restart_policy, host_users)
        )
        name = ctr.name or ""
        if name in names:
            errs.append(duplicate(cpath.child("name"), name))
        else:
            names.add(name)
        if _has_handlers(ctr):
            errs.extend(_validate_lifecycle_and_probes(ctr, grace, cpath, opts))
        if opts.allow_container_restart_policy_rules:
            if ctr.restartPolicy is not None or ctr.restartPolicyRules:
                errs.extend(validate_container_restart_policy(ctr, cpath))
        elif ctr.restartPolicy is not None:
            errs.append(
                forbidden(cpath.child("restartPolicy"), "may not be set for non-init containers")
            )
        any_ports = any_ports or bool(ctr.ports)
    if any_ports:
        errs.extend(_host_port_conflicts(containers, path))
    return errs


def validate_init_containers(
    containers: tuple[models.Container, ...],
    regular: tuple[models.Container, ...],
    volumes: dict[str, models.Volume],
    grace: int | None,
    path: Path,
    opts: PodValidationOptions,
    pod_restart_policy: str,
    host_users: bool,
) -> ErrorList:
    errs = ErrorList()
    if not containers:
        return errs
    names = {c.name or "" for c in regular}
    not_sidecar = "may not be set for init containers without restartPolicy=Always"
    for i, ctr in enumerate(containers):
        cpath = path.index(i)
        errs.extend(
            validate_container_common(ctr, volumes, cpath, opts, pod_restart_policy, host_users)
        )
        restart_always = False
        if ctr.restartPolicy is not None:
            if not opts.allow_container_restart_policy_rules:
                if ctr.restartPolicy != "Always":
                    errs.append(
                        not_supported(
                            cpath.child("restartPolicy"), JSONValue(ctr.restartPolicy), ("Always",)
                        )
                    )
            elif ctr.restartPolicy == "Always":
                if ctr.restartPolicyRules:
                    errs.append(
                        forbidden(
                            cpath.child("restartPolicyRules"),
                            "restartPolicyRules are not allowed for init containers with "
                            "restart policy Always",
                        )
                    )
            else:
                errs.extend(validate_container_restart_policy(ctr, cpath))
            restart_always = ctr.restartPolicy == "Always"
        name = ctr.name or ""
        if name in names:
            errs.append(duplicate(cpath.child("name"), name))
        elif name:
            names.add(name)
        if ctr.ports:
            errs.extend(_host_port_conflicts((ctr,), path))
        if restart_always:
            if _has_handlers(ctr):
                errs.extend(_validate_lifecycle_and_probes(ctr, grace, cpath, opts))
        elif _has_handlers(ctr):
            for attr in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if getattr(ctr, attr) is not None:
                    errs.append(forbidden(cpath.child(attr), not_sidecar))
        if not opts.allow_sidecar_resize_policy and ctr.resizePolicy:
            errs.append(
                invalid(
                    cpath.child("resizePolicy"),
                    JSONValue(
                        [
                            {"resourceName": p.resourceName, "restartPolicy": p.restartPolicy}
                            for p in ctr.resizePolicy
                        ]
                    ),
                    "must not be set for init containers",
                )
            )
    return errs


def validate_ephemeral_containers(
    ephemeral: tuple[models.EphemeralContainer, ...],
    containers: tuple[models.Container, ...],
    init: tuple[models.Container, ...],
    volumes: dict[str, models.Volume],
    path: Path,
    opts: PodValidationOptions,
    pod_restart_policy: str,
    host_users: bool,
) -> ErrorList:
    errs = ErrorList()
    if not ephemeral:
        return errs
    other = {c.name or "" for c in (*containers, *init)}
    all_names = set(other)
    for i, ec in enumerate(ephemeral):
        cpath = path.index(i)
        errs.extend(
            validate_container_common(ec, volumes, cpath, opts, pod_restart_policy, host_users)
        )
        errs.extend(validate_container_only_for_pod(ec, cpath))
        name = ec.name or ""
        if name in all_names:
            errs.append(duplicate(cpath.child("name"), name))
        else:
            all_names.add(name)
        if ec.targetContainerName and ec.targetContainerName not in other:
            errs.append(not_found(cpath.child("targetContainerName"), ec.targetContainerName))
        for attr in _EPHEMERAL_FORBIDDEN:
            value = getattr(ec, attr)
            if value is not None and value != ():
                errs.append(
                    forbidden(cpath.child(attr), "cannot be set for an Ephemeral Container")
                )
        for j, vm in enumerate(ec.volumeMounts):
            for attr in ("subPath", "subPathExpr"):
                if getattr(vm, attr):
                    errs.append(
                        forbidden(
                            cpath.child("volumeMounts").index(j).child(attr),
                            "cannot be set for an Ephemeral Container",
                        )
                    )
    return errs


def validate_container_only_for_pod(ctr: AnyContainer, path: Path) -> ErrorList:
    """``validateContainerOnlyForPod``: no leading/trailing whitespace in the image."""
    image = ctr.image or ""
    if image_has_outer_space(image):
        return ErrorList(
            [invalid(path.child("image"), image, "must not have leading or trailing whitespace")]
        )
    return ErrorList()


def image_has_outer_space(image: str) -> bool:
    """The image starts or ends with whitespace (``strings.TrimSpace`` would change it)."""
    return bool(image) and (image[0] in _IMAGE_SPACE or image[-1] in _IMAGE_SPACE)
