"""A table's drawn rows are freed when it is cleared, without waiting for the cycle collector."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from textual.cache import LRUCache

from clinic_tui.widgets.row_table import RowTable, break_ring


class Drawn:
    """Stands for a drawn line: something a cache holds that should go with the cache."""


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    """Only reference counting frees anything while the test runs."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


def _filled(cache: LRUCache[int, Drawn], count: int) -> list[weakref.ref[Drawn]]:
    refs = []
    for key in range(count):
        value = Drawn()
        cache[key] = value
        refs.append(weakref.ref(value))
    return refs


def test_break_ring_frees_every_entry_at_once(no_cycle_collector: None) -> None:
    cache: LRUCache[int, Drawn] = LRUCache(100)
    refs = _filled(cache, 50)
    break_ring(cache)
    assert len(cache) == 0
    assert all(ref() is None for ref in refs)


def test_a_cleared_cache_still_works(no_cycle_collector: None) -> None:
    cache: LRUCache[int, Drawn] = LRUCache(3)
    _filled(cache, 5)
    break_ring(cache)
    value = Drawn()
    cache[1] = value
    assert cache.get(1) is value


def test_clearing_the_table_frees_its_drawn_lines(no_cycle_collector: None) -> None:
    table = RowTable()
    refs = []
    for cache in (table._line_cache, table._row_render_cache, table._cell_render_cache):
        refs.extend(_filled(cache, 20))  # type: ignore[arg-type]
    table._clear_caches()
    assert all(ref() is None for ref in refs)
