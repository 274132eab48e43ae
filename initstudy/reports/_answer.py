"""The report's first screen: the answer in at most six lines (issue 10 item 7, issue 12 item 4).

A person reads the first screen in ten seconds, so it says, in this order:

1. ``Best group``: the schemes not distinguishable from the best (Holm/range-corrected paired
   tests of :func:`~initstudy.reports.best_group`), each with its mean and 95% interval;
2. ``Worse``: the schemes clearly worse than the best group;
3. ``Failed``: the schemes whose seeds mostly diverged, or (confirmed) that do no better than
   a constant predictor, each with its reason (divergence, a symmetric layer, a vanishing or
   exploding signal at initialization: :func:`failure_reasons`);
4. ``Mattered most``: Optuna's hyperparameter importances, scheme (``init``) against scale
   (``init_scale``; per-scheme renamed scales are summed);
5. ``How sure``: the seeds, the sources of randomness the intervals include (the study's
   ``[seeds] vary``), and the size of the part the scores were measured on with its resolution
   (one sample = 1/n) where the study stores it;
6. ``Scores``: whether the ranking rests on the confirmation stage (fresh seeds, the untouched
   test part) or on the optimistic selection scores of the search.

Numbers the study does not store are left out, never guessed: the size of the scored part is
read from the study's user attributes :data:`ROW_COUNT_ATTRS` (written by the run or the
confirmation stage); without them the "how sure" line names the seeds and sources only.
"""

from __future__ import annotations

import math
import re
import shlex
from typing import Any

import numpy as np
import pandas as pd

from initstudy.reports._failures import failure_reasons
from initstudy.reports._load import StudyData
from initstudy.reports._stats import MIN_SEEDS_FOR_TEST
from initstudy.reports._tables import confirmed, diverged_penalty, penalized

__all__ = ["ANSWER_COLUMNS", "GROUP_COLORS", "ROW_COUNT_ATTRS", "answer_lines", "answer_scores"]

#: Colour of each group in the answer picture (HTML and PNG).
GROUP_COLORS = {"best": "#2a9d4b", "worse": "#8c8c8c", "failed": "#d62728"}

#: Study user attribute holding the number of rows each score was measured on, by stage.
ROW_COUNT_ATTRS = {"confirm": "n_test_rows", "search": "n_validation_rows"}
#: What the scored part is called, by stage.
_PART = {"confirm": "test part", "search": "validation part"}
#: Scorings whose per-seed score is a share of samples, so one sample moves it by 1/n.
_SHARE_SCORINGS = (None, "accuracy")
#: How many schemes a group line names before "and N more".
_MAX_NAMES = 5
#: How many parameters the importance line names.
_MAX_PARAMS = 3
#: Columns of :func:`answer_scores`.
ANSWER_COLUMNS = [
    "rank",
    "scheme",
    "group",
    "seed",
    "score",
    "diverged",
    "mean",
    "ci_low",
    "ci_high",
]
_RENAMED = re.compile(r"^init\.[^.]+\.(?P<name>.+)$")
_PARAM_WORDS = {"init": "scheme (init)", "init_scale": "scale (init_scale)"}


def _fmt(x: float) -> str:
    """A score with 4 significant digits, "n/a" when missing."""
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):.4g}"


def _scheme_text(row: pd.Series) -> str:
    """``he_normal (= lecun_normal) 0.954 [0.94, 0.97]``."""
    name = str(row["scheme"])
    if row.get("aliases"):
        name += f" (= {row['aliases']})"
    interval = (
        f" [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"
        if math.isfinite(float(row["ci_low"])) and math.isfinite(float(row["ci_high"]))
        else ""
    )
    return f"{name} {_fmt(row['mean'])}{interval}"


def _names(rows: pd.DataFrame, text: Any = _scheme_text) -> str:
    """Up to :data:`_MAX_NAMES` schemes as text, then "and N more"; "none" when empty."""
    if rows.empty:
        return "none"
    parts = [text(r) for _, r in rows.head(_MAX_NAMES).iterrows()]
    if len(rows) > _MAX_NAMES:
        parts.append(f"and {len(rows) - _MAX_NAMES} more")
    return ", ".join(parts)


def _tested(schemes: pd.DataFrame) -> bool:
    """Whether the best group was decided by a test (enough shared seeds, 2+ live schemes)."""
    live = schemes[schemes["group"] != "failed"]
    return len(live) >= 2 and int(live["n_seeds"].min()) >= MIN_SEEDS_FOR_TEST


def _group_lines(schemes: pd.DataFrame, reasons: dict[str, str]) -> list[tuple[str, str]]:
    """The best, worse and failed lines (``reasons``: why each failed scheme failed)."""
    best = schemes[schemes["group"] == "best"]
    worse = schemes[schemes["group"] == "worse"]
    failed = schemes[schemes["group"] == "failed"]
    if _tested(schemes):
        best_text, worse_text = _names(best), _names(worse)
    else:
        n = int(schemes["n_seeds"].min())
        reason = (
            "one scheme left to compare"
            if len(schemes[schemes["group"] != "failed"]) < 2
            else f"{n} seed(s); a corrected paired test needs at least {MIN_SEEDS_FOR_TEST}"
        )
        best_text = f"not tested ({reason}); ranked first: {_names(best.head(1))}"
        worse_text = "not tested"

    def failed_text(r: pd.Series) -> str:
        n_diverged, n_seeds = int(r["n_diverged"]), int(r["n_seeds"])
        if r["scheme"] in reasons:
            return f"{r['scheme']} ({reasons[r['scheme']]})"
        if 2 * n_diverged > n_seeds:
            return f"{r['scheme']} ({n_diverged}/{n_seeds} seeds diverged)"
        return f"{r['scheme']} (no better than a constant predictor)"

    return [
        ("Best group", best_text),
        ("Worse", worse_text),
        ("Failed", _names(failed, failed_text)),
    ]


def _importance_line(imp: pd.DataFrame) -> tuple[str, str]:
    """Scheme against scale (and the next parameters), from Optuna's importances."""
    if imp.empty:
        return "Mattered most", f"not computed ({imp.attrs.get('note', 'no importances')})"
    names = imp["param"].astype(str).map(lambda p: m["name"] if (m := _RENAMED.match(p)) else p)
    summed = imp.groupby(names, sort=False)["importance"].sum().sort_values(ascending=False)
    parts = [f"{_PARAM_WORDS.get(p, p)} {v:.2f}" for p, v in summed.head(_MAX_PARAMS).items()]
    evaluator = imp.attrs.get("evaluator", "")
    how = f"Optuna {evaluator} importance" if evaluator else "Optuna importance"
    return "Mattered most", ", ".join(parts) + f" ({how} over the search trials)"


def scored_rows(data: StudyData) -> tuple[int, str] | None:
    """The number of rows a score was measured on and what that part is, when stored.

    Confirmed studies store it in the ``confirm`` user attribute (``n_scored``, ``on``);
    otherwise the study's :data:`ROW_COUNT_ATTRS` attribute is read.
    """
    stage = "confirm" if confirmed(data) else "search"
    summary = data.study.user_attrs.get("confirm") or {}
    if stage == "confirm" and "n_scored" in summary:
        value = summary["n_scored"]
        part = _PART["confirm"] if summary.get("on") == "test" else "validation folds"
    else:
        value, part = data.study.user_attrs.get(ROW_COUNT_ATTRS[stage]), _PART[stage]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 1:
        return None
    return int(value), part


def _size_clause(data: StudyData) -> str:
    """``test part 360 rows, one sample = 1/360 = 0.0028`` ("" when the size is not stored)."""
    found = scored_rows(data)
    if found is None:
        return ""
    n, part = found
    text = f"{part} {n} rows"
    evaluation = data.config.get("evaluation", {})
    task = data.config.get("dataset", {}).get("task", "classification")
    if task == "classification" and evaluation.get("scoring") in _SHARE_SCORINGS:
        text += f", one sample = 1/{n} = {1.0 / n:.2g}"
    return text


def _sure_line(data: StudyData, schemes: pd.DataFrame) -> tuple[str, str]:
    """Seeds, the sources the intervals include, and the scored part's size and resolution."""
    from initstudy.study import uncertainty_sources

    low, high = int(schemes["n_seeds"].min()), int(schemes["n_seeds"].max())
    seeds = f"{high}" if low == high else f"{low} to {high}"
    kind = "fresh confirmation seeds" if confirmed(data) else "search seeds"
    parts = [f"{seeds} {kind} per scheme"]
    if data.record:
        parts.append(f"95% intervals over seeds include {uncertainty_sources(data.config)}")
    else:
        parts.append("sources of randomness not stored (not made by `initstudy run`)")
    size = _size_clause(data)
    if size:
        parts.append(size)
    return "How sure", "; ".join(parts)


def _scores_line(data: StudyData) -> tuple[str, str]:
    """Whether the ranking rests on confirmation or on the optimistic selection scores."""
    if confirmed(data):
        return (
            "Scores",
            "ranked on confirmation scores (fresh seeds, the untouched test part); "
            "the search's selection scores are optimistic and shown only beside them",
        )
    command = f"initstudy confirm {shlex.quote(data.study.study_name)}"
    return "Scores", f"selection scores (optimistic): run `{command}`"


def answer_lines(
    data: StudyData,
    schemes: pd.DataFrame,
    importances: pd.DataFrame,
    signal: pd.DataFrame | None = None,
) -> list[tuple[str, str]]:
    """The first screen of a report: at most six (label, text) lines.

    Parameters
    ----------
    data : StudyData
        The loaded study.
    schemes : pandas.DataFrame
        :func:`~initstudy.reports.scheme_table` output (with ``group``).
    importances : pandas.DataFrame
        :func:`~initstudy.reports.importances` output.
    signal : pandas.DataFrame, optional
        :func:`~initstudy.reports.signal_table` output, when the caller has it (the failure
        reasons read it; computed when needed otherwise).

    Returns
    -------
    list of (str, str)
        ``Best group``, ``Worse``, ``Failed``, ``Mattered most``, ``How sure`` and
        ``Scores``; one line saying there is nothing to conclude when no trial is complete.
    """
    if schemes.empty:
        return [("Answer", "no complete trials yet: nothing to conclude")]
    lines = _group_lines(schemes, failure_reasons(data, schemes, signal))
    lines.append(_importance_line(importances))
    lines.append(_sure_line(data, schemes))
    lines.append(_scores_line(data))
    return lines


def answer_scores(data: StudyData, schemes: pd.DataFrame, seeds: pd.DataFrame) -> pd.DataFrame:
    """The per-seed scores the ranking rests on, with each scheme's group, mean and interval.

    Parameters
    ----------
    data : StudyData
        The loaded study.
    schemes : pandas.DataFrame
        :func:`~initstudy.reports.scheme_table` output.
    seeds : pandas.DataFrame
        :func:`~initstudy.reports.seed_scores` output (confirmation rows when there are any).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ANSWER_COLUMNS`, schemes in rank order; ``score`` counts a diverged
        seed with the penalty, as every number of the report does; ``attrs["scores"]`` says
        whether they are confirmation or selection scores.
    """
    if schemes.empty or seeds.empty:
        frame = pd.DataFrame(columns=ANSWER_COLUMNS)
        frame.attrs["note"] = schemes.attrs.get("note") or seeds.attrs.get("note", "no scores")
        return frame
    keep = schemes[["rank", "scheme", "trial_number", "group", "mean", "ci_low", "ci_high"]]
    merged = keep.merge(seeds, on=["scheme", "trial_number"], how="inner")
    merged["score"] = penalized(merged["score"], merged["diverged"], diverged_penalty(data))
    merged["diverged"] = merged["diverged"].astype(bool)
    frame = merged.sort_values(["rank", "seed"], kind="stable").reset_index(drop=True)
    frame = frame[ANSWER_COLUMNS]
    frame.attrs["scores"] = schemes.attrs.get("scores", "selection (optimistic)")
    frame["score"] = frame["score"].astype(float)
    if not np.isfinite(frame["score"]).any():
        frame.attrs["note"] = "no finite per-seed score"
    return frame
