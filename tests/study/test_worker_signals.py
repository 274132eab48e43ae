"""A signal that lands inside a finalizer or weakref callback still interrupts the run."""

from __future__ import annotations

import os
import signal
import time
import weakref

import pytest

from initstudy.study._worker import Interrupted, interrupts_raise


class _Target:
    pass


def _signal_inside_weakref_callback() -> None:
    target = _Target()

    def callback(ref: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.01)  # the Python handler runs here, where its exception can only be printed

    keep = weakref.ref(target, callback)
    del target
    assert keep() is None
    for _ in range(500):  # the interrupt must arrive from ordinary code before this ends
        time.sleep(0.002)


def test_an_interrupt_swallowed_by_a_callback_is_raised_again(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(Interrupted) as caught, interrupts_raise():
        _signal_inside_weakref_callback()
    assert caught.value.signum == signal.SIGTERM
    assert "Exception ignored" not in capfd.readouterr().err
