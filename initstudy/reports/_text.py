"""Plain-words output: display tables and the conclusion generated from the numbers."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from initstudy.reports._pairwise import differing_pairs, pairwise_summary
from initstudy.reports._stats import MIN_SEEDS_FOR_TEST

__all__ = [
    "answer_text",
    "comparison_display",
    "conclusion",
    "markdown_table",
    "render_text",
    "scheme_display",
    "variance_display",
    "variance_summary",
]

#: How many differing pairs the terminal summary names before "... N more in comparisons.csv".
MAX_PAIRS = 5


def _num(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant digits; "n/a" for NaN or None."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{digits}g}" if isinstance(x, float) else str(x)


def _signed(x: float) -> str:
    """A difference with its sign."""
    return "n/a" if math.isnan(x) else f"{x:+.3g}"


def _ci(low: float, high: float) -> str:
    """An interval as words ("0.91 to 0.93"), "n/a" when missing."""
    return "n/a" if math.isnan(low) or math.isnan(high) else f"{low:.4g} to {high:.4g}"


def scheme_display(schemes: pd.DataFrame) -> pd.DataFrame:
    """The scheme table with formatted numbers and the CI as one column (for people)."""
    rows = [
        {
            "rank": r["rank"],
            "scheme": r["scheme"],
            "trial": r["trial_number"],
            "value": _num(r["value"]),
            "mean": _num(r["mean"]),
            "std": _num(r["std"], 3),
            "IQM": _num(r["iqm"]),
            "95% CI (t, skew-corrected)": _ci(r["ci_low"], r["ci_high"]),
            "seeds": r["n_seeds"],
            "diverged": f"{r['n_diverged']}/{r['n_seeds']}" if r["n_seeds"] else "n/a",
            "epochs": _num(r["mean_epochs"], 3),
            "config": r["params"],
            "group": r.get("group", ""),
            "aliases": r.get("aliases", ""),
            "selection score (optimistic)": _num(r.get("selection_mean", math.nan)),
            "note": r["note"],
        }
        for _, r in schemes.iterrows()
    ]
    return pd.DataFrame(rows)


def comparison_display(comparisons: pd.DataFrame) -> pd.DataFrame:
    """The comparison table with formatted numbers (for people)."""
    rows = [
        {
            "A": r["scheme_a"],
            "B": r["scheme_b"],
            "mean A-B": _signed(r["mean_diff"]),
            "95% CI": _ci(r["ci_low"], r["ci_high"]),
            "A wins": f"{r['wins']}/{r['n_paired']}",
            "P(A beats B)": _num(r["p_superiority"], 3),
            "Wilcoxon p": _num(r["p_value"], 3),
            "Holm p": _num(r["p_holm"], 3),
            "verdict": r["verdict"],
            "note": r["note"],
        }
        for _, r in comparisons.iterrows()
    ]
    return pd.DataFrame(rows)


def answer_text(lines: list[tuple[str, str]]) -> list[str]:
    """The first screen's (label, text) lines as ``"Label: text"``."""
    return [f"{label}: {text}" for label, text in lines]


def variance_display(variance: pd.DataFrame) -> pd.DataFrame:
    """The variance decomposition with formatted shares and the interval as one column."""
    rows = [
        {
            "scheme": r["scheme"],
            "trial": r["trial_number"],
            "source": r["source"],
            "share": f"{r['share']:.2f}",
            "95% interval": f"{float(r['share_low']):.2f} to {float(r['share_high']):.2f}",
            "variance": _num(float(r["variance"]), 3),
            "seconds": _num(float(r["seconds"]), 3),
        }
        for _, r in variance.iterrows()
    ]
    return pd.DataFrame(rows)


def variance_summary(variance: pd.DataFrame) -> list[str]:
    """One sentence per decomposed configuration: its largest share, and how rough it is."""
    out = []
    for (scheme, trial), rows in variance.groupby(["scheme", "trial_number"], sort=False):
        top = rows.loc[rows["share"].astype(float).idxmax()]
        out.append(
            f"{scheme} (trial {trial}): the largest share of the spread is {top['source']}, "
            f"{float(top['share']):.2f} (95% interval {float(top['share_low']):.2f} "
            f"to {float(top['share_high']):.2f}); "
            f"measured in {float(rows['seconds'].iloc[0]):.3g} s."
        )
    if out:
        out.append(
            "With 3 to 4 seeds of each source the intervals are wide: "
            "a share is a rough figure, not a measurement."
        )
    return out


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of a frame (cells as text, pipes escaped)."""
    if frame.empty:
        return "_(empty)_"

    def cell(v: Any) -> str:
        text = _num(v) if isinstance(v, float) else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in frame.columns) + " |"]
    lines.append("|" + "|".join("---" for _ in frame.columns) + "|")
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def _beats(r: pd.Series, winner: str, loser: str, sign: float) -> str:
    """One "A beats B on k of n seeds" sentence ("is ahead of" with few seeds)."""
    wins = r["wins"] if winner == r["scheme_a"] else r["losses"]
    n = r["n_paired"]
    on = f"all {n} seeds" if wins == n else f"{wins} of {n} seeds"
    d, lo, hi = (sign * r["mean_diff"], sign * r["ci_low"], sign * r["ci_high"])
    ci = _ci(min(lo, hi), max(lo, hi))
    verb = "beats" if r["verdict"].endswith(" better") else "is ahead of"
    text = f"{winner} {verb} {loser} on {on}, mean {_signed(d)} (95% CI {ci})"
    if not math.isnan(r["p_holm"]):
        text += f", Holm-adjusted sign-flip p = {r['p_holm']:.3g}"
        if r["p_holm"] >= 0.05:
            text += " (not significant after Holm correction: treat as a hint)"
    return text + "."


def _pair_sentences(best: str, comparisons: pd.DataFrame) -> list[str]:
    """Sentences comparing the best scheme with each other scheme."""
    mine = comparisons[comparisons["scheme_a"] == best]
    out = [_beats(r, best, r["scheme_b"], 1.0) for _, r in mine[mine["winner"] == best].iterrows()]
    reverse = mine[(mine["winner"] != best) & (mine["winner"] != "")]
    for _, r in reverse.iterrows():
        note = f" ({best} ranks first by the study's aggregate, not by this paired difference.)"
        out.append(_beats(r, r["scheme_b"], best, -1.0) + note)
    noise = mine.loc[mine["verdict"] == "within noise", "scheme_b"].tolist()
    if noise:
        out.append(
            f"{best} vs {', '.join(noise)}: no difference after Holm correction over all "
            f"{len(comparisons)} pairs (the groups below compare with the best, a smaller "
            "family)."
        )
    unsure = mine[mine["verdict"] == "cannot tell"]
    for note, rows in unsure.groupby("note", sort=False, dropna=False):  # one sentence per reason
        out.append(f"{best} vs {', '.join(rows['scheme_b'])}: cannot tell ({note}).")
    return out


def _groups_sentence(schemes: pd.DataFrame) -> str:
    """Best group, worse, failed in one line, and which scores they rest on."""
    group = schemes["group"] if "group" in schemes else pd.Series("best", index=schemes.index)
    parts = []
    for name in ("best", "worse", "failed"):
        members = schemes.loc[group == name, "scheme"].astype(str).tolist()
        parts.append(f"{name}: {', '.join(members) or '-'}")
    basis = schemes.attrs.get("scores", "selection (optimistic)")
    if basis == "confirmation":
        where = "on the confirmation seeds and the untouched test part"
    else:
        where = (
            "on the selection scores of the search (optimistic: the same seeds and "
            "validation data that picked each configuration)"
        )
    return (
        f"Groups ({where}; step-down paired permutation range test, family-wise 5%): "
        + "; ".join(parts)
        + "."
    )


def conclusion(schemes: pd.DataFrame, comparisons: pd.DataFrame) -> list[str]:
    """A short conclusion in plain words, generated from the scheme and comparison tables.

    Parameters
    ----------
    schemes : pandas.DataFrame
        :func:`initstudy.reports.scheme_table` output.
    comparisons : pandas.DataFrame
        :func:`initstudy.reports.compare_schemes` output.

    Returns
    -------
    list of str
        Sentences, most important first.
    """
    if schemes.empty:
        return ["No complete trials yet: nothing to conclude."]
    top = schemes.iloc[0]
    out = [
        f"Best scheme: {top['scheme']} (trial {top['trial_number']}; "
        f"{top['params'] or 'no other parameters'}), mean {_num(top['mean'])} over "
        f"{top['n_seeds']} seed(s) (95% CI {_ci(top['ci_low'], top['ci_high'])})."
    ]
    if len(schemes) == 1:
        out.append("Only one scheme has complete trials, so there is nothing to compare it with.")
    else:
        out += _pair_sentences(str(top["scheme"]), comparisons)
    diverged = schemes[schemes["n_diverged"] > 0]
    if len(diverged):
        parts = [
            f"{r['scheme']} {r['n_diverged']} of {r['n_seeds']}" for _, r in diverged.iterrows()
        ]
        out.append("Diverged seeds in the best configurations: " + ", ".join(parts) + ".")
    out.append(_groups_sentence(schemes))
    n = int(schemes["n_seeds"].min())
    if int(schemes["n_seeds"].max()) == 0:
        out.append("No per-seed scores are stored: the ranking rests on objective values alone.")
    elif n < MIN_SEEDS_FOR_TEST:
        out.append(
            f"With {n} seed(s) no paired test can reach p < 0.05 and intervals are too "
            f"narrow; run at least {MIN_SEEDS_FOR_TEST} seeds (better 10+) to confirm."
        )
    return out


def _frame_text(frame: pd.DataFrame, display: Any, drop: tuple[str, ...] = ()) -> str:
    """A table as aligned text, or the reason it is empty."""
    if frame.empty:
        return "  (" + str(frame.attrs.get("note", "no rows")) + ")"
    shown = display(frame).drop(columns=list(drop), errors="ignore")
    return shown.to_string(index=False)


def render_text(content: Any) -> str:
    """The terminal summary: the answer first (at most six lines), then the rest of the report.

    The pairwise part is a few lines: the counts, then at most :data:`MAX_PAIRS` pairs that
    differ after Holm correction (the full table is ``comparisons.csv``).

    Parameters
    ----------
    content : ReportContent
        From :func:`initstudy.reports.collect`.

    Returns
    -------
    str
    """
    lines = [f"Study {content.study_name!r}"]
    lines += [f"  {s}" for s in answer_text(content.answer)]
    lines += ["", "Question and setup:"]
    lines += [f"  {k}: {v}" for k, v in content.setup]
    lines += [
        "",
        "Ranking of init schemes (best configuration of each; 95% CI over seeds):",
    ]
    lines.append(_frame_text(content.tables["schemes"], scheme_display, ("config", "note")))
    comparisons = content.tables["comparisons"]
    lines += ["", "Pairwise comparisons (paired by seed):", f"  {pairwise_summary(comparisons)}"]
    lines += [f"  {s}" for s in differing_pairs(comparisons, limit=MAX_PAIRS)]
    lines += ["", "Conclusion:"] + [f"  - {s}" for s in content.conclusion]
    variance = content.tables.get("variance", pd.DataFrame())
    if len(variance):
        lines += ["", "Where the spread comes from (variance decomposition, shares sum to 1):"]
        lines.append(variance_display(variance).to_string(index=False))
        lines += [f"  - {s}" for s in variance_summary(variance)]
    return "\n".join(lines)
