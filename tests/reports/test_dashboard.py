"""The optuna-dashboard view: note, objective name, artifacts, read back through its JSON API."""

from __future__ import annotations

import io
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import optuna
import pytest
from optuna.artifacts import FileSystemArtifactStore

from initstudy.exceptions import ConfigError
from initstudy.reports import check_host, default_artifact_dir, publish_to_dashboard


class _QuietHandler(WSGIRequestHandler):
    """A request handler that does not log every request to stderr."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def _get_json(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def published(
    tiny_study: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str, Path, dict]:
    """The tiny study published to the dashboard: (url, name, artifact dir, uploaded ids)."""
    url, name = tiny_study
    artifacts = tmp_path_factory.mktemp("artifacts")
    uploaded = publish_to_dashboard(url, name, artifact_dir=artifacts)
    return url, name, artifacts, uploaded


@pytest.fixture(scope="module")
def dashboard(published: tuple[str, str, Path, dict]) -> Iterator[str]:
    """optuna-dashboard's WSGI app served from a thread on 127.0.0.1, a free port: its base URL."""
    import optuna_dashboard

    url, _, artifacts, _ = published
    app = optuna_dashboard.wsgi(url, artifact_store=FileSystemArtifactStore(str(artifacts)))
    server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _study_id(base: str, name: str) -> int:
    summaries = _get_json(base, "/api/studies")["study_summaries"]
    return next(s["study_id"] for s in summaries if s["study_name"] == name)


def test_dashboard_api_shows_trials_attrs_note_and_name(dashboard, published):
    url, name, _, uploaded = published
    detail = _get_json(dashboard, f"/api/studies/{_study_id(dashboard, name)}")
    assert detail["name"] == name and len(detail["trials"]) == 3
    attrs = {a["key"]: a["value"] for a in detail["trials"][0]["user_attrs"]}
    assert {"mean", "std", "ci_low", "ci_high", "n_diverged"} <= set(attrs)
    sortable = {a["key"] for a in detail["union_user_attrs"] if a["sortable"]}
    assert {"mean", "std", "ci_low", "ci_high", "n_diverged"} <= sortable
    assert detail["objective_names"] == ["accuracy, mean of 3 seeds"]
    body = detail["note"]["body"]
    assert "### Conclusion" in body and "### Ranking of schemes" in body and "Best scheme:" in body
    names = {a["filename"] for a in detail["artifacts"]}
    assert names == set(uploaded) and "initstudy-report.html" in names
    assert {g["id"] for g in detail["plotly_graph_objects"]} == {
        "initstudy-answer",
        "initstudy-pairwise",
        "initstudy-seed_scores",
        "initstudy-scale_response",
    }


def test_artifact_is_served(dashboard, published):
    _, name, _, uploaded = published
    study_id = _study_id(dashboard, name)
    artifact_id = uploaded["initstudy-seed_scores.png"]
    with urllib.request.urlopen(f"{dashboard}/artifacts/{study_id}/{artifact_id}", timeout=30) as r:
        assert r.read().startswith(b"\x89PNG")


def test_publishing_again_rewrites_the_same_artifacts(tiny_study, tmp_path):
    url, name = tiny_study
    first = publish_to_dashboard(url, name, artifact_dir=tmp_path, signal=False)
    stored = {a: (tmp_path / a).read_bytes() for a in first.values()}
    second = publish_to_dashboard(url, name, artifact_dir=tmp_path, signal=False)
    assert second == first
    study = optuna.load_study(study_name=name, storage=url)
    metas = optuna.artifacts.get_all_artifact_meta(study)
    assert len({m.filename for m in metas}) == len(metas)  # no duplicates
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(first.values())
    assert all((tmp_path / a).read_bytes().startswith(stored[a][:4]) for a in first.values())


def test_check_host_refuses_and_warns():
    for host in ("127.0.0.1", "localhost", "::1"):
        check_host(host)
    with pytest.raises(ConfigError, match="no authentication. Got '0.0.0.0'"):
        check_host("0.0.0.0")
    stream = io.StringIO()
    check_host("0.0.0.0", allow_remote=True, port=9999, stream=stream)
    assert "no authentication" in stream.getvalue() and "9999" in stream.getvalue()


def test_default_artifact_dir_is_beside_the_database(tmp_path):
    db = tmp_path / "my.db"
    assert default_artifact_dir(f"sqlite:///{db}") == tmp_path / "my_artifacts"
    assert default_artifact_dir(optuna.storages.InMemoryStorage()) is None
