"""``initstudy dashboard``: local by default, remote only when asked, served for real."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import optuna
import pytest

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


def _start_dashboard(tmp_path) -> tuple[subprocess.Popen, int]:
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
    return process, port


def _stop(process: subprocess.Popen, signum: int) -> tuple[str, str]:
    process.send_signal(signum)
    try:
        return process.communicate(timeout=60)
    except subprocess.TimeoutExpired as e:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"the dashboard did not stop within 60 s of a signal:\n{err}") from e


def test_dashboard_command_serves_the_study(tmp_path):
    process, port = _start_dashboard(tmp_path)
    try:
        studies = _wait_for(f"http://127.0.0.1:{port}/api/studies", process)
        assert [s["study_name"] for s in studies["study_summaries"]] == ["served"]
    finally:
        out, err = _stop(process, signal.SIGINT)
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in out and "Dashboard stopped" in err
    assert (tmp_path / "s_artifacts").is_dir()  # the artifact store beside the database


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_requests_still_stops_the_dashboard(tmp_path, signum):
    """wsgiref swallows a KeyboardInterrupt raised inside a request; the signal must wait."""
    process, port = _start_dashboard(tmp_path)
    api = f"http://127.0.0.1:{port}/api/studies"
    _wait_for(api, process)
    busy = threading.Event()

    def request_without_pause() -> None:
        while not busy.is_set():
            with contextlib.suppress(OSError):
                urllib.request.urlopen(api, timeout=5).read()

    client = threading.Thread(target=request_without_pause)
    client.start()
    try:
        time.sleep(0.5)
        out, err = _stop(process, signum)
    finally:
        busy.set()
        client.join()
    assert process.returncode == 0 and "Dashboard stopped" in err, err
