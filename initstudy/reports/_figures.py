"""Interactive plotly figures drawn from the report tables (for the HTML report)."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from initstudy.reports._answer import GROUP_COLORS
from initstudy.reports._pairwise import pairwise_square

__all__ = [
    "answer_figure",
    "importances_figure",
    "learning_curves_figure",
    "optimization_history_figure",
    "pairwise_figure",
    "scale_response_figure",
    "seed_scores_figure",
    "signal_figure",
    "variance_figure",
]

_LAYOUT = {
    "template": "plotly_white",
    "height": 420,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
}


def seed_scores_figure(seeds: pd.DataFrame, *, score_name: str = "score") -> go.Figure:
    """Box and points of the per-seed scores of each scheme's best configuration.

    Parameters
    ----------
    seeds : pandas.DataFrame
        :func:`initstudy.reports.seed_scores` output.
    score_name : str, default="score"
        Axis label.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    for scheme, group in seeds.groupby("scheme", sort=False):
        text = [
            f"seed {s}" + (" (diverged)" if d else "")
            for s, d in zip(group["seed"], group["diverged"], strict=True)
        ]
        fig.add_trace(
            go.Box(
                y=group["score"],
                name=str(scheme),
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                text=text,
            )
        )
    fig.update_layout(
        title="Per-seed scores of each scheme's best configuration",
        yaxis_title=score_name,
        showlegend=False,
        **_LAYOUT,
    )
    return fig


def scale_response_figure(scale: pd.DataFrame, *, score_name: str = "score") -> go.Figure:
    """Mean score over seeds against init_scale (log axis), error bars one std, per scheme.

    Parameters
    ----------
    scale : pandas.DataFrame
        :func:`initstudy.reports.scale_response` output.
    score_name : str, default="score"
        Axis label.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    for scheme, group in scale.groupby("scheme", sort=True):
        fig.add_trace(
            go.Scatter(
                x=group["init_scale"],
                y=group["mean"],
                mode="markers+lines",
                name=str(scheme),
                error_y={"type": "data", "array": group["std"].fillna(0.0), "visible": True},
                text=[f"trial {n}" for n in group["trial_number"]],
            )
        )
    fig.update_layout(
        title="Score against init_scale (mean over seeds, bars: 1 std)",
        xaxis_title="init_scale",
        yaxis_title=score_name,
        **_LAYOUT,
    )
    fig.update_xaxes(type="log")
    return fig


def _band(fig: go.Figure, group: pd.DataFrame, name: str, color: str, col: int) -> None:
    """Add a mean line and a mean +- std band for one scheme to subplot ``col``."""
    std = group["std"].fillna(0.0)
    x = list(group["epoch"]) + list(group["epoch"])[::-1]
    y = list(group["mean"] + std) + list(group["mean"] - std)[::-1]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            fill="toself",
            fillcolor=color,
            opacity=0.2,
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=name,
        ),
        row=1,
        col=col,
    )
    fig.add_trace(
        go.Scatter(
            x=group["epoch"],
            y=group["mean"],
            mode="lines",
            name=name,
            line={"color": color},
            legendgroup=name,
            showlegend=col == 1,
        ),
        row=1,
        col=col,
    )


def learning_curves_figure(curves: pd.DataFrame) -> go.Figure:
    """Training loss and validation score per epoch, mean over seeds with a 1-std band.

    Parameters
    ----------
    curves : pandas.DataFrame
        :func:`initstudy.reports.learning_curves` output.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training loss", "validation score"))
    palette = qualitative.Plotly
    for i, scheme in enumerate(dict.fromkeys(curves["scheme"])):
        color = palette[i % len(palette)]
        for col, curve in ((1, "loss"), (2, "eval")):
            group = curves[(curves["scheme"] == scheme) & (curves["curve"] == curve)]
            if len(group):
                _band(fig, group, str(scheme), color, col)
    fig.update_layout(
        title="Learning curves of each scheme's best configuration (band: 1 std over seeds)",
        **_LAYOUT,
    )
    fig.update_xaxes(title_text="epoch")
    return fig


def signal_figure(signal: pd.DataFrame, *, column: str = "act_std") -> go.Figure:
    """Per-layer activation std at initialization (log y), mean over seeds, per scheme.

    Parameters
    ----------
    signal : pandas.DataFrame
        :func:`initstudy.reports.signal_table` output.
    column : str, default="act_std"
        The statistic to draw.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    mean = signal.groupby(["scheme", "layer"], sort=False)[column].mean().reset_index()
    for scheme, group in mean.groupby("scheme", sort=False):
        fig.add_trace(
            go.Scatter(x=group["layer"], y=group[column], mode="lines+markers", name=str(scheme))
        )
    title = f"Signal at initialization: {column} per layer (mean over seeds)"
    fig.update_layout(title=title, xaxis_title="weight layer", yaxis_title=column, **_LAYOUT)
    fig.update_yaxes(type="log")
    return fig


def optimization_history_figure(study: optuna.Study) -> go.Figure:
    """Optuna's optimization history plot of the study's first objective."""
    fig = optuna.visualization.plot_optimization_history(
        study, target=lambda t: t.values[0], target_name=_objective_name(study)
    )
    fig.update_layout(**_LAYOUT)
    return fig


def _objective_name(study: optuna.Study) -> str:
    """The study's first metric name, or "objective"."""
    names = study.metric_names
    return str(names[0]) if names else "objective"


def importances_figure(imp: pd.DataFrame) -> go.Figure:
    """Horizontal bars of hyperparameter importances.

    Parameters
    ----------
    imp : pandas.DataFrame
        :func:`initstudy.reports.importances` output.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    ordered = imp.iloc[::-1]
    fig = go.Figure(go.Bar(x=ordered["importance"], y=ordered["param"], orientation="h"))
    title = "Hyperparameter importances (Optuna)"
    fig.update_layout(title=title, xaxis_title="importance", **_LAYOUT)
    if len(imp) and not math.isclose(float(imp["importance"].sum()), 1.0, rel_tol=1e-6):
        fig.update_layout(title=title + " (not normalized)")
    return fig


def _score_words(table: pd.DataFrame) -> str:
    """ "Confirmation scores" or "Selection scores (optimistic)", from ``attrs["scores"]``."""
    basis = table.attrs.get("scores", "selection (optimistic)")
    return "Confirmation scores" if basis == "confirmation" else "Selection scores (optimistic)"


def answer_figure(answer: pd.DataFrame, *, score_name: str = "score") -> go.Figure:
    """Per-seed scores of each scheme with its mean and 95% interval, coloured by group.

    Parameters
    ----------
    answer : pandas.DataFrame
        :func:`initstudy.reports._answer.answer_scores` output.
    score_name : str, default="score"
        Axis label.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    order = list(dict.fromkeys(answer["scheme"].astype(str)))
    for group, color in GROUP_COLORS.items():
        rows = answer[answer["group"] == group]
        if rows.empty:
            continue
        x = rows["scheme"].astype(str)
        text = [
            f"seed {s}" + (" (diverged: penalty)" if d else "")
            for s, d in zip(rows["seed"], rows["diverged"], strict=True)
        ]
        symbols = ["x" if d else "circle" for d in rows["diverged"]]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=rows["score"],
                mode="markers",
                name=f"{group}: seeds",
                legendgroup=group,
                marker={"color": color, "opacity": 0.5, "size": 7, "symbol": symbols},
                text=text,
            )
        )
        means = rows.drop_duplicates("scheme")
        fig.add_trace(
            go.Scatter(
                x=means["scheme"].astype(str),
                y=means["mean"],
                mode="markers",
                name=f"{group}: mean, 95% CI",
                legendgroup=group,
                marker={"color": color, "size": 13, "symbol": "diamond"},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (means["ci_high"] - means["mean"]).fillna(0.0),
                    "arrayminus": (means["mean"] - means["ci_low"]).fillna(0.0),
                    "thickness": 2,
                    "width": 8,
                },
            )
        )
    fig.update_layout(
        title=f"{_score_words(answer)} per scheme: seeds, mean and 95% CI (green: best group)",
        yaxis_title=score_name,
        **_LAYOUT,
    )
    fig.update_xaxes(categoryorder="array", categoryarray=order)
    return fig


def variance_figure(variance: pd.DataFrame) -> go.Figure:
    """Stacked shares of the score variance per configuration, and each share's interval.

    Parameters
    ----------
    variance : pandas.DataFrame
        :func:`initstudy.reports.variance_table` output.

    Returns
    -------
    plotly.graph_objects.Figure
        Left: one stacked bar per configuration (the shares sum to one); right: each share
        with its bootstrap 95% interval.
    """
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("share of the variance", "share with 95% interval")
    )
    configs = [f"{s} (trial {n})" for s, n in zip(variance["scheme"], variance["trial_number"])]
    table = variance.assign(config=configs)
    palette = qualitative.Plotly
    for i, source in enumerate(dict.fromkeys(table["source"])):
        rows = table[table["source"] == source]
        color = palette[i % len(palette)]
        fig.add_trace(
            go.Bar(
                x=rows["config"],
                y=rows["share"],
                name=str(source),
                legendgroup=str(source),
                marker={"color": color},
                customdata=rows[["share_low", "share_high"]].to_numpy(),
                hovertemplate="%{y:.2f} (95%: %{customdata[0]:.2f} to %{customdata[1]:.2f})",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=[f"{source}<br>{c}" for c in rows["config"]],
                y=rows["share"],
                mode="markers",
                name=str(source),
                legendgroup=str(source),
                showlegend=False,
                marker={"color": color, "size": 9},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (rows["share_high"] - rows["share"]).clip(lower=0).fillna(0.0),
                    "arrayminus": (rows["share"] - rows["share_low"]).clip(lower=0).fillna(0.0),
                },
            ),
            row=1,
            col=2,
        )
    fig.update_layout(
        title="Where the spread comes from: shares of the variance over seeds",
        barmode="stack",
        **_LAYOUT,
    )
    fig.update_yaxes(range=[0, 1.02])
    return fig


def _cell_text(diff: float, significant: bool) -> str:
    """A matrix cell: bold with an asterisk when significant, else the value and "n.s."."""
    if not math.isfinite(diff):
        return ""
    return f"<b>{diff:+.3g}*</b>" if significant else f"{diff:+.3g}<br>n.s."


def pairwise_figure(pairwise: pd.DataFrame) -> go.Figure:
    """Heatmap of the mean paired differences, row minus column, Holm-significant cells marked.

    Parameters
    ----------
    pairwise : pandas.DataFrame
        :func:`initstudy.reports.pairwise_matrix` output.

    Returns
    -------
    plotly.graph_objects.Figure
        Schemes in ranking order on both axes (best at the top left). Two heatmap traces on
        one colour scale centred at 0 (blue: the row scores better): the cells whose
        Holm-adjusted p is at most 0.05 in full colour with bold text and an asterisk, the
        others faded and marked "n.s.".
    """
    order, sq = pairwise_square(pairwise)
    diff, sig = sq["mean_diff"], sq["significant"]
    top = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 0.0
    top = top if top > 0 else 1.0
    custom = np.stack([sq["ci_low"], sq["ci_high"], sq["p_adjusted"], sq["n_paired"]], axis=-1)
    text = np.vectorize(_cell_text, otypes=[object])(diff, sig)
    greater = pairwise.attrs.get("greater_is_better", True)
    fig = go.Figure()
    for name, mask, opacity, color in (
        ("not significant", ~sig, 0.35, "#555555"),
        ("Holm-adjusted p <= 0.05", sig, 1.0, None),  # plotly's default contrasts with the cell
    ):
        fig.add_trace(
            go.Heatmap(
                z=np.where(mask, diff, np.nan),
                x=order,
                y=order,
                text=np.where(mask, text, ""),
                texttemplate="%{text}",
                textfont={"color": color} if color else {},
                customdata=custom,
                hovertemplate="%{y} minus %{x}: %{z:+.4g}<br>95% CI %{customdata[0]:.3g} to "
                "%{customdata[1]:.3g}<br>Holm p %{customdata[2]:.3g}, %{customdata[3]} seeds"
                "<extra></extra>",
                hoverongaps=False,
                colorscale="RdBu",
                reversescale=not greater,
                zmin=-top,
                zmax=top,
                opacity=opacity,
                name=name,
                showscale=mask is sig,
                colorbar={"title": {"text": "row minus column"}},
            )
        )
    better = "higher" if greater else "lower"
    fig.update_layout(
        title=f"{_score_words(pairwise)}: mean paired difference, row minus column<br>"
        f"<sup>{better} is better; bold *: Holm-adjusted p <= 0.05; faded: n.s.</sup>",
        **{**_LAYOUT, "height": max(_LAYOUT["height"], 160 + 40 * len(order))},
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=order, tickangle=-30)
    fig.update_yaxes(
        type="category", categoryorder="array", categoryarray=order, autorange="reversed"
    )
    return fig
