from __future__ import annotations

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.venue import GridLayout, RowLayout, SectionLayout, build_sections, row_label


def test_row_labels_run_like_spreadsheet_columns() -> None:
    assert [row_label(i) for i in (0, 1, 25, 26, 27, 51, 52)] == ["A", "B", "Z", "AA", "AB", "AZ", "BA"]


def test_grid_lays_out_every_seat_with_positions_and_accessibility() -> None:
    (section,) = build_sections(
        [SectionLayout("main", "Main", grid=GridLayout(10, 20, frozenset({"main-J-20"})), origin_x=5)]
    )
    assert len(section.seats) == 200
    first, last = section.seats[0], section.seats[-1]
    assert (first.seat_id, first.row, first.number, first.x, first.y) == ("main-A-1", "A", 1, 5.0, 0.0)
    assert (last.seat_id, last.x, last.y, last.accessible) == ("main-J-20", 24.0, 9.0, True)
    assert sum(seat.accessible for seat in section.seats) == 1


def test_explicit_rows_number_from_their_first_seat() -> None:
    (section,) = build_sections(
        [
            SectionLayout(
                "box", "", rows=(RowLayout("1", 3, first_number=7, accessible_numbers=frozenset({8})),)
            )
        ]
    )
    assert [s.seat_id for s in section.seats] == ["box-1-7", "box-1-8", "box-1-9"]
    assert [s.accessible for s in section.seats] == [False, True, False]
    assert section.display_name == "box"


def test_duplicate_sections_are_rejected_with_field_violations() -> None:
    grid = GridLayout(1, 1)
    with pytest.raises(DomainError) as caught:
        build_sections([SectionLayout("a", "", grid=grid), SectionLayout("a", "", grid=grid)])
    assert caught.value.code is ErrorCode.INVALID_ARGUMENT
    assert caught.value.violations[0].field == "sections"


def test_duplicate_rows_and_unknown_accessible_seats_are_rejected() -> None:
    rows = (RowLayout("A", 2), RowLayout("A", 2))
    with pytest.raises(DomainError, match="row A appears twice"):
        build_sections([SectionLayout("a", "", rows=rows)])
    with pytest.raises(DomainError, match="unknown seats"):
        build_sections([SectionLayout("a", "", grid=GridLayout(1, 1, frozenset({"a-Z-9"})))])


def test_a_section_without_layout_and_an_empty_map_are_rejected() -> None:
    with pytest.raises(DomainError, match="grid or at least one row"):
        build_sections([SectionLayout("a", "")])
    with pytest.raises(DomainError, match="at least one section"):
        build_sections([])
