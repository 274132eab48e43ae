"""Ctrl-C and SIGTERM stop the dashboard server, even when they arrive during a request.

optuna-dashboard serves with the standard library's ``wsgiref``, whose request handler
catches every exception, ``KeyboardInterrupt`` included, to answer with an error page: a
signal that lands while a request is being served would be swallowed and the server would
go on. :func:`stop_between_requests` raises ``KeyboardInterrupt`` only between requests (a
signal during one is sent again every few milliseconds until it ends).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from initstudy._signals import send_to_main_thread_later

__all__ = ["stop_between_requests"]

#: Seconds between the deliveries of a signal that came during a request.
_RETRY_SECONDS = 0.01


def _serving_a_request(frame: FrameType | None) -> bool:
    """True when a ``wsgiref`` request handler is on the interrupted thread's stack."""
    while frame is not None:
        if frame.f_globals.get("__name__") == "wsgiref.handlers":
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def stop_between_requests() -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM raise ``KeyboardInterrupt`` between requests.

    Outside the main thread (where signal handlers cannot be set) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if _serving_a_request(frame):
            send_to_main_thread_later(signum, _RETRY_SECONDS)
            return
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
