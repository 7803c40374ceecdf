"""The cycle collector's bulk pace holds inside the block and is undone after it."""

import gc
from collections.abc import Iterator

import pytest

from sidetrack.core.collector import BULK_THRESHOLDS, fewer_collections


@pytest.fixture
def default_pace() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


@pytest.mark.usefixtures("default_pace")
def test_bulk_pace_holds_inside_the_block_only() -> None:
    with fewer_collections():
        assert gc.get_threshold() == BULK_THRESHOLDS
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.usefixtures("default_pace")
def test_the_pace_is_restored_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("the import stopped")
    assert gc.get_threshold() == (700, 10, 10)
