"""``spec.volumes`` validation: ``ValidateVolumes`` and ``validateVolumeSource``.

Role: volume names (required, DNS-1123 label, unique), exactly one source per volume
(``may not specify more than 1 volume type`` on every extra source, in upstream's
source order, with upstream's path quirks such as ``downwarAPI``), and the
per-source rules for the sources pods on one node use: emptyDir, hostPath,
secret, configMap, downwardAPI, projected, persistentVolumeClaim, nfs, image,
ephemeral (template required), csi, gitRepo; network/cloud sources get their
required-field checks. Returns the name → volume map containers match against.
Callers: ``podspec.validate_pod_spec`` (first step); ``persistentvolume`` (the hostPath
and nfs checks upstream shares with PersistentVolumes).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from seclet.api import models
from seclet.api.field import (
    ErrorList,
    JSONValue,
    Path,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
    too_long,
)
from seclet.api.quantity import parse as parse_quantity
from seclet.validation.names import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    name_is_dns_subdomain,
)
from seclet.validation.profiles import (
    validate_local_descending_path,
    validate_local_non_reserved_path,
    validate_path_no_backsteps,
)
from seclet.validation.resourcefield import validate_resource_field_selector

FILE_MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive"
HOST_PATH_TYPES = (
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
)
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_VOLUME_DOWNWARD_FIELDS = (
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
)


def _bad_mode(mode: int | None) -> bool:
    return mode is not None and (mode > 0o777 or mode < 0)


def validate_key_to_path(kp: models.KeyToPath, path: Path) -> ErrorList:
    errs = ErrorList()
    if not kp.key:
        errs.append(required(path.child("key")))
    if not kp.path:
        errs.append(required(path.child("path")))
    errs.extend(validate_local_non_reserved_path(kp.path or "", path.child("path")))
    if _bad_mode(kp.mode):
        errs.append(invalid(path.child("mode"), kp.mode, FILE_MODE_MSG))
    return errs


def _secret(src: models.SecretVolumeSource, path: Path) -> ErrorList:
    errs = ErrorList()
    if not src.secretName:
        errs.append(required(path.child("secretName")))
    if _bad_mode(src.defaultMode):
        errs.append(invalid(path.child("defaultMode"), src.defaultMode, FILE_MODE_MSG))
    for i, kp in enumerate(src.items):
        errs.extend(validate_key_to_path(kp, path.child("items").index(i)))
    return errs


def _config_map(src: models.ConfigMapVolumeSource, path: Path) -> ErrorList:
    errs = ErrorList()
    if not src.name:
        errs.append(required(path.child("name")))
    if _bad_mode(src.defaultMode):
        errs.append(invalid(path.child("defaultMode"), src.defaultMode, FILE_MODE_MSG))
    for i, kp in enumerate(src.items):
        errs.extend(validate_key_to_path(kp, path.child("items").index(i)))
    return errs


def _object_field_selector(
    fs: models.ObjectFieldSelector, valid: tuple[str, ...], path: Path
) -> ErrorList:
    """``validateObjectFieldSelector`` (v1 field paths; subscripts on labels/annotations)."""
    if not fs.apiVersion:
        return ErrorList([required(path.child("apiVersion"))])
    field_path = fs.fieldPath or ""
    if not field_path:
        return ErrorList([required(path.child("fieldPath"))])
    if fs.apiVersion != "v1":
        return ErrorList(
            [
                invalid(
                    path.child("fieldPath"),
                    field_path,
                    f'error converting fieldPath: unsupported version "{fs.apiVersion}"',
                )
            ]
        )
    if field_path.endswith("']") and "['" in field_path:
        base, _, rest = field_path.partition("['")
        subscript = rest[:-2]
        if base == "metadata.annotations":
            return ErrorList(
                invalid(path, subscript.lower(), m) for m in is_qualified_name(subscript.lower())
            )
        if base == "metadata.labels":
            return ErrorList(invalid(path, subscript, m) for m in is_qualified_name(subscript))
        return ErrorList([invalid(path, base, "does not support subscript")])
    if field_path not in valid:
        return ErrorList([not_supported(path.child("fieldPath"), field_path, valid)])
    return ErrorList()


def _downward_file(f: models.DownwardAPIVolumeFile, path: Path) -> ErrorList:
    errs = ErrorList()
    if not f.path:
        errs.append(required(path.child("path")))
    errs.extend(validate_local_non_reserved_path(f.path or "", path.child("path")))
    if f.fieldRef is not None:
        errs.extend(
            _object_field_selector(f.fieldRef, _VOLUME_DOWNWARD_FIELDS, path.child("fieldRef"))
        )
        if f.resourceFieldRef is not None:
            errs.append(
                invalid(
                    path,
                    "resource",
                    "fieldRef and resourceFieldRef can not be specified simultaneously",
                )
            )
    elif f.resourceFieldRef is not None:
        errs.extend(
            validate_resource_field_selector(
                f.resourceFieldRef, path.child("resourceFieldRef"), volume=True
            )
        )
    else:
        errs.append(required(path, "one of fieldRef and resourceFieldRef is required"))
    if _bad_mode(f.mode):
        errs.append(invalid(path.child("mode"), f.mode, FILE_MODE_MSG))
    return errs


def _downward_api(src: models.DownwardAPIVolumeSource, path: Path) -> ErrorList:
    errs = ErrorList()
    if _bad_mode(src.defaultMode):
        errs.append(invalid(path.child("defaultMode"), src.defaultMode, FILE_MODE_MSG))
    for f in src.items:
        errs.extend(_downward_file(f, path))
    return errs


def _projected(src: models.ProjectedVolumeSource, path: Path, allow_non_local: bool) -> ErrorList:
    """``validateProjectedVolumeSource`` + ``validateProjectionSources``."""
    errs = ErrorList()
    if _bad_mode(src.defaultMode):
        errs.append(invalid(path.child("defaultMode"), src.defaultMode, FILE_MODE_MSG))
    all_paths: set[str] = set()
    for i, source in enumerate(src.sources):
        num = 0
        spath = path.child("sources").index(i)
        for kind, proj in (("secret", source.secret), ("configMap", source.configMap)):
            if proj is None:
                continue
            num += 1
            ppath = spath.child(kind)
            if not proj.name:
                errs.append(required(ppath.child("name")))
            for j, kp in enumerate(proj.items):
                errs.extend(validate_key_to_path(kp, ppath.child("items").index(j)))
                if kp.path:
                    if kp.path in all_paths:
                        errs.append(invalid(path, proj.name or "", "conflicting duplicate paths"))
                    else:
                        all_paths.add(kp.path)
        if source.downwardAPI is not None:
            num += 1
            ppath = spath.child("downwardAPI")
            for f in source.downwardAPI.items:
                errs.extend(_downward_file(f, ppath))
                if f.path:
                    if f.path in all_paths:
                        errs.append(invalid(path, f.path, "conflicting duplicate paths"))
                    else:
                        all_paths.add(f.path)
        token = source.serviceAccountToken
        if token is not None:
            num += 1
            tpath = spath.child("serviceAccountToken")
            seconds = token.expirationSeconds or 0
            if seconds < 600:
                errs.append(
                    invalid(
                        tpath.child("expirationSeconds"),
                        seconds,
                        "may not specify a duration less than 10 minutes",
                    )
                )
            if seconds > 1 << 32:
                errs.append(
                    invalid(
                        tpath.child("expirationSeconds"),
                        seconds,
                        "may not specify a duration larger than 2^32 seconds",
                    )
                )
            if not token.path:
                errs.append(required(path.child("path")))
            elif not allow_non_local:
                errs.extend(validate_local_non_reserved_path(token.path, path.child("path")))
        if source.clusterTrustBundle is not None:
            num += 1
            cpath = spath.child("clusterTrustBundle")
            ctb = source.clusterTrustBundle
            if ctb.name is None and ctb.signerName is None:
                errs.append(required(cpath, "either name or signerName must be specified"))
            if not ctb.path:
                errs.append(required(cpath.child("path")))
            errs.extend(validate_local_non_reserved_path(ctb.path or "", cpath.child("path")))
        if source.podCertificate is not None:
            num += 1
        if num > 1:
            errs.append(forbidden(spath, "may not specify more than 1 volume type per source"))
    return errs


def validate_host_path_volume_source(src: models.HostPathVolumeSource, path: Path) -> ErrorList:
    """``validateHostPathVolumeSource`` (a pod's volume and a PersistentVolume's)."""
    if not src.path:
        return ErrorList([required(path.child("path"))])
    errs = validate_path_no_backsteps(src.path, path.child("path"))
    if src.type is not None and src.type not in HOST_PATH_TYPES:
        errs.append(not_supported(path.child("type"), JSONValue(src.type), HOST_PATH_TYPES))
    return errs


def validate_nfs_volume_source(src: models.NFSVolumeSource, path: Path) -> ErrorList:
    """``validateNFSVolumeSource`` (a pod's volume and a PersistentVolume's)."""
    errs = ErrorList()
    if not src.server:
        errs.append(required(path.child("server")))
    if not src.path:
        errs.append(required(path.child("path")))
    if not (src.path or "").startswith("/"):
        errs.append(invalid(path.child("path"), src.path or "", "must be an absolute path"))
    return errs


def _csi(src: models.CSIVolumeSource, path: Path) -> ErrorList:
    errs = ErrorList()
    driver = src.driver or ""
    dpath = path.child("driver")
    if not driver:
        errs.append(required(dpath))
    if len(driver.encode()) > 63:
        errs.append(too_long(dpath, 63))
    for msg in is_dns1123_subdomain(driver.lower()):
        errs.append(invalid(dpath, driver, msg))
    ref = src.nodePublishSecretRef
    if ref is not None:
        if not ref.name:
            errs.append(required(path.child("nodePublishSecretRef", "name")))
        else:
            for msg in name_is_dns_subdomain(ref.name, False):
                errs.append(invalid(path.child("name"), ref.name, msg))
    return errs


def _image(src: models.ImageVolumeSource, path: Path, resource_is_pod: bool) -> ErrorList:
    errs = ErrorList()
    if resource_is_pod and not src.reference:
        errs.append(required(path.child("reference")))
    policy = src.pullPolicy or ""
    if policy == "":
        errs.append(required(path.child("pullPolicy")))
    elif policy not in _PULL_POLICIES:
        errs.append(not_supported(path.child("pullPolicy"), JSONValue(policy), _PULL_POLICIES))
    return errs


def _require(*attrs: str) -> Callable[[Any, Path], ErrorList]:
    def check(src: object, path: Path) -> ErrorList:
        errs = ErrorList()
        for a in attrs:
            if not getattr(src, a):
                errs.append(required(path.child(a)))
        return errs

    return check


def _git_repo(src: models.GitRepoVolumeSource, path: Path) -> ErrorList:
    errs = ErrorList()
    if not src.repository:
        errs.append(required(path.child("repository")))
    errs.extend(validate_local_descending_path(src.directory or "", path.child("directory")))
    return errs


def _empty_dir(src: models.EmptyDirVolumeSource, path: Path) -> ErrorList:
    """A negative ``sizeLimit`` (``SizeLimit.Cmp(Quantity{}) < 0``) is forbidden."""
    if src.sizeLimit is None:
        return ErrorList()
    parsed = parse_quantity(src.sizeLimit)
    if parsed is None or parsed[0] >= 0:
        return ErrorList()
    return ErrorList(
        [forbidden(path.child("sizeLimit"), "SizeLimit field must be a valid resource quantity")]
    )


def _ephemeral(src: models.EphemeralVolumeSource, path: Path) -> ErrorList:
    if src.volumeClaimTemplate is None:
        return ErrorList([required(path.child("volumeClaimTemplate"))])
    return ErrorList()


def _no_checks(src: object, path: Path) -> ErrorList:
    del src, path
    return ErrorList()


# (attribute, path used for "more than 1" errors, path used for its own checks, check)
_SOURCES: tuple[tuple[str, str, str, Callable[[Any, Path], ErrorList]], ...] = (
    ("hostPath", "hostPath", "hostPath", validate_host_path_volume_source),
    ("gitRepo", "gitRepo", "gitRepo", _git_repo),
    ("gcePersistentDisk", "gcePersistentDisk", "persistentDisk", _require("pdName")),
    ("awsElasticBlockStore", "awsElasticBlockStore", "awsElasticBlockStore", _require("volumeID")),
    ("secret", "secret", "secret", _secret),
    ("nfs", "nfs", "nfs", validate_nfs_volume_source),
    ("iscsi", "iscsi", "iscsi", _require("targetPortal", "iqn")),
    ("glusterfs", "glusterfs", "glusterfs", _require("endpoints", "path")),
    ("flocker", "flocker", "flocker", _no_checks),
    (
        "persistentVolumeClaim",
        "persistentVolumeClaim",
        "persistentVolumeClaim",
        _require("claimName"),
    ),
    ("rbd", "rbd", "rbd", _require("monitors", "image")),
    ("cinder", "cinder", "cinder", _require("volumeID")),
    ("cephfs", "cephFS", "cephfs", _require("monitors")),
    ("quobyte", "quobyte", "quobyte", _require("registry", "volume")),
    ("downwardAPI", "downwarAPI", "downwardAPI", _downward_api),
    ("fc", "fc", "fc", _no_checks),
    ("flexVolume", "flexVolume", "flexVolume", _require("driver")),
    ("configMap", "configMap", "configMap", _config_map),
    ("azureFile", "azureFile", "azureFile", _require("secretName", "shareName")),
    ("vsphereVolume", "vsphereVolume", "vsphereVolume", _require("volumePath")),
    ("photonPersistentDisk", "photonPersistentDisk", "photonPersistentDisk", _require("pdID")),
    ("portworxVolume", "portworxVolume", "portworxVolume", _require("volumeID")),
    ("azureDisk", "azureDisk", "azureDisk", _require("diskName", "diskURI")),
    ("storageos", "storageos", "storageos", _require("volumeName")),
    ("projected", "projected", "projected", _no_checks),
    ("scaleIO", "scaleIO", "scaleIO", _require("gateway", "system", "volumeName")),
    ("csi", "csi", "csi", _csi),
    ("ephemeral", "ephemeral", "ephemeral", _ephemeral),
    ("image", "image", "image", _no_checks),
)


_GET_SOURCES = operator.attrgetter(*(attr for attr, _, _, _ in _SOURCES))
# Every source has its own model class (with at least one field, so a set source is
# truthy): the class of a set source names its ``_SOURCES`` entry.
_SOURCE_CLASS = {f.attr: f.type.cls for f in models.FIELDS[models.Volume]}
_BY_CLASS: dict[object, tuple[str, str, str, Callable[[Any, Path], ErrorList]]] = {
    _SOURCE_CLASS[entry[0]]: entry for entry in _SOURCES
}
assert len(_BY_CLASS) == len(_SOURCES)


def validate_volume_source(
    vol: models.Volume, path: Path, resource_is_pod: bool, allow_non_local_token: bool
) -> ErrorList:
    """``validateVolumeSource``: sources in upstream's order (emptyDir first), one allowed.

    ``filter`` picks the set sources out in C, in ``_SOURCES`` order, so a volume
    costs its one or two set sources rather than a walk over all thirty.
    """
    errs = ErrorList()
    num = 0
    if vol.emptyDir is not None:
        num += 1
        if vol.emptyDir.sizeLimit is not None:
            errs.extend(_empty_dir(vol.emptyDir, path.child("emptyDir")))
    for src in filter(None, _GET_SOURCES(vol)):
        attr, forbid_name, check_name, check = _BY_CLASS[type(src)]
        if num > 0:
            errs.append(
                forbidden(path.child(forbid_name), "may not specify more than 1 volume type")
            )
            continue
        num += 1
        if attr == "projected":
            errs.extend(_projected(src, path.child(check_name), allow_non_local_token))
        elif attr == "image":
            errs.extend(_image(src, path.child(check_name), resource_is_pod))
        elif check is not _no_checks:
            errs.extend(check(src, path.child(check_name)))
    if num == 0:
        errs.append(required(path, "must specify a volume type"))
    return errs


def validate_volumes(
    volumes: tuple[models.Volume, ...],
    path: Path,
    resource_is_pod: bool = True,
    allow_non_local_token: bool = False,
) -> tuple[dict[str, models.Volume], ErrorList]:
    """``ValidateVolumes``: per volume, source errors then name errors."""
    errs = ErrorList()
    names: dict[str, models.Volume] = {}
    for i, vol in enumerate(volumes):
        ipath = path.index(i)
        el = validate_volume_source(vol, ipath, resource_is_pod, allow_non_local_token)
        name = vol.name or ""
        if not name:
            el.append(required(ipath.child("name")))
        else:
            msgs = is_dns1123_label(name)
            if msgs:
                npath = ipath.child("name")
                el.extend(invalid(npath, name, m) for m in msgs)
        if name in names:
            el.append(duplicate(ipath.child("name"), name))
        if el:
            errs.extend(el)
        else:
            names[name] = vol
    return names, errs
