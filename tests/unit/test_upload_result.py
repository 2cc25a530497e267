"""Two upload passes of one round (beside the feed, then after it) are reported as one."""

from __future__ import annotations

from dataclasses import fields

from clinic_tui.sync.upload import UploadResult


def test_a_later_pass_adds_to_the_first_and_every_field_is_carried() -> None:
    first = UploadResult(
        uploaded=3, deleted=1, merged=1, rejected=1, conflicts=1, held=4, round_trips=2,
        bytes_sent=100, bytes_received=50, errors=["a"], gone={("Patient", "p1"): "2"},
        confirmed={("Patient", "p3"): "v-a"},
    )  # fmt: skip
    later = UploadResult(
        uploaded=2, deleted=1, merged=0, rejected=0, conflicts=1, held=1, round_trips=1,
        bytes_sent=10, bytes_received=5, errors=["b"], gone={("Patient", "p2"): None},
        confirmed={("Patient", "p3"): "v-b"}, stopped=True,
    )  # fmt: skip

    both = first.followed_by(later)

    assert (both.uploaded, both.deleted, both.merged, both.rejected, both.conflicts) == (
        5, 2, 1, 1, 2,
    )  # fmt: skip
    assert (both.round_trips, both.bytes_sent, both.bytes_received) == (3, 110, 55)
    assert both.held == 1  # what still waits after the last pass
    assert both.errors == ["a", "b"]
    assert both.gone == {("Patient", "p1"): "2", ("Patient", "p2"): None}
    assert both.confirmed == {("Patient", "p3"): "v-b"}  # the later pass's version is newer
    assert both.stopped
    assert not both.finished
    # A field added to UploadResult later must be carried too: none stays at its default.
    defaults = UploadResult()
    assert [f.name for f in fields(both) if getattr(both, f.name) == getattr(defaults, f.name)] == [
        "cancelled"
    ]
