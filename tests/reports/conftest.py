"""Fixtures of the report tests."""

from __future__ import annotations

import pytest
from synthetic_studies import KNOWN, build

from initstudy.reports import StudyData


@pytest.fixture
def known_data() -> StudyData:
    """3 schemes x 5 seeds with chosen scores."""
    return build(KNOWN)


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A real stored study made by ``run_study`` once per session: (storage URL, name)."""
    from synthetic_studies import run_tiny_study

    db = tmp_path_factory.mktemp("reports") / "study.db"
    return run_tiny_study(str(db)), "tiny"
