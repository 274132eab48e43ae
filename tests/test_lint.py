"""ruff's lint and format checks over the package, the tests and the benchmarks (pyproject's
``[tool.ruff]``), so README's test command is also the style check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["initstudy", "tests", "benchmarks"]

pytestmark = pytest.mark.timeout(120)


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("ruff") is None and not Path(sys.executable).with_name("ruff").exists():
        pytest.skip("ruff is not installed: pip install -e '.[test]' installs it")
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    return subprocess.run(
        [ruff, *args, *PATHS], cwd=ROOT, capture_output=True, text=True, timeout=100
    )


def test_ruff_check() -> None:
    done = _ruff("check", "--no-cache")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format() -> None:
    done = _ruff("format", "--check", "--no-cache")
    assert done.returncode == 0, "run `ruff format initstudy tests benchmarks`:\n" + done.stdout
