"""The ``initstudy`` command: parse the arguments, call the packages, print.

Each subcommand is one entry of :data:`COMMANDS`: a help line, a function that adds its
arguments, and a function that runs it and returns the exit code. Errors of initstudy print
one line ``error: ...`` and exit with 2 (``--verbose`` shows the traceback); SIGINT and
SIGTERM stop a study cleanly and exit with 130 and 143.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shlex
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import pandas as pd

from initstudy import __version__
from initstudy._private_apis import study_storage
from initstudy.exceptions import ConfigError, InitStudyError

__all__ = ["COMMANDS", "build_parser", "main"]

_DEFAULT_STORAGE = "sqlite:///initstudy.db"
_RUN_OVERRIDES = {  # option dest -> StudyConfig field
    "dataset": "dataset",
    "target": "target",
    "space": "space",
    "trials": "n_trials",
    "seeds": "seeds",
    "storage": "storage",
    "study_name": "study_name",
    "jobs": "jobs",
    "timeout": "timeout",
}


def _print_table(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> None:
    """Print a DataFrame without its index, floats with 4 decimals."""
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    if frame.empty:
        print("(none)")
        return
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


# -- run ------------------------------------------------------------------------------------
def _add_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "config",
        nargs="?",
        metavar="CONFIG.toml",
        help="study config (sections [study] [dataset] [estimator] [seeds] "
        "[evaluation] [space]); default: the embedded default study",
    )
    parser.add_argument("--dataset", metavar="NAME|PATH", help="built-in name or CSV/Parquet")
    parser.add_argument("--target", metavar="COL", help="target column of a data file")
    parser.add_argument("--space", metavar="NAME|PATH", help="search-space preset or TOML file")
    parser.add_argument("--trials", type=int, metavar="N", help="finished trials to reach")
    parser.add_argument("--seeds", type=int, metavar="K", help="seeds per trial")
    parser.add_argument("--storage", metavar="URL", help=f"default {_DEFAULT_STORAGE}")
    parser.add_argument("--study-name", metavar="NAME", help="default 'default'")
    parser.add_argument("--jobs", type=int, metavar="N", help="worker processes")
    parser.add_argument("--timeout", type=float, metavar="S", help="no new trial after S s")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--new", action="store_true", help="start a new study under a free name")
    mode.add_argument("--resume", action="store_true", help="require the study to exist")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--no-confirm",
        action="store_true",
        help="skip the confirmation stage (fresh seeds on the test part) after the search",
    )


def _run_config(args: argparse.Namespace) -> Any:
    """The StudyConfig: the file (or the default), then the command-line options."""
    from initstudy.study import StudyConfig

    config = StudyConfig.from_toml(args.config) if args.config else StudyConfig()
    changes = {
        field: getattr(args, dest)
        for dest, field in _RUN_OVERRIDES.items()
        if getattr(args, dest) is not None
    }
    return config.replace(**changes) if changes else config


def _resume_command(argv: Sequence[str], study_name: str) -> str:
    """The command that resumes: the same arguments, without --new, naming the study."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("--new", "--resume") or arg.startswith("--study-name="):
            continue
        if arg == "--study-name":
            skip = True
            continue
        kept.append(arg)
    return shlex.join(["initstudy", *kept, "--study-name", study_name])


#: Storages a command opened, closed before a fast exit (see :func:`main`).
_OPENED: list[Any] = []


def _scheme_ranking(study: Any) -> pd.DataFrame:
    """Each scheme's row of :func:`initstudy.reports.scheme_table`, formatted for the terminal.

    Ranked on the confirmation (fresh seeds, untouched test part) when the study has one,
    else on the search's selection scores (``attrs["scores"]`` says which). ``study`` is an
    Optuna study or its loaded :class:`~initstudy.reports.StudyData`.
    """
    from initstudy.reports import scheme_table

    table = scheme_table(study)
    if table.empty:
        return table
    shown = pd.DataFrame(
        {
            "rank": table["rank"],
            "group": table["group"],
            "scheme": table["scheme"],
            "trial": table["trial_number"],
            "mean": table["mean"],
            "ci_low": table["ci_low"],
            "ci_high": table["ci_high"],
            "seeds": table["n_seeds"],
            "diverged": table["n_diverged"],
        }
    )
    if table.attrs.get("scores") == "confirmation":
        shown["selection"] = table["selection_mean"]
    shown["trials"] = table["n_trials"]
    if table["aliases"].astype(bool).any():
        shown["aliases"] = table["aliases"]
    shown.attrs.update(table.attrs)
    return shown


def _groups_line(ranking: pd.DataFrame, reasons: dict[str, str] | None = None) -> str:
    """``best: a, b; worse: c; failed: d (why)``."""
    parts = []
    for name in ("best", "worse", "failed"):
        members = ranking.loc[ranking["group"] == name, "scheme"].astype(str).tolist()
        if name == "failed" and reasons:
            members = [f"{m} ({reasons[m]})" if m in reasons else m for m in members]
        parts.append(f"{name}: {', '.join(members) or '-'}")
    return "; ".join(parts)


def _failure_reasons(data: Any, ranking: pd.DataFrame) -> dict[str, str]:
    """Why each failed scheme failed (:func:`initstudy.reports.failure_reasons`)."""
    from initstudy.reports import failure_reasons

    if not (ranking["group"] == "failed").any():
        return {}
    table = ranking.rename(columns={"seeds": "n_seeds", "diverged": "n_diverged"})
    return failure_reasons(data, table)


def _report_run(study: Any, config: Any, storage: Any) -> None:
    """Print the best configuration, the scheme ranking and where to look next."""
    from initstudy.searchspaces import get_space
    from initstudy.storage import display_url

    url = display_url(storage.url)
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    print(f"\nStudy {study.study_name!r} in {url}: {len(complete)} complete trials.")
    if complete:
        ranking = _print_ranking(study)
        if not ranking.empty:
            best = study.trials[int(ranking.iloc[0]["trial"])]
            print(f"Configuration of rank 1 (trial {best.number}):")
            for key, value in get_space(config.space).estimator_params(best.params).items():
                print(f"  {key} = {value!r}")
    storage_arg = "" if config.storage == _DEFAULT_STORAGE else f" --storage {shlex.quote(url)}"
    print(
        f"\nReport:    initstudy report {shlex.quote(study.study_name)}{storage_arg} "
        "--html report.html"
    )
    print(f"Dashboard: initstudy dashboard --storage {shlex.quote(url)}")


def _print_ranking(study: Any) -> pd.DataFrame:
    """The scheme ranking and its one-line answer, saying which scores it rests on."""
    from initstudy.reports import load_study_data

    data = load_study_data(study)  # read once: the ranking and the failure reasons
    ranking = _scheme_ranking(data)
    confirm = study.user_attrs.get("confirm")
    if ranking.attrs.get("scores") == "confirmation" and confirm:
        where = (
            f"{confirm['n_scored']} untouched test rows (one row = {1 / confirm['n_scored']:.4f})"
            if confirm.get("on") == "test"
            else f"the search's validation split ({confirm['n_scored']} rows; the study has no "
            "test part)"
        )
        print(
            f"\nInit schemes, confirmed: each scheme's best configuration retrained on "
            f"{len(confirm['seeds'])} fresh seeds, scored on {where}; mean and 95% interval "
            "over those seeds; selection = its search score (optimistic):"
        )
    else:
        print(
            "\nInit schemes, SELECTION scores (optimistic: each scheme's best search trial on "
            "the seeds and split that chose it; `initstudy confirm` gives honest numbers):"
        )
    _print_table(ranking)
    if not ranking.empty:
        print(
            f"Answer: {_groups_line(ranking, _failure_reasons(data, ranking))} (best = not "
            "distinguishable from the top by a step-down paired permutation range test, "
            "family-wise 5%)."
        )
    return ranking


def _describe_file_columns(config: Any) -> None:
    """Print one line on what the preprocessing does to a data file's columns."""
    from initstudy.study import BUILTIN_DATASETS, describe_columns, load_dataset

    if (
        not isinstance(config.dataset, (str, os.PathLike))
        or str(config.dataset) in BUILTIN_DATASETS
    ):
        return
    try:
        dataset = load_dataset(config.dataset, target=config.target)
    except InitStudyError:
        return  # run_study reports it
    print(describe_columns(dataset, config.preprocessing))


def cmd_run(args: argparse.Namespace) -> int:
    """``initstudy run``: run or resume a study, then summarize it."""
    import optuna

    from initstudy.storage import resolve_storage
    from initstudy.study import Interrupted, run_study

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    config = _run_config(args)
    resume = False if args.new else True if args.resume else None  # None: continue or create
    if not args.quiet:
        _describe_file_columns(config)
    try:  # run_study opens the storage after the data loaded: a refused run creates no file
        study = run_study(config, progress=not args.quiet, resume=resume)
        if config.confirm and not args.no_confirm:
            _confirm(
                config.replace(study_name=study.study_name), study, quiet=args.quiet, wait=True
            )
    except Interrupted as e:
        name = e.study_name or config.study_name
        print(
            f"\nStopped by {e}; every finished seed is saved. Resume with:\n  "
            f"{_resume_command(args.argv, name)}",
            file=sys.stderr,
        )
        return 128 + e.signum
    storage = resolve_storage(study_storage(study))  # the storage run_study opened
    _OPENED.append(storage)
    _report_run(study, config, storage)
    return 0


def _confirm(config: Any, study: Any, *, quiet: bool, wait: bool = False) -> None:
    """The confirmation stage, interruptible like the search (rerunning resumes it)."""
    from initstudy.study import Interrupted, confirm_study, interrupts_raise

    if not quiet:
        print(
            f"Confirming the best configuration of each scheme on "
            f"{len(config.confirm_seed_list)} fresh seeds ...",
            file=sys.stderr,
        )
    try:
        with interrupts_raise():
            confirm_study(config, study, progress=not quiet, wait=wait)
    except Interrupted as e:
        e.study_name = study.study_name
        raise


def _add_confirm(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", metavar="STUDY", help="the study's name")
    _add_storage(parser)
    parser.add_argument(
        "--seeds",
        type=int,
        metavar="N",
        help="fresh seeds per configuration (default: the study's [confirm] seeds, 10)",
    )
    parser.add_argument(
        "--top", type=int, metavar="K", help="confirm only the K best schemes (default: all)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def cmd_confirm(args: argparse.Namespace) -> int:
    """``initstudy confirm STUDY``: run or resume the confirmation stage of a study."""
    import optuna

    from initstudy.study import Interrupted, stored_config

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    changes = {"confirm_seeds": args.seeds, "confirm_top": args.top}
    config = stored_config(args.storage, args.study, **{k: v for k, v in changes.items() if v})
    storage = config.storage
    _OPENED.append(storage)
    study = optuna.load_study(study_name=args.study, storage=storage)
    try:
        _confirm(config, study, quiet=args.quiet)
    except Interrupted as e:
        print(
            f"\nStopped by {e}; every finished seed is saved. Resume with:\n  "
            f"{shlex.join(['initstudy', *args.argv])}",
            file=sys.stderr,
        )
        return 128 + e.signum
    _print_ranking(optuna.load_study(study_name=args.study, storage=storage))
    return 0


# -- worker, studies, show, spaces ----------------------------------------------------------
def _add_worker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--storage",
        required=True,
        metavar="URL",
        help="the study's database (PostgreSQL for several machines)",
    )
    parser.add_argument("--study-name", required=True, metavar="NAME")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def cmd_worker(args: argparse.Namespace) -> int:
    """``initstudy worker``: join a study created by ``initstudy run``."""
    import optuna

    from initstudy.storage import resolve_storage
    from initstudy.study import Interrupted, run_worker

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = resolve_storage(args.storage)
    _OPENED.append(storage)
    try:
        study = run_worker(storage, args.study_name, progress=not args.quiet)
    except Interrupted as e:
        print(f"\nStopped by {e}; every finished seed is saved.", file=sys.stderr)
        return 128 + e.signum
    finished = sum(t.state.name in ("COMPLETE", "PRUNED") for t in study.trials)
    print(f"Study {args.study_name!r}: {finished} finished trials.")
    return 0


def _add_storage(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--storage", default=_DEFAULT_STORAGE, metavar="URL", help=f"default {_DEFAULT_STORAGE}"
    )


def cmd_studies(args: argparse.Namespace) -> int:
    """``initstudy studies``: one line per study in the storage."""
    from initstudy.storage import list_studies, resolve_storage

    frame = list_studies(resolve_storage(args.storage, read_only=True))
    frame = frame.rename(columns={"study_name": "name", "n_complete": "complete"})
    _print_table(frame, ["name", "n_trials", "complete", "best_value", "direction"])
    return 0


def _add_show(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", metavar="STUDY", help="the study's name")
    _add_storage(parser)


def cmd_show(args: argparse.Namespace) -> int:
    """``initstudy show STUDY``: the study's trials table."""
    from initstudy.reports import trials_table
    from initstudy.storage import resolve_storage

    frame = trials_table(resolve_storage(args.storage, read_only=True), args.study)
    _print_table(frame.drop(columns=["aggregate"], errors="ignore"))
    return 0


def cmd_spaces(args: argparse.Namespace) -> int:
    """``initstudy spaces``: the search-space presets and the initializer names."""
    from initstudy.initializers import available
    from initstudy.searchspaces import available_spaces, get_space

    print("Search-space presets (initstudy run --space NAME):")
    for name in available_spaces():
        space = get_space(name)
        print(f"  {name:<18} {space.description}")
    print("\nInitializers (values of 'init'):")
    print("  " + ", ".join(available()))
    return 0


# -- report, dashboard ----------------------------------------------------------------------
def _add_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", metavar="STUDY", help="the study's name")
    _add_storage(parser)
    parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    parser.add_argument("--markdown", metavar="FILE", help="write Markdown (PNGs beside it)")
    parser.add_argument("--csv", metavar="DIR", help="write every table as CSV into DIR")
    parser.add_argument(
        "--to-dashboard",
        action="store_true",
        help="save the note, plots and artifacts into the study for the dashboard",
    )
    parser.add_argument(
        "--artifact-dir",
        metavar="DIR",
        help="artifact folder (default: <db name>_artifacts beside a SQLite db)",
    )
    parser.add_argument(
        "--importance",
        choices=("ped_anova", "fanova"),
        default="ped_anova",
        help="importance evaluator (default ped_anova)",
    )
    parser.add_argument(
        "--no-signal",
        action="store_true",
        help="skip signal propagation at init (it reloads the dataset)",
    )


def cmd_report(args: argparse.Namespace) -> int:
    """``initstudy report STUDY``: print the ranking, or write HTML/Markdown/CSV/dashboard."""
    from initstudy import reports
    from initstudy.storage import resolve_storage

    storage = resolve_storage(args.storage, read_only=not args.to_dashboard)
    content = reports.collect(
        storage, args.study, signal=not args.no_signal, importance=args.importance
    )
    writers = {
        "html": lambda: reports.build_html_report(content, path=args.html),
        "markdown": lambda: reports.build_markdown_report(content, path=args.markdown),
        "csv": lambda: reports.export_csv(content, directory=args.csv)[0].parent,
    }
    chosen = [name for name in writers if getattr(args, name)]
    if not chosen and not args.to_dashboard:
        print(reports.render_text(content))
    for name in chosen:
        try:
            written = writers[name]()
        except OSError as e:  # a missing or read-only folder: one line, not a traceback
            raise ConfigError(
                f"Cannot write the {name} report to {getattr(args, name)!r}: {e.strerror or e}."
            ) from e
        print(f"{name}: wrote {written}")
    if args.to_dashboard:
        uploaded = reports.publish_to_dashboard(content, artifact_dir=args.artifact_dir)
        print(f"dashboard: saved the note and {len(uploaded)} artifacts into {args.study!r}")
    return 0


def _add_dashboard(parser: argparse.ArgumentParser) -> None:
    _add_storage(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument(
        "--artifact-dir",
        metavar="DIR",
        help="artifact folder (default: <db name>_artifacts beside a SQLite db)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a host beyond this machine (the dashboard has no login)",
    )


def cmd_dashboard(args: argparse.Namespace) -> int:
    """``initstudy dashboard``: serve optuna-dashboard on the study database."""
    from initstudy.reports import run_dashboard

    try:
        run_dashboard(
            args.storage,
            host=args.host,
            port=args.port,
            artifact_dir=args.artifact_dir,
            allow_remote=args.allow_remote,
        )
    except KeyboardInterrupt:  # the server usually handles Ctrl-C itself and returns
        pass
    print("\nDashboard stopped.", file=sys.stderr)
    return 0


def _add_decompose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", metavar="STUDY", help="the study's name")
    _add_storage(parser)
    parser.add_argument(
        "--configs",
        type=int,
        default=2,
        metavar="N",
        help="best configurations to decompose, best scheme first (default 2)",
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=2000,
        metavar="N",
        help="bootstrap resamples of the share intervals (default 2000)",
    )


def cmd_decompose(args: argparse.Namespace) -> int:
    """``initstudy decompose STUDY``: train the crossed seed design, print and store the shares."""
    from initstudy.reports import variance_display, variance_summary, variance_table
    from initstudy.storage import resolve_storage

    frame = variance_table(
        resolve_storage(args.storage),
        args.study,
        compute=True,
        n_configs=args.configs,
        n_boot=args.bootstrap,
    )
    if frame.empty:
        raise ConfigError(f"No decomposition for study {args.study!r}: {frame.attrs.get('note')}.")
    print(variance_display(frame).to_string(index=False))
    for line in variance_summary(frame):
        print(f"  - {line}")
    print(f"stored in study {args.study!r} (reports.variance_table reads it back)")
    return 0


#: name -> (help, add_arguments, run). Add a command by adding an entry.
COMMANDS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {
    "run": ("run or resume a study (no arguments: the default study)", _add_run, cmd_run),
    "confirm": (
        "retrain each scheme's best configuration on fresh seeds, score it on the test part",
        _add_confirm,
        cmd_confirm,
    ),
    "worker": ("join a running study as one more worker process", _add_worker, cmd_worker),
    "studies": ("list the studies in a storage", _add_storage, cmd_studies),
    "show": ("show a study's trials", _add_show, cmd_show),
    "spaces": ("list search-space presets and initializers", lambda p: None, cmd_spaces),
    "report": ("print a study's ranking, or write HTML/Markdown/CSV", _add_report, cmd_report),
    "decompose": (
        "split a study's seed variance into init, order and split shares",
        _add_decompose,
        cmd_decompose,
    ),
    "dashboard": ("serve optuna-dashboard on a study database", _add_dashboard, cmd_dashboard),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="initstudy",
        description="Study weight initialization as a hyperparameter over many seeds.",
    )
    parser.add_argument("--version", action="version", version=f"initstudy {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, add_arguments, run) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        add_arguments(command)
        command.set_defaults(func=run)
    return parser


def _close_opened() -> None:
    """Close the connections of the storages the command opened."""
    for storage in _OPENED:
        try:
            storage.engine.dispose()  # SQLite checkpoints its WAL into the file here
        except Exception:  # noqa: BLE001  best effort: an interrupted session may be broken
            pass
    _OPENED.clear()


def _exit_now(code: int) -> NoReturn:
    """End the program at once: close the opened storages, flush, run the atexit handlers.

    The interpreter's own teardown (freeing every module of NumPy, SciPy, scikit-learn,
    pandas, SQLAlchemy and Optuna) takes 0.5-1.5 s after a study and does nothing useful.
    """
    _close_opened()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    atexit._run_exitfuncs()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``initstudy`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments. None (the ``initstudy`` program itself) reads ``sys.argv[1:]`` and
        ends the process when the command is done (see :func:`_exit_now`) instead of
        returning.

    Returns
    -------
    int
        The exit code: 0, 2 for an initstudy error, 128 + signal for an interrupt, 141 when
        the reader of stdout went away.
    """
    if argv is None:
        _exit_now(_main(sys.argv[1:]))
    try:
        return _main(argv)
    finally:
        _close_opened()  # called as a library: leave no pooled connection open


def _main(argv: Sequence[str]) -> int:
    argv = list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return args.func(args)
    except InitStudyError as e:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `initstudy ... | head`: the reader left; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
