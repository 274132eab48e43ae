"""The BLAS thread policy: small products on one thread, caps, the shared process-wide limit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

from initstudy import _blas
from initstudy.exceptions import ConfigError
from initstudy.mlp import MLPClassifier, blas_threads, one_blas_thread, set_blas_threads


def _threads() -> int:
    return min(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


@pytest.fixture(autouse=True)
def _default_policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(_blas.ENV_VAR, raising=False)
    previous = set_blas_threads(None)
    yield
    set_blas_threads(previous)


@pytest.fixture()
def two_threads() -> Iterator[None]:
    with threadpool_limits(2, user_api="blas"):
        yield


def test_small_products_get_one_thread() -> None:
    assert _blas.policy_for(_blas.PARALLEL_MACS - 1) == 1


@pytest.mark.parametrize(
    ("load", "own", "expected"), [(0.2, 0.0, None), (1.1, 1.0, None), (1.1, 0.0, 1), (10.0, 1.0, 1)]
)
def test_large_products_follow_the_load_of_other_processes(
    monkeypatch: pytest.MonkeyPatch, load: float, own: float, expected: int | None
) -> None:
    monkeypatch.setattr(_blas.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(_blas.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_blas._MONITOR, "others", lambda: None)
    monkeypatch.setattr(_blas._MONITOR, "own_rate", lambda: own)
    assert _blas.policy_for(_blas.PARALLEL_MACS) == expected


@pytest.mark.parametrize(("measured", "expected"), [(None, 12), (0.2, 16), (1.6, 14)])
def test_free_cores_prefer_the_measured_use(
    monkeypatch: pytest.MonkeyPatch, measured: float | None, expected: int
) -> None:
    monkeypatch.setattr(_blas.os, "getloadavg", lambda: (5.2, 5.0, 5.0))
    monkeypatch.setattr(_blas.os, "cpu_count", lambda: 16)
    monkeypatch.setattr(_blas._MONITOR, "others", lambda: measured)
    monkeypatch.setattr(_blas._MONITOR, "own_rate", lambda: 1.0)
    assert _blas.free_cores() == expected
    assert _blas.policy_for(2**30) == (None if expected == 16 else expected)


def test_load_monitor_measures_between_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_blas, "_MIN_INTERVAL", 0.05)
    monitor = _blas._LoadMonitor()
    start = time.monotonic()
    while time.monotonic() - start < 0.2:
        pass
    busy = monitor.own_rate()
    assert busy > 0.0
    time.sleep(0.2)
    others = monitor.others()
    assert monitor.own_rate() < busy
    assert others is None or 0.0 <= others <= (_blas.os.cpu_count() or 1) + 0.5


def test_cap_from_function_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_blas.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setenv(_blas.ENV_VAR, "3")
    assert blas_threads() == 3 and _blas.policy_for(2**40) == 3
    assert set_blas_threads(1) is None
    assert _blas.policy_for(2**40) == 1 and _blas.policy_for(10) == 1
    set_blas_threads(None)
    monkeypatch.setenv(_blas.ENV_VAR, "many")
    with pytest.raises(ConfigError, match="INITSTUDY_BLAS_THREADS"):
        blas_threads()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_blas_threads_rejects(bad: object) -> None:
    with pytest.raises(ConfigError, match="set_blas_threads"):
        set_blas_threads(bad)  # type: ignore[arg-type]


def test_limit_is_nested_shared_and_restored(two_threads: None) -> None:
    with _blas.limit_blas(2):
        assert _threads() == 2
        with one_blas_thread():
            assert _threads() == 1
            with _blas.limit_blas(None):
                assert _threads() == 1  # "all threads" never raises a limit in force
        assert _threads() == 2
    assert _threads() == 2


def test_overlapping_users_share_the_smallest_limit(two_threads: None) -> None:
    # Two users whose blocks overlap without nesting (as concurrent fits in threads do).
    first, second = one_blas_thread(), _blas.limit_blas(2)
    first.__enter__()
    second.__enter__()
    assert _threads() == 1
    first.__exit__(None, None, None)
    assert _threads() == 2
    second.__exit__(None, None, None)
    assert _threads() == 2 and not _blas._LIMIT._requests


def test_fit_and_predict_leave_the_setting_alone(
    two_threads: None, digits: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = digits
    with pytest.warns(ConvergenceWarning):
        clf = MLPClassifier((8,), max_iter=2, init="orthogonal", random_state=0).fit(X, y)
    clf.predict(X)
    assert _threads() == 2


def test_current_limit_reads_a_limit_in_force(two_threads: None) -> None:
    assert _blas.current_limit() == 2
    with threadpool_limits(1, user_api="blas"):
        assert _blas.current_limit() == 1
