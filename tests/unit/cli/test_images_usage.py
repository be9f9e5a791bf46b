"""``seclet images`` usage: subcommands, ``--data-dir`` on either side, exit code 2
for usage, and ``ls`` of a data directory without a store (nothing created)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seclet.cli.main import main

EMPTY_TABLE = "IMAGE               TAG                 IMAGE ID            SIZE\n"


@pytest.mark.parametrize(
    "argv",
    [["images"], ["images", "rm"], ["images", "import"], ["images", "pull", "x"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: seclet images" in capsys.readouterr().err


@pytest.mark.parametrize("before", [True, False])
def test_ls_without_a_store_creates_nothing(
    before: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    flag = ["--data-dir", str(data)]
    argv = ["images", *flag, "ls"] if before else ["images", "ls", *flag]
    assert main(argv) == 0
    assert capsys.readouterr() == (EMPTY_TABLE, "")
    assert not data.exists()


def test_rm_of_an_empty_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["images", "rm", "--data-dir", str(tmp_path), "busybox", "busybox"]) == 1
    assert capsys.readouterr() == ("", "error: no such image busybox\n")
    assert main(["images", "ls", "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr() == (EMPTY_TABLE, "")
