"""The stop signal: image config StopSignal, containerd's choice, moby's parsing.

Role: unit tests of ``parse_image_config`` (``StopSignal``), the image store index
round trip, ``stop_container.stop_signal`` (lifecycle > image > SIGTERM) and
``stop_container.parse_signal`` (moby/sys/signal ``ParseSignal`` on Linux).
Callers: pytest.
"""

from __future__ import annotations

import json
import re

import pytest

from seclet.cri.types import Image
from seclet.runtime.image.config import ImageConfigError, parse_image_config
from seclet.runtime.image.store import _Record
from seclet.runtime.oci.inputs import ImageConfig
from seclet.runtime.runc.stop_container import SignalError, parse_signal, stop_signal


def test_image_config_stop_signal() -> None:
    doc = {"config": {"Cmd": ["nginx"], "StopSignal": "SIGQUIT"}, "rootfs": {}}
    assert parse_image_config(json.dumps(doc)).stop_signal == "SIGQUIT"
    assert parse_image_config(json.dumps({"Cmd": ["sh"]})).stop_signal == ""
    assert parse_image_config(json.dumps({"StopSignal": None})).stop_signal == ""
    with pytest.raises(ImageConfigError, match=r"config\.StopSignal: expected a string"):
        parse_image_config(json.dumps({"StopSignal": 3}))


def test_store_index_keeps_stop_signal() -> None:
    config = ImageConfig(cmd=("nginx",), stop_signal="SIGQUIT")
    image = Image(id="sha256:" + "a" * 64, repo_tags=(), repo_digests=(), size=1)
    record = _Record(image, config, ("sha256:" + "b" * 64,))
    doc = json.loads(json.dumps(record.to_json()))
    assert doc["config"]["stop_signal"] == "SIGQUIT"
    assert _Record.from_json(doc).config.stop_signal == "SIGQUIT"
    del doc["config"]["stop_signal"]  # an index written before the field existed
    assert _Record.from_json(doc).config.stop_signal == ""


@pytest.mark.parametrize(
    ("lifecycle", "image", "expected"),
    [
        ("SIGUSR1", "SIGQUIT", "SIGUSR1"),
        (None, "SIGQUIT", "SIGQUIT"),
        ("", "SIGQUIT", "SIGQUIT"),
        (None, "", "SIGTERM"),
    ],
)
def test_stop_signal_precedence(lifecycle: str | None, image: str, expected: str) -> None:
    assert stop_signal(lifecycle, image) == expected


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("SIGTERM", 15),
        ("TERM", 15),
        ("sigquit", 3),
        ("Kill", 9),
        ("9", 9),
        ("SIGUSR1", 10),
        ("USR2", 12),
        ("SIGWINCH", 28),
        ("SIGRTMIN", 34),
        ("RTMIN+3", 37),
        ("SIGRTMAX-1", 63),
        ("SIGRTMAX", 64),
        ("SIGPWR", 30),
        ("SIGCLD", 17),
        ("255", 255),
    ],
)
def test_parse_signal(raw: str, number: int) -> None:
    assert parse_signal(raw) == number


@pytest.mark.parametrize("raw", ["", "0", "256", "-1", "SIGFOO", "RTMIN+16", "SIG"])
def test_parse_signal_refuses(raw: str) -> None:
    with pytest.raises(SignalError, match=f"^invalid signal: {re.escape(raw)}$"):
        parse_signal(raw)
