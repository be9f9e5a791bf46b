"""The HTTP face of the API server: routing, (de)serialisation, Status mapping.

Role: an aiohttp application over a ``Registry``: bearer-token authentication (401
Status ``Unauthorized``; ``/healthz``, ``/livez``, ``/readyz`` and their checks open;
``/metrics`` authenticated, counting ``apiserver_request_total``), the body limit
(413 over 3 MiB), JSON/YAML request bodies, query parameters (``fieldValidation``,
``dryRun``, ``labelSelector``, ``fieldSelector``, ``watch``, ``resourceVersion``,
``timeoutSeconds``; ``fieldManager``, ``force`` and the User-Agent name the writer
for ``metadata.managedFields`` and server-side apply), ``Accept`` negotiation
(aggregated discovery, server-side Tables), ``Warning`` headers, chunked watch
streams (with watch-list: ``sendInitialEvents`` ends its initial events with a
BOOKMARK), and every
``APIError`` as its metav1.Status. Resources: namespaces, pods (+ ``status``; ``log``,
``exec``, ``attach`` in ``streaming``), nodes, events, coordination.k8s.io leases, and
the simple kinds of ``objects`` (configmaps, secrets, persistentvolumes and claims with
``status``, storage.k8s.io storageclasses).
Decisions stay in ``registry``/``discovery``/``tables``/``connect``/``channels``.
Callers: ``seclet.apiserver.server`` (``make_app``), tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from seclet.api.parse import ParseError, parse_stream
from seclet.apiserver import discovery, protobuf, streaming, tables
from seclet.apiserver import patch as patching
from seclet.apiserver import status as st
from seclet.apiserver.eviction import evict
from seclet.apiserver.metrics import RequestCounter, new_registry, request_labels
from seclet.apiserver.nodes import Nodes
from seclet.apiserver.objects import KINDS, Kind, Objects
from seclet.apiserver.registry import Registry, Result
from seclet.apiserver.streaming import NODE_KEY, REGISTRY_KEY
from seclet.nodeapi import NodeClient
from seclet.store.api import StorageError

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

log = logging.getLogger("seclet.apiserver")

MAX_BODY: Final = 3 * 1024 * 1024
"""kube-apiserver's limit for a JSON/YAML request body (``maxRequestBodyBytes``)."""
OPEN_PATHS: Final = frozenset({"/healthz", "/livez", "/readyz"})
TOKEN_KEY: Final = web.AppKey("token", str)
OBJECTS_KEY: Final = web.AppKey("objects", Objects)
METRICS_KEY: Final = web.AppKey[Callable[[], "CollectorRegistry"]]("metrics")
"""The registry ``/metrics`` writes, asked for at each scrape (made on first use)."""
COUNTER_KEY: Final = web.AppKey("request_counter", RequestCounter)
METRICS_CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
"""What kube-apiserver's ``/metrics`` answers by default (Prometheus text 0.0.4)."""
LIVEZ_CHECKS: Final = ("ping", "log", "store")
READYZ_CHECKS: Final = ("ping", "log", "store", "shutdown")
"""The health checks, named as upstream's where they mean the same (``store`` is
seclet's object store where upstream checks etcd)."""
ADDRESS_KEY: Final[web.AppKey[Callable[[], str]]] = web.AppKey("address")
LIST_KINDS: Final = {
    "pods": "PodList",
    "namespaces": "NamespaceList",
    "nodes": "NodeList",
    "events": "EventList",
    "leases": "LeaseList",
    **{k.resource: f"{k.kind}List" for k in KINDS.values()},
}
API_VERSIONS: Final = {
    "leases": f"{discovery.COORDINATION}/v1",
    **{k.resource: k.api_version for k in KINDS.values() if k.group},
}
"""Resources outside the core group, by their group/version."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json_response(body: Any, status: int = 200, warnings: tuple[str, ...] = ()) -> web.Response:
    resp = web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )
    for w in warnings:
        resp.headers.add("Warning", warning_header(w))
    return resp


def warning_header(text: str) -> str:
    """RFC 7234 warning as kube-apiserver writes it: ``299 - "<text>"``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{escaped}"'


def status_response(err: st.APIError) -> web.Response:
    resp = _json_response(err.status, err.code)
    if err.code == 413:
        resp.force_close()  # the unread body is not drained
    return resp


def _is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(("/livez/", "/readyz/", "/healthz/"))


@web.middleware
async def _count(request: web.Request, handler: Handler) -> web.StreamResponse:
    """``apiserver_request_total``: one count per answered resource request."""
    response = await handler(request)
    labels = request_labels(
        request.method,
        request.path,
        request.query,
        request.headers.get("Content-Type", ""),
        response.status,
    )
    if labels is not None:
        request.app[COUNTER_KEY].inc(labels)
    return response


@web.middleware
async def _errors_and_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if not _is_open(request.path):
            expected = request.app[TOKEN_KEY]
            auth = request.headers.get("Authorization", "")
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(
                token.strip().encode(), expected.encode()
            ):
                raise st.unauthorized()
        return await handler(request)
    except st.APIError as err:
        return status_response(err)
    except StorageError as exc:  # a full or failing disk: etcd's failures are 500s upstream
        return status_response(st.internal(str(exc)))
    except web.HTTPRequestEntityTooLarge:
        return status_response(st.too_large(MAX_BODY))
    except web.HTTPNotFound:
        return status_response(st.not_found_path())
    except web.HTTPMethodNotAllowed as exc:
        return status_response(
            st.APIError(
                st.status(
                    405,
                    "MethodNotAllowed",
                    f"the server does not allow this method on the requested "
                    f"resource ({exc.method})",
                )
            )
        )


async def _body(request: web.Request) -> Any:
    """The request body as a JSON-like value (JSON, or YAML for apply patches)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise st.too_large(MAX_BODY)
    data = await request.read()
    if len(data) > MAX_BODY:
        raise st.too_large(MAX_BODY)
    if not data.strip():
        return {}
    if request.content_type == protobuf.MEDIA_TYPE:
        try:
            return protobuf.decode(data)
        except (protobuf.ProtobufError, UnicodeDecodeError):
            raise st.unsupported_media_type("application/json, application/yaml") from None
    try:
        docs = list(parse_stream(data, fast=False))  # see seclet.api.parse: no yaml-rs here
    except ParseError as exc:
        raise st.bad_request(str(exc)) from None
    if len(docs) != 1:
        raise st.bad_request("the request body must hold exactly one object")
    return docs[0]


def _field_validation(request: web.Request) -> str:
    value = request.query.get("fieldValidation", "")
    if value in ("", "Warn"):
        return "Warn"
    if value in ("Strict", "Ignore"):
        return value
    raise st.bad_request(
        f"fieldValidation parameter unsupported: {value}, valid values are: Ignore, Warn, Strict"
    )


def _dry_run(request: web.Request) -> bool:
    values = request.query.getall("dryRun", [])
    for v in values:
        if v != "All":
            raise st.bad_request(f'Invalid dry run value "{v}"; dry run values must be "All"')
    return bool(values)


def _writer(request: web.Request, options: str, patch_type: str | None = None) -> patching.Writer:
    """Who writes (``fieldManager``, User-Agent, ``force``), validated as upstream's
    ``options`` (CreateOptions, UpdateOptions, PatchOptions; 422)."""
    forces = request.query.getall("force", [])
    force = None if not forces else not (forces[0] == "0" or forces[0].lower() == "false")
    writer = patching.Writer(
        field_manager=request.query.get("fieldManager", ""),
        user_agent=request.headers.get("User-Agent", ""),
        force=force,
    )
    patching.check_options(options, writer, patch_type)
    return writer


def _list_item(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def _registry(request: web.Request) -> Registry:
    return request.app[REGISTRY_KEY]


def _wants_table(request: web.Request) -> bool:
    return tables.wants_table(request.headers.get("Accept", ""))


def _object_response(
    request: web.Request, resource: str, result: Result, status: int = 200
) -> web.Response:
    if _wants_table(request) and resource in tables.ROWS:
        body = tables.table(
            resource,
            [result.object],
            _registry(request).clock(),
            include_object=request.query.get("includeObject", "Metadata"),
        )
        return _json_response(body, status, result.warnings)
    return _json_response(result.object, status, result.warnings)


# -- discovery ---------------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok", content_type="text/plain")


def _check(request: web.Request, name: str) -> bool:
    """One health check: ``store`` answers its resourceVersion; ``ping``, ``log`` and
    ``shutdown`` (not shutting down while serving) pass."""
    if name != "store":
        return True
    try:
        _registry(request).store.current_resource_version()
    except Exception:  # any failure of the store is a failed check
        return False
    return True


def _health(endpoint: str, checks: tuple[str, ...]) -> Handler:
    """``/livez``, ``/readyz`` as upstream's healthz handler: ``ok``; with ``?verbose``
    (or on failure) one ``[+]<check> ok`` / ``[-]<check> failed: reason withheld``
    line per check and ``<endpoint> check passed|failed``; ``?exclude=<check>`` skips
    a check; ``/<endpoint>/<check>`` runs one (404 for an unknown one)."""

    async def handler(request: web.Request) -> web.Response:
        one = request.match_info.get("check")
        if one is not None:
            if one not in checks:
                raise st.not_found_path()
            ok = _check(request, one)
            text = "ok" if ok else "internal server error: reason withheld\n"
            return web.Response(text=text, status=200 if ok else 500, content_type="text/plain")
        excluded = set(request.query.getall("exclude", []))
        lines: list[str] = []
        failed = False
        for name in checks:
            if name in excluded:
                lines.append(f"[+]{name} excluded: ok")
                continue
            if _check(request, name):
                lines.append(f"[+]{name} ok")
            else:
                failed = True
                lines.append(f"[-]{name} failed: reason withheld")
        if failed:
            body = "\n".join(lines) + f"\n{endpoint} check failed\n"
            return web.Response(text=body, status=500, content_type="text/plain")
        if "verbose" not in request.query:
            return web.Response(text="ok", content_type="text/plain")
        body = "\n".join(lines) + f"\n{endpoint} check passed\n"
        return web.Response(text=body, content_type="text/plain")

    return handler


async def metrics(request: web.Request) -> web.Response:
    """``/metrics``: the server's registry in the Prometheus text format."""
    from prometheus_client.exposition import generate_latest  # noqa: PLC0415 - see metrics.py

    body = generate_latest(request.app[METRICS_KEY]())
    return web.Response(body=body, headers={"Content-Type": METRICS_CONTENT_TYPE})


async def version(request: web.Request) -> web.Response:
    return _json_response(discovery.VERSION)


async def api(request: web.Request) -> web.Response:
    if discovery.wants_aggregated(request.headers.get("Accept", "")):
        resp = _json_response(discovery.aggregated_core())
        resp.headers["Content-Type"] = discovery.AGGREGATED_V2
        return resp
    return _json_response(discovery.api_versions(request.app[ADDRESS_KEY]()))


async def apis(request: web.Request) -> web.Response:
    if discovery.wants_aggregated(request.headers.get("Accept", "")):
        resp = _json_response(discovery.aggregated_groups())
        resp.headers["Content-Type"] = discovery.AGGREGATED_V2
        return resp
    return _json_response(discovery.api_group_list())


async def api_v1(request: web.Request) -> web.Response:
    return _json_response(discovery.api_resource_list())


async def openapi_v3(request: web.Request) -> web.Response:
    return _json_response(discovery.openapi_v3_index())


async def openapi_v3_core(request: web.Request) -> web.Response:
    return web.Response(body=discovery.openapi_v3_core_bytes(), content_type="application/json")


# -- collections -------------------------------------------------------------------------


async def _list_or_watch(
    request: web.Request, resource: str, namespace: str | None
) -> web.StreamResponse:
    q = request.query
    if q.get("watch") in ("true", "1"):
        return await _watch(request, resource, namespace)
    items, rv = _registry(request).list(
        resource, namespace, q.get("labelSelector", ""), q.get("fieldSelector", "")
    )
    if _wants_table(request) and resource in tables.ROWS:
        body = tables.table(
            resource,
            items,
            _registry(request).clock(),
            resource_version=str(rv),
            include_object=q.get("includeObject", "Metadata"),
        )
        return _json_response(body)
    return _json_response(
        {
            "kind": LIST_KINDS.get(resource, "List"),
            "apiVersion": API_VERSIONS.get(resource, "v1"),
            "metadata": {"resourceVersion": str(rv)},
            "items": [_list_item(o) for o in items],
        }
    )


def _bookmark(resource: str, resource_version: int) -> dict[str, Any]:
    """The BOOKMARK that ends a watch-list's initial events."""
    return {
        "kind": LIST_KINDS.get(resource, "List").removesuffix("List"),
        "apiVersion": API_VERSIONS.get(resource, "v1"),
        "metadata": {
            "resourceVersion": str(resource_version),
            "annotations": {"k8s.io/initial-events-end": "true"},
        },
    }


async def _watch(request: web.Request, resource: str, namespace: str | None) -> web.StreamResponse:
    q = request.query
    registry = _registry(request)
    initial: list[tuple[str, dict[str, Any]]] = []
    since = q.get("resourceVersion", "")
    if q.get("sendInitialEvents") == "true":
        # Watch-list (client-go's WatchListClient, on in kubectl 1.35): the current
        # objects as ADDED, then a BOOKMARK marking the end of the initial events.
        items, rv = registry.list(
            resource, namespace, q.get("labelSelector", ""), q.get("fieldSelector", "")
        )
        initial = [("ADDED", item) for item in items]
        initial.append(("BOOKMARK", _bookmark(resource, rv)))
        since = str(rv) if rv else ""
    events = registry.watch(
        resource,
        namespace,
        since,
        q.get("labelSelector", ""),
        q.get("fieldSelector", ""),
    )
    as_table = _wants_table(request) and resource in tables.ROWS
    timeout = float(q["timeoutSeconds"]) if q.get("timeoutSeconds", "").isdigit() else None
    resp = web.StreamResponse(status=200)
    resp.content_type = "application/json"
    resp.enable_chunked_encoding()
    first = True

    def encode(kind: str, obj: dict[str, Any]) -> bytes:
        nonlocal first
        if as_table and kind not in ("ERROR", "BOOKMARK"):
            obj = tables.table(
                resource,
                [obj],
                registry.clock(),
                with_columns=first,
                include_object=q.get("includeObject", "Metadata"),
            )
            first = False
        return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"

    async def pump() -> None:
        for kind, obj in initial:
            await resp.write(encode(kind, obj))
        try:
            async for event in events:
                await resp.write(encode(event.type, event.object))
        except st.APIError as err:
            await resp.write(encode("ERROR", err.status))

    # Validate selectors and the resourceVersion before answering 200.
    try:
        await resp.prepare(request)
        if timeout is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pump(), timeout)
        else:
            await pump()
    except ConnectionError:
        return resp  # the client closed its watch: nothing is left to tell it
    finally:
        await events.aclose()
    return resp


async def namespaces_collection(request: web.Request) -> web.StreamResponse:
    if request.method == "POST":
        result = _registry(request).create_namespace(
            await _body(request),
            field_validation=_field_validation(request),
            dry_run=_dry_run(request),
            writer=_writer(request, "CreateOptions"),
        )
        return _object_response(request, "namespaces", result, 201)
    return await _list_or_watch(request, "namespaces", None)


async def namespace_item(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    registry = _registry(request)
    if request.method == "GET":
        return _object_response(request, "namespaces", Result(registry.get("namespaces", "", name)))
    if request.method == "DELETE":
        options = await _body(request)
        return _object_response(
            request, "namespaces", registry.delete_namespace(name, _dict(options))
        )
    if request.method == "PUT":  # kubectl replace: an update, not a patch
        result = registry.update_namespace(
            name,
            await _body(request),
            field_validation=_field_validation(request),
            dry_run=_dry_run(request),
            writer=_writer(request, "UpdateOptions"),
        )
        return _object_response(request, "namespaces", result)
    patch_type = _patch_type(request)
    result = registry.patch_namespace(
        name,
        patch_type,
        await _body(request),
        field_validation=_field_validation(request),
        dry_run=_dry_run(request),
        writer=_writer(request, "PatchOptions", patch_type),
    )
    return _object_response(request, "namespaces", result)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _patch_type(request: web.Request) -> str:
    ctype = request.headers.get("Content-Type", "").split(";")[0].strip()
    if ctype not in patching.PATCH_TYPES:
        raise st.unsupported_media_type(", ".join(patching.PATCH_TYPES))
    return ctype


async def pods_collection(request: web.Request) -> web.StreamResponse:
    namespace = request.match_info["namespace"]
    if request.method == "POST":
        result = _registry(request).create_pod(
            namespace,
            await _body(request),
            field_validation=_field_validation(request),
            dry_run=_dry_run(request),
            writer=_writer(request, "CreateOptions"),
        )
        return _object_response(request, "pods", result, 201)
    return await _list_or_watch(request, "pods", namespace)


async def pods_all(request: web.Request) -> web.StreamResponse:
    return await _list_or_watch(request, "pods", None)


async def pod_item(request: web.Request) -> web.StreamResponse:
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    registry = _registry(request)
    if request.method == "GET":
        return _object_response(request, "pods", Result(registry.get("pods", namespace, name)))
    if request.method == "DELETE":
        options = await _delete_options(request)
        # Pods return the object, graceful or not (200, as upstream's pod registry).
        return _object_response(request, "pods", registry.delete_pod(namespace, name, options))
    if request.method == "PUT":  # kubectl replace: an update, not a patch
        result = registry.update_pod(
            namespace,
            name,
            await _body(request),
            field_validation=_field_validation(request),
            dry_run=_dry_run(request),
            writer=_writer(request, "UpdateOptions"),
        )
        return _object_response(request, "pods", result)
    patch_type = _patch_type(request)
    result = registry.patch_pod(
        namespace,
        name,
        patch_type,
        await _body(request),
        field_validation=_field_validation(request),
        dry_run=_dry_run(request),
        writer=_writer(request, "PatchOptions", patch_type),
    )
    return _object_response(request, "pods", result)


async def _delete_options(request: web.Request) -> dict[str, Any]:
    options = _dict(await _body(request))
    if _dry_run(request):
        options["dryRun"] = ["All"]
    if "gracePeriodSeconds" in request.query:
        try:
            options["gracePeriodSeconds"] = int(request.query["gracePeriodSeconds"])
        except ValueError:
            raise st.bad_request(
                f'strconv.ParseInt: parsing "{request.query["gracePeriodSeconds"]}": invalid syntax'
            ) from None
    return options


async def pod_status(request: web.Request) -> web.StreamResponse:
    """``pods/{name}/status``: get, update (PUT), patch."""
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    registry = _registry(request)
    if request.method == "GET":
        return _object_response(request, "pods", Result(registry.get("pods", namespace, name)))
    if request.method == "PUT":
        result = registry.update_pod_status(
            namespace, name, await _body(request), writer=_writer(request, "UpdateOptions")
        )
    else:
        patch_type = _patch_type(request)
        result = registry.patch_pod_status(
            namespace,
            name,
            patch_type,
            await _body(request),
            writer=_writer(request, "PatchOptions", patch_type),
        )
    return _object_response(request, "pods", result)


async def pod_eviction(request: web.Request) -> web.StreamResponse:
    """``pods/{name}/eviction`` (kubectl drain): 201 with a Success Status."""
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    body = evict(
        _registry(request), namespace, name, await _body(request), dry_run=_dry_run(request)
    )
    return _json_response(body, 201)


async def nodes_collection(request: web.Request) -> web.StreamResponse:
    return await _list_or_watch(request, "nodes", None)


async def node_item(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    registry = _registry(request)
    if request.method == "DELETE":
        return _json_response(
            registry.delete_object("nodes", "", name, await _delete_options(request))
        )
    if request.method == "PUT":  # kubectl replace
        result = Nodes(registry).update(
            name,
            await _body(request),
            field_validation=_field_validation(request),
            dry_run=_dry_run(request),
            writer=_writer(request, "UpdateOptions"),
        )
        return _object_response(request, "nodes", result)
    if request.method == "PATCH":  # kubectl cordon, label, annotate, taint
        patch_type = _patch_type(request)
        result = Nodes(registry).patch(
            name,
            patch_type,
            await _body(request),
            field_validation=_field_validation(request),
            dry_run=_dry_run(request),
            writer=_writer(request, "PatchOptions", patch_type),
        )
        return _object_response(request, "nodes", result)
    return _object_response(request, "nodes", Result(registry.get("nodes", "", name)))


async def events_collection(request: web.Request) -> web.StreamResponse:
    namespace = request.match_info["namespace"]
    if request.method == "POST":
        result = _registry(request).create_event(
            namespace,
            await _body(request),
            field_validation=_field_validation(request),
            dry_run=_dry_run(request),
            writer=_writer(request, "CreateOptions"),
        )
        return _object_response(request, "events", result, 201)
    return await _list_or_watch(request, "events", namespace)


async def coordination_v1(request: web.Request) -> web.Response:
    return _json_response(
        discovery.api_resource_list(
            discovery.COORDINATION_RESOURCES, f"{discovery.COORDINATION}/v1"
        )
    )


async def leases_collection(request: web.Request) -> web.StreamResponse:
    return await _list_or_watch(request, "leases", request.match_info.get("namespace"))


async def lease_item(request: web.Request) -> web.StreamResponse:
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    return _object_response(
        request, "leases", Result(_registry(request).get("leases", namespace, name))
    )


async def events_all(request: web.Request) -> web.StreamResponse:
    return await _list_or_watch(request, "events", None)


async def event_item(request: web.Request) -> web.StreamResponse:
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    registry = _registry(request)
    if request.method == "DELETE":
        return _json_response(
            registry.delete_object("events", namespace, name, await _delete_options(request))
        )
    return _object_response(request, "events", Result(registry.get("events", namespace, name)))


async def openapi_v2(request: web.Request) -> web.StreamResponse:
    raise st.not_found_path()


async def openapi_v3_group(request: web.Request) -> web.StreamResponse:
    group = request.match_info["group"]
    if group not in dict(discovery.GROUPS):
        raise st.not_found_path()
    return web.Response(
        body=discovery.openapi_v3_core_bytes(group), content_type="application/json"
    )


# -- the simple kinds (seclet.apiserver.objects) --------------------------------------


def _objects(request: web.Request) -> Objects:
    return request.app[OBJECTS_KEY]


def kind_handlers(kind: Kind) -> tuple[Handler, Handler, Handler]:
    """The collection, item and ``status`` handlers of one simple kind."""

    async def collection(request: web.Request) -> web.StreamResponse:
        namespace = request.match_info.get("namespace")
        if request.method == "DELETE":
            return _json_response(
                _objects(request).delete_collection(
                    kind,
                    namespace,
                    await _delete_options(request),
                    request.query.get("labelSelector", ""),
                    request.query.get("fieldSelector", ""),
                )
            )
        if request.method == "POST":
            result = _objects(request).create(
                kind,
                namespace or "",
                await _body(request),
                field_validation=_field_validation(request),
                dry_run=_dry_run(request),
                writer=_writer(request, "CreateOptions"),
            )
            return _object_response(request, kind.resource, result, 201)
        return await _list_or_watch(request, kind.resource, namespace)

    async def item(request: web.Request) -> web.StreamResponse:
        namespace = request.match_info.get("namespace", "")
        name = request.match_info["name"]
        objects = _objects(request)
        if request.method == "GET":
            return _object_response(
                request, kind.resource, Result(objects.get(kind, namespace, name))
            )
        if request.method == "DELETE":
            options = await _delete_options(request)
            answer = objects.delete(kind, namespace, name, options)
            if answer.get("kind") == "Status":
                return _json_response(answer)
            return _object_response(request, kind.resource, Result(answer))
        if request.method == "PUT":
            result = objects.update(
                kind,
                namespace,
                name,
                await _body(request),
                field_validation=_field_validation(request),
                dry_run=_dry_run(request),
                writer=_writer(request, "UpdateOptions"),
            )
        else:
            patch_type = _patch_type(request)
            result = objects.patch(
                kind,
                namespace,
                name,
                patch_type,
                await _body(request),
                field_validation=_field_validation(request),
                dry_run=_dry_run(request),
                writer=_writer(request, "PatchOptions", patch_type),
            )
        return _object_response(request, kind.resource, result)

    async def status(request: web.Request) -> web.StreamResponse:
        namespace = request.match_info.get("namespace", "")
        name = request.match_info["name"]
        objects = _objects(request)
        if request.method == "GET":
            return _object_response(
                request, kind.resource, Result(objects.get(kind, namespace, name))
            )
        if request.method == "PUT":
            result = objects.update_status(
                kind,
                namespace,
                name,
                await _body(request),
                writer=_writer(request, "UpdateOptions"),
            )
        else:
            patch_type = _patch_type(request)
            result = objects.patch_status(
                kind,
                namespace,
                name,
                patch_type,
                await _body(request),
                writer=_writer(request, "PatchOptions", patch_type),
            )
        return _object_response(request, kind.resource, result)

    return collection, item, status


def _add_kind_routes(router: web.UrlDispatcher, kind: Kind) -> None:
    collection, item, status = kind_handlers(kind)
    base = f"/apis/{kind.group}/v1" if kind.group else "/api/v1"
    if kind.namespaced:
        router.add_get(f"{base}/{kind.resource}", collection)
        path = f"{base}/namespaces/{{namespace}}/{kind.resource}"
    else:
        path = f"{base}/{kind.resource}"
    for method in ("GET", "POST", "DELETE"):
        router.add_route(method, path, collection)
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        router.add_route(method, path + "/{name}", item)
    if kind.has_status:
        for method in ("GET", "PUT", "PATCH"):
            router.add_route(method, path + "/{name}/status", status)


async def storage_v1(request: web.Request) -> web.Response:
    return _json_response(
        discovery.api_resource_list(discovery.STORAGE_RESOURCES, f"{discovery.STORAGE}/v1")
    )


async def named_group(request: web.Request) -> web.Response:
    group = request.match_info["group"]
    if group not in dict(discovery.GROUPS):
        raise st.not_found_path()
    return _json_response(discovery.api_group(group))


def make_app(
    registry: Registry,
    token: str,
    address: Callable[[], str],
    node_client: NodeClient | None = None,
    *,
    node_client_source: Callable[[], NodeClient | None] | None = None,
    metrics_registry: CollectorRegistry | None = None,
    metrics_source: Callable[[], CollectorRegistry] | None = None,
    request_counter: RequestCounter | None = None,
) -> web.Application:
    """The application: ``registry`` decides, ``token`` authenticates, ``address()`` is
    what ``/api`` reports as the server's address (known once listening), and
    ``node_client`` is the kubelet that serves ``pods/log`` and ``pods/exec`` (None: no
    node; those answer 500 ``error dialing backend``). ``node_client_source``, when
    given, is asked on each request instead (a node connected after start).
    ``metrics_registry`` is the registry ``/metrics`` exposes (a new one when None);
    the server registers ``apiserver_request_total`` on it and other components
    register theirs on the same instance. ``metrics_source`` instead: asked at each
    scrape, its maker registers ``request_counter`` (``Server``: a registry made on
    first use)."""
    app = web.Application(middlewares=[_count, _errors_and_auth], client_max_size=MAX_BODY + 1)
    app[COUNTER_KEY] = request_counter if request_counter is not None else RequestCounter()
    if metrics_source is None:
        own = metrics_registry if metrics_registry is not None else new_registry()
        own.register(app[COUNTER_KEY])
        metrics_source = lambda: own  # noqa: E731
    app[METRICS_KEY] = metrics_source
    app[REGISTRY_KEY] = registry
    app[OBJECTS_KEY] = Objects(registry)
    app[NODE_KEY] = node_client_source or (lambda: node_client)
    app[TOKEN_KEY] = token
    app[ADDRESS_KEY] = address
    r = app.router
    r.add_get("/healthz", healthz)
    for endpoint, checks in (("livez", LIVEZ_CHECKS), ("readyz", READYZ_CHECKS)):
        r.add_get(f"/{endpoint}", _health(endpoint, checks))
        r.add_get(f"/{endpoint}/{{check}}", _health(endpoint, checks))
    r.add_get("/metrics", metrics)
    r.add_get("/version", version)
    r.add_get("/api", api)
    r.add_get("/apis", apis)
    r.add_get("/api/v1", api_v1)
    r.add_get("/openapi/v3", openapi_v3)
    r.add_get("/openapi/v3/api/v1", openapi_v3_core)
    r.add_get("/openapi/v2", openapi_v2)
    r.add_route("GET", "/api/v1/namespaces", namespaces_collection)
    r.add_route("POST", "/api/v1/namespaces", namespaces_collection)
    for method in ("GET", "DELETE", "PATCH"):
        r.add_route(method, "/api/v1/namespaces/{name}", namespace_item)
        r.add_route(method, "/api/v1/namespaces/{namespace}/pods/{name}", pod_item)
    r.add_route("PUT", "/api/v1/namespaces/{namespace}/pods/{name}", pod_item)  # replace
    r.add_route("PUT", "/api/v1/namespaces/{name}", namespace_item)
    r.add_route("GET", "/api/v1/namespaces/{namespace}/pods", pods_collection)
    r.add_route("POST", "/api/v1/namespaces/{namespace}/pods", pods_collection)
    pod_path = "/api/v1/namespaces/{namespace}/pods/{name}"
    for method in ("GET", "PUT", "PATCH"):
        r.add_route(method, pod_path + "/status", pod_status)
    r.add_get(pod_path + "/log", streaming.pod_log)
    r.add_post(pod_path + "/eviction", pod_eviction)
    r.add_route("GET", pod_path + "/exec", streaming.pod_exec)
    r.add_route("POST", pod_path + "/exec", streaming.pod_exec)
    r.add_route("GET", pod_path + "/attach", streaming.pod_attach)
    r.add_route("POST", pod_path + "/attach", streaming.pod_attach)
    r.add_get("/api/v1/pods", pods_all)
    r.add_get("/api/v1/nodes", nodes_collection)
    for method in ("GET", "DELETE"):
        r.add_route(method, "/api/v1/nodes/{name}", node_item)
        r.add_route(method, "/api/v1/namespaces/{namespace}/events/{name}", event_item)
    for method in ("PUT", "PATCH"):
        r.add_route(method, "/api/v1/nodes/{name}", node_item)
    r.add_get("/api/v1/events", events_all)
    coordination = f"/apis/{discovery.COORDINATION}/v1"
    r.add_get(coordination, coordination_v1)
    r.add_get(coordination + "/leases", leases_collection)
    r.add_get(coordination + "/namespaces/{namespace}/leases", leases_collection)
    r.add_get(coordination + "/namespaces/{namespace}/leases/{name}", lease_item)
    r.add_route("GET", "/api/v1/namespaces/{namespace}/events", events_collection)
    r.add_route("POST", "/api/v1/namespaces/{namespace}/events", events_collection)
    for kind in KINDS.values():
        _add_kind_routes(r, kind)
    r.add_get(f"/apis/{discovery.STORAGE}/v1", storage_v1)
    r.add_get("/apis/{group}", named_group)
    r.add_get("/openapi/v3/apis/{group}/v1", openapi_v3_group)
    return app
