"""Report tables: one pandas DataFrame per question asked of a stored study.

Every function takes a storage URL (or storage) and a study name, an ``optuna.Study``, or a
:class:`StudyData` already loaded (to read the database once for a whole report). A table that
cannot be computed is empty, and ``frame.attrs["note"]`` says why; row-level gaps are NaN with
the reason in the row's ``note`` column.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import optuna
import pandas as pd

from initstudy.exceptions import ConfigError
from initstudy.reports._load import StudyData, load_study_data, scheme_of
from initstudy.reports._stats import MIN_SEEDS_FOR_TEST, holm, paired_comparison, summarize
from initstudy.reports._verdicts import ALPHA, best_group
from initstudy.study import default_penalty

__all__ = [
    "best_trials",
    "compare_schemes",
    "get_data",
    "scheme_table",
    "seed_scores",
    "trials_table",
]

#: Numeric user attributes written by ``initstudy.study`` on every trial.
TRIAL_ATTRS = ["mean", "std", "ci_low", "ci_high", "n_diverged", "fit_seconds"]

SCHEME_COLUMNS = [
    "rank",
    "scheme",
    "trial_number",
    "value",
    "n_seeds",
    "mean",
    "std",
    "iqm",
    "ci_low",
    "ci_high",
    "ci_method",
    "n_diverged",
    "share_diverged",
    "mean_epochs",
    "n_trials",
    "params",
    "group",
    "aliases",
    "selection_mean",
    "note",
]

COMPARE_COLUMNS = [
    "scheme_a",
    "scheme_b",
    "trial_a",
    "trial_b",
    "n_paired",
    "mean_diff",
    "ci_low",
    "ci_high",
    "wins",
    "losses",
    "ties",
    "p_superiority",
    "p_value",
    "p_holm",
    "p_adjusted",
    "winner",
    "verdict",
    "note",
]


def get_data(storage: Any, study_name: str | None = None) -> StudyData:
    """Return ``storage`` if it is already a :class:`StudyData`, else load it."""
    return storage if isinstance(storage, StudyData) else load_study_data(storage, study_name)


def _empty(columns: list[str], note: str) -> pd.DataFrame:
    """An empty table that says why it is empty."""
    frame = pd.DataFrame(columns=columns)
    frame.attrs["note"] = note
    return frame


def _value(trial: optuna.trial.FrozenTrial) -> float:
    """The first objective value of a trial (NaN if none)."""
    return float(trial.values[0]) if trial.values else math.nan


def trials_table(storage: Any, study_name: str | None = None) -> pd.DataFrame:
    """One row per trial: parameters, objective value, per-seed statistics, state.

    Parameters
    ----------
    storage : str, storage, optuna.Study or StudyData
        Where the study is.
    study_name : str, optional
        The study's name (not needed with a study).

    Returns
    -------
    pandas.DataFrame
        ``trial_number``, ``state``, ``scheme``, ``value`` (the study's aggregate of the
        seeds), ``aggregate`` (its name, when stored), the trial's parameters, the stored
        user attributes ``mean``, ``std``, ``ci_low``, ``ci_high`` (Student-t interval, as
        stored by the study), ``n_diverged``, ``fit_seconds``, and ``n_seeds`` (per-seed
        scores found).
    """
    data = get_data(storage, study_name)
    seeds = data.seed_scores.groupby("trial_number")["seed"].nunique()
    rows = []
    for t in data.study.get_trials(deepcopy=False):
        row = {"trial_number": t.number, "state": t.state.name, "scheme": scheme_of(t)}
        row["value"] = _value(t)
        row["aggregate"] = t.user_attrs.get("aggregate", data.config.get("aggregate", ""))
        row.update(t.params)
        row.update({k: float(t.user_attrs.get(k, math.nan)) for k in TRIAL_ATTRS})
        row["n_seeds"] = int(seeds.get(t.number, 0))
        rows.append(row)
    if not rows:
        frame = _empty(["trial_number", "state", "scheme", "value"], "the study has no trials")
    else:
        frame = pd.DataFrame(rows)
    frame.attrs["greater_is_better"] = data.greater_is_better
    return frame


def best_trials(data: StudyData) -> dict[str, optuna.trial.FrozenTrial]:
    """Each scheme's best complete trial (ties: the lowest trial number), best scheme first."""
    sign = -1.0 if data.greater_is_better else 1.0
    ordered = sorted(data.complete_trials(), key=lambda t: (sign * _value(t), t.number))
    best: dict[str, optuna.trial.FrozenTrial] = {}
    for t in ordered:
        best.setdefault(scheme_of(t), t)
    return best


def confirmed(data: StudyData) -> bool:
    """Whether the study has confirmation rows (then every verdict is made on them)."""
    return len(data.confirm_scores) > 0


def _seed_frame(data: StudyData, trial_number: int, *, search: bool = False) -> pd.DataFrame:
    """The per-seed rows of one trial, sorted by seed (confirmation rows when there are any)."""
    frame = data.seed_scores if search or not confirmed(data) else data.confirm_scores
    return frame[frame["trial_number"] == trial_number].sort_values("seed")


def _params_text(trial: optuna.trial.FrozenTrial) -> str:
    """The trial's parameters other than ``init``, as ``name=value`` text."""
    parts = [
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in trial.params.items()
        if k != "init"
    ]
    return ", ".join(parts)


def diverged_penalty(data: StudyData) -> float:
    """The score a diverged seed counts with, as the study's objective used it (NaN if unknown).

    The configured ``evaluation.penalty``; else the worst score of the scoring
    (``initstudy.study.default_penalty``), the task read from ``dataset.task`` when the record
    has it (classification otherwise).
    """
    config = data.record.get("config", {}) if data.record else {}
    evaluation = config.get("evaluation", {})
    if evaluation.get("penalty") is not None:
        return float(evaluation["penalty"])
    task = config.get("dataset", {}).get("task", "classification")
    try:
        return float(default_penalty(evaluation.get("scoring"), task))
    except ConfigError:
        return math.nan


def penalized(scores: pd.Series, diverged: pd.Series, penalty: float) -> np.ndarray:
    """Per-seed scores with a diverged (or non-finite) seed at the penalty, all floored at it.

    So no trained seed scores below a diverged one (an R^2 of -3e41 counts as the penalty).
    """
    x = pd.to_numeric(scores, errors="coerce").to_numpy(dtype=float)
    if not math.isfinite(penalty):
        return x
    x = np.where(diverged.astype(bool).to_numpy() | ~np.isfinite(x), penalty, x)
    return np.maximum(x, penalty)


def _penalized_by_seed(data: StudyData, number: int, penalty: float) -> pd.Series:
    """A trial's per-seed scores (diverged seeds at the penalty), indexed by seed."""
    seeds = _seed_frame(data, number)
    return pd.Series(penalized(seeds["score"], seeds["diverged"], penalty), index=seeds["seed"])


def _scheme_row(
    data: StudyData, scheme: str, trial: optuna.trial.FrozenTrial, n_trials: int
) -> dict[str, Any]:
    """One row of the scheme table."""
    seeds = _seed_frame(data, trial.number)
    row: dict[str, Any] = {"scheme": scheme, "trial_number": trial.number, "value": _value(trial)}
    row.update(summarize(penalized(seeds["score"], seeds["diverged"], diverged_penalty(data))))
    n_div = int(seeds["diverged"].astype(bool).sum())
    row["n_diverged"] = n_div
    row["share_diverged"] = n_div / len(seeds) if len(seeds) else math.nan
    row["mean_epochs"] = (
        float(seeds["n_iter"].mean()) if seeds["n_iter"].notna().any() else math.nan
    )
    row["n_trials"] = n_trials
    row["params"] = _params_text(trial)
    search = _seed_frame(data, trial.number, search=True)
    sel = penalized(search["score"], search["diverged"], diverged_penalty(data))
    row["selection_mean"] = float(np.mean(sel)) if sel.size else math.nan
    if data.source != "seed_runs":
        row["note"] = "; ".join(filter(None, [row["note"], "divergence and epochs not stored"]))
    return row


#: A confirmed scheme whose lead over a constant predictor is below this share of the best
#: scheme's lead learned nothing that matters: it is in the ``failed`` group.
NO_LEARNING = 0.01


def scheme_table(storage: Any, study_name: str | None = None) -> pd.DataFrame:
    """Per init scheme, its best configuration and the spread of its scores over seeds.

    Parameters
    ----------
    storage : str, storage, optuna.Study or StudyData
        Where the study is.
    study_name : str, optional
        The study's name (not needed with a study).

    Returns
    -------
    pandas.DataFrame
        One row per scheme, best first: ``rank`` (1 = best; by the confirmation mean when
        the study has confirmation rows, and then ``mean``, ``std``, ``iqm``, ``ci_*``,
        ``group`` and the divergence columns describe the fresh seeds on the test part; else
        by the objective value of the best trial, and ``attrs["scores"]`` says the numbers are
        the optimistic selection scores), ``scheme``, ``trial_number``, ``value``, ``n_seeds``, ``mean``,
        ``std``, ``iqm``, ``ci_low``/``ci_high`` (95% skew-corrected t interval of the mean over seeds),
        ``ci_method``, ``n_diverged``, ``share_diverged``, ``mean_epochs``, ``n_trials``
        (complete trials of the scheme), ``params`` (the rest of the best configuration),
        ``group`` (``best``: not distinguishable from the best by the corrected paired test,
        ``worse``, ``failed``: most seeds diverged, or confirmed no better than a constant
        predictor), ``aliases`` (equivalent schemes reported
        under this name, never compared), ``selection_mean`` (the search score, optimistic) and
        ``note`` (what could not be computed and why).
    """
    data = get_data(storage, study_name)
    best = best_trials(data)
    if not best:
        return _empty(SCHEME_COLUMNS, "the study has no complete trials")
    aliases = _aliases(data)
    best = _without_aliases(data, best)
    counts = pd.Series([scheme_of(t) for t in data.complete_trials()]).value_counts()
    rows = [_scheme_row(data, s, t, int(counts[s])) for s, t in best.items()]
    frame = pd.DataFrame(rows)
    if confirmed(data):
        frame = frame.sort_values("mean", ascending=not data.greater_is_better, kind="stable")
        frame = frame.reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame["aliases"] = [", ".join(aliases.get(s, [])) for s in frame["scheme"]]
    frame["group"] = _groups(data, frame)
    frame.attrs["scores"] = "confirmation" if confirmed(data) else "selection (optimistic)"
    return frame[SCHEME_COLUMNS]


def _aliases(data: StudyData) -> dict[str, list[str]]:
    """The study's equivalent schemes, ``{representative: [aliases]}`` (user attr)."""
    raw = data.study.user_attrs.get("scheme_aliases") or {}
    return {str(k): [str(a) for a in v] for k, v in dict(raw).items()}


def _without_aliases(
    data: StudyData, best: dict[str, optuna.trial.FrozenTrial]
) -> dict[str, optuna.trial.FrozenTrial]:
    """``best`` without the schemes equivalent to another one (they are never compared)."""
    hidden = {a for names in _aliases(data).values() for a in names}
    return {s: t for s, t in best.items() if s not in hidden}


def _groups(data: StudyData, frame: pd.DataFrame) -> list[str]:
    """``best``/``worse`` by :func:`best_group` on the shared seeds; ``failed`` if most diverged
    or, on confirmation scores, it learned nothing: its lead over a constant predictor (the
    study's ``confirm["baseline"]``, the majority class or the mean) is under
    :data:`NO_LEARNING` of the best scheme's lead (e.g. a symmetric zeros init), or it is not
    ahead of the constant predictor at all (then no scheme may be ``best``)."""
    penalty = diverged_penalty(data)
    failed = frame["share_diverged"].fillna(0.0).to_numpy() > 0.5
    baseline = (data.study.user_attrs.get("confirm") or {}).get("baseline")
    if confirmed(data) and baseline is not None and math.isfinite(baseline):
        # no learning: less than 1% of the best scheme's lead over a constant predictor
        sign = 1.0 if data.greater_is_better else -1.0
        lead = sign * (frame["mean"].to_numpy(dtype=float) - baseline)
        top = np.nanmax(lead) if np.isfinite(lead).any() else math.nan
        if math.isfinite(top):  # no better than the constant predictor fails in any case
            failed |= np.nan_to_num(lead, nan=math.inf) <= max(NO_LEARNING * top, 0.0)
    by_seed = {n: _penalized_by_seed(data, n, penalty) for n in frame["trial_number"]}
    seeds = sorted(set.intersection(*(set(v.index) for v in by_seed.values())))
    groups = np.where(failed, "failed", "best").astype(object)
    live = np.flatnonzero(~failed)
    if len(seeds) < MIN_SEEDS_FOR_TEST or len(live) < 2:
        return list(groups)
    numbers = frame["trial_number"].to_numpy()[live]
    scores = np.column_stack([by_seed[n].loc[seeds].to_numpy(dtype=float) for n in numbers])
    grouping = best_group(scores, greater_is_better=data.greater_is_better)
    for j in grouping.worse:
        groups[live[j]] = "worse"
    return list(groups)


def seed_scores(storage: Any, study_name: str | None = None) -> pd.DataFrame:
    """The per-seed scores of each scheme's best configuration (long format).

    Parameters
    ----------
    storage : str, storage, optuna.Study or StudyData
        Where the study is.
    study_name : str, optional
        The study's name (not needed with a study).

    Returns
    -------
    pandas.DataFrame
        ``scheme``, ``trial_number``, ``seed``, ``score`` (mean over folds), ``diverged``,
        ``n_iter``, ``fit_seconds``; schemes in rank order.
    """
    data = get_data(storage, study_name)
    parts = [_seed_frame(data, t.number).assign(scheme=s) for s, t in best_trials(data).items()]
    columns = ["scheme", "trial_number", "seed", "score", "diverged", "n_iter", "fit_seconds"]
    if not parts:
        return _empty(columns, "the study has no complete trials")
    return pd.concat(parts, ignore_index=True)[columns]


def _winner(result: dict[str, Any], a: str, b: str, p_adjusted: float) -> str:
    """The scheme a corrected paired test favours, or "" (never set when p_adjusted > 0.05)."""
    if not (math.isfinite(p_adjusted) and p_adjusted <= ALPHA):
        return ""
    return a if (result["mean_diff"] > 0) == result["greater_is_better"] else b


def _verdict(result: dict[str, Any], winner: str) -> str:
    """Plain words: "<winner> better" (corrected test), "within noise", or "cannot tell"."""
    if winner:
        return f"{winner} better"
    few = result["n_paired"] - result["ties"] < MIN_SEEDS_FOR_TEST
    return "cannot tell" if few else "within noise"


def compare_schemes(storage: Any, study_name: str | None = None) -> pd.DataFrame:
    """Pairwise comparison of each scheme's best configuration, paired by seed.

    Parameters
    ----------
    storage : str, storage, optuna.Study or StudyData
        Where the study is.
    study_name : str, optional
        The study's name (not needed with a study).

    Returns
    -------
    pandas.DataFrame
        One row per pair, ``scheme_a`` ranked above ``scheme_b``: ``n_paired`` (seeds both
        have), ``mean_diff`` (mean of a - b over seeds) with ``ci_low``/``ci_high`` (95%
        skew-corrected t interval, not corrected for multiplicity), ``wins``/``losses``/``ties``
        of a, ``p_superiority`` (share of seeds where a beats b, ties one half), ``p_value``
        (exact sign-flip permutation test, uncorrected), ``p_adjusted`` (Holm-adjusted across
        every pair of the table; ``p_holm`` is the same number under its older name),
        ``winner`` (the scheme favoured where ``p_adjusted <= 0.05``, never set otherwise),
        ``verdict`` (``"<scheme> better"``, ``"within noise"``, or ``"cannot tell"`` with
        fewer than 6 non-tied seeds) and ``note``.
    """
    data = get_data(storage, study_name)
    best = _without_aliases(data, best_trials(data))
    if len(best) < 2:
        return _empty(
            COMPARE_COLUMNS, f"needs at least 2 schemes with a complete trial, got {len(best)}"
        )
    rows, penalty = [], diverged_penalty(data)
    for (a, ta), (b, tb) in itertools.combinations(best.items(), 2):
        sa, sb = (_penalized_by_seed(data, t.number, penalty) for t in (ta, tb))
        both = pd.concat([sa, sb], axis=1, join="inner")
        result = paired_comparison(
            both.iloc[:, 0], both.iloc[:, 1], greater_is_better=data.greater_is_better
        )
        result["greater_is_better"] = data.greater_is_better
        rows.append(
            {
                "scheme_a": a,
                "scheme_b": b,
                "trial_a": ta.number,
                "trial_b": tb.number,
                **result,
            }
        )
    frame = pd.DataFrame(rows)
    frame["p_holm"] = frame["p_adjusted"] = holm(frame["p_value"].to_numpy())
    frame["winner"] = [
        _winner(r, r["scheme_a"], r["scheme_b"], r["p_adjusted"]) for _, r in frame.iterrows()
    ]
    frame["verdict"] = [_verdict(r, w) for (_, r), w in zip(frame.iterrows(), frame["winner"])]
    return frame[COMPARE_COLUMNS]
