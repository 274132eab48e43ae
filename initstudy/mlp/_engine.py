"""The stacked training loop: every member's mini-batch step in one stacked pass.

A single ``fit`` is the one-member case of :func:`train`; ``fit_seeds`` and ``fit_stack`` pass
several members. Members share the layer sizes, activations, solver, batch size and epochs;
each has its own initial weights, learning rate, momentum and L2 ``alpha`` (per-member arrays
in the optimizer and the network), its own training rows (``SeedRun.train_idx``, any subset of
the data), its own batch order (its own generator), its own early-stopping split, its own
stopping decisions and its own divergence check; a member that finishes or diverges is removed
from the stack (its row copied out) and the others go on with a smaller stack.

Members with different row counts run their epochs in lock-step: batch ``j`` of every member
whose epoch has a batch ``j``; where those batches differ in size (an epoch's last batch, or a
member whose epoch is over), the members are stepped in sub-stacks of one batch size each
(copies of their rows, written back after the step), so every member sees exactly its own
batches. Epoch-end decisions (stopping, early-stopping validation) are taken for all members
together after the epoch.

Design decisions, measured on the 2-core development machine (see benchmarks/bench_fit.py):

- ``np.matmul`` on ``(n_seeds, fan_in, fan_out)`` stacks (``einsum`` was 20x slower); every
  product writes into a preallocated buffer (``out=``).
- Parameters, gradients and optimizer moments are one ``(n_seeds, n_params)`` buffer each, so
  an optimizer step is about a dozen whole-buffer operations.
- One ``np.take`` per batch gathers every seed's rows into a reused buffer.
- BLAS threads chosen once per call by :func:`~initstudy._blas.policy_for` from the largest
  per-seed product (one thread for small layers; see :mod:`initstudy._blas`).
- A member's arithmetic does not depend on the other members of its stack (each product is
  one BLAS call per member, every elementwise operation and reduction is per member), so each
  member is bitwise the result of its single fit (tested), whatever its rows.
- A non-finite batch loss marks the seed diverged at once (checked every batch, one call).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._blas import largest_product, limit_blas, policy_for
from .._signals import check_stop
from ._network import Layout, StackedNet, forward
from ._optimizers import SGD, Adam, make_optimizer

__all__ = ["SeedRun", "TrainConfig", "train"]


@dataclass
class SeedRun:
    """One seed's training plan (initial row, indices, batch stream) and its record."""

    params: np.ndarray
    train_idx: np.ndarray
    batch_rng: np.random.Generator
    val_idx: np.ndarray | None = None
    first_order: np.ndarray | None = None
    loss_curve: list[float] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    eval_scores: list[float] = field(default_factory=list)
    best_loss: float = math.inf
    best_validation_score: float = -math.inf
    best_params: np.ndarray | None = None
    no_improvement: int = 0
    n_iter: int = 0
    t: int = 0
    status: str = "running"


@dataclass(frozen=True)
class TrainConfig:
    """Everything the loop needs besides the data and the seeds.

    ``alpha`` and the optimizer's ``learning_rate_init`` and ``momentum`` may be one value per
    member (float64 arrays); everything else is shared by the stack.
    """

    sizes: tuple[int, ...]
    activation: str
    out_activation: str
    solver: str
    optimizer_params: dict[str, Any]
    alpha: float | np.ndarray
    batch_size: int
    max_iter: int
    tol: float
    n_iter_no_change: int
    early_stopping: bool
    shuffle: bool
    dtype: Any
    verbose: bool = False
    incremental: bool = False


Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]


class _Trainer:
    """State of one call to :func:`train` (the active stack and its data)."""

    def __init__(
        self,
        runs: list[SeedRun],
        X: np.ndarray,
        Y: np.ndarray,
        config: TrainConfig,
        scorer: Scorer,
        optimizer: Adam | SGD | None,
    ) -> None:
        self.runs, self.X, self.Y, self.config, self.scorer = runs, X, Y, config, scorer
        self.active = np.arange(len(runs))
        params = np.stack([r.params for r in runs]).astype(config.dtype, copy=False)
        self.net = StackedNet(
            Layout(config.sizes), params, config.activation, config.out_activation, config.alpha
        )
        self.opt = optimizer or make_optimizer(
            config.solver, params.shape, config.dtype, config.optimizer_params
        )
        self.epoch_number = 0
        self._batch: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
        self.finished = np.zeros(len(runs), dtype=bool)
        self._val: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        if config.early_stopping:
            for r in runs:
                r.best_params = r.params.copy()

    def _retire(self, done: np.ndarray) -> None:
        """Copy the rows of finished seeds out and shrink the stack to the others.

        The optimizer keeps the last seeds' state (for a later ``partial_fit``) when none remain.
        """
        for j in np.flatnonzero(done):
            run = self.runs[self.active[j]]
            run.params = self.net.params[j].copy()
        keep = np.flatnonzero(~done)
        self.active = self.active[keep]
        self.net.select(keep)
        if keep.size:
            self.opt.select(keep)
        self._val = None

    def _order(self, run: SeedRun, n: int) -> np.ndarray:
        if run.first_order is not None:
            order, run.first_order = run.first_order, None
            return order
        return run.batch_rng.permutation(n) if self.config.shuffle else np.arange(n)

    def epoch(self) -> None:
        """One pass over every active member's training rows, one stacked step per batch.

        Each batch's rows are gathered for all members with one ``np.take`` into a reused
        buffer (no per-epoch copy of the data, so memory stays at one batch per member). Where
        members' batches differ in size, :meth:`_ragged_step` steps them in sub-stacks.
        """
        runs = [self.runs[i] for i in self.active]
        sizes = np.array([r.train_idx.shape[0] for r in runs])
        longest = int(sizes.max())
        idx = np.zeros((len(runs), longest), dtype=np.intp)
        for j, r in enumerate(runs):
            idx[j, : sizes[j]] = r.train_idx[self._order(r, int(sizes[j]))]
        total = np.zeros(len(runs))
        bs = self.config.batch_size
        for start in range(0, longest, bs):
            check_stop()  # a Ctrl-C reaches only the main thread: seed threads stop here
            length = np.clip(sizes - start, 0, bs)
            if not length.any():  # the members with the longest epochs diverged
                break
            if (length == length[0]).all():
                bad = self._full_step(idx[:, start : start + int(length[0])], total, sizes)
            else:
                bad = self._ragged_step(idx[:, start:], length, total, sizes)
            if bad.any():
                keep = ~bad
                idx, total, sizes = idx[keep], total[keep], sizes[keep]
                if not self.active.size:
                    return
        self._end_epoch(total / sizes)

    def _full_step(self, rows: np.ndarray, total: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """One step of the whole stack on batches of one size; the mask of diverged members.

        A diverged member leaves the stack before the step (its weights stay those that gave
        the non-finite loss); the others step.
        """
        xb, yb = self._gather(rows)
        loss = self.net.loss_grad(xb, yb)
        total += loss * rows.shape[1]
        bad = ~np.isfinite(loss)
        if bad.any():
            self._diverge(bad, total / sizes, sizes)
        if self.active.size:
            self.opt.step(self.net.params, self.net.grads)
        return bad

    def _ragged_step(
        self, idx: np.ndarray, length: np.ndarray, total: np.ndarray, sizes: np.ndarray
    ) -> np.ndarray:
        """Step the members in sub-stacks of equal batch size (``length`` rows of ``idx`` each).

        Members with ``length`` 0 have finished their epoch and wait. Each sub-stack is a copy
        of its members' rows (:meth:`StackedNet.subset`), stepped with ``step(..., rows=)`` and
        written back; a diverged member is left out of its sub-stack's step.
        """
        bad = np.zeros(length.shape[0], dtype=bool)
        for size in np.unique(length[length > 0]).tolist():
            members = np.flatnonzero(length == size)
            rows = idx[members, :size]
            sub = self.net.subset(members)
            loss = sub.loss_grad(self.X[rows], self.Y[rows])
            total[members] += loss * size
            ok = np.isfinite(loss)
            bad[members[~ok]] = True
            if not ok.all():
                sub.select(np.flatnonzero(ok))
            if ok.any():
                self.opt.step(sub.params, sub.grads, rows=members[ok])
                self.net.params[members[ok]] = sub.params
        if bad.any():
            self._diverge(bad, total / sizes, sizes)
        return bad

    def _gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The batch ``X[rows]``, ``Y[rows]`` for every seed, in reused buffers."""
        key = rows.shape
        if key not in self._batch:
            self._batch = {k: v for k, v in self._batch.items() if k[0] == key[0]}
            self._batch[key] = (
                np.empty((*key, self.X.shape[1]), dtype=self.X.dtype),
                np.empty((*key, self.Y.shape[1]), dtype=self.Y.dtype),
            )
        xb, yb = self._batch[key]
        np.take(self.X, rows, axis=0, out=xb)
        np.take(self.Y, rows, axis=0, out=yb)
        return xb, yb

    def _diverge(self, bad: np.ndarray, losses: np.ndarray, sizes: np.ndarray) -> None:
        for j in np.flatnonzero(bad):
            run = self.runs[self.active[j]]
            run.loss_curve.append(float(losses[j]))
            run.n_iter += 1
            run.t += int(sizes[j])
            run.status = "diverged"
        self._retire(bad)

    def _end_epoch(self, losses: np.ndarray) -> None:
        runs = [self.runs[i] for i in self.active]
        for run, loss in zip(runs, losses):
            run.loss_curve.append(float(loss))
            run.n_iter += 1
            run.t += run.train_idx.shape[0]
            if self.config.verbose:
                print(f"Iteration {run.n_iter}, loss = {loss:.8f}")
        plateau = (
            self._early_stopping(runs) if self.config.early_stopping else self._loss_plateau(runs)
        )
        self.opt.epoch_end(np.array([r.t for r in runs]))
        stop = self.opt.plateau(plateau)
        for run, p in zip(runs, plateau):
            if p:
                run.no_improvement = 0
        done = np.zeros(len(runs), dtype=bool)
        if not self.config.incremental:
            for j, run in enumerate(runs):
                if stop[j]:
                    run.status, done[j] = "converged", True
                elif self.epoch_number >= self.config.max_iter:
                    run.status, done[j] = "max_iter", True
        self.finished = done

    def _loss_plateau(self, runs: list[SeedRun]) -> np.ndarray:
        tol = self.config.tol
        for run in runs:
            loss = run.loss_curve[-1]
            run.no_improvement = run.no_improvement + 1 if loss > run.best_loss - tol else 0
            run.best_loss = min(run.best_loss, loss)
        return np.array([r.no_improvement > self.config.n_iter_no_change for r in runs])

    def _validation_sets(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(positions, X_val, Y_val)`` per validation-set size among the active members."""
        if self._val is None:
            vals = [self.runs[i].val_idx for i in self.active]
            lengths = np.array([v.shape[0] for v in vals])
            self._val = []
            for size in dict.fromkeys(lengths.tolist()):
                members = np.flatnonzero(lengths == size)
                val = np.stack([vals[j] for j in members])
                self._val.append((members, self.X[val], self.Y[val]))
        return self._val

    def _early_stopping(self, runs: list[SeedRun]) -> np.ndarray:
        scores = np.empty(len(runs))
        whole = len(self._validation_sets()) == 1
        for members, xval, yval in self._validation_sets():
            coefs, intercepts = self.net.coefs, self.net.intercepts
            if not whole:
                coefs, intercepts = [c[members] for c in coefs], [b[members] for b in intercepts]
            out = forward(
                xval, coefs, intercepts, self.config.activation, self.config.out_activation
            )[-1]
            scores[members] = self.scorer(out, yval)
        tol = self.config.tol
        for j, (run, score) in enumerate(zip(runs, scores.tolist())):
            run.validation_scores.append(score)
            run.no_improvement = (
                run.no_improvement + 1 if score < run.best_validation_score + tol else 0
            )
            if score > run.best_validation_score:
                run.best_validation_score = score
                run.best_params = self.net.params[j].copy()
        return np.array([r.no_improvement > self.config.n_iter_no_change for r in runs])

    def evaluate(self, X_eval: np.ndarray, Y_eval: np.ndarray) -> None:
        """Append each active seed's score on the eval set to its ``eval_scores``."""
        out = forward(
            X_eval,
            self.net.coefs,
            self.net.intercepts,
            self.config.activation,
            self.config.out_activation,
        )[-1]
        for run, score in zip(
            (self.runs[i] for i in self.active), self.scorer(out, Y_eval[np.newaxis])
        ):
            run.eval_scores.append(float(score))

    def finish(self) -> None:
        """Copy every remaining row out; restore early stopping's best rows."""
        if self.active.size:
            self._retire(np.ones(self.active.size, dtype=bool))
        if self.config.early_stopping:
            for run in self.runs:
                if run.status != "diverged" and run.best_params is not None:
                    run.params = run.best_params


def _latest_scores(runs: list[SeedRun]) -> np.ndarray:
    """Each seed's latest eval score (NaN for a diverged seed or one without a score yet)."""
    return np.array(
        [r.eval_scores[-1] if r.eval_scores and r.status != "diverged" else np.nan for r in runs]
    )


def train(
    runs: list[SeedRun],
    X: np.ndarray,
    Y: np.ndarray,
    config: TrainConfig,
    scorer: Scorer,
    *,
    optimizer: Adam | SGD | None = None,
    eval_set: tuple[np.ndarray, np.ndarray] | None = None,
    epoch_callback: Callable[[int, np.ndarray], bool] | None = None,
) -> Adam | SGD:
    """Train every seed in ``runs`` together; update the runs in place; return the optimizer.

    ``X`` is ``(n_samples, n_features)`` and ``Y`` the encoded targets
    ``(n_samples, n_outputs)``, both of ``config.dtype``; each run indexes its own rows.
    """
    trainer = _Trainer(runs, X, Y, config, scorer, optimizer)
    epochs = 1 if config.incremental else config.max_iter
    threads = policy_for(largest_product(config.sizes, config.batch_size))
    with limit_blas(threads), np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            if not trainer.active.size:
                break
            trainer.finished = np.zeros(trainer.active.size, dtype=bool)
            trainer.epoch_number = epoch
            trainer.epoch()
            if eval_set is not None and trainer.active.size:
                trainer.evaluate(*eval_set)
            if trainer.active.size and trainer.finished.any():
                trainer._retire(trainer.finished)
            if (
                epoch_callback is not None
                and eval_set is not None
                and epoch_callback(epoch, _latest_scores(runs))
            ):
                for i in trainer.active:
                    runs[i].status = "stopped"
                break
        trainer.finish()
    return trainer.opt
