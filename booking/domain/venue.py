"""Venues and their seat maps: sections of rows of seats with drawing positions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode, FieldViolation, invalid, require

SEAT_SPACING = 1.0  # layout units between neighbouring seats and rows
# Every answer about one map (the map, the live map, the first WatchSeatMap snapshot) must reach any
# client in one message under gRPC's default 4 MiB receive limit: a seat costs about 57 bytes in the
# map, so 50,000 seats (about 2.9 MB) leave room; a 100,000-seat map did not fit.
MAX_SEATS_PER_MAP = 50_000


@dataclass
class Venue:
    id: UUID
    owner: str
    display_name: str
    address: str
    city: str
    country_code: str
    time_zone: str
    created_at: datetime
    updated_at: datetime

    def check(self) -> None:
        require(
            {
                "venue.display_name": self.display_name,
                "venue.city": self.city,
                "venue.country_code": self.country_code,
                "venue.time_zone": self.time_zone,
            }
        )


@dataclass(frozen=True)
class Seat:
    seat_id: str
    section_id: str
    row: str
    number: int
    x: float
    y: float
    accessible: bool


@dataclass(frozen=True)
class Section:
    section_id: str
    display_name: str
    seats: tuple[Seat, ...]

    def rows(self) -> list[tuple[str, list[Seat]]]:
        """Seats grouped by row label, in layout order."""
        grouped: dict[str, list[Seat]] = {}
        for seat in self.seats:
            grouped.setdefault(seat.row, []).append(seat)
        return list(grouped.items())


@dataclass
class SeatMap:
    id: UUID
    venue_id: UUID
    display_name: str
    sections: tuple[Section, ...]
    created_at: datetime
    updated_at: datetime

    @property
    def seats(self) -> list[Seat]:
        return [seat for section in self.sections for seat in section.seats]

    @property
    def seat_count(self) -> int:
        return sum(len(section.seats) for section in self.sections)


@dataclass(frozen=True)
class SeatMapSummary:
    """A seat map without its seats: what a venue's list of seat maps shows."""

    id: UUID
    venue_id: UUID
    display_name: str
    seat_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class GridLayout:
    row_count: int
    seats_per_row: int
    accessible_seat_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RowLayout:
    label: str
    seat_count: int
    first_number: int = 1
    accessible_numbers: frozenset[int] = frozenset()


@dataclass(frozen=True)
class SectionLayout:
    """What an organizer asks for; ``build_sections`` turns it into seats."""

    section_id: str
    display_name: str
    grid: GridLayout | None = None
    rows: tuple[RowLayout, ...] = ()
    origin_x: float = 0.0
    origin_y: float = 0.0


def seat_id(section_id: str, row: str, number: int) -> str:
    return f"{section_id}-{row}-{number}"


def row_label(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: spreadsheet-style labels for grid rows."""
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = chr(ord("A") + rem) + label
    return label


def _grid_rows(grid: GridLayout) -> list[RowLayout]:
    return [RowLayout(row_label(i), grid.seats_per_row) for i in range(grid.row_count)]


def _layout_section(index: int, spec: SectionLayout) -> Section:
    rows = _grid_rows(spec.grid) if spec.grid else list(spec.rows)
    if not rows:
        raise invalid(f"sections[{index}]", "a section needs a grid or at least one row")
    grid_accessible = spec.grid.accessible_seat_ids if spec.grid else frozenset()
    seats: list[Seat] = []
    seen_rows: set[str] = set()
    for row_index, row in enumerate(rows):
        if row.label in seen_rows:
            raise invalid(f"sections[{index}].rows[{row_index}].label", f"row {row.label} appears twice")
        seen_rows.add(row.label)
        first = row.first_number or 1
        for offset in range(row.seat_count):
            number = first + offset
            sid = seat_id(spec.section_id, row.label, number)
            seats.append(
                Seat(
                    seat_id=sid,
                    section_id=spec.section_id,
                    row=row.label,
                    number=number,
                    x=spec.origin_x + offset * SEAT_SPACING,
                    y=spec.origin_y + row_index * SEAT_SPACING,
                    accessible=number in row.accessible_numbers or sid in grid_accessible,
                )
            )
    unknown = grid_accessible - {seat.seat_id for seat in seats}
    if unknown:
        raise invalid(f"sections[{index}].grid.accessible_seat_ids", f"unknown seats: {sorted(unknown)[:10]}")
    return Section(spec.section_id, spec.display_name or spec.section_id, tuple(seats))


def planned_seats(specs: Sequence[SectionLayout]) -> int:
    """How many seats a layout asks for, counted from its numbers alone: no seat is built to count."""
    total = 0
    for spec in specs:
        if spec.grid:
            total += spec.grid.row_count * spec.grid.seats_per_row
        else:
            total += sum(row.seat_count for row in spec.rows)
    return total


def check_layout_size(specs: Sequence[SectionLayout]) -> None:
    """The size limit, checked before any work: one request cannot make the server build millions of
    seats only to refuse them (100 sections of 200 rows of 500 seats pass the contract's own limits)."""
    if not specs:
        raise invalid("sections", "a seat map needs at least one section")
    total = planned_seats(specs)
    if total > MAX_SEATS_PER_MAP:
        raise invalid("sections", f"{total} seats exceed the limit of {MAX_SEATS_PER_MAP}")


def build_sections(specs: Sequence[SectionLayout]) -> tuple[Section, ...]:
    """Lay out every section; ids must be unique and the map must stay within the size limit."""
    check_layout_size(specs)
    _require_unique((spec.section_id for spec in specs), "sections")
    return tuple(_layout_section(i, spec) for i, spec in enumerate(specs))


def _require_unique(ids: Iterable[str], field_name: str) -> None:
    seen: set[str] = set()
    duplicates = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    if duplicates:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT,
            f"duplicate ids in {field_name}: {duplicates[:10]}",
            violations=[FieldViolation(field_name, f"duplicate id {d}") for d in duplicates[:10]],
        )
