"""Security: the dashboard stays on this machine, no SQL from strings, configs are only data.

- The dashboard binds to 127.0.0.1 by default; any other host is refused unless allowed
  explicitly, and then it warns (no authentication, and some routes delete studies).
- Study names and user values with quotes and SQL fragments are stored as data and read back
  unchanged, and the tables are all still there.
- A source scan: no SQL text built by f-strings, ``%`` or ``.format`` / ``+`` in any
  ``execute``/``text``/``exec_driver_sql`` call; no ``eval``/``exec``/``pickle``-style loaders in
  initstudy (a config cannot run code); a TOML full of code-looking text is just data.
"""

from __future__ import annotations

import ast
import inspect
import sqlite3
from pathlib import Path
from typing import Any

import optuna
import pytest
from reliability_helpers import run_main

import initstudy
from initstudy import cli
from initstudy.exceptions import ConfigError
from initstudy.reports import check_host, run_dashboard
from initstudy.searchspaces import load as load_space
from initstudy.storage import (
    SeedRunRecord,
    list_studies,
    load_seed_runs,
    load_study_record,
    register_study,
    resolve_storage,
    save_seed_runs,
)
from initstudy.study import StudyConfig

PACKAGE = Path(initstudy.__file__).parent
NASTY = [
    "it's",
    'say "hi"',
    "'; DROP TABLE initstudy_seed_runs; --",
    "Robert'); DELETE FROM trials WHERE ('1'='1",
    "%s %(name)s {0} {name} ? :name $1",
    "名前 ünïcødé 🙂 with  spaces",
    "back\\slash\ttab\nnewline",
    "1 OR 1=1",
]


# -- the dashboard ---------------------------------------------------------------------------
@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace optuna-dashboard's blocking server by a recorder of its arguments."""
    import optuna_dashboard

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(optuna_dashboard, "run_server", lambda *a, **k: calls.append(k))
    return calls


def test_dashboard_binds_to_localhost_by_default(study_db: Path, served: list) -> None:
    assert inspect.signature(run_dashboard).parameters["host"].default == "127.0.0.1"
    run_dashboard(study_db)
    assert [call["host"] for call in served] == ["127.0.0.1"]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_dashboard_refuses_other_hosts_without_the_flag(
    host: str, study_db: Path, served: list
) -> None:
    with pytest.raises(
        ConfigError,
        match="unless remote access is allowed explicitly "
        r"\(--allow-remote\): it has no authentication",
    ):
        run_dashboard(study_db, host=host)
    assert served == []


def test_dashboard_on_another_host_with_the_flag_warns(
    study_db: Path, served: list, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dashboard(study_db, host="0.0.0.0", port=8123, allow_remote=True)
    err = capsys.readouterr().err
    assert "WARNING: the dashboard is bound to '0.0.0.0', reachable from other machines" in err
    assert "port 8123" in err and [c["host"] for c in served] == ["0.0.0.0"]
    check_host("localhost")  # local names need no flag


def test_cli_dashboard_is_local_by_default_and_remote_needs_the_flag(
    study_db: Path, served: list, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "dashboard" in cli.COMMANDS, "initstudy run prints 'initstudy dashboard ...'"
    code, _, err = run_main(["dashboard", "--storage", str(study_db)], capsys)
    assert code == 0, err
    assert [c["host"] for c in served] == ["127.0.0.1"]
    code, _, err = run_main(["dashboard", "--storage", str(study_db), "--host", "0.0.0.0"], capsys)
    assert code == 2 and "error: " in err and "--allow-remote" in err
    code, _, err = run_main(
        ["dashboard", "--storage", str(study_db), "--host", "0.0.0.0", "--allow-remote"], capsys
    )
    assert code == 0 and "WARNING" in err
    assert [c["host"] for c in served] == ["127.0.0.1", "0.0.0.0"]


# -- values with quotes and SQL fragments --------------------------------------------------
def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = {row[0] for row in rows}
    connection.close()
    return names


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used:UserWarning")
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_names_and_values_with_sql_fragments_are_stored_as_data(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    storage = resolve_storage(url)
    for i, name in enumerate(NASTY):
        config = {"dataset": {"name": name}, "space": {"description": name, "values": NASTY}}
        register_study(storage, name, fingerprint=name, config=config)
        study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
        trial = study.ask({"init": optuna.distributions.CategoricalDistribution(NASTY)})
        trial.set_user_attr(name, NASTY)
        study.tell(trial, 0.5)
        record = SeedRunRecord(seed=i, fold=0, run_key=name, score=0.5, error=name)
        save_seed_runs(storage, name, 0, [record])
    assert sorted(list_studies(storage)["study_name"]) == sorted(NASTY)
    for i, name in enumerate(NASTY):
        stored = load_study_record(storage, name)
        assert stored["fingerprint"] == name and stored["config"]["space"]["values"] == NASTY
        rows = load_seed_runs(storage, name)
        assert rows["error"].tolist() == [name] and rows["run_key"].tolist() == [name]
        assert rows["seed"].tolist() == [i]
        (trial,) = optuna.load_study(study_name=name, storage=storage).trials
        assert trial.user_attrs == {name: NASTY} and trial.params["init"] in NASTY
    if backend == "sqlite":
        assert {"initstudy_seed_runs", "initstudy_studies", "trials", "studies"} <= _tables(
            Path(url.removeprefix("sqlite:///"))
        )


def test_a_study_run_under_a_nasty_name_keeps_every_other_study(
    study_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reliability_helpers import write_config

    name = "tiny'; DROP TABLE trials; --"
    before = _tables(study_db)
    code, _, err = run_main(
        [
            "run",
            str(write_config(tmp_path)),
            "--storage",
            str(study_db),
            "--study-name",
            name,
            "--trials",
            "1",
            "--quiet",
        ],
        capsys,
    )
    assert code == 0, err
    assert _tables(study_db) == before
    studies = list_studies(study_db).set_index("study_name")["n_complete"].to_dict()
    assert studies == {"tiny": 2, name: 1}


# -- a source scan -----------------------------------------------------------------------------
_SQL_CALLS = {"execute", "executemany", "executescript", "exec_driver_sql", "text"}
_CODE_RUNNERS = {"eval", "exec", "compile", "__import__", "execfile"}
_UNSAFE_LOADERS = {
    ("pickle", "load"),
    ("pickle", "loads"),
    ("cloudpickle", "load"),
    ("cloudpickle", "loads"),
    ("dill", "load"),
    ("dill", "loads"),
    ("marshal", "load"),
    ("marshal", "loads"),
    ("joblib", "load"),
    ("yaml", "load"),
    ("yaml", "unsafe_load"),
    ("shelve", "open"),
    ("importlib", "import_module"),
    ("pd", "read_pickle"),
    ("pandas", "read_pickle"),
    ("torch", "load"),
    ("os", "system"),
    ("os", "popen"),
}


def _modules() -> list[tuple[Path, ast.Module]]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30
    return [(f, ast.parse(f.read_text(encoding="utf-8"), filename=str(f))) for f in files]


def _called_name(node: ast.Call) -> tuple[str | None, str]:
    """(owner, name) of a call: ``a.b.c(...)`` -> ("b", "c"), ``f(...)`` -> (None, "f")."""
    func = node.func
    if isinstance(func, ast.Attribute):
        owner = func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        return owner_name, func.attr
    return None, getattr(func, "id", "")


def _built_string(node: ast.AST) -> bool:
    """True for an f-string with fields, ``"..." % x``, ``"..." + x`` or ``"...".format()``."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    return isinstance(node, ast.Call) and _called_name(node)[1] == "format"


def test_no_sql_is_built_from_strings() -> None:
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node)[1] in _SQL_CALLS and node.args:
                if _built_string(node.args[0]):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == [], f"SQL built from strings at {found}"


def test_the_scan_catches_the_patterns_it_looks_for() -> None:
    bad = [
        'session.execute(sa.text(f"SELECT * FROM t WHERE name = {name}"))',
        'connection.execute("DELETE FROM t WHERE id = %s" % key)',
        'cursor.execute("SELECT " + column)',
        'engine.exec_driver_sql("DROP TABLE {}".format(name))',
    ]
    for source in bad:
        calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]
        assert any(
            _called_name(c)[1] in _SQL_CALLS and c.args and _built_string(c.args[0]) for c in calls
        ), source
    fine = 'cursor.execute("PRAGMA journal_mode=WAL")'
    call = next(n for n in ast.walk(ast.parse(fine)) if isinstance(n, ast.Call))
    assert not _built_string(call.args[0])


def test_no_module_can_run_code_from_a_file() -> None:
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            owner, name = _called_name(node)
            if (owner is None and name in _CODE_RUNNERS) or (owner, name) in _UNSAFE_LOADERS:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {owner}.{name}")
            if (
                name == "load"
                and owner in ("np", "numpy")
                and any(k.arg == "allow_pickle" for k in node.keywords)
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} np.load(allow_pickle)")
            if any(k.arg == "shell" and getattr(k.value, "value", False) for k in node.keywords):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} shell=True")
    assert found == [], f"code could run from data at {found}"


CODE_LOOKING_TOML = """
[study]
name = "__import__('os').system('touch {marker}')"

[dataset]
name = "iris"

[estimator]
hidden_layer_sizes = [4]

[space]
name = "$(touch {marker})"
description = "{{{{ exec(open('{marker}', 'w')) }}}} `touch {marker}` !!python/object:os.system"
[space.params]
init = ["he_normal"]
"""


SPACE_TOML = """
name = "$(touch {marker})"
description = "{{{{ exec(open('{marker}', 'w')) }}}} `touch {marker}` !!python/object:os.system"
[params]
init = ["he_normal"]
"""


def test_a_toml_with_code_in_it_is_only_data(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    text = CODE_LOOKING_TOML.format(marker=marker)
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    config = StudyConfig.from_toml(path)
    assert config.study_name == f"__import__('os').system('touch {marker}')"
    space_file = tmp_path / "space.toml"
    space_file.write_text(SPACE_TOML.format(marker=marker), encoding="utf-8")
    space = load_space(space_file)
    assert "exec(open(" in space.description and "!!python/object" in space.description
    assert config.to_dict()["study"]["name"] == config.study_name
    assert not marker.exists()


def test_the_html_report_escapes_names_and_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A study name holding HTML is shown as text in the report, never run as a script."""
    from reliability_helpers import write_config

    from initstudy.reports import build_html_report

    name = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    db = tmp_path / "html.db"
    code, _, err = run_main(
        [
            "run",
            str(write_config(tmp_path)),
            "--storage",
            str(db),
            "--study-name",
            name,
            "--trials",
            "1",
            "--quiet",
        ],
        capsys,
    )
    assert code == 0, err
    html = build_html_report(db, name, path=tmp_path / "r.html", signal=False).read_text()
    assert "<script>alert(" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html
