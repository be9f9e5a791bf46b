"""The stand-in test images refuse a dynamically linked busybox.

Role: ``tools/build_test_images.py`` puts /bin/busybox alone into the images, so a
dynamic binary (Debian's ``busybox`` package rather than ``busybox-static``) would
make every container fail to exec; ``elf_interpreter`` tells them apart by the ELF
``PT_INTERP`` header and ``busybox_layer`` refuses with a clear message.
Callers: pytest.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registry import build_tool


def test_static_and_dynamic_binaries_are_told_apart() -> None:
    tool = build_tool()
    assert tool.elf_interpreter(Path("/bin/busybox").read_bytes()) is None  # busybox-static
    runc = shutil.which("runc") or "/usr/sbin/runc"
    interp = tool.elf_interpreter(Path(runc).read_bytes())
    assert interp is not None and interp.startswith("/lib")
    with pytest.raises(ValueError, match="not an ELF binary"):
        tool.elf_interpreter(b"#!/bin/sh\n")


def test_a_dynamic_busybox_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "busybox"
    fake.write_bytes(Path(shutil.which("ls") or "/bin/ls").read_bytes())
    with pytest.raises(SystemExit, match=r"dynamically linked .* install Debian's busybox-static"):
        build_tool().busybox_layer(fake)
