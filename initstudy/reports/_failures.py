"""Why a failed scheme failed: its seeds diverged, a layer is symmetric, or the signal vanishes
or explodes through the layers at initialization (Glorot & Bengio 2010; He et al. 2015).

The diagnosis reads :func:`~initstudy.reports.signal_table` (each scheme's best configuration
rebuilt from the stored config and propagated through the study's own data, no training). When
the network cannot be rebuilt (data given as arrays, a scikit-learn estimator), only the stored
counts speak: divergence, or "no better than a constant predictor".
"""

from __future__ import annotations

import pandas as pd

from initstudy.reports._load import StudyData
from initstudy.reports._signal import signal_table

__all__ = ["diagnose_signal", "failure_reasons"]

#: The last hidden layer's activation spread over the first's below this: a vanishing signal.
VANISHING = 1e-2
#: ... above this: an exploding signal.
EXPLODING = 1e2
#: A layer whose units differ by less than this share of its activation spread is symmetric.
SYMMETRIC = 1e-9


def diagnose_signal(frame: pd.DataFrame) -> str | None:
    """The failure a :func:`~initstudy.mlp.signal_propagation` frame shows, or None.

    Parameters
    ----------
    frame : pandas.DataFrame
        One configuration's rows (any seeds): ``layer``, ``kind``, ``act_mean``, ``act_std``,
        ``unit_std``.

    Returns
    -------
    str or None
        "symmetric: ...", "vanishing signal: ..." or "exploding signal: ...", the first that
        applies; None when the signal at initialization looks healthy.
    """
    hidden = frame[frame["kind"] == "hidden"]
    if hidden.empty or "unit_std" not in hidden:
        return None
    layers = hidden.groupby("layer")[["act_mean", "act_std", "unit_std"]].mean()
    size = layers["act_std"] + layers["act_mean"].abs()
    symmetric = layers.index[layers["unit_std"] <= SYMMETRIC * size]
    if len(symmetric):
        return f"symmetric: the units of hidden layer {int(symmetric[0])} start (and stay) equal"
    if len(layers) < 2:
        return None
    first, last = float(layers["act_std"].iloc[0]), float(layers["act_std"].iloc[-1])
    where = f"activation std {first:.2g} at layer 1, {last:.2g} at layer {int(layers.index[-1])}"
    if first > 0 and last / first < VANISHING:
        return f"vanishing signal: {where}"
    if first > 0 and last / first > EXPLODING:
        return f"exploding signal: {where}"
    return None


def failure_reasons(
    data: StudyData, schemes: pd.DataFrame, signal: pd.DataFrame | None = None
) -> dict[str, str]:
    """Scheme -> why it failed, for the ``failed`` rows of ``schemes``.

    Parameters
    ----------
    data : StudyData
        The loaded study.
    schemes : pandas.DataFrame
        :func:`~initstudy.reports.scheme_table` output (``scheme``, ``group``, ``n_seeds``,
        ``n_diverged``).
    signal : pandas.DataFrame, optional
        :func:`~initstudy.reports.signal_table` output when already computed (an empty table
        leaves the counts alone to speak); computed when needed by default.

    Returns
    -------
    dict of str to str
        E.g. ``{"zeros": "symmetric: ...", "orthogonal": "7/10 seeds diverged"}``.
    """
    failed = schemes[schemes["group"] == "failed"]
    if failed.empty:
        return {}
    if signal is None:
        signal = signal_table(data)
    reasons = {}
    for _, row in failed.iterrows():
        parts = []
        n_diverged, n_seeds = int(row["n_diverged"]), int(row["n_seeds"])
        if 2 * n_diverged > n_seeds:
            parts.append(f"{n_diverged}/{n_seeds} seeds diverged")
        if not signal.empty:
            diagnosis = diagnose_signal(signal[signal["scheme"] == row["scheme"]])
            if diagnosis:
                parts.append(diagnosis)
        reasons[str(row["scheme"])] = "; ".join(parts) or "no better than a constant predictor"
    return reasons
