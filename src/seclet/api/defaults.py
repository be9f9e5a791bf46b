"""Pod defaulting as kube-apiserver 1.35 does it on create, on the decoded JSON body.

Role: mutate a JSON-like Pod dict (already strictly decoded, before it is frozen into
``seclet.api.models``) exactly as the apiserver's codec defaulting does
(``k/k pkg/apis/core/v1/defaults.go`` + ``zz_generated.defaults.go``
``SetObjectDefaults_Pod``), then drop fields whose feature gate is off
(``k/k pkg/api/pod/util.go dropDisabledFields``, run by the pod strategy's
``PrepareForCreate``), and finally apply what the default-on admission plugins
``Priority`` and ``DefaultTolerationSeconds`` add (``apply_default_admission``).
The caller fills ``metadata.namespace`` (``default``) and runs these in the order
apply_pod_defaults → drop_disabled_fields → apply_default_admission.
Callers: the API server's create path, ``seclet.cli`` (offline validation), tests.

Not reproduced (documented gaps): ``SetDefaults_ResourceList`` rounding quantities up
to milli precision, and pod-level resource defaulting under ``PodLevelResources``
(``defaultPodRequests``/``defaultPodLimits``/``defaultHugePagePodLimits``); the
ServiceAccount admission plugin (service account name, token volume) belongs to the
API server, which knows the namespace's service accounts.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from seclet.api.featuregates import FeatureGates

JSONDict = dict[str, Any]

# Every VolumeSource member of core/v1 Volume (the "all pointer fields nil" check).
_VOLUME_SOURCES = (
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "hostPath",
    "image",
    "iscsi",
    "nfs",
    "persistentVolumeClaim",
    "photonPersistentDisk",
    "portworxVolume",
    "projected",
    "quobyte",
    "rbd",
    "scaleIO",
    "secret",
    "storageos",
    "vsphereVolume",
)

_VOLUME_SOURCE_SET = frozenset(_VOLUME_SOURCES)

_DEFAULT_MODE = 0o644  # 420: Secret/ConfigMap/DownwardAPI/Projected VolumeSourceDefaultMode

# github.com/distribution/reference grammar (what parsers.ParseImageName uses).
_ALNUM = r"[a-z0-9]+"
_SEP = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEP}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"
_REFERENCE_RE = re.compile(
    rf"^((?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::({_TAG}))?(?:@({_DIGEST}))?$"
)
_HEX64_RE = re.compile(r"^[a-f0-9]{64}$")


@lru_cache(maxsize=1024)
def image_tag(image: str) -> str:
    """The tag ``parsers.ParseImageName`` returns: ``latest`` when neither tag nor digest.

    An unparsable reference yields ``""`` (upstream ignores the error). Memoised: a
    pure function of the string, and manifests repeat a few images (two regexp
    matches per container otherwise).
    """
    m = _REFERENCE_RE.match(image)
    if m is None or len(m.group(1)) > 255 or _HEX64_RE.match(image):
        return ""
    tag, digest = m.group(2), m.group(3)
    if tag:
        return tag
    if digest:
        return ""
    return "latest"


def default_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` (or no tag and no digest), else ``IfNotPresent``."""
    return "Always" if image_tag(image) == "latest" else "IfNotPresent"


def _obj(parent: JSONDict, key: str) -> JSONDict | None:
    value = parent.get(key)
    return value if isinstance(value, dict) else None


def _list(parent: JSONDict, key: str) -> list[Any]:
    value = parent.get(key)
    return value if isinstance(value, list) else []


def _dicts(parent: JSONDict, key: str) -> list[JSONDict]:
    return [v for v in _list(parent, key) if isinstance(v, dict)]


def _set_default(obj: JSONDict, key: str, value: object) -> None:
    """Fill ``key`` when absent, null, or the Go zero value (``""``, ``0``)."""
    current = obj.get(key)
    if current is None or current == "" or (current == 0 and not isinstance(current, bool)):
        obj[key] = value


def _set_if_none(obj: JSONDict, key: str, value: object) -> None:
    """Fill a pointer field (only when absent or null)."""
    if obj.get(key) is None:
        obj[key] = value


def apply_pod_defaults(obj: JSONDict, gates: FeatureGates) -> None:
    """Default a Pod body in place, in ``SetObjectDefaults_Pod`` order.

    Steps: SetDefaults_Pod (requests from limits, enableServiceLinks, hostNetwork
    host ports), SetDefaults_PodSpec, each volume (source, modes, hostPath type,
    downward API fieldRef apiVersion, projected token expiry, ...), then init
    containers, containers and ephemeral containers (pull policy, termination
    message, port protocol, env fieldRef, probes, lifecycle handlers).
    """
    spec = _obj(obj, "spec")
    if spec is None:
        spec = {}
        obj["spec"] = spec
    _defaults_pod(spec)
    _defaults_pod_spec(spec)
    for vol in _dicts(spec, "volumes"):
        _defaults_volume(vol, gates)
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for ctr in _dicts(spec, key):
            _defaults_container(ctr)


def _defaults_pod(spec: JSONDict) -> None:
    for key in ("containers", "initContainers"):
        for ctr in _dicts(spec, key):
            res = _obj(ctr, "resources")
            if res is None:
                continue
            limits = _obj(res, "limits")
            if limits is None:
                continue
            requests = _obj(res, "requests")
            if requests is None:
                requests = {}
                res["requests"] = requests
            for name, qty in limits.items():
                requests.setdefault(name, qty)
    _set_if_none(spec, "enableServiceLinks", True)
    if spec.get("hostNetwork") is True:
        for key in ("containers", "initContainers"):
            for ctr in _dicts(spec, key):
                for port in _dicts(ctr, "ports"):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort", 0) or 0


def _defaults_pod_spec(spec: JSONDict) -> None:
    _set_default(spec, "dnsPolicy", "ClusterFirst")
    _set_default(spec, "restartPolicy", "Always")
    _set_if_none(spec, "securityContext", {})
    _set_if_none(spec, "terminationGracePeriodSeconds", 30)
    _set_default(spec, "schedulerName", "default-scheduler")


def _defaults_field_ref(holder: JSONDict) -> None:
    ref = _obj(holder, "fieldRef")
    if ref is not None:
        _set_default(ref, "apiVersion", "v1")


def _defaults_volume(vol: JSONDict, gates: FeatureGates) -> None:
    if all(vol[k] is None for k in _VOLUME_SOURCE_SET.intersection(vol)):
        vol["emptyDir"] = {}
    image = _obj(vol, "image")
    if gates.ImageVolume and image is not None and not image.get("pullPolicy"):
        image["pullPolicy"] = default_pull_policy(str(image.get("reference") or ""))
    host_path = _obj(vol, "hostPath")
    if host_path is not None:
        _set_if_none(host_path, "type", "")
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        src = _obj(vol, key)
        if src is not None:
            _set_if_none(src, "defaultMode", _DEFAULT_MODE)
    dapi = _obj(vol, "downwardAPI")
    if dapi is not None:
        for item in _dicts(dapi, "items"):
            _defaults_field_ref(item)
    iscsi = _obj(vol, "iscsi")
    if iscsi is not None:
        _set_default(iscsi, "iscsiInterface", "default")
    rbd = _obj(vol, "rbd")
    if rbd is not None:
        _set_default(rbd, "pool", "rbd")
        _set_default(rbd, "user", "admin")
        _set_default(rbd, "keyring", "/etc/ceph/keyring")
    azure = _obj(vol, "azureDisk")
    if azure is not None:
        _set_if_none(azure, "cachingMode", "ReadWrite")
        _set_if_none(azure, "fsType", "ext4")
        _set_if_none(azure, "readOnly", False)
        _set_if_none(azure, "kind", "Shared")
    projected = _obj(vol, "projected")
    if projected is not None:
        for source in _dicts(projected, "sources"):
            pdapi = _obj(source, "downwardAPI")
            if pdapi is not None:
                for item in _dicts(pdapi, "items"):
                    _defaults_field_ref(item)
            token = _obj(source, "serviceAccountToken")
            if token is not None:
                _set_if_none(token, "expirationSeconds", 3600)
    scale_io = _obj(vol, "scaleIO")
    if scale_io is not None:
        _set_default(scale_io, "storageMode", "ThinProvisioned")
        _set_default(scale_io, "fsType", "xfs")
    ephemeral = _obj(vol, "ephemeral")
    template = _obj(ephemeral, "volumeClaimTemplate") if ephemeral is not None else None
    if template is not None:
        pvc_spec = _obj(template, "spec")
        if pvc_spec is None:
            pvc_spec = {}
            template["spec"] = pvc_spec
        _set_if_none(pvc_spec, "volumeMode", "Filesystem")


def _defaults_probe(probe: JSONDict) -> None:
    _set_default(probe, "timeoutSeconds", 1)
    _set_default(probe, "periodSeconds", 10)
    _set_default(probe, "successThreshold", 1)
    _set_default(probe, "failureThreshold", 3)
    _defaults_handler(probe)


def _defaults_handler(handler: JSONDict) -> None:
    http_get = _obj(handler, "httpGet")
    if http_get is not None:
        _set_default(http_get, "path", "/")
        _set_default(http_get, "scheme", "HTTP")
    grpc = _obj(handler, "grpc")
    if grpc is not None:
        _set_if_none(grpc, "service", "")


_CONTAINER_NESTED = frozenset(
    {"ports", "env", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"}
)
"""The container fields whose contents get defaults (most containers have none)."""


def _defaults_container(ctr: JSONDict) -> None:
    if not ctr.get("imagePullPolicy"):
        ctr["imagePullPolicy"] = default_pull_policy(str(ctr.get("image") or ""))
    _set_default(ctr, "terminationMessagePath", "/dev/termination-log")
    _set_default(ctr, "terminationMessagePolicy", "File")
    if _CONTAINER_NESTED.isdisjoint(ctr):
        return
    for port in _dicts(ctr, "ports"):
        _set_default(port, "protocol", "TCP")
    for env in _dicts(ctr, "env"):
        value_from = _obj(env, "valueFrom")
        if value_from is not None:
            _defaults_field_ref(value_from)
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = _obj(ctr, key)
        if probe is not None:
            _defaults_probe(probe)
    lifecycle = _obj(ctr, "lifecycle")
    if lifecycle is not None:
        for key in ("postStart", "preStop"):
            handler = _obj(lifecycle, key)
            if handler is not None:
                _defaults_handler(handler)


def _all_containers(spec: JSONDict) -> list[JSONDict]:
    return [
        *_dicts(spec, "initContainers"),
        *_dicts(spec, "containers"),
        *_dicts(spec, "ephemeralContainers"),
    ]


def drop_disabled_fields(obj: JSONDict, gates: FeatureGates) -> None:
    """``dropDisabledFields`` for a create (no old object): remove gated-off fields.

    Steps, each only when its gate is off: hostUsers (UserNamespacesSupport),
    supplementalGroupsPolicy, seLinuxChangePolicy, pod-level resources,
    procMount → ``Default`` (ProcMountType), image volumes (ImageVolume),
    resizePolicy (InPlacePodVerticalScaling), init-container restartPolicy
    (SidecarContainers), restartPolicyRules and non-sidecar restartPolicy
    (ContainerRestartRules: ``dropContainerRestartRules``),
    recursiveReadOnly (RecursiveReadOnlyMounts), hostnameOverride (HostnameOverride).
    """
    spec = _obj(obj, "spec")
    if spec is None:
        return
    psc = _obj(spec, "securityContext")
    if not gates.UserNamespacesSupport:
        spec.pop("hostUsers", None)
    if not gates.SupplementalGroupsPolicy and psc is not None:
        psc.pop("supplementalGroupsPolicy", None)
    if not gates.SELinuxChangePolicy and psc is not None:
        psc.pop("seLinuxChangePolicy", None)
    if not gates.PodLevelResources:
        spec.pop("resources", None)
    if gates.ProcMountType and gates.InPlacePodVerticalScaling and gates.RecursiveReadOnlyMounts:
        containers: list[JSONDict] = []  # no step below walks every container
    else:
        containers = _all_containers(spec)
    if not gates.ProcMountType:
        for ctr in containers:
            sc = _obj(ctr, "securityContext")
            if sc is not None and sc.get("procMount") is not None:
                sc["procMount"] = "Default"
    if not gates.ImageVolume and "volumes" in spec:
        spec["volumes"] = [v for v in _list(spec, "volumes") if not _has(v, "image")]
    if not gates.InPlacePodVerticalScaling:
        for ctr in containers:
            ctr.pop("resizePolicy", None)
    if not gates.SidecarContainers:
        for ctr in _dicts(spec, "initContainers"):
            ctr.pop("restartPolicy", None)
    if not gates.ContainerRestartRules:
        # dropContainerRestartRules: init containers keep only restartPolicy Always;
        # regular and ephemeral containers lose restartPolicy; all lose the rules.
        for ctr in _dicts(spec, "initContainers"):
            if ctr.get("restartPolicy") is not None and ctr.get("restartPolicy") != "Always":
                ctr.pop("restartPolicy", None)
            ctr.pop("restartPolicyRules", None)
        for key in ("containers", "ephemeralContainers"):
            for ctr in _dicts(spec, key):
                ctr.pop("restartPolicy", None)
                ctr.pop("restartPolicyRules", None)
    if not gates.RecursiveReadOnlyMounts:
        for ctr in containers:
            for mount in _dicts(ctr, "volumeMounts"):
                mount.pop("recursiveReadOnly", None)
    if not gates.HostnameOverride:
        spec.pop("hostnameOverride", None)


def _has(value: object, key: str) -> bool:
    return isinstance(value, dict) and value.get(key) is not None


# DefaultTolerationSeconds admission (default-on plugin): 300 s for both taints.
_DEFAULT_TOLERATION_SECONDS = 300
_NOT_READY = "node.kubernetes.io/not-ready"
_UNREACHABLE = "node.kubernetes.io/unreachable"


def _tolerates(toleration: JSONDict, key: str, effect: str) -> bool:
    """``Toleration.ToleratesTaint`` for a taint ``key:NoExecute`` with empty value."""
    tol_effect = toleration.get("effect") or ""
    if tol_effect and tol_effect != effect:
        return False
    tol_key = toleration.get("key") or ""
    operator = toleration.get("operator") or ""
    if tol_key and tol_key != key:
        return False
    if operator == "Exists":
        return True
    if operator in ("", "Equal"):
        return bool(tol_key) and (toleration.get("value") or "") == ""
    return False


def apply_default_admission(obj: JSONDict) -> None:
    """What kube-apiserver's default-on mutating admission adds to a new Pod.

    Steps: ``Priority`` (no PriorityClass objects in seclet: ``priority: 0``,
    ``preemptionPolicy: PreemptLowerPriority`` when unset), then
    ``DefaultTolerationSeconds`` (append ``node.kubernetes.io/not-ready`` and
    ``node.kubernetes.io/unreachable`` ``Exists``/``NoExecute`` tolerations with
    ``tolerationSeconds: 300`` unless an existing toleration already covers the taint).
    """
    spec = _obj(obj, "spec")
    if spec is None:
        return
    if not spec.get("priorityClassName"):
        _set_if_none(spec, "priority", 0)
    _set_if_none(spec, "preemptionPolicy", "PreemptLowerPriority")
    tolerations = _list(spec, "tolerations")
    existing = [t for t in tolerations if isinstance(t, dict)]
    added: list[JSONDict] = []
    for key in (_NOT_READY, _UNREACHABLE):
        if not any(_tolerates(t, key, "NoExecute") for t in existing):
            added.append(
                {
                    "key": key,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": _DEFAULT_TOLERATION_SECONDS,
                }
            )
    if added:
        spec["tolerations"] = [*tolerations, *added]
