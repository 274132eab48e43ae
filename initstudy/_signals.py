"""Signals sent again later: the shared piece of the study's and the dashboard's handlers.

Both handlers put off a SIGINT/SIGTERM that arrives at a bad moment (inside a database call;
inside a request) by sending it again a little later, until it lands where it can be raised.
"""

from __future__ import annotations

import signal
import threading

__all__ = ["send_to_main_thread_later"]


def send_to_main_thread_later(signum: int, seconds: float) -> threading.Timer:
    """Send ``signum`` to the main thread after ``seconds`` (a daemon timer; cancel it to stop).

    To the main thread, not the process: a signal sent to the process may be taken by another
    thread while the main thread waits, and then go unseen until the wait ends.
    """
    timer = threading.Timer(seconds, signal.pthread_kill, (threading.main_thread().ident, signum))
    timer.daemon = True
    timer.start()
    return timer
