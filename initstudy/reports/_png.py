"""Static matplotlib PNG figures drawn from the report tables (for the Markdown report).

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas directly: no pyplot, no
global backend switch, nothing shown on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from initstudy.reports._answer import GROUP_COLORS
from initstudy.reports._pairwise import pairwise_square

__all__ = ["PNG_PLOTS", "save_png"]


def _new(ncols: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure with an Agg canvas and ``ncols`` axes side by side."""
    fig = Figure(figsize=(6.4 * ncols, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _seed_scores(fig: Figure, ax: Axes, seeds: pd.DataFrame) -> None:
    """Box plot plus jittered points of per-seed scores by scheme."""
    schemes = list(dict.fromkeys(seeds["scheme"]))
    groups = [seeds[(seeds["scheme"] == s) & seeds["score"].notna()] for s in schemes]
    ax.boxplot([g["score"].to_numpy() for g in groups], tick_labels=schemes, showfliers=False)
    rng = np.random.default_rng(0)
    for i, g in enumerate(groups, start=1):
        x = i + rng.uniform(-0.12, 0.12, len(g))
        div = g["diverged"].to_numpy(dtype=bool)
        ax.scatter(x[~div], g["score"][~div], s=14, alpha=0.7, zorder=3, color="tab:blue")
        ax.scatter(x[div], g["score"][div], s=30, marker="x", zorder=3, color="tab:red")
    ax.set_title("Per-seed scores of each scheme's best configuration (x: diverged)")
    ax.set_ylabel("score")
    ax.tick_params(axis="x", labelrotation=30)


def _scale(fig: Figure, ax: Axes, scale: pd.DataFrame) -> None:
    """Mean score against init_scale (log x) with 1-std error bars, per scheme."""
    for scheme, g in scale.groupby("scheme", sort=True):
        ax.errorbar(
            g["init_scale"],
            g["mean"],
            yerr=g["std"].fillna(0.0),
            marker="o",
            capsize=3,
            label=str(scheme),
        )
    ax.set_xscale("log")
    ax.set_xlabel("init_scale")
    ax.set_ylabel("score (mean over seeds)")
    ax.set_title("Score against init_scale (bars: 1 std)")
    ax.legend(fontsize="small")


def _curves(fig: Figure, axes: list[Axes], curves: pd.DataFrame) -> None:
    """Loss and validation curves with mean +- std bands, per scheme."""
    for ax, curve, title in zip(
        axes, ("loss", "eval"), ("training loss", "validation score"), strict=True
    ):
        for scheme in dict.fromkeys(curves["scheme"]):
            g = curves[(curves["scheme"] == scheme) & (curves["curve"] == curve)]
            if len(g):
                std = g["std"].fillna(0.0)
                (line,) = ax.plot(g["epoch"], g["mean"], label=str(scheme))
                ax.fill_between(
                    g["epoch"], g["mean"] - std, g["mean"] + std, color=line.get_color(), alpha=0.2
                )
        ax.set_title(title)
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize="small")


def _signal(fig: Figure, ax: Axes, signal: pd.DataFrame) -> None:
    """Per-layer activation std at initialization, log y."""
    mean = signal.groupby(["scheme", "layer"], sort=False)["act_std"].mean().reset_index()
    for scheme, g in mean.groupby("scheme", sort=False):
        ax.plot(g["layer"], g["act_std"], marker="o", label=str(scheme))
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("weight layer")
    ax.set_ylabel("activation std")
    ax.set_title("Signal at initialization")
    ax.legend(fontsize="small")


def _history(fig: Figure, ax: Axes, trials: pd.DataFrame) -> None:
    """Objective value per complete trial and the best value so far."""
    done = trials[trials["state"] == "COMPLETE"].sort_values("trial_number")
    ax.scatter(done["trial_number"], done["value"], s=14, label="trial")
    best = (
        done["value"].cummax()
        if trials.attrs.get("greater_is_better", True)
        else done["value"].cummin()
    )
    ax.step(done["trial_number"], best, where="post", color="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("objective value")
    ax.set_title("Optimization history")
    ax.legend(fontsize="small")


def _importances(fig: Figure, ax: Axes, imp: pd.DataFrame) -> None:
    """Horizontal bars of hyperparameter importances."""
    ordered = imp.iloc[::-1]
    ax.barh(ordered["param"], ordered["importance"])
    ax.set_xlabel("importance")
    ax.set_title("Hyperparameter importances (Optuna)")


def _answer(fig: Figure, ax: Axes, answer: pd.DataFrame) -> None:
    """Per-seed scores, mean and 95% interval of each scheme, coloured by group."""
    schemes = list(dict.fromkeys(answer["scheme"].astype(str)))
    rng = np.random.default_rng(0)
    for i, scheme in enumerate(schemes):
        rows = answer[answer["scheme"].astype(str) == scheme]
        color = GROUP_COLORS.get(str(rows["group"].iloc[0]), "tab:blue")
        x = i + rng.uniform(-0.15, 0.15, len(rows))
        div = rows["diverged"].to_numpy(dtype=bool)
        ax.scatter(x[~div], rows["score"][~div], s=14, alpha=0.5, color=color, zorder=2)
        ax.scatter(x[div], rows["score"][div], s=30, marker="x", color=color, zorder=2)
        mean, low, high = (float(rows[c].iloc[0]) for c in ("mean", "ci_low", "ci_high"))
        err = [[max(mean - low, 0.0)], [max(high - mean, 0.0)]] if np.isfinite(low) else None
        ax.errorbar(
            [i + 0.3], [mean], yerr=err, fmt="D", color=color, capsize=4, markersize=7, zorder=3
        )
    ax.set_xticks(range(len(schemes)), schemes)
    ax.tick_params(axis="x", labelrotation=30)
    basis = answer.attrs.get("scores", "selection (optimistic)")
    words = "Confirmation scores" if basis == "confirmation" else "Selection scores (optimistic)"
    ax.set_title(f"{words}: seeds, mean and 95% CI (green: best group, grey: worse, red: failed)")
    ax.set_ylabel("score")


def _variance(fig: Figure, axes: list[Axes], variance: pd.DataFrame) -> None:
    """Stacked variance shares per configuration, and each share with its interval."""
    configs = list(
        dict.fromkeys(
            f"{s}\n(trial {n})" for s, n in zip(variance["scheme"], variance["trial_number"])
        )
    )
    sources = list(dict.fromkeys(variance["source"]))
    bottom = np.zeros(len(configs))
    width = 0.8 / max(len(configs), 1)
    for j, source in enumerate(sources):
        rows = variance[variance["source"] == source]
        shares = rows["share"].to_numpy(dtype=float)
        bars = axes[0].bar(range(len(configs)), shares, bottom=bottom, label=str(source))
        color = bars.patches[0].get_facecolor()
        bottom = bottom + np.nan_to_num(shares)
        low = np.clip(shares - rows["share_low"].to_numpy(dtype=float), 0, None)
        high = np.clip(rows["share_high"].to_numpy(dtype=float) - shares, 0, None)
        x = j + (np.arange(len(configs)) - (len(configs) - 1) / 2) * width
        axes[1].errorbar(x, shares, yerr=[low, high], fmt="o", capsize=3, color=color)
    axes[0].set_xticks(range(len(configs)), configs)
    axes[0].set_ylim(0, 1.02)
    axes[0].set_ylabel("share of the variance")
    axes[0].set_title("Where the spread comes from")
    axes[0].legend(fontsize="small")
    axes[1].set_xticks(range(len(sources)), sources)
    axes[1].tick_params(axis="x", labelrotation=30)
    axes[1].set_ylim(0, 1.02)
    axes[1].set_title("Each share with its 95% interval (configurations side by side)")


def _pairwise(fig: Figure, ax: Axes, pairwise: pd.DataFrame) -> None:
    """Mean paired differences, row minus column; Holm-significant cells bold with "*"."""
    order, sq = pairwise_square(pairwise)
    diff, sig, n = sq["mean_diff"], sq["significant"], len(order)
    fig.set_size_inches(max(7.5, 3.0 + 0.7 * n), max(4.5, 2.0 + 0.5 * n))
    top = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 0.0
    cmap = "RdBu" if pairwise.attrs.get("greater_is_better", True) else "RdBu_r"
    style = {"cmap": cmap, "vmin": -(top or 1.0), "vmax": top or 1.0, "aspect": "auto"}
    image = ax.imshow(np.where(sig, diff, np.nan), **style)
    ax.imshow(np.where(~sig, diff, np.nan), alpha=0.35, **style)
    fig.colorbar(image, ax=ax, label="row minus column")
    size = max(5.0, 9.0 - n / 3)
    for i, j in zip(*np.nonzero(np.isfinite(diff)), strict=True):
        label = f"{diff[i, j]:+.3g}" + ("*" if sig[i, j] else "\nn.s.")
        dark = abs(diff[i, j]) > 0.6 * top  # a dark cell: white text
        weight, color = ("bold", "white" if dark else "black") if sig[i, j] else ("normal", "0.35")
        ax.text(j, i, label, ha="center", va="center", fontsize=size, weight=weight, color=color)
    ax.set_xticks(range(n), order, rotation=30, ha="right")
    ax.set_yticks(range(n), order)
    basis = pairwise.attrs.get("scores", "selection (optimistic)")
    words = "Confirmation scores" if basis == "confirmation" else "Selection scores (optimistic)"
    ax.set_title(f"{words}:\nmean paired difference, row minus column (bold *: Holm p <= 0.05)")


#: Plot name -> (number of axes, drawing function taking the figure, axes and a table).
PNG_PLOTS: dict[str, tuple[int, Callable[..., None]]] = {
    "answer": (1, _answer),
    "pairwise": (1, _pairwise),
    "variance": (2, lambda fig, axes, t: _variance(fig, axes, t)),
    "seed_scores": (1, _seed_scores),
    "scale_response": (1, _scale),
    "learning_curves": (2, lambda fig, axes, t: _curves(fig, axes, t)),
    "signal": (1, _signal),
    "optimization_history": (1, _history),
    "importances": (1, _importances),
}


def save_png(name: str, table: pd.DataFrame, path: str | Path) -> Path:
    """Draw the named plot from its table and save it as a PNG.

    Parameters
    ----------
    name : str
        A key of :data:`PNG_PLOTS`.
    table : pandas.DataFrame
        The report table the plot is drawn from.
    path : str or Path
        Where to write the PNG.

    Returns
    -------
    Path
        The written file.
    """
    from initstudy.exceptions import unknown_name_error

    if name not in PNG_PLOTS:
        raise unknown_name_error("plot", name, PNG_PLOTS)
    ncols, draw = PNG_PLOTS[name]
    fig, axes = _new(ncols)
    draw(fig, axes if ncols > 1 else axes[0], table)
    path = Path(path)
    fig.savefig(path, format="png")
    return path
