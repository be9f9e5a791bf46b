"""Discovery documents: what kubectl 1.35 reads before it sends a request.

Role: the resources seclet serves, as data, and the documents built from them:
``/version``, legacy discovery (``/api`` APIVersions, ``/apis`` APIGroupList,
``/apis/<group>`` APIGroup, ``/api/v1`` and ``/apis/<group>/v1`` APIResourceList),
aggregated discovery (``apidiscovery.k8s.io/v2`` APIGroupDiscoveryList, which kubectl
asks for first), and the OpenAPI v3 index and one document per group-version (core
``v1``, ``storage.k8s.io/v1``, ``coordination.k8s.io/v1``). Core resources:
configmaps (cm), events, namespaces, nodes, persistentvolumeclaims (pvc, status),
persistentvolumes (pv, status), pods (attach, eviction (a policy/v1 Eviction), exec,
log, status), secrets; named groups: storageclasses (sc), leases. The OpenAPI
documents are deliberately small: they carry what kubectl's field-validation probe
(``QueryParamVerifierV3``) reads — a PATCH operation per kind with
``x-kubernetes-group-version-kind`` and a ``fieldValidation`` query parameter — so
``kubectl apply``/``create`` (default ``--validate=strict``) send
``fieldValidation=Strict`` and the server's strict decoding answers.
Pure. Callers: ``seclet.apiserver.http``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

JSONObject = dict[str, Any]

AGGREGATED_V2: Final = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

VERSION: Final[JSONObject] = {
    "major": "1",
    "minor": "35",
    "emulationMajor": "1",
    "emulationMinor": "35",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "34",
    "gitVersion": "v1.35.0+seclet",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-12-17T00:00:00Z",
    "goVersion": "go1.25.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True, slots=True)
class Resource:
    """One REST resource of the core group (``v1``)."""

    name: str
    singular: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """(subresource, kind, verbs)."""


_RW = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

_STATUS = ("get", "patch", "update")

RESOURCES: Final = (
    Resource("configmaps", "configmap", "ConfigMap", True, _RW, ("cm",)),
    Resource("events", "event", "Event", True, _RW, ("ev",)),
    Resource(
        "namespaces",
        "namespace",
        "Namespace",
        False,
        ("create", "delete", "get", "list", "patch", "update", "watch"),
        ("ns",),
        subresources=(
            ("finalize", "Namespace", ("update",)),
            ("status", "Namespace", ("get", "patch", "update")),
        ),
    ),
    Resource(
        "nodes",
        "node",
        "Node",
        False,
        _RW,
        ("no",),
        subresources=(("status", "Node", ("get", "patch", "update")),),
    ),
    Resource(
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        True,
        _RW,
        ("pvc",),
        subresources=(("status", "PersistentVolumeClaim", _STATUS),),
    ),
    Resource(
        "persistentvolumes",
        "persistentvolume",
        "PersistentVolume",
        False,
        _RW,
        ("pv",),
        subresources=(("status", "PersistentVolume", _STATUS),),
    ),
    Resource(
        "pods",
        "pod",
        "Pod",
        True,
        _RW,
        ("po",),
        ("all",),
        subresources=(
            ("attach", "PodAttachOptions", ("create", "get")),
            ("eviction", "Eviction", ("create",)),
            ("exec", "PodExecOptions", ("create", "get")),
            ("log", "Pod", ("get",)),
            ("status", "Pod", ("get", "patch", "update")),
        ),
    ),
    Resource("secrets", "secret", "Secret", True, _RW),
)

BY_NAME: Final = {r.name: r for r in RESOURCES}

SUBRESOURCE_GROUPS: Final = {("pods", "eviction"): "policy"}
"""Subresources whose kind lives in a named group (``pods/eviction`` is a policy/v1
Eviction: the group and version kubectl drain's ``CheckEvictionSupport`` looks for)."""

COORDINATION: Final = "coordination.k8s.io"
COORDINATION_RESOURCES: Final = (Resource("leases", "lease", "Lease", True, _RW),)
"""``coordination.k8s.io/v1``: the node's Lease (the kubelet's heartbeat), which
``kubectl describe node`` reads from ``kube-node-lease``."""

STORAGE: Final = "storage.k8s.io"
STORAGE_RESOURCES: Final = (
    Resource("storageclasses", "storageclass", "StorageClass", False, _RW, ("sc",)),
)
"""``storage.k8s.io/v1``: StorageClasses (the other storage kinds are not served)."""

GROUPS: Final = ((STORAGE, STORAGE_RESOURCES), (COORDINATION, COORDINATION_RESOURCES))
"""The named groups, in the order ``/apis`` lists them (upstream's priority order)."""


def api_versions(server_address: str) -> JSONObject:
    """``/api`` (legacy): APIVersions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def api_group(group: str) -> JSONObject:
    """``/apis/<group>``: APIGroup."""
    version = {"groupVersion": f"{group}/v1", "version": "v1"}
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": [version],
        "preferredVersion": version,
    }


def api_group_list() -> JSONObject:
    """``/apis`` (legacy): the named groups (``storage.k8s.io``, ``coordination.k8s.io``)."""
    groups = []
    for group, _ in GROUPS:
        body = api_group(group)
        groups.append(
            {k: v for k, v in body.items() if k in ("name", "versions", "preferredVersion")}
        )
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _storage_hash(name: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def api_resource_list(
    resources: tuple[Resource, ...] = RESOURCES, group_version: str = "v1"
) -> JSONObject:
    """``/api/v1`` (or a named group's version): APIResourceList, resources then their
    subresources, by name."""
    entries: list[JSONObject] = []
    for r in resources:
        entry: JSONObject = {
            "name": r.name,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        entry["storageVersionHash"] = _storage_hash(r.name)
        entries.append(entry)
        for sub, kind, verbs in r.subresources:
            sub_entry: JSONObject = {
                "name": f"{r.name}/{sub}",
                "singularName": "",
                "namespaced": r.namespaced,
            }
            sub_group = SUBRESOURCE_GROUPS.get((r.name, sub))
            if sub_group is not None:
                sub_entry["group"] = sub_group
                sub_entry["version"] = "v1"
            sub_entry["kind"] = kind
            sub_entry["verbs"] = list(verbs)
            entries.append(sub_entry)
    return {"kind": "APIResourceList", "groupVersion": group_version, "resources": entries}


def _aggregated_resources(resources: tuple[Resource, ...], group: str) -> list[JSONObject]:
    out: list[JSONObject] = []
    for r in resources:
        entry: JSONObject = {
            "resource": r.name,
            "responseKind": {"group": group, "version": "v1", "kind": r.kind},
            "scope": "Namespaced" if r.namespaced else "Cluster",
            "singularResource": r.singular,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        if r.subresources:
            entry["subresources"] = [
                {
                    "subresource": sub,
                    "responseKind": {
                        "group": SUBRESOURCE_GROUPS.get((r.name, sub), group),
                        "version": "v1",
                        "kind": kind,
                    },
                    "verbs": list(verbs),
                }
                for sub, kind, verbs in r.subresources
            ]
        out.append(entry)
    return out


def aggregated_core() -> JSONObject:
    """``/api`` with aggregated discovery (``apidiscovery.k8s.io/v2``)."""
    resources = _aggregated_resources(RESOURCES, "")
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": [
            {
                "metadata": {"creationTimestamp": None},
                "versions": [{"version": "v1", "resources": resources, "freshness": "Current"}],
            }
        ],
    }


def aggregated_groups() -> JSONObject:
    """``/apis`` with aggregated discovery: ``storage.k8s.io``, ``coordination.k8s.io``."""
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": [
            {
                "metadata": {"name": group, "creationTimestamp": None},
                "versions": [
                    {
                        "version": "v1",
                        "resources": _aggregated_resources(resources, group),
                        "freshness": "Current",
                    }
                ],
            }
            for group, resources in GROUPS
        ],
    }


def wants_aggregated(accept: str) -> bool:
    """Whether an Accept header asks for aggregated discovery v2 (before plain JSON)."""
    for part in accept.split(","):
        params = {p.strip() for p in part.split(";")[1:]}
        if {"g=apidiscovery.k8s.io", "v=v2", "as=APIGroupDiscoveryList"} <= params:
            return True
        if part.split(";")[0].strip() in ("application/json", "*/*"):
            return False
    return False


_FIELD_VALIDATION_PARAM: Final[JSONObject] = {
    "name": "fieldValidation",
    "in": "query",
    "description": "fieldValidation instructs the server on how to handle objects in the "
    "request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: "
    "- Ignore - Warn (default) - Strict",
    "schema": {"type": "string", "uniqueItems": True},
}


def _patch_operation(r: Resource, group: str = "") -> JSONObject:
    tag = group.split(".", maxsplit=1)[0] if group else "core"
    return {
        "tags": [f"{tag}_v1"],
        "operationId": f"patch{tag.capitalize()}V1{'Namespaced' if r.namespaced else ''}{r.kind}",
        "parameters": [_FIELD_VALIDATION_PARAM],
        "requestBody": {
            "content": {
                t: {"schema": {"type": "object"}}
                for t in (
                    "application/apply-patch+yaml",
                    "application/json-patch+json",
                    "application/merge-patch+json",
                )
            },
            "required": True,
        },
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": group, "version": "v1", "kind": r.kind},
    }


def openapi_v3_core(group: str = "") -> JSONObject:
    """``/openapi/v3/api/v1`` (or ``apis/<group>/v1``): the operations kubectl's probes
    read."""
    paths: JSONObject = {}
    prefix = f"/apis/{group}/v1" if group else "/api/v1"
    resources = dict(GROUPS).get(group, ()) if group else RESOURCES
    for r in resources:
        if r.namespaced:
            path = f"{prefix}/namespaces/{{namespace}}/{r.name}/{{name}}"
        else:
            path = f"{prefix}/{r.name}/{{name}}"
        paths[path] = {"patch": _patch_operation(r, group)}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
        "paths": paths,
        "components": {"schemas": {}},
    }


def openapi_v3_core_bytes(group: str = "") -> bytes:
    return json.dumps(openapi_v3_core(group), separators=(",", ":")).encode()


def openapi_v3_index() -> JSONObject:
    """``/openapi/v3``: each group-version, addressed by its content hash."""
    paths: JSONObject = {}
    for group in ("", *(g for g, _ in GROUPS)):
        path = f"apis/{group}/v1" if group else "api/v1"
        digest = hashlib.sha512(openapi_v3_core_bytes(group)).hexdigest().upper()
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}
