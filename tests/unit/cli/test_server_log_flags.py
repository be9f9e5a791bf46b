"""``seclet server``'s kubelet log-rotation and pids flags: parsed into KubeletConfig with
upstream's defaults, and refused with upstream's texts before anything is served.
Callers: pytest."""

from __future__ import annotations

from pathlib import Path

import pytest

from seclet.cli.main import _parser, main
from seclet.cli.server import kubelet_config
from seclet.kubelet.config import KubeletConfig


def _config(tmp_path: Path, *flags: str) -> KubeletConfig:
    args = _parser().parse_args(["server", "--data-dir", str(tmp_path), *flags])
    return kubelet_config(args)


def test_defaults_are_upstreams(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert (
        config.container_log_max_size,
        config.container_log_max_files,
        config.container_log_monitor_interval,
        config.container_log_max_workers,
        config.pod_pids_limit,
    ) == (10 * 1024 * 1024, 5, 10.0, 1, -1)


def test_flags(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        "--container-log-max-size=1Mi",
        "--container-log-max-files=3",
        "--container-log-monitor-interval=1m30s",
        "--container-log-max-workers=4",
        "--pod-max-pids=100",
    )
    assert (
        config.container_log_max_size,
        config.container_log_max_files,
        config.container_log_monitor_interval,
        config.container_log_max_workers,
        config.pod_pids_limit,
    ) == (1024 * 1024, 3, 90.0, 4, 100)


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (
            "--container-log-max-files=1",
            "invalid configuration: containerLogMaxFiles must be greater than 1",
        ),
        (
            "--container-log-monitor-interval=2s",
            "invalid configuration: containerLogMonitorInterval must be a positive time "
            "duration greater than or equal to 3s",
        ),
        (
            "--container-log-monitor-interval=soon",
            'invalid argument "soon" for "--container-log-monitor-interval" flag: '
            'time: invalid duration "soon"',
        ),
        (
            "--container-log-max-workers=0",
            "invalid configuration: containerLogMaxWorkers must be greater than or equal to 1",
        ),
        (
            "--container-log-max-size=1.5",
            'failed to parse container log max size "1.5": invalid max log size',
        ),
    ],
)
def test_refusals_stop_the_server_before_it_serves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, message: str
) -> None:
    code = main(
        ["server", "--data-dir", str(tmp_path / "d"), "--kubeconfig", str(tmp_path / "kc"), flag]
    )
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"seclet server: error: {message}\n")
    assert not (tmp_path / "d").exists()
