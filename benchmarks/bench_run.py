"""Wall time of the default ``initstudy run`` and the share of it spent outside training.

Runs the command exactly as a user would (a fresh process in an empty folder, the embedded
default study: digits, the ``keras`` space, 5 seeds, 30 trials, ``initstudy.db`` there), then
reads the stored seed rows: training time is the sum of their ``fit_seconds`` (the wall time
of the stacked fits), everything else (interpreter start and imports, data loading, the
sampler, storage writes, progress bars, the final summary) is overhead.

Usage::

    python benchmarks/bench_run.py            # the default study (target: < 180 s, < 10%)
    python benchmarks/bench_run.py --smoke    # 3 trials, for CI
    python benchmarks/bench_run.py --jobs 2   # the same with two worker processes
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(trials: int | None, jobs: int | None) -> dict[str, float]:
    """Run ``initstudy run`` in a temporary folder and split its wall time."""
    from initstudy.storage import load_seed_runs

    command = [sys.executable, "-m", "initstudy.cli", "run", "--quiet"]
    if trials is not None:
        command += ["--trials", str(trials)]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"initstudy run failed ({done.returncode}):\n{done.stderr}")
        runs = load_seed_runs(f"sqlite:///{Path(folder) / 'initstudy.db'}", "default")
    training = float(runs["fit_seconds"].sum())
    workers = jobs or 1
    startup = _startup_seconds()
    return {
        "wall_s": wall,
        "training_s": training,
        "startup_s": startup,
        "trials": float(runs["trial_number"].nunique()),
        "seed_rows": float(len(runs)),
        # with N workers training overlaps: compare against N times the wall time
        "outside_training_share": 1.0 - training / (wall * workers),
        "outside_training_share_after_startup": 1.0 - training / ((wall - startup) * workers),
    }


def _startup_seconds() -> float:
    """Wall time of starting Python and importing what ``initstudy run`` imports."""
    command = [sys.executable, "-c", "import initstudy.cli, initstudy.study, initstudy.reports"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    """Print the figures of one run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="3 trials only")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    result = measure(3 if args.smoke else None, args.jobs)
    print(f"cores: {os.cpu_count()}  jobs: {args.jobs or 1}")
    print(f"wall time:            {result['wall_s']:8.1f} s")
    print(f"training (fit_seeds): {result['training_s']:8.1f} s")
    print(f"trials / seed rows:   {result['trials']:.0f} / {result['seed_rows']:.0f}")
    print(f"python start+imports: {result['startup_s']:8.1f} s")
    print(f"outside training:     {100 * result['outside_training_share']:8.1f} %  (target < 10%)")
    share = 100 * result["outside_training_share_after_startup"]
    print(f"  after start+imports:{share:8.1f} %")


if __name__ == "__main__":
    main()
