"""The streaming subresources of pods over HTTP: ``pods/log``, ``exec`` and ``attach``.

Role: the aiohttp handlers that reach the kubelet through ``NodeClient``: the pod is
read from the registry (404 ``pods "x" not found``), the query decided by
``connect`` (422/400 as upstream), then ``log`` streams ``text/plain`` chunks
(flushed as they come, for ``follow``) and ``exec`` (``attach``: the node client's
``attach``, the container's own process) upgrades to a websocket speaking the
channel protocol of ``channels`` (``v5.channel.k8s.io``) and pumps an
``ExecSession`` (started before the 101 is written, so runc runs while the
upgrade goes out): stdin and resize in, stdout and stderr out, then the exit Status on
the error channel (an attach that ends is a Success, as the kubelet's
``ServeAttach`` writes it; the client going away detaches it). A ``NodeError``
before the first log chunk is the response's Status; after the exec upgrade it is
the error channel's Status, as kube-apiserver's stream translator sends it. Without
a node client every request answers 500 ``error dialing backend``. Decisions stay
in ``connect``/``channels``.
Callers: ``seclet.apiserver.http`` (``make_app`` routes), tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Final

from aiohttp import WSMsgType, web

from seclet.apiserver import channels, connect
from seclet.apiserver import status as st
from seclet.apiserver.registry import Registry
from seclet.cri.streaming import ExecSession
from seclet.nodeapi import NodeClient, NodeError

log = logging.getLogger("seclet.apiserver")

NodeClientSource = Callable[[], "NodeClient | None"]
NODE_KEY: Final[web.AppKey[NodeClientSource]] = web.AppKey("node_client")
"""How a request finds the kubelet: asked per request, so the server's owner may
connect the node after the server started."""
REGISTRY_KEY: Final = web.AppKey("registry", Registry)
FIRST_CHUNK_WAIT: Final = 0.5
"""Seconds a log request waits for its first chunk (or the node's refusal) before it
answers 200 and streams; a followed silent container must not hold the headers."""
NO_NODE_MESSAGE: Final = "error dialing backend: no kubelet is connected to this API server"


def node_error(err: NodeError) -> st.APIError:
    return st.APIError(st.status(err.code, err.reason, err.message))


def no_node() -> st.APIError:
    """What a request needing the kubelet gets when none is reachable (upstream: a
    dial error, 500 with no reason)."""
    body = st.status(500, "", NO_NODE_MESSAGE)
    del body["reason"]
    return st.APIError(body)


def _query(request: web.Request) -> Mapping[str, Sequence[str]]:
    q = request.query
    return {k: q.getall(k) for k in q}


def _node(request: web.Request) -> NodeClient:
    node = request.app[NODE_KEY]()
    if node is None:
        raise no_node()
    return node


async def _close(chunks: AsyncIterator[bytes]) -> None:
    aclose: Callable[[], Awaitable[None]] | None = getattr(chunks, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()


async def pod_log(request: web.Request) -> web.StreamResponse:
    """``GET /api/v1/namespaces/{ns}/pods/{name}/log``."""
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    pod = request.app[REGISTRY_KEY].get("pods", namespace, name)
    opts = connect.log_options(_query(request), name)
    container = connect.log_container(pod, opts.container)
    resp = web.StreamResponse(status=200)
    resp.content_type = "text/plain"
    if not (pod.get("spec") or {}).get("nodeName"):
        # LogLocation has no location for an unbound pod: an empty log.
        await resp.prepare(request)
        await resp.write_eof()
        return resp
    node = _node(request)
    chunks = node.container_logs(namespace, name, dataclasses.replace(opts, container=container))

    async def next_chunk() -> bytes | None:
        try:
            return await anext(chunks)
        except StopAsyncIteration:
            return None

    first_task = asyncio.ensure_future(next_chunk())
    try:
        done, _ = await asyncio.wait({first_task}, timeout=FIRST_CHUNK_WAIT)
        if first_task in done:
            try:
                first_task.result()
            except NodeError as err:
                raise node_error(err) from None
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        try:
            chunk = await first_task
            while chunk is not None:
                if chunk:
                    await resp.write(chunk)
                chunk = await next_chunk()
        except NodeError as err:
            log.info("log stream of %s/%s ended: %s", namespace, name, err.message)
        except ConnectionError:
            return resp  # the client went away (kubectl logs -f interrupted)
        await resp.write_eof()
        return resp
    finally:
        if not first_task.done():
            first_task.cancel()
            with contextlib.suppress(BaseException):
                await first_task
        await _close(chunks)


class _Channels:
    """One negotiated websocket: serialised sends on the protocol's channels."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.protocol = ws.ws_protocol or channels.V4
        self._lock = asyncio.Lock()

    async def send(self, channel: int, data: bytes) -> None:
        message = channels.encode(self.protocol, channel, data)
        async with self._lock:
            if isinstance(message, bytes):
                await self.ws.send_bytes(message)
            else:
                await self.ws.send_str(message)

    async def finish(self, status: dict[str, object]) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.send(channels.ERROR, channels.status_bytes(status))
        await self.ws.close()


async def _pump(
    read: Callable[[], Awaitable[bytes]], send: Callable[[bytes], Awaitable[None]] | None
) -> None:
    while True:
        data = await read()
        if not data:
            return
        if send is not None:
            await send(data)


async def _client(
    ws: web.WebSocketResponse, conn: _Channels, session: ExecSession, stdin: bool
) -> None:
    """Client messages into the session until the client closes the websocket."""
    async for msg in ws:
        if msg.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
            continue
        try:
            frame = channels.decode(conn.protocol, msg.data)
        except channels.FrameError:
            continue
        try:
            if frame.channel == channels.STDIN and stdin:
                await session.write_stdin(frame.data)
            elif frame.channel == channels.RESIZE:
                size = channels.resize(frame.data)
                if size is not None:
                    session.resize(*size)
            elif frame.channel == channels.CLOSE and frame.data[:1] == bytes((channels.STDIN,)):
                await session.close_stdin()
        except OSError:
            # The process stopped reading (it exited): the rest of stdin is dropped, as
            # a pipe to an exited process drops it; its exit status still follows.
            continue


async def _start(
    node: NodeClient | None,
    namespace: str,
    name: str,
    container: str,
    opts: connect.ExecOptions,
    *,
    attach: bool,
) -> ExecSession:
    """The node's exec (or attach) session; ``NodeError`` when refused or no node."""
    if node is None:
        raise NodeError(500, "InternalError", NO_NODE_MESSAGE)
    if attach:
        return await node.attach(namespace, name, container, stdin=opts.stdin, tty=opts.tty)
    return await node.exec(namespace, name, container, opts.command, stdin=opts.stdin, tty=opts.tty)


async def _abandon(starting: asyncio.Future[ExecSession]) -> None:
    """A start whose upgrade failed: its process (if it began) is killed."""
    try:
        session = await starting
    except Exception:  # refused: nothing runs
        return
    await session.kill()


async def pod_exec(request: web.Request) -> web.StreamResponse:
    """``GET``/``POST /api/v1/namespaces/{ns}/pods/{name}/exec`` (websocket upgrade)."""
    return await _stream(request, attach=False)


async def pod_attach(request: web.Request) -> web.StreamResponse:
    """``GET``/``POST .../pods/{name}/attach``: the container's own process."""
    return await _stream(request, attach=True)


async def _stream(request: web.Request, *, attach: bool) -> web.StreamResponse:
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    pod = request.app[REGISTRY_KEY].get("pods", namespace, name)
    opts = connect.exec_options(_query(request), attach=attach)
    container = connect.exec_container(pod, opts.container)
    ws = web.WebSocketResponse(protocols=channels.PROTOCOLS, autoping=True, max_msg_size=0)
    if not ws.can_prepare(request).ok:
        raise st.bad_request(
            f"Upgrade request required: seclet serves pods/{'attach' if attach else 'exec'} "
            f"over websockets ({', '.join(channels.PROTOCOLS)})"
        )
    node = request.app[NODE_KEY]()
    # The process starts while the 101 goes out: the exec's start (runc) and the
    # client's handling of the upgrade overlap; a refusal still arrives after the
    # upgrade, on the error channel, as upstream's stream translator sends it.
    starting = asyncio.ensure_future(_start(node, namespace, name, container, opts, attach=attach))
    await asyncio.sleep(0)  # let the start run up to runc's spawn
    try:
        await ws.prepare(request)
    except BaseException:
        await _abandon(starting)
        raise
    conn = _Channels(ws)
    try:
        session = await starting
    except NodeError as err:
        await conn.finish(channels.failure(err.code, err.reason, err.message))
        return ws

    def sender(channel: int) -> Callable[[bytes], Awaitable[None]]:
        async def send(data: bytes) -> None:
            await conn.send(channel, data)

        return send

    async def run() -> int:
        await asyncio.gather(
            _pump(session.read_stdout, sender(channels.STDOUT) if opts.stdout else None),
            _pump(session.read_stderr, sender(channels.STDERR) if opts.stderr else None),
        )
        return await session.wait()

    work = asyncio.ensure_future(run())
    client = asyncio.ensure_future(_client(ws, conn, session, opts.stdin))
    try:
        done, _ = await asyncio.wait({work, client}, return_when=asyncio.FIRST_COMPLETED)
        if work not in done:
            # The client went away (or its messages failed): stop the process.
            await session.kill()
            work.cancel()
            with contextlib.suppress(BaseException):
                await work
            with contextlib.suppress(BaseException):
                client.result()
            return ws
        code = work.result()
    except ConnectionError:
        await session.kill()
        return ws
    except Exception as exc:  # the session failed: say so on the error channel
        log.warning("%s in %s/%s failed: %s", "attach" if attach else "exec", namespace, name, exc)
        await session.kill()
        doing = "attaching to container" if attach else "executing command in container"
        await conn.finish(
            channels.failure(500, "InternalError", f"Internal error occurred: error {doing}: {exc}")
        )
        return ws
    finally:
        if not client.done():
            client.cancel()
            with contextlib.suppress(BaseException):
                await client
    await conn.finish(channels.success() if code == 0 else channels.exit_code(code))
    return ws
