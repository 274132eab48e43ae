"""The pairwise comparisons as a compact matrix, and the few words that go with it.

:func:`~initstudy.reports.compare_schemes` has one row per pair of schemes: 78 rows for 13
schemes, too many to read in a report. The report shows instead a matrix (schemes in ranking
order on both axes, each cell the row's mean paired difference minus the column's, the pairs
that differ after Holm correction marked), one line of counts, and the pairs that differ,
capped; the full table stays in ``comparisons.csv`` and ``compare_schemes``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from initstudy.reports._stats import MIN_SEEDS_FOR_TEST
from initstudy.reports._verdicts import ALPHA

__all__ = [
    "PAIRWISE_COLUMNS",
    "differing_pairs",
    "pairwise_matrix",
    "pairwise_square",
    "pairwise_summary",
]

#: Columns of :func:`pairwise_matrix`.
PAIRWISE_COLUMNS = [
    "row",
    "column",
    "mean_diff",
    "ci_low",
    "ci_high",
    "n_paired",
    "p_adjusted",
    "significant",
]
#: Where the full pairwise table is, in the report's words.
FULL_TABLE = (
    "Full table (differences, 95% intervals, wins, p-values): comparisons.csv "
    "(initstudy report --csv DIR) or initstudy.reports.compare_schemes"
)


def _significant(p_adjusted: pd.Series) -> np.ndarray:
    """Whether each Holm-adjusted p is finite and at most :data:`ALPHA`."""
    p = pd.to_numeric(p_adjusted, errors="coerce").to_numpy(dtype=float)
    return np.isfinite(p) & (p <= ALPHA)


def pairwise_matrix(
    schemes: pd.DataFrame, comparisons: pd.DataFrame, *, greater_is_better: bool = True
) -> pd.DataFrame:
    """Every compared pair in both orientations, schemes in ranking order (a long matrix).

    Parameters
    ----------
    schemes : pandas.DataFrame
        :func:`~initstudy.reports.scheme_table` output (its row order is the ranking).
    comparisons : pandas.DataFrame
        :func:`~initstudy.reports.compare_schemes` output (aliases are already left out).
    greater_is_better : bool, default=True
        Direction of the score (kept in ``attrs`` for the colours of the figures).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PAIRWISE_COLUMNS`: one row per ordered pair (``row``, ``column``) of
        different schemes, sorted by the rank of ``row`` then of ``column``; ``mean_diff`` is
        the mean over seeds of row minus column (so the matrix is antisymmetric), with its
        95% interval ``ci_low``/``ci_high``, ``n_paired``, ``p_adjusted`` (Holm) and
        ``significant`` (``p_adjusted <= 0.05``). ``attrs``: ``scores`` (as the scheme
        table's) and ``greater_is_better``; an empty table carries the comparisons' ``note``.
    """
    if comparisons.empty:
        frame = pd.DataFrame(columns=PAIRWISE_COLUMNS)
        frame.attrs["note"] = comparisons.attrs.get("note", "no pairs compared")
        return frame
    a, b = comparisons["scheme_a"].astype(str), comparisons["scheme_b"].astype(str)
    forward = pd.DataFrame(
        {
            "row": a,
            "column": b,
            "mean_diff": comparisons["mean_diff"],
            "ci_low": comparisons["ci_low"],
            "ci_high": comparisons["ci_high"],
        }
    )
    backward = pd.DataFrame(
        {
            "row": b,
            "column": a,
            "mean_diff": 0.0 - comparisons["mean_diff"],  # 0.0 - x: no "-0"
            "ci_low": 0.0 - comparisons["ci_high"],
            "ci_high": 0.0 - comparisons["ci_low"],
        }
    )
    shared = {
        "n_paired": comparisons["n_paired"].to_numpy(),
        "p_adjusted": comparisons["p_adjusted"].to_numpy(dtype=float),
        "significant": _significant(comparisons["p_adjusted"]),
    }
    frame = pd.concat([forward.assign(**shared), backward.assign(**shared)], ignore_index=True)
    compared = set(a) | set(b)
    order = [s for s in schemes["scheme"].astype(str) if s in compared]
    order += sorted(compared - set(order))
    rank = {s: i for i, s in enumerate(order)}
    frame = frame.assign(_r=frame["row"].map(rank), _c=frame["column"].map(rank))
    frame = frame.sort_values(["_r", "_c"], kind="stable").reset_index(drop=True)
    frame = frame[PAIRWISE_COLUMNS].copy()
    frame.attrs["scores"] = schemes.attrs.get("scores", "selection (optimistic)")
    frame.attrs["greater_is_better"] = greater_is_better
    return frame


def pairwise_square(pairwise: pd.DataFrame) -> tuple[list[str], dict[str, np.ndarray]]:
    """The long matrix as square arrays (rows and columns in ranking order, NaN diagonal).

    Returns the scheme order and ``{column: n x n array}`` for ``mean_diff``, ``ci_low``,
    ``ci_high``, ``n_paired``, ``p_adjusted`` (floats) and ``significant`` (bools).
    """
    order = list(dict.fromkeys(pairwise["row"].astype(str)))
    squares = {}
    for column in PAIRWISE_COLUMNS[2:]:
        square = pairwise.pivot(index="row", columns="column", values=column)
        square = square.reindex(index=order, columns=order)
        if column == "significant":
            squares[column] = square.eq(True).to_numpy()
        else:
            squares[column] = square.to_numpy(dtype=float)
    return order, squares


def pairwise_summary(comparisons: pd.DataFrame) -> str:
    """One line: how many pairs were compared, how many differ after Holm, where the rest is.

    Parameters
    ----------
    comparisons : pandas.DataFrame
        :func:`~initstudy.reports.compare_schemes` output.

    Returns
    -------
    str
    """
    if comparisons.empty:
        return f"No pairs compared: {comparisons.attrs.get('note', 'no comparisons')}."
    n, k = len(comparisons), int(_significant(comparisons["p_adjusted"]).sum())
    text = f"{n} pair(s) compared seed for seed; {k} differ after Holm correction (p <= {ALPHA:g})"
    few = int((comparisons["verdict"] == "cannot tell").sum())
    if few:
        text += f"; {few} cannot tell (too few seeds: fewer than {MIN_SEEDS_FOR_TEST} non-tied)"
    seeds = int((comparisons["n_paired"] - comparisons["ties"]).max())
    if k == 0 and 2.0 / 2.0**seeds > ALPHA / n:  # Holm's first threshold is out of reach
        text += (
            f"; with {seeds} seeds the smallest exact p-value is 2/2^{seeds} = "
            f"{2.0 / 2.0**seeds:.2g}, above Holm's first threshold {ALPHA:g}/{n}, so no pair "
            "can differ here: the groups (a range test against the best) can"
        )
    return f"{text}. {FULL_TABLE}."


def _signed(x: float) -> str:
    """A difference with its sign ("n/a" when missing)."""
    return "n/a" if not math.isfinite(x) else f"{x:+.3g}"


def differing_pairs(comparisons: pd.DataFrame, *, limit: int = 5) -> list[str]:
    """The pairs that differ after Holm correction, smallest adjusted p first, capped.

    Parameters
    ----------
    comparisons : pandas.DataFrame
        :func:`~initstudy.reports.compare_schemes` output.
    limit : int, default=5
        How many pairs to name before "... N more in comparisons.csv".

    Returns
    -------
    list of str
        ``"<winner> better than <loser>: mean difference +0.031 (95% CI ...), Holm p = ..."``
        (the difference is winner minus loser), at most ``limit`` of them and one more line
        when some are left out; empty when no pair differs.
    """
    if comparisons.empty:
        return []
    rows = comparisons[_significant(comparisons["p_adjusted"])]
    rows = rows.sort_values("p_adjusted", kind="stable")
    out = []
    for _, r in rows.head(limit).iterrows():
        flip = r["winner"] == r["scheme_b"]
        loser = r["scheme_a"] if flip else r["scheme_b"]
        sign = -1.0 if flip else 1.0
        low, high = sorted((sign * r["ci_low"], sign * r["ci_high"]))
        ci = f"{low:.3g} to {high:.3g}" if math.isfinite(low) and math.isfinite(high) else "n/a"
        out.append(
            f"{r['winner']} better than {loser}: mean difference {_signed(sign * r['mean_diff'])}"
            f" (95% CI {ci}), Holm p = {r['p_adjusted']:.3g}"
        )
    if len(rows) > limit:
        out.append(f"... {len(rows) - limit} more in comparisons.csv")
    return out
