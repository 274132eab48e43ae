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


#: Plot name -> (number of axes, drawing function taking the figure, axes and a table).
PNG_PLOTS: dict[str, tuple[int, Callable[..., None]]] = {
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
