"""How a CRI error reads where the kubelet prints the Go error itself.

Role: upstream's kubelet talks to the runtime over gRPC; where it formats the error
value (``%v`` / ``err.Error()``: image pulls, sandbox creation, image inspection) the
text is grpc-go's ``rpc error: code = <Code> desc = <message>``; where it takes
``grpcstatus.FromError(err).Message()`` (container create/start) only the message
shows. seclet's runtime raises ``CRIError`` in process, so this module restores the
first spelling. Callers: seclet.kubelet.images, seclet.kubelet.worker.
"""

from __future__ import annotations

from seclet.cri.errors import CRIError


def grpc_error(err: CRIError) -> str:
    """``status.Error(code, message).Error()``."""
    return f"rpc error: code = {err.code} desc = {err.message}"
