"""How many BLAS threads training, initialization and prediction use.

The policy (measured on the 2-core development machine, see benchmarks/README.md):

- Products below :data:`PARALLEL_MACS` multiply-adds always run on one BLAS thread: OpenBLAS's
  threads cost more than they save there, and when other processes use the cores they spin
  waiting for each other (an orthogonal draw's 128 x 128 QR took 160 ms on two threads under
  load against 3 ms on one).
- Larger products use every BLAS thread the process allows when no other process uses the
  cores at the start of the fit or prediction, else one per free core (:func:`free_cores`:
  other processes' CPU use measured since the previous decision, or the one-minute load average
  minus this process's own recent CPU use; 1 on a busy 2-core machine).
- :func:`set_blas_threads` or the environment variable ``INITSTUDY_BLAS_THREADS`` caps every
  product (small ones still get one thread) and the seed threads of ``fit_seeds`` (which trains
  groups of seeds in threads when all products are small and a core is free). Parallel study
  workers set it to 1, so N workers use N cores and never N times all of them. A limit set
  around the call with threadpoolctl (``threadpool_limits(1)``) is respected too: "all
  threads" never raises the current limit.

The limit is process-wide (it is BLAS's own setting), so trainings running at once in threads
share it: while several are inside :func:`limit_blas`, the smallest requested count applies,
and the original setting comes back when the last one leaves. (Observed with OpenBLAS 0.3.31:
``set_num_threads`` called from a non-main thread did not show in ``get_num_threads``, so
``fit_seeds`` takes the limit in the calling thread before starting its seed threads.) Entering and leaving costs about
20 microseconds (one cached :class:`threadpoolctl.ThreadpoolController`), against several
milliseconds for a fresh ``threadpool_limits`` context.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from threadpoolctl import ThreadpoolController

from .exceptions import ConfigError

__all__ = [
    "ENV_VAR",
    "PARALLEL_MACS",
    "blas_threads",
    "current_limit",
    "free_cores",
    "largest_product",
    "limit_blas",
    "one_blas_thread",
    "policy_for",
    "set_blas_threads",
]

ENV_VAR = "INITSTUDY_BLAS_THREADS"
"""Environment variable read when :func:`set_blas_threads` was not called: a positive int cap."""

PARALLEL_MACS = 2**22
"""Products of fewer multiply-adds (rows x fan_in x fan_out) always run on one BLAS thread."""

_UNSET = object()
_setting: Any = _UNSET


def _check_threads(value: Any, where: str, text: bool = False) -> int | None:
    """``value`` as a positive int (an int, or a string of digits from the environment) or None."""
    if value is None:
        return None
    from_text = text and isinstance(value, str) and value.isdigit()
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    n = int(value) if from_text or is_int else 0
    if n < 1:
        raise ConfigError(f"{where} must be a positive int (BLAS threads) or None. Got {value!r}.")
    return n


def set_blas_threads(n: int | None) -> int | None:
    """Cap the BLAS threads of every MLP product in this process; return the previous setting.

    Parameters
    ----------
    n : int or None
        At most this many BLAS threads, and seed threads in ``fit_seeds`` (1 for parallel
        worker processes); None restores the default policy (``INITSTUDY_BLAS_THREADS`` if
        set, else one thread per free core for large products, see :func:`free_cores`).

    Returns
    -------
    int or None
        The value of the previous call (None if there was none), to restore it later.

    Raises
    ------
    ConfigError
        If ``n`` is not a positive int or None.

    Examples
    --------
    >>> from initstudy.mlp import set_blas_threads
    >>> previous = set_blas_threads(1)
    >>> _ = set_blas_threads(previous)
    """
    global _setting
    previous = None if _setting is _UNSET else _setting
    checked = _check_threads(n, "set_blas_threads(n)")
    _setting = _UNSET if checked is None else checked
    return previous


def blas_threads() -> int | None:
    """The current cap: :func:`set_blas_threads`'s, else ``INITSTUDY_BLAS_THREADS``, else None."""
    if _setting is not _UNSET:
        return _setting
    value = os.environ.get(ENV_VAR, "").strip()
    return (
        _check_threads(value, f"The environment variable {ENV_VAR}", text=True) if value else None
    )


def _cpu_seconds() -> float | None:
    """CPU seconds all cores spent busy since boot (``/proc/stat``); None where unavailable."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            ticks = [float(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(ticks) < 5:
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait


class _LoadMonitor:
    """How many cores other processes use: measured between calls, else the load average.

    Between two calls at least :data:`_MIN_INTERVAL` and at most :data:`_LOAD_SECONDS` apart,
    the machine's busy CPU time (``/proc/stat``) minus this process's own CPU time over the
    interval gives the other processes' use directly (a study or benchmark fits repeatedly, so
    this is the usual case). Otherwise it is the one-minute load average minus this process's
    own recent CPU use, an exponential average with the load average's 60 s time constant
    (CPU spent before the first call, e.g. imports, counts as a burst over one minute); the
    load average lags, so this errs towards busy for about a minute after other work ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wall, self._cpu, self._busy = time.monotonic(), time.process_time(), _cpu_seconds()
        self._rate = min(self._cpu / _LOAD_SECONDS, float(os.cpu_count() or 1))
        self._others: float | None = None

    def own_rate(self) -> float:
        """This process's recent CPU use in cores (exponential average)."""
        with self._lock:
            self._sample()
            return self._rate

    def others(self) -> float | None:
        """Cores used by other processes, or None when only the load average can tell."""
        with self._lock:
            self._sample()
            return self._others

    def _sample(self) -> None:
        wall, cpu, busy = time.monotonic(), time.process_time(), _cpu_seconds()
        elapsed = wall - self._wall
        if elapsed < _MIN_INTERVAL:
            return
        decay = math.exp(-elapsed / _LOAD_SECONDS)
        self._rate = decay * self._rate + (1 - decay) * (cpu - self._cpu) / elapsed
        fresh = busy is not None and self._busy is not None and elapsed <= _LOAD_SECONDS
        self._others = (
            max(0.0, (busy - self._busy) - (cpu - self._cpu)) / elapsed if fresh else None
        )
        self._wall, self._cpu, self._busy = wall, cpu, busy


_LOAD_SECONDS = 60.0
_MIN_INTERVAL = 1.0
_MONITOR = _LoadMonitor()


def free_cores() -> int:
    """Cores this process may use now: all cores minus other processes' use, at least 1.

    Other processes' use comes from :class:`_LoadMonitor`; a core counts as free when less
    than half of it is used by others. Without ``/proc/stat`` or a load average, one core.
    """
    cores = os.cpu_count() or 1
    others = _MONITOR.others()
    if others is None:
        try:
            others = max(0.0, os.getloadavg()[0] - _MONITOR.own_rate())
        except OSError:
            return 1
    return max(1, min(cores, math.floor(cores - others + 0.5)))


def largest_product(sizes: tuple[int, ...], rows: int) -> int:
    """Multiply-adds of the largest ``rows x fan_in x fan_out`` product of a network ``sizes``."""
    return rows * max((a * b for a, b in zip(sizes[:-1], sizes[1:])), default=0)


def policy_for(macs: int) -> int | None:
    """BLAS threads for products of ``macs`` multiply-adds: 1, a cap, or None (all allowed)."""
    if macs < PARALLEL_MACS:
        return 1
    cap = blas_threads()
    if cap is not None:
        return cap
    cores = os.cpu_count() or 1
    free = free_cores()
    return None if free >= cores else free


def current_limit() -> int:
    """The BLAS threads allowed now (the smallest over the loaded BLAS libraries)."""
    controller = _LIMIT.controller()
    return min(
        (lib.get_num_threads() or 1 for lib in controller.select(user_api="blas").lib_controllers),
        default=1,
    )


class _SharedLimit:
    """Process-wide BLAS limit shared by concurrent users: the smallest request applies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[int] = Counter()
        self._controller: ThreadpoolController | None = None
        self._original: Any = None
        self._level: int | None = None

    def controller(self) -> ThreadpoolController:
        """The cached controller (threadpoolctl's library scan runs once per process)."""
        if self._controller is None:
            self._controller = ThreadpoolController()
        return self._controller

    def _apply(self) -> None:
        level = min(self._requests) if self._requests else None
        if level == self._level:
            return
        if level is None:
            self._original.restore_original_limits()
            self._original = None
        else:
            limiter = self.controller().limit(limits=level, user_api="blas")
            self._original = self._original or limiter
        self._level = level

    @contextlib.contextmanager
    def hold(self, n: int) -> Iterator[None]:
        with self._lock:
            self._requests[n] += 1
            self._apply()
        try:
            yield
        finally:
            with self._lock:
                self._requests[n] -= 1
                if not self._requests[n]:
                    del self._requests[n]
                self._apply()


_LIMIT = _SharedLimit()


def limit_blas(threads: int | None) -> contextlib.AbstractContextManager[None]:
    """At most ``threads`` BLAS threads inside the block (None: no change); re-entrant, thread-safe."""
    return contextlib.nullcontext() if threads is None else _LIMIT.hold(threads)


def one_blas_thread() -> contextlib.AbstractContextManager[None]:
    """One BLAS thread inside the block (small products: initial draws, QR, calibration)."""
    return _LIMIT.hold(1)
