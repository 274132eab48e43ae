"""Interrupts: raised once, never inside a database call, not lost inside a finalizer."""

from __future__ import annotations

import os
import signal
import sys
import time
import weakref
from pathlib import Path
from types import FrameType

import optuna
import pytest
import sqlalchemy as sa

from initstudy.study import _interrupts
from initstudy.study._interrupts import (
    Interrupted,
    _in_deferring_call,
    interrupts_held,
    interrupts_raise,
)


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


def test_an_interrupt_swallowed_by_a_callback_is_raised_again(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(Interrupted) as caught, interrupts_raise():
        _signal_inside_weakref_callback()
    assert caught.value.signum == signal.SIGTERM
    assert "Exception ignored" not in capfd.readouterr().err


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    """A SQLite file whose next statement sends SIGINT to this process as it starts."""
    engine = sa.create_engine(f"sqlite:///{tmp_path}/db.sqlite", poolclass=sa.pool.QueuePool)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")

    sent: list[bool] = []

    def signal_now(*args: object) -> None:
        if sent:
            return
        sent.append(True)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.02)  # the Python handler runs here, inside SQLAlchemy's execute

    sa.event.listen(engine, "before_cursor_execute", signal_now)
    yield engine
    engine.dispose()


def _insert_and_wait(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    for _ in range(500):
        time.sleep(0.002)


def test_a_signal_inside_a_database_call_is_raised_after_it(engine: sa.Engine) -> None:
    with pytest.raises(Interrupted) as caught, interrupts_raise():
        _insert_and_wait(engine)
    assert caught.value.signum == signal.SIGINT
    raised_in = caught.traceback[-2].frame.f_globals["__name__"]  # [-1] is the handler
    assert raised_in == __name__  # back in this module's code, not inside SQLAlchemy
    engine.dispose()
    other = sa.create_engine(engine.url, connect_args={"timeout": 0})  # no lock left behind
    with other.begin() as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (2)")
        assert connection.exec_driver_sql("SELECT x FROM t").scalars().all() == [1, 2]
    other.dispose()


def test_a_signal_still_deferred_when_the_block_ends_is_raised_at_its_end(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_interrupts, "_RETRY_SECONDS", 30.0)  # the retry never comes in time
    with pytest.raises(Interrupted), interrupts_raise():
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    with engine.connect() as connection:  # the call finished: the row is committed
        assert connection.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]


def _frame_of(module: str) -> FrameType:
    """A frame whose code belongs to ``module`` (called from this test's frame)."""
    namespace = {"__name__": module, "sys": sys}
    exec("def here():\n    return sys._getframe()\n", namespace)
    return namespace["here"]()


def test_only_calls_into_the_storage_stack_are_deferred() -> None:
    assert not _in_deferring_call(sys._getframe())
    assert not _in_deferring_call(_frame_of("initstudy.mlp._engine"))
    assert _in_deferring_call(_frame_of("sqlalchemy.orm.session"))
    assert _in_deferring_call(_frame_of("initstudy.storage._records"))
    frames: list[FrameType] = []
    study = optuna.create_study()
    study.optimize(
        lambda trial: frames.append(_frame_of("initstudy.mlp._engine")) or 0.0, n_trials=1
    )
    assert not _in_deferring_call(frames[0])  # training under study.optimize: interrupted now


def test_a_signal_inside_a_held_block_is_raised_as_the_block_ends() -> None:
    reached: list[str] = []
    with pytest.raises(Interrupted), interrupts_raise():
        with interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, and must wait
            reached.append("end of the block")
        reached.append("after the block")  # never: the signal is raised as the block ends
    assert reached == ["end of the block"]


def test_the_first_of_two_signals_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C, then a process manager's SIGTERM while the Ctrl-C waits: it stops as Ctrl-C."""
    monkeypatch.setattr(_interrupts, "_RETRY_SECONDS", 30.0)  # only the block's end raises
    with pytest.raises(Interrupted) as caught, interrupts_raise():
        with interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.02)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.02)
    assert caught.value.signum == signal.SIGINT
