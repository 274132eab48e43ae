"""Fixtures of the report tests."""

from __future__ import annotations

import pytest
from synthetic_studies import KNOWN, build

from initstudy.reports import StudyData


@pytest.fixture
def known_data() -> StudyData:
    """3 schemes x 5 seeds with chosen scores."""
    return build(KNOWN)
