"""SIGINT and SIGTERM as an exception that never lands inside a database call.

A study stops on Ctrl-C or SIGTERM by raising :class:`Interrupted` in the main thread; the
worker then queues the running trial's parameters again and fails it. Python runs a signal
handler between any two bytecodes, so without care the exception could land inside
SQLAlchemy or Optuna halfway through a query or a commit. On SQLite that leaves a pooled
connection holding a half-read cursor (pinned to an old snapshot, so its next write is
refused: "database is locked") or a write lock, and the cleanup's own writes then fail or
wait. :func:`interrupts_raise` therefore defers a signal that arrives inside a database or
Optuna call: it is sent again every few milliseconds until the main thread is back in
initstudy's own code, and raised there.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

from initstudy._signals import send_to_main_thread_later, stop_requested

__all__ = ["Interrupted", "interrupts_held", "interrupts_raise"]

#: Modules whose frames a signal must not interrupt: the storage stack and Optuna's calls.
_DEFERRING_MODULES = ("sqlalchemy", "sqlite3", "psycopg", "optuna", "initstudy.storage")
#: Seconds between the deliveries of a deferred signal.
_RETRY_SECONDS = 0.005
#: Depth of the :func:`interrupts_held` blocks the main thread is in.
_held = 0
#: The signal deferred and not raised yet (at most one), shared with :func:`interrupts_held`.
_deferred: list[int] = []


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; ``signum`` says which (exit code ``128 + signum``).

    ``study_name`` is the interrupted study's name once known (None before the study exists).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.study_name: str | None = None


def _ignore_signal(signum: int, frame: Any) -> None:
    """A signal after the first one: nothing to do, the cleanup is already running."""


def _in_deferring_call(frame: FrameType | None) -> bool:
    """True when ``frame`` runs inside a database or Optuna call made by initstudy's code.

    Walks outwards from the interrupted frame to the first frame of initstudy's own code
    (outside ``initstudy.storage``): a deferring module on the way means a call is under way.
    Training is never deferred (its frames are initstudy's, even under ``study.optimize``).
    """
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(_DEFERRING_MODULES):
            return True
        if module.startswith("initstudy"):
            return False
        frame = frame.f_back
    return False


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Inside the block (main thread) a signal waits as inside a database call; it is raised
    as the block ends, e.g. once the trial that ``study.ask()`` returned is assigned."""
    global _held
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _deferred:  # raised through the handler, in this frame
            signal.raise_signal(_deferred[0])


def _send_later(signum: int) -> threading.Timer:
    return send_to_main_thread_later(signum, _RETRY_SECONDS)


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """While the block runs, SIGINT/SIGTERM raise :class:`Interrupted` once (main thread only).

    A signal that arrives inside a database or Optuna call is raised when that call returns
    (see the module docstring); one still deferred when the block ends is raised then.

    After the first signal both go to a handler that does nothing, so the cleanup (queueing
    the trial again, failing it) is not cut short by a second Ctrl-C or a forwarded SIGTERM.
    (Not ``SIG_IGN``: a signal already pending at C level would then make CPython raise
    ``OSError: Signal 15 ignored due to race condition`` from whatever code runs.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    timers: list[threading.Timer] = []
    _deferred.clear()

    def handler(signum: int, frame: FrameType | None) -> None:
        # The first signal decides: Ctrl-C followed by a process manager's SIGTERM while the
        # Ctrl-C waits stops the study as a Ctrl-C (exit 130), and only that one is sent again.
        first = _deferred[0] if _deferred else signum
        if _held or _in_deferring_call(frame):
            if first == signum:
                _deferred[:] = [signum]
                timers.append(_send_later(signum))
            return
        _deferred.clear()
        signal.signal(signal.SIGINT, _ignore_signal)
        signal.signal(signal.SIGTERM, _ignore_signal)
        stop_requested.set()  # seed-training threads stop at their next mini-batch
        raise Interrupted(first)

    def unraisable(info: Any) -> None:
        # The signal landed in a finalizer or weakref callback, where Python can only print the
        # exception and go on: raise it again, from ordinary code, through the handler.
        if (
            isinstance(info.exc_value, Interrupted)
            and threading.current_thread() is threading.main_thread()
        ):
            # Only this signal raises again (a later, different one stays ignored, as after any
            # first signal); sent from another thread, the handler runs after this hook returns.
            signal.signal(info.exc_value.signum, handler)
            timers.append(_send_later(info.exc_value.signum))
            return
        previous_hook(info)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable
    try:
        yield
        if _deferred:  # the block ended inside the call that deferred the signal
            raise Interrupted(_deferred[0])
    finally:
        _deferred.clear()
        stop_requested.clear()
        for timer in timers:
            timer.cancel()
        sys.unraisablehook = previous_hook
        for signum, old in previous.items():
            signal.signal(signum, old)
