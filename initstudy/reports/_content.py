"""What a report says, computed once and rendered as HTML, Markdown, CSV or a dashboard note."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna
import pandas as pd
import plotly.graph_objects as go
from optuna.trial import TrialState

from initstudy.reports import _figures as figures
from initstudy.reports._answer import answer_lines, answer_scores
from initstudy.reports._curves import learning_curves, scale_response
from initstudy.reports._importance import importances
from initstudy.reports._load import StudyData
from initstudy.reports._pairwise import pairwise_matrix
from initstudy.reports._signal import signal_table
from initstudy.reports._tables import (
    compare_schemes,
    get_data,
    scheme_table,
    seed_scores,
    trials_table,
)
from initstudy.reports._text import conclusion
from initstudy.reports._variance import variance_table

__all__ = ["PLOTS", "PlotSpec", "ReportContent", "collect", "section_plots"]


@dataclass
class ReportContent:
    """Every table, the setup and the conclusion of one study's report.

    Attributes
    ----------
    data : StudyData
        The loaded study.
    tables : dict of str to DataFrame
        ``trials``, ``schemes``, ``comparisons``, ``pairwise`` (the comparisons as a
        matrix, :func:`~initstudy.reports.pairwise_matrix`), ``seed_scores``, ``answer`` (the
        per-seed scores of the first screen's picture), ``learning_curves``,
        ``scale_response``, ``importances``, ``signal``, ``variance`` (the stored
        decomposition); an empty one carries ``attrs["note"]``.
    setup : list of (str, str)
        The question and the settings, as label and text.
    conclusion : list of str
        Plain-words sentences generated from the numbers.
    answer : list of (str, str)
        The first screen: at most six (label, text) lines
        (:func:`initstudy.reports._answer.answer_lines`).
    """

    data: StudyData
    tables: dict[str, pd.DataFrame]
    setup: list[tuple[str, str]]
    conclusion: list[str]
    answer: list[tuple[str, str]] = field(default_factory=list)

    @property
    def study_name(self) -> str:
        """The study's name."""
        return self.data.study.study_name


@dataclass(frozen=True)
class PlotSpec:
    """One report plot: its title, the table it is drawn from, its plotly figure, its section.

    ``section`` is ``"plots"`` for the plots section, else the report section that shows it
    (``"answer"``: the first screen; ``"comparisons"``: the pairwise matrix; ``"variance"``:
    the decomposition).
    """

    title: str
    table: str
    figure: Callable[[ReportContent], go.Figure]
    section: str = "plots"


#: Plot name -> spec; the names are also the PNG names of :mod:`initstudy.reports._png`.
PLOTS: dict[str, PlotSpec] = {
    "answer": PlotSpec(
        "Scores per scheme, best group marked",
        "answer",
        lambda c: figures.answer_figure(c.tables["answer"], score_name=objective_name(c.data)),
        section="answer",
    ),
    "pairwise": PlotSpec(
        "Pairwise differences, Holm-significant pairs marked",
        "pairwise",
        lambda c: figures.pairwise_figure(c.tables["pairwise"]),
        section="comparisons",
    ),
    "seed_scores": PlotSpec(
        "Per-seed scores by scheme",
        "seed_scores",
        lambda c: figures.seed_scores_figure(
            c.tables["seed_scores"], score_name=objective_name(c.data)
        ),
    ),
    "scale_response": PlotSpec(
        "Score against init_scale",
        "scale_response",
        lambda c: figures.scale_response_figure(
            c.tables["scale_response"], score_name=objective_name(c.data)
        ),
    ),
    "learning_curves": PlotSpec(
        "Learning curves",
        "learning_curves",
        lambda c: figures.learning_curves_figure(c.tables["learning_curves"]),
    ),
    "signal": PlotSpec(
        "Signal propagation at initialization",
        "signal",
        lambda c: figures.signal_figure(c.tables["signal"]),
    ),
    "optimization_history": PlotSpec(
        "Optimization history",
        "trials",
        lambda c: figures.optimization_history_figure(c.data.study),
    ),
    "importances": PlotSpec(
        "Hyperparameter importances",
        "importances",
        lambda c: figures.importances_figure(c.tables["importances"]),
    ),
    "variance": PlotSpec(
        "Where the spread comes from",
        "variance",
        lambda c: figures.variance_figure(c.tables["variance"]),
        section="variance",
    ),
}


def objective_name(data: StudyData) -> str:
    """The objective's name: the stored metric name, else built from the config."""
    names = data.study.metric_names
    if names:
        return str(names[0])
    evaluation = data.config.get("evaluation", {})
    n = data.seed_scores["seed"].nunique()
    scoring = evaluation.get("scoring") or "score"
    return f"{scoring}, {evaluation.get('aggregate', 'aggregate')} of {n} seeds"


def _text(value: Any) -> str:
    """A config value as short text."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _trial_counts(study: optuna.Study) -> str:
    """ "12 complete, 3 pruned, ..." for the states present."""
    states = pd.Series([t.state.name.lower() for t in study.get_trials(deepcopy=False)])
    counts = states.value_counts()
    return ", ".join(f"{n} {s}" for s, n in counts.items()) or "none"


def _space_text(space: dict[str, Any]) -> str:
    """The searched parameter names of a stored space."""
    params = space.get("params", space)
    return ", ".join(sorted(params)) if isinstance(params, dict) else _text(space)


def setup_rows(data: StudyData) -> list[tuple[str, str]]:
    """The question and the settings of the study, as (label, text) rows."""
    cfg = data.config
    dataset = cfg.get("dataset", {})
    estimator = dict(cfg.get("estimator", {}))
    evaluation = cfg.get("evaluation", {})
    seeds = sorted(data.seed_scores["seed"].unique().tolist())
    data_name = dataset.get("name", "not stored")
    direction = "higher" if data.greater_is_better else "lower"
    rows = [
        (
            "Question",
            f"Which weight initialization (scheme and scale) gives the best "
            f"{objective_name(data)} on {data_name}? ({direction} is better)",
        ),
        ("Study", f"{data.study.study_name}; trials: {_trial_counts(data.study)}"),
        (
            "Dataset",
            _text(data_name) + (f" (target {dataset['target']})" if dataset.get("target") else ""),
        ),
        (
            "Model",
            f"{estimator.pop('kind', 'not stored')}: "
            + ", ".join(f"{k}={_text(v)}" for k, v in estimator.items()),
        ),
        (
            "Seeds",
            f"{len(seeds)}: {', '.join(map(str, seeds[:20]))}"
            + (" ..." if len(seeds) > 20 else ""),
        ),
        (
            "Validation",
            ", ".join(f"{k}={_text(v)}" for k, v in evaluation.items() if k != "aggregate")
            or "not stored",
        ),
        (
            "Aggregate",
            str(
                evaluation.get(
                    "aggregate",
                    data.study.trials[0].user_attrs.get("aggregate", "not stored")
                    if data.study.trials
                    else "not stored",
                )
            ),
        ),
        ("Search space", _space_text(cfg["space"]) if "space" in cfg else "not stored"),
        (
            "Per-seed data",
            data.source.replace("_", " ") + ("; " + "; ".join(data.notes) if data.notes else ""),
        ),
    ]
    return rows


def collect(
    storage: Any,
    study_name: str | None = None,
    *,
    signal: bool = True,
    importance: str = "ped_anova",
) -> ReportContent:
    """Compute every table of a report, the setup and the conclusion.

    Parameters
    ----------
    storage : str, storage, optuna.Study, StudyData or ReportContent
        Where the study is (a ReportContent is returned as it is, so every builder can
        take one and a report's numbers are computed once).
    study_name : str, optional
        The study's name (not needed with a study).
    signal : bool, default=True
        Whether to compute the signal-propagation table (reloads the dataset, builds the
        networks at initialization).
    importance : {"ped_anova", "fanova"}, default="ped_anova"
        The importance evaluator.

    Returns
    -------
    ReportContent
    """
    if isinstance(storage, ReportContent):
        return storage
    data = get_data(storage, study_name)
    schemes = scheme_table(data)
    tables = {
        "trials": trials_table(data),
        "schemes": schemes,
        "comparisons": compare_schemes(data),
        "seed_scores": seed_scores(data),
        "learning_curves": learning_curves(data),
        "scale_response": scale_response(data),
        "importances": importances(data, evaluator=importance),
        "variance": variance_table(data),
    }
    tables["answer"] = answer_scores(data, schemes, tables["seed_scores"])
    tables["pairwise"] = pairwise_matrix(
        schemes, tables["comparisons"], greater_is_better=data.greater_is_better
    )
    if signal:
        tables["signal"] = signal_table(data)
    else:
        tables["signal"] = pd.DataFrame()
        tables["signal"].attrs["note"] = "not computed (signal=False)"
    if not data.complete_trials():
        tables["trials"].attrs.setdefault("note", "no complete trials")
    return ReportContent(
        data,
        tables,
        setup_rows(data),
        conclusion(schemes, tables["comparisons"]),
        answer_lines(data, schemes, tables["importances"], tables["signal"] if signal else None),
    )


def section_plots(section: str) -> dict[str, PlotSpec]:
    """The plots a report section shows, in :data:`PLOTS` order."""
    return {name: spec for name, spec in PLOTS.items() if spec.section == section}


def plot_note(content: ReportContent, name: str) -> str:
    """Why a plot cannot be drawn ("" when it can)."""
    table = content.tables[PLOTS[name].table]
    if name == "optimization_history":
        return (
            ""
            if content.data.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            else "no complete trials"
        )
    return "" if len(table) else table.attrs.get("note", "no data")
