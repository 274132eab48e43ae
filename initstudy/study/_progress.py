"""Progress bars of a study: finished trials, and seeds within the running trial (tqdm)."""

from __future__ import annotations

import sys
from typing import Any

from tqdm.auto import tqdm

__all__ = ["NullProgress", "Progress", "TqdmProgress", "make_progress"]


class NullProgress:
    """Progress that shows nothing (library use, tests, worker processes)."""

    def start(self, total: int, done: int) -> None:
        """The study needs ``total`` finished trials and holds ``done``."""

    def trial_started(self, number: int, n_seeds: int) -> None:
        """A trial began; it has ``n_seeds`` seeds."""

    def seeds_done(self, count: int) -> None:
        """``count`` more seeds of the running trial finished."""

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
        self._trials = tqdm(total=total, initial=min(done, total), desc="trials", unit="trial",
                            file=self._file, position=0, dynamic_ncols=True)

    def trial_started(self, number: int, n_seeds: int) -> None:
        """Open (or reset) the seeds bar for this trial."""
        if self._seeds is None:
            self._seeds = tqdm(total=n_seeds, desc="seeds", unit="seed", file=self._file,
                               position=1, leave=False, dynamic_ncols=True)
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


Progress = NullProgress


def make_progress(progress: bool | NullProgress) -> NullProgress:
    """``True`` -> tqdm bars, ``False`` -> nothing, a progress object -> itself."""
    if isinstance(progress, NullProgress):
        return progress
    return TqdmProgress() if progress else NullProgress()
