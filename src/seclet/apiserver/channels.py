"""The Kubernetes websocket channel protocol of exec and attach, as bytes.

Role: the pure half of ``pods/exec`` over websockets (what kube-apiserver's stream
translator speaks to kubectl 1.35): the subprotocols it accepts (``v5.channel.k8s.io``
first, then ``v4.channel.k8s.io`` and the base64 text variant), framing (binary: one
channel byte, then data; base64: one ASCII digit, then base64 text), the channels
(0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize, 255 v5 close), the resize message
(``{"Width":80,"Height":24}``) and the Status written on the error channel: Success,
or Failure ``NonZeroExitCode`` with an ``ExitCode`` cause (kubectl prints ``command
terminated with exit code N`` and exits N).
Callers: ``seclet.apiserver.streaming``, tests.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Final

JSONObject = dict[str, Any]

V5: Final = "v5.channel.k8s.io"
V4: Final = "v4.channel.k8s.io"
V4_BASE64: Final = "v4.base64.channel.k8s.io"
PROTOCOLS: Final = (V5, V4, V4_BASE64)
"""What the server accepts, in its order of preference."""

STDIN: Final = 0
STDOUT: Final = 1
STDERR: Final = 2
ERROR: Final = 3
RESIZE: Final = 4
CLOSE: Final = 255
"""v5: ``[255, channel]`` closes the client's writing side of ``channel``."""


class FrameError(ValueError):
    """A client message that is not a channel frame."""


@dataclass(frozen=True, slots=True)
class Frame:
    channel: int
    data: bytes


def is_base64(protocol: str) -> bool:
    return protocol.startswith("base64.") or ".base64." in protocol


def encode(protocol: str, channel: int, data: bytes) -> bytes | str:
    """One server message: bytes for binary protocols, text for base64 ones."""
    if is_base64(protocol):
        return chr(ord("0") + channel) + base64.b64encode(data).decode()
    return bytes((channel,)) + data


def decode(protocol: str, message: bytes | str) -> Frame:
    """One client message as (channel, data)."""
    if isinstance(message, str):
        if not message:
            raise FrameError("empty message")
        channel = ord(message[0]) - ord("0")
        try:
            data = (
                base64.b64decode(message[1:], validate=True)
                if is_base64(protocol)
                else message[1:].encode()
            )
        except binascii.Error as exc:
            raise FrameError(str(exc)) from None
        return Frame(channel, data)
    if not message:
        raise FrameError("empty message")
    return Frame(message[0], bytes(message[1:]))


def resize(data: bytes) -> tuple[int, int] | None:
    """``remotecommand.TerminalSize`` (``{"Width":w,"Height":h}``), or None if malformed."""
    try:
        size = json.loads(data)
        width, height = int(size.get("Width", 0)), int(size.get("Height", 0))
    except (ValueError, TypeError, AttributeError):
        return None
    return width, height


def success() -> JSONObject:
    """The error channel's last word after exit code 0 (``metav1.Status`` as marshalled
    by the translator: no kind, empty metadata)."""
    return {"metadata": {}, "status": "Success"}


def exit_code(code: int) -> JSONObject:
    """``codeExitToStatusError``: a non-zero exit, as the stream translator sends it."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: command terminated with "
        f"exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def failure(code: int, reason: str, message: str) -> JSONObject:
    """A refusal after the upgrade (the kubelet's error, or none reachable)."""
    return {"metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}


def status_bytes(status: JSONObject) -> bytes:
    return json.dumps(status, separators=(",", ":")).encode()
