"""How many BLAS threads training, initialization and prediction use.

The policy (measured on the 2-core development machine, see benchmarks/README.md):

- Products below :data:`PARALLEL_MACS` multiply-adds always run on one BLAS thread: OpenBLAS's
  threads cost more than they save there, and when other processes use the cores they spin
  waiting for each other (an orthogonal draw's 128 x 128 QR took 160 ms on two threads under
  load against 3 ms on one).
- Larger products use every BLAS thread the process allows when the machine has idle cores at
  the start of the fit or prediction (:func:`machine_is_idle`: one-minute load average below
  the number of cores minus 0.5), else one thread.
- :func:`set_blas_threads` or the environment variable ``INITSTUDY_BLAS_THREADS`` caps every
  product (small ones still get one thread) and the seed threads of ``fit_seeds`` (which trains
  groups of seeds in threads when all products are small and a core is idle). Parallel study
  workers set it to 1, so N workers use N cores and never N times all of them. A limit set around the call with threadpoolctl
  (``threadpool_limits(1)``) is respected too: "all threads" never raises the current limit.

The limit is process-wide (it is BLAS's own setting), so trainings running at once in threads
share it: while several are inside :func:`limit_blas`, the smallest requested count applies,
and the original setting comes back when the last one leaves. Entering and leaving costs about
20 microseconds (one cached :class:`threadpoolctl.ThreadpoolController`), against several
milliseconds for a fresh ``threadpool_limits`` context.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

from threadpoolctl import ThreadpoolController

from ..exceptions import ConfigError

__all__ = ["ENV_VAR", "PARALLEL_MACS", "blas_threads", "current_limit", "largest_product", "limit_blas",
           "machine_is_idle", "one_blas_thread", "policy_for", "set_blas_threads"]

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
        At most this many BLAS threads (1 for parallel worker processes); None restores the
        default policy (``INITSTUDY_BLAS_THREADS`` if set, else all threads for large products
        on an idle machine).

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
    return _check_threads(value, f"The environment variable {ENV_VAR}", text=True) if value else None


def machine_is_idle() -> bool:
    """Whether the one-minute load average leaves a core idle (below cores - 0.5)."""
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this platform: assume busy (one thread is safe)
        return False
    return load < (os.cpu_count() or 1) - 0.5


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
    return None if machine_is_idle() else 1


def current_limit() -> int:
    """The BLAS threads allowed now (the smallest over the loaded BLAS libraries)."""
    controller = _LIMIT.controller()
    return min((lib.get_num_threads() or 1 for lib in controller.select(user_api="blas").lib_controllers),
               default=1)


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
