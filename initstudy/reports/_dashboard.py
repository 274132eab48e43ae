"""The optuna-dashboard view of a study: its note, plots, artifacts and objective name.

The dashboard has no authentication and some of its routes delete data, so it binds to this
machine by default; another host needs ``allow_remote=True`` and prints a warning.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import IO, Any

import optuna
import sqlalchemy as sa
from optuna.artifacts import FileSystemArtifactStore, upload_artifact
from optuna.storages import BaseStorage, RDBStorage

from initstudy._private_apis import study_storage
from initstudy.exceptions import ConfigError
from initstudy.reports._content import PLOTS, collect, objective_name, plot_note
from initstudy.reports._html import render_html
from initstudy.reports._markdown import note_markdown
from initstudy.reports._png import save_png
from initstudy.reports._stop import stop_between_requests

__all__ = [
    "LOCAL_HOSTS",
    "check_host",
    "default_artifact_dir",
    "publish_to_dashboard",
    "run_dashboard",
]

#: Hosts that only this machine can reach.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Prefix of the artifacts initstudy uploads (rewritten in place on every publish).
ARTIFACT_PREFIX = "initstudy-"
#: Custom plotly plots saved into the study (shown in the dashboard's plot list).
DASHBOARD_PLOTS = ("answer", "pairwise", "seed_scores", "scale_response", "variance")

NO_AUTH_WARNING = (
    "WARNING: the dashboard is bound to {host!r}, reachable from other machines. It has no "
    "authentication and some of its routes delete studies: anyone who can reach port {port} "
    "can read and delete your results."
)


def check_host(
    host: str, *, allow_remote: bool = False, port: int = 8080, stream: IO[str] | None = None
) -> None:
    """Refuse a non-local host unless allowed; warn when allowed.

    Parameters
    ----------
    host : str
        The address to bind.
    allow_remote : bool, default=False
        Whether a host other than 127.0.0.1, localhost or ::1 is allowed.
    port : int, default=8080
        Shown in the warning.
    stream : file, optional
        Where the warning goes (default: standard error).

    Raises
    ------
    ConfigError
        If the host is not local and ``allow_remote`` is False.
    """
    if host in LOCAL_HOSTS:
        return
    if not allow_remote:
        raise ConfigError(
            f"The dashboard host must be one of {', '.join(sorted(LOCAL_HOSTS))} unless remote "
            f"access is allowed explicitly (--allow-remote): it has no authentication. "
            f"Got {host!r}."
        )
    print(NO_AUTH_WARNING.format(host=host, port=port), file=stream or sys.stderr)


def default_artifact_dir(storage: Any) -> Path | None:
    """The artifact folder beside a SQLite database (``<db stem>_artifacts``); None otherwise.

    Parameters
    ----------
    storage : str or optuna.storages.BaseStorage
        The study storage (an in-memory storage has no folder).

    Returns
    -------
    Path or None
    """
    from initstudy.storage import resolve_storage

    backend = getattr(storage, "_backend", storage)  # an optuna study's cached storage
    if isinstance(backend, BaseStorage) and not isinstance(backend, RDBStorage):
        return None
    rdb = backend if isinstance(backend, RDBStorage) else resolve_storage(backend)
    url = sa.make_url(rdb.url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    db = Path(url.database)
    return db.with_name(db.stem + "_artifacts")


def _set_objective_names(study: optuna.Study, first: str, config: dict[str, Any]) -> None:
    """Name the objectives (Optuna's metric names, which the dashboard shows)."""
    if study.metric_names:
        return
    stored = list(config.get("study", {}).get("objectives", []))[1:]
    names = [first] + [
        stored[i - 1] if i - 1 < len(stored) else f"objective {i}"
        for i in range(1, len(study.directions))
    ]
    with warnings.catch_warnings():  # Study.set_metric_names is experimental in Optuna 5
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(names)


def _our_artifacts(study: optuna.Study) -> dict[str, str]:
    """File name -> artifact id of the artifacts a previous publish uploaded.

    Read from the study's system attributes directly, skipping the ``null`` entries that the
    dashboard leaves when a user deletes an artifact.
    """
    found = {}
    storage = study_storage(study)
    study_id = storage.get_study_id_from_name(study.study_name)
    for key, value in storage.get_study_system_attrs(study_id).items():
        meta = (
            json.loads(value) if key.startswith("artifacts:") and isinstance(value, str) else None
        )
        if isinstance(meta, dict) and str(meta.get("filename", "")).startswith(ARTIFACT_PREFIX):
            found[meta["filename"]] = meta["artifact_id"]
    return found


def _upload(
    study: optuna.Study, store: FileSystemArtifactStore, files: list[Path]
) -> dict[str, str]:
    """Upload files to the study; a file published before keeps its artifact id (rewritten).

    Returns file name -> artifact id.
    """
    previous = _our_artifacts(study)
    out = {}
    for f in files:
        if f.name in previous:
            with f.open("rb") as content:
                store.write(previous[f.name], content)
            out[f.name] = previous[f.name]
        else:
            out[f.name] = upload_artifact(
                artifact_store=store, file_path=str(f), study_or_trial=study
            )
    return out


def publish_to_dashboard(
    storage: Any,
    study_name: str | None = None,
    artifact_dir: str | Path | None = None,
    **kwargs: Any,
) -> dict[str, str]:
    """Make a study read well in optuna-dashboard.

    Sets the objective's name (e.g. "accuracy, mean of 5 seeds") unless one is set, saves the
    study note (the answer's first screen, conclusion and ranking, Markdown), saves the answer,
    pairwise-matrix, per-seed, scale and (when stored) variance-decomposition plots as dashboard
    plots, and uploads the report's PNG plots and the HTML report as study artifacts (replacing
    those of a previous publish).

    Parameters
    ----------
    storage : str, storage, optuna.Study, StudyData or ReportContent
        Where the study is, or a report already computed.
    study_name : str, optional
        The study's name (not needed with a study).
    artifact_dir : str or Path, optional
        The artifact folder the dashboard is started with; default
        :func:`default_artifact_dir`. Without one (a non-SQLite storage), no artifacts are
        uploaded.
    **kwargs
        Passed to :func:`collect`.

    Returns
    -------
    dict of str to str
        Uploaded file name -> artifact id.
    """
    from optuna_dashboard import save_note, save_plotly_graph_object

    content = collect(storage, study_name, **kwargs)
    study = content.data.study
    _set_objective_names(study, objective_name(content.data), content.data.config)
    save_note(study, note_markdown(content))
    for name in DASHBOARD_PLOTS:
        if not plot_note(content, name):
            save_plotly_graph_object(
                study, PLOTS[name].figure(content), graph_object_id=f"initstudy-{name}"
            )
    folder = (
        Path(artifact_dir)
        if artifact_dir is not None
        else default_artifact_dir(study_storage(study))
    )
    if folder is None:
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    store = FileSystemArtifactStore(str(folder))
    with tempfile.TemporaryDirectory() as tmp:
        files = [
            save_png(n, content.tables[s.table], Path(tmp) / f"{ARTIFACT_PREFIX}{n}.png")
            for n, s in PLOTS.items()
            if not plot_note(content, n)
        ]
        report = Path(tmp) / f"{ARTIFACT_PREFIX}report.html"
        report.write_text(render_html(content), encoding="utf-8")
        return _upload(study, store, [*files, report])


def run_dashboard(
    storage: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    artifact_dir: str | Path | None = None,
    allow_remote: bool = False,
) -> None:
    """Start optuna-dashboard on a study database (blocks until interrupted).

    Parameters
    ----------
    storage : str or optuna.storages.RDBStorage
        The study storage (strings go through :func:`initstudy.storage.resolve_storage`).
    host : str, default="127.0.0.1"
        Address to bind; see :func:`check_host`.
    port : int, default=8080
        Port to listen on.
    artifact_dir : str or Path, optional
        Artifact folder; default :func:`default_artifact_dir` (created if missing).
    allow_remote : bool, default=False
        Allow a host beyond this machine (prints a warning).

    Raises
    ------
    ConfigError
        For a non-local host without ``allow_remote``.
    """
    from optuna_dashboard import run_server

    from initstudy.storage import resolve_storage

    check_host(host, allow_remote=allow_remote, port=port)
    if isinstance(storage, (str, os.PathLike)):  # refuse a missing database, don't create one
        resolve_storage(storage, read_only=True)
    rdb = resolve_storage(storage)
    folder = Path(artifact_dir) if artifact_dir is not None else default_artifact_dir(rdb)
    store = None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        store = FileSystemArtifactStore(str(folder))
    where = f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
    print(
        f"optuna-dashboard on {where} (artifacts: {folder or 'none'}; Ctrl-C stops it)", flush=True
    )
    with stop_between_requests():  # wsgiref swallows a Ctrl-C that lands inside a request
        run_server(rdb, host=host, port=port, artifact_store=store)
