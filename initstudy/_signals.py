"""Signals sent again later, and the stop request that training threads check.

Both the study's and the dashboard's handlers put off a SIGINT/SIGTERM that arrives at a bad
moment (inside a database call; inside a request) by sending it again a little later, until it
lands where it can be raised.

A signal interrupts only the main thread. Seeds trained in other threads (``fit_seeds`` with
free cores) check :data:`stop_requested` every mini-batch and give up their stack by raising
:class:`TrainingAbandoned`; the main thread is then already unwinding, and nothing of an
abandoned stack is stored. Without it, the main thread waited in ``ThreadPoolExecutor``'s
shutdown until every thread had trained its seeds to the end (minutes with many seeds).
"""

from __future__ import annotations

import signal
import threading

__all__ = ["TrainingAbandoned", "check_stop", "send_to_main_thread_later", "stop_requested"]

#: Set while a stop (SIGINT/SIGTERM) is being handled; cleared once the study has stopped.
stop_requested = threading.Event()


class TrainingAbandoned(Exception):
    """A training thread gave up its seeds because the study was asked to stop."""


def check_stop() -> None:
    """Raise :class:`TrainingAbandoned` in a thread other than the main one once a stop is asked."""
    if stop_requested.is_set() and threading.current_thread() is not threading.main_thread():
        raise TrainingAbandoned("the study was asked to stop; this thread's seeds are not kept")


def send_to_main_thread_later(signum: int, seconds: float) -> threading.Timer:
    """Send ``signum`` to the main thread after ``seconds`` (a daemon timer; cancel it to stop).

    To the main thread, not the process: a signal sent to the process may be taken by another
    thread while the main thread waits, and then go unseen until the wait ends.
    """
    timer = threading.Timer(seconds, signal.pthread_kill, (threading.main_thread().ident, signum))
    timer.daemon = True
    timer.start()
    return timer
