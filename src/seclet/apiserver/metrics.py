"""The API server's Prometheus metrics: ``apiserver_request_total`` and the exposition.

Role: one ``prometheus_client.CollectorRegistry`` per server (made by ``Server`` or
passed to ``make_app``; never the library's global registry), on which the API
server registers its collector and other components (the SELinux warning
controller) register theirs; ``/metrics`` writes it in the Prometheus text format.
``apiserver_request_total`` carries upstream's labels (``code``, ``component``,
``dry_run``, ``group``, ``resource``, ``scope``, ``subresource``, ``verb``,
``version``; k8s.io/apiserver ``pkg/endpoints/metrics``) with the values upstream's
``RequestInfo`` and ``CleanVerb`` derive from a resource request: verb GET, LIST,
WATCH, POST, PUT, PATCH, APPLY (an apply patch), DELETE, CONNECT (exec, attach);
scope ``resource`` (named object), ``namespace`` or ``cluster``; component
``apiserver``. Non-resource requests (discovery, health) are not counted.
``request_labels`` is pure; the collector is a thread-safe counter map.
prometheus_client (about 20 ms and 1 MB) is imported when a registry is first made
or scraped, not at start: ``RequestCounter`` counts without it, and ``Server`` makes
its registry on first use (``/metrics``, a controller registering there).
Callers: ``seclet.apiserver.http`` (counting, ``/metrics``), ``seclet.apiserver.server``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from prometheus_client.core import CounterMetricFamily
    from prometheus_client.registry import CollectorRegistry

REQUEST_TOTAL_HELP: Final = (
    "[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, "
    "version, resource, scope, component, and HTTP response code."
)
LABELS: Final = (
    "code",
    "component",
    "dry_run",
    "group",
    "resource",
    "scope",
    "subresource",
    "verb",
    "version",
)
_NAMESPACE_SUBRESOURCES: Final = frozenset({"status", "finalize"})
_CONNECT: Final = frozenset({"exec", "attach", "portforward", "proxy"})


def request_labels(
    method: str,
    path: str,
    query: Mapping[str, str],
    content_type: str,
    code: int,
) -> tuple[str, ...] | None:
    """The label values (in ``LABELS`` order) of one resource request; None for a
    non-resource path."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "api" and parts[1] == "v1":
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if resource == "namespaces" and namespace and not name:
        name = namespace
    scope = "resource" if name else ("namespace" if namespace else "cluster")
    verb = method.upper()
    if verb in ("GET", "HEAD"):
        verb = "GET" if scope == "resource" else "LIST"
        if verb == "LIST" and query.get("watch") in ("true", "1"):
            verb = "WATCH"
    if subresource in _CONNECT:
        verb = "CONNECT"
    if (
        verb == "PATCH"
        and content_type.split(";", maxsplit=1)[0].strip() == "application/apply-patch+yaml"
    ):
        verb = "APPLY"
    dry_run = "All" if query.get("dryRun") else ""
    return (str(code), "apiserver", dry_run, group, resource, scope, subresource, verb, version)


class RequestCounter:
    """``apiserver_request_total`` (a counter family without ``_created`` samples); a
    collector for a registry (``collect``), which needs no base class."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, ...], int] = {}

    def inc(self, labels: tuple[str, ...]) -> None:
        with self._lock:
            self._counts[labels] = self._counts.get(labels, 0) + 1

    def collect(self) -> Iterator[CounterMetricFamily]:
        from prometheus_client.core import CounterMetricFamily  # noqa: PLC0415 - see module

        family = CounterMetricFamily("apiserver_request", REQUEST_TOTAL_HELP, labels=LABELS)
        with self._lock:
            counts = sorted(self._counts.items())
        for labels, value in counts:
            family.add_metric(labels, value)
        yield family


def new_registry() -> CollectorRegistry:
    """A fresh registry (not the library's global one), with no default collectors."""
    from prometheus_client.registry import CollectorRegistry  # noqa: PLC0415 - see module

    return CollectorRegistry(auto_describe=True)


__all__ = ["LABELS", "RequestCounter", "new_registry", "request_labels"]
