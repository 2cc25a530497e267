"""The upload's pure rules: outbox collapse, adaptive bundle size, isolating a rejected entry."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from clinic_tui.sync.upload_plan import BatchSizer, Change, Rejected, collapse, send_isolating


@dataclass
class Row:
    """An outbox row as the plan reads it."""

    seq: int
    resource_type: str
    resource_id: str
    operation: str
    base_version: str | None = None
    state: str = "pending"
    attempts: int = 0


def test_a_create_and_its_later_edits_travel_as_one_put_without_if_match() -> None:
    rows = [
        Row(1, "Patient", "a", "create"),
        Row(2, "Encounter", "e", "create"),
        Row(3, "Patient", "a", "update"),
        Row(4, "Patient", "a", "update"),
    ]

    changes = collapse(rows)

    assert changes == [
        Change("Patient", "a", "PUT", (1, 3, 4), None),
        Change("Encounter", "e", "PUT", (2,), None),
    ]


def test_updates_keep_the_version_they_were_based_on() -> None:
    rows = [Row(7, "Patient", "a", "update", "3"), Row(9, "Patient", "a", "update", "3")]

    assert collapse(rows) == [Change("Patient", "a", "PUT", (7, 9), "3")]


def test_a_change_rebased_by_a_merge_uses_the_newer_server_version() -> None:
    rows = [Row(1, "Patient", "a", "update", "9"), Row(2, "Patient", "a", "update", "10")]

    assert collapse(rows)[0].if_match == "10"  # 10 > 9 as numbers, not as text


def test_an_edit_then_a_delete_is_one_delete_on_the_first_base() -> None:
    rows = [Row(1, "Task", "t", "update", "2"), Row(2, "Task", "t", "delete", "2")]

    assert collapse(rows) == [Change("Task", "t", "DELETE", (1, 2), "2")]


def test_a_create_deleted_before_upload_is_still_deleted_without_if_match() -> None:
    # The create may have reached the server on an earlier run whose answer was lost.
    rows = [Row(1, "Task", "t", "create"), Row(2, "Task", "t", "delete")]

    assert collapse(rows) == [Change("Task", "t", "DELETE", (1, 2), None)]


def test_rows_are_taken_in_seq_order_whatever_order_they_come_in() -> None:
    rows = [Row(5, "Patient", "b", "create"), Row(2, "Patient", "a", "create")]

    assert [change.resource_id for change in collapse(rows)] == ["a", "b"]


def test_records_with_an_open_conflict_are_held_back() -> None:
    rows = [Row(1, "Patient", "a", "update", "1"), Row(2, "Patient", "b", "update", "1")]

    assert [c.resource_id for c in collapse(rows, {("Patient", "a")})] == ["b"]


def test_quarantined_changes_wait_until_a_newer_edit_retries_them() -> None:
    alone = [Row(1, "Patient", "a", "create", state="quarantined")]
    fixed = [*alone, Row(2, "Patient", "a", "update")]

    assert collapse(alone) == []
    assert collapse(fixed) == [Change("Patient", "a", "PUT", (1, 2), None)]


def test_bundles_double_while_full_ones_come_back_quickly() -> None:
    sizer = BatchSizer(10, maximum=50, target_seconds=4)

    sizes = []
    for _ in range(4):
        sizer.record(sizer.size, 1000 * sizer.size, 0.5)
        sizes.append(sizer.size)

    assert sizes == [20, 40, 50, 50]


def test_a_bundle_that_was_not_full_says_nothing_about_bigger_ones() -> None:
    sizer = BatchSizer(10, target_seconds=4)

    sizer.record(3, 3000, 0.1)

    assert sizer.size == 10


def test_a_slow_link_shrinks_bundles_to_what_fits_the_target_time() -> None:
    sizer = BatchSizer(40, target_seconds=4)

    # 40 entries of 1 kB took 20 s: 2 kB/s, so about 8 entries fit in 4 s.
    sizer.record(40, 40_000, 20.0)

    assert sizer.size == 8
    assert sizer.bytes_per_second == pytest.approx(2000)


def test_a_merely_slowish_bundle_is_halved_at_least() -> None:
    sizer = BatchSizer(40, target_seconds=4)

    sizer.record(40, 40_000, 5.0)

    assert sizer.size == 20


def test_timeouts_cut_the_size_but_never_below_the_minimum() -> None:
    sizer = BatchSizer(10, minimum=2)

    sizer.timed_out(10)
    assert sizer.size == 2
    sizer.timed_out(2)
    assert sizer.size == 2


def test_after_a_timeout_bundles_grow_back_slowly_below_the_size_that_failed() -> None:
    sizer = BatchSizer(40, target_seconds=4)
    sizer.timed_out(40)

    sizes = []
    for _ in range(5):
        sizer.record(sizer.size, 1000 * sizer.size, 0.1)
        sizes.append(sizer.size)

    assert sizes == [20, 22, 24, 26, 28]


class FakeServer:
    """Accepts a bundle unless it holds a bad item; records what it accepted."""

    def __init__(self, bad: set[int]) -> None:
        self.bad = bad
        self.accepted: list[int] = []
        self.calls = 0

    def send(self, items: list[int]) -> None:
        self.calls += 1
        if self.bad & set(items):
            raise Rejected("invalid", f"bad {sorted(self.bad & set(items))}")
        self.accepted.extend(items)


def test_one_bad_entry_is_isolated_and_every_other_goes_through_once_in_order() -> None:
    server = FakeServer({6})
    rejected: list[tuple[int, str]] = []

    trips = send_isolating(
        list(range(10)), server.send, lambda i, r: rejected.append((i, r.message))
    )

    assert server.accepted == [0, 1, 2, 3, 4, 5, 7, 8, 9]
    assert rejected == [(6, "bad [6]")]
    assert trips == server.calls
    assert trips <= 1 + 2 * 4  # log2(10) levels, two bundles each at most


def test_several_bad_entries_are_each_isolated() -> None:
    server = FakeServer({0, 4, 9})
    rejected: list[int] = []

    send_isolating(list(range(10)), server.send, lambda i, _r: rejected.append(i))

    assert rejected == [0, 4, 9]
    assert server.accepted == [1, 2, 3, 5, 6, 7, 8]


def test_a_clean_bundle_is_one_round_trip() -> None:
    server = FakeServer(set())

    assert send_isolating([1, 2, 3], server.send, lambda *_: None) == 1
    assert send_isolating([], server.send, lambda *_: None) == 0


def test_a_failure_that_is_not_a_rejection_stops_everything() -> None:
    sent: list[list[int]] = []

    def send(items: list[int]) -> None:
        sent.append(items)
        if len(sent) == 1:
            raise Rejected("invalid", "bad")
        raise ConnectionError("link down")

    with pytest.raises(ConnectionError):
        send_isolating([1, 2, 3, 4], send, lambda *_: None)
    assert sent == [[1, 2, 3, 4], [1, 2]]  # the right half was never tried
