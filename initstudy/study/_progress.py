"""Progress of a study: tqdm bars on a terminal, one line per finished trial elsewhere.

On a terminal (stderr is a TTY) two bars show the finished trials and the seeds of the
running trial. In CI logs and pipes, where redrawn bars become hundreds of partial lines,
:class:`LineProgress` prints one line per finished trial instead, e.g.
``trial 12/30 done (#11): init=he_normal init_scale=1.3 value=0.9720 (best 0.9760)``.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm.auto import tqdm

__all__ = ["LineProgress", "NullProgress", "Progress", "TqdmProgress", "make_progress"]


class NullProgress:
    """Progress that shows nothing (library use, tests, worker processes)."""

    def start(self, total: int, done: int) -> None:
        """The study needs ``total`` finished trials and holds ``done``."""

    def trial_started(self, number: int, n_seeds: int) -> None:
        """A trial began; it has ``n_seeds`` seeds."""

    def seeds_done(self, count: int) -> None:
        """``count`` more seeds of the running trial finished."""

    def trial_finished(
        self, number: int, outcome: str, params: dict[str, Any], value: float | None
    ) -> None:
        """This worker's trial ``number`` ended: "complete", "pruned" or "failed"."""

    def trials_done(self, done: int, best: float | None = None) -> None:
        """The study now holds ``done`` finished trials."""

    def close(self) -> None:
        """Remove the bars."""


class TqdmProgress(NullProgress):
    """Two tqdm bars on stderr: trials of the study, and seeds of the current trial."""

    def __init__(self, file: Any = None) -> None:
        self._file = file if file is not None else sys.stderr
        self._trials: Any = None
        self._seeds: Any = None

    def start(self, total: int, done: int) -> None:
        """Open the trials bar at ``done`` of ``total``."""
        self._trials = tqdm(
            total=total,
            initial=min(done, total),
            desc="trials",
            unit="trial",
            file=self._file,
            position=0,
            dynamic_ncols=True,
        )

    def trial_started(self, number: int, n_seeds: int) -> None:
        """Open (or reset) the seeds bar for this trial."""
        if self._seeds is None:
            self._seeds = tqdm(
                total=n_seeds,
                desc="seeds",
                unit="seed",
                file=self._file,
                position=1,
                leave=False,
                dynamic_ncols=True,
            )
        self._seeds.reset(total=n_seeds)
        self._seeds.set_description(f"trial {number} seeds")

    def seeds_done(self, count: int) -> None:
        """Advance the seeds bar."""
        if self._seeds is not None:
            self._seeds.update(count)

    def trials_done(self, done: int, best: float | None = None) -> None:
        """Move the trials bar to ``done`` and show the best value."""
        if self._trials is None:
            return
        self._trials.update(max(0, min(done, self._trials.total) - self._trials.n))
        if best is not None:
            self._trials.set_postfix(best=f"{best:.4f}", refresh=False)

    def close(self) -> None:
        """Close both bars."""
        for bar in (self._seeds, self._trials):
            if bar is not None:
                bar.close()
        self._seeds = self._trials = None


def _params_text(params: dict[str, Any]) -> str:
    return " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


class LineProgress(NullProgress):
    """One line per finished trial on stderr (for logs and pipes; no redrawing).

    A trial's line is printed at the next :meth:`trials_done`, which brings the study's
    best value. Trials finished by other workers (``--jobs N``) are summed up in a line
    ``trials 14/30 done (best ...)``.
    """

    def __init__(self, file: Any = None) -> None:
        self._file = file if file is not None else sys.stderr
        self._total = 0
        self._done = 0
        self._pending: list[tuple[int, str, str]] = []

    def _print(self, text: str) -> None:
        print(text, file=self._file, flush=True)

    def start(self, total: int, done: int) -> None:
        """Remember the target; say where a resumed study starts."""
        self._total, self._done = total, done
        if done:
            self._print(f"trials {min(done, total)}/{total} already done")

    def trial_finished(
        self, number: int, outcome: str, params: dict[str, Any], value: float | None
    ) -> None:
        """Keep the trial's line until the best value is known."""
        shown = "" if value is None else f" value={value:.4f}"
        self._pending.append((number, outcome, f"{_params_text(params)}{shown}"))

    def trials_done(self, done: int, best: float | None = None) -> None:
        """Print the finished trials' lines, and a count for other workers' trials."""
        suffix = "" if best is None else f" (best {best:.4f})"
        for number, outcome, text in self._pending:
            if outcome == "failed":
                self._print(f"trial #{number} failed: {text}")
                continue
            self._done += 1
            word = "done" if outcome == "complete" else outcome
            self._print(f"trial {self._done}/{self._total} {word} (#{number}): {text}{suffix}")
        self._pending = []
        if done > self._done:
            self._done = done
            self._print(f"trials {done}/{self._total} done{suffix}")


Progress = NullProgress


def make_progress(progress: bool | NullProgress) -> NullProgress:
    """``True`` -> tqdm bars on a terminal, else lines; ``False`` -> nothing; an object -> it."""
    if isinstance(progress, NullProgress):
        return progress
    if not progress:
        return NullProgress()
    return TqdmProgress() if _is_terminal(sys.stderr) else LineProgress()


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False
