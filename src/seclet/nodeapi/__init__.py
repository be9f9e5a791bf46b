"""The kubelet's server API as the apiserver uses it: container logs, exec and attach.

Role: upstream's apiserver reaches a node's kubelet over HTTPS for ``pods/log``,
``pods/exec`` and ``pods/attach``; seclet's kubelet runs in the same process, so the
apiserver calls a ``NodeClient`` instead. The kubelet implements it; the server
command wires the two. ``NodeError`` carries the HTTP code, the Status reason and
upstream's message (``container "x" in pod "y" is waiting to start:
ContainerCreating``), which the apiserver turns into a metav1.Status.
Callers: seclet.apiserver (consumes), seclet.kubelet (implements), seclet.cli.server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from seclet.cri.streaming import ExecSession


class NodeError(Exception):
    """A refused logs or exec request, as the apiserver must answer it."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True, kw_only=True)
class LogOptions:
    """``PodLogOptions`` (the query parameters of ``pods/log``)."""

    container: str = ""
    follow: bool = False
    previous: bool = False
    timestamps: bool = False
    tail_lines: int | None = None
    since_seconds: int | None = None
    since_time: str | None = None
    limit_bytes: int | None = None


class NodeClient(Protocol):
    def container_logs(self, namespace: str, pod: str, options: LogOptions) -> AsyncIterator[bytes]:
        """The container's log (the container resolved as upstream: the only one, or
        the default-container annotation; else NodeError 400 ``a container name must
        be specified for pod p, choose one of: [a b]``). With ``follow``, ends when the
        container exits. Raises NodeError before the first chunk when refused."""
        ...

    async def exec(
        self,
        namespace: str,
        pod: str,
        container: str,
        command: tuple[str, ...],
        *,
        stdin: bool,
        tty: bool,
    ) -> ExecSession:
        """Start ``command`` in the running container. NodeError when the pod or
        container does not exist or is not running."""
        ...

    async def attach(
        self, namespace: str, pod: str, container: str, *, stdin: bool, tty: bool
    ) -> ExecSession:
        """Attach to the running container's own process (its terminal setting is the
        container's, whatever ``tty`` asks). NodeError when the pod or container does
        not exist or is not running."""
        ...
