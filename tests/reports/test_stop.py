"""stop_between_requests: a signal during a wsgiref request waits for the request to end."""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from wsgiref.handlers import SimpleHandler

import pytest

from initstudy.reports._stop import _serving_a_request, stop_between_requests


def _serve_one_request(app) -> None:
    handler = SimpleHandler(
        io.BytesIO(),
        io.BytesIO(),
        sys.stderr,
        {"REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.0"},
    )
    handler.run(app)


def test_a_signal_during_a_request_is_raised_after_it() -> None:
    served: list[bool] = []

    def app(environ, start_response):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs here; wsgiref would swallow a KeyboardInterrupt
        served.append(True)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    with pytest.raises(KeyboardInterrupt), stop_between_requests():
        _serve_one_request(app)
        for _ in range(500):  # like serve_forever's select: the signal is raised here
            time.sleep(0.002)
    assert served == [True]


def test_a_request_is_recognised_by_its_handler_frame() -> None:
    frames = []

    def app(environ, start_response):
        frames.append(sys._getframe())
        start_response("200 OK", [])
        return [b""]

    _serve_one_request(app)
    assert _serving_a_request(frames[0]) and not _serving_a_request(sys._getframe())
