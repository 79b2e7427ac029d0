"""Fixtures for tests/codes: the default trust store and an empty revocation list."""

from __future__ import annotations

from typing import Any

import pytest

from codes import RevocationList
from tests.codes import helpers


@pytest.fixture(scope="session")
def store() -> Any:
    return helpers.trust()


@pytest.fixture()
def empty() -> RevocationList:
    return RevocationList()
