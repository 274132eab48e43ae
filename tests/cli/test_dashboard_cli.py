"""``initstudy dashboard``: local by default, remote only when asked, served for real."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import optuna

from initstudy.cli import main


def test_remote_host_needs_an_explicit_flag(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/s.db"
    assert main(["dashboard", "--storage", url, "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "no authentication" in err and "--allow-remote" in err and "'0.0.0.0'" in err
    assert not (tmp_path / "s.db").exists()


def test_missing_database_is_refused_not_created(tmp_path, capsys):
    assert main(["dashboard", "--storage", f"sqlite:///{tmp_path}/none.db"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 120.0) -> dict:
    """Poll a JSON URL until the server answers (fails early if the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise AssertionError(f"the dashboard did not answer at {url} within {timeout} s")


def test_dashboard_command_serves_the_study(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    study = optuna.create_study(study_name="served", storage=url)
    study.add_trial(optuna.trial.create_trial(value=0.5, user_attrs={"mean": 0.5}))
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "initstudy.cli",
        "dashboard",
        "--storage",
        url,
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        studies = _wait_for(f"http://127.0.0.1:{port}/api/studies", process)
        assert [s["study_name"] for s in studies["study_summaries"]] == ["served"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in out and "Dashboard stopped" in err
    assert (tmp_path / "s_artifacts").is_dir()  # the artifact store beside the database
