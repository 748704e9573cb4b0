"""Best available seats: which free seats a customer asking for "N seats, the best you have" gets.
Pure: the layout and the free seats in, choices out; the claim itself takes them like any hold.

Ranking is the seat map's own: section (its order on the map), then row (front first), then distance
of the seats from the row's centre. Together means one run of adjacent seats (one row, consecutive
numbers). Within a row, a choice that would strand a single free seat between taken ones (or a taken
one and the row's end) comes after every choice that strands none: the orphan rule. Among those, a
choice that leaves gaps a whole number of groups of the same size long comes first (two seats taken
at an even offset keep an even row fillable by pairs to the last seat)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from statistics import fmean


@dataclass(frozen=True)
class Place:
    """One seat of the event's map as the ranking sees it."""

    seat_id: str
    section_id: str
    section_rank: int
    row: str
    row_rank: int
    number: int
    tier_id: str


@dataclass(frozen=True)
class Wish:
    quantity: int
    together: bool
    tier_id: str = ""  # only seats of this tier ("" any)
    section_id: str = ""  # only seats of this section ("" any)

    def admits(self, place: Place) -> bool:
        return (not self.tier_id or place.tier_id == self.tier_id) and (
            not self.section_id or place.section_id == self.section_id
        )


@dataclass(frozen=True)
class Choice:
    seat_ids: tuple[str, ...]
    # section rank, row rank, strands a seat (0/1), leaves gaps groups cannot fill (0/1), distance
    key: tuple[int, int, int, int, float]


def rows(places: Iterable[Place]) -> list[list[Place]]:
    """The map's rows in rank order, each in seat-number order."""
    ordered = sorted(places, key=lambda p: (p.section_rank, p.row_rank, p.number))
    return [list(row) for _, row in groupby(ordered, key=lambda p: (p.section_rank, p.row_rank))]


def runs(row: Sequence[Place], free: set[str]) -> list[list[Place]]:
    """Stretches of free seats with consecutive numbers."""
    found: list[list[Place]] = []
    for place in row:
        if place.seat_id not in free:
            continue
        if found and found[-1][-1].number == place.number - 1:
            found[-1].append(place)
        else:
            found.append([place])
    return found


def _centre(row: Sequence[Place]) -> float:
    return fmean(p.number for p in row)


def together(row: Sequence[Place], free: set[str], wish: Wish) -> list[Choice]:
    choices = []
    centre = _centre(row)
    for run in runs(row, free):
        for start in range(len(run) - wish.quantity + 1):
            block = run[start : start + wish.quantity]
            if not all(wish.admits(p) for p in block):
                continue
            left, right = start, len(run) - start - wish.quantity
            strands = int(left == 1 or right == 1)
            untidy = int(left % wish.quantity != 0 or right % wish.quantity != 0)
            distance = abs(fmean(p.number for p in block) - centre)
            key = (block[0].section_rank, block[0].row_rank, strands, untidy, distance)
            choices.append(Choice(tuple(p.seat_id for p in block), key))
    return choices


def ranked_choices(places: Sequence[Place], free: set[str], wish: Wish) -> list[Choice]:
    """Every acceptable choice, best first. Apart: the best free seats one by one (one choice)."""
    if wish.together:
        return sorted(
            (c for row in rows(places) for c in together(row, free, wish)), key=lambda c: (c.key, c.seat_ids)
        )
    singles = [
        (p.section_rank, p.row_rank, 0, 0, abs(p.number - _centre(row)), p.seat_id)
        for row in rows(places)
        for p in row
        if p.seat_id in free and wish.admits(p)
    ]
    best = sorted(singles)[: wish.quantity]
    if len(best) < wish.quantity:
        return []
    return [Choice(tuple(s[5] for s in best), best[0][:5])]


def best_singles(places: Sequence[Place], free: set[str], wish: Wish) -> tuple[str, ...]:
    """Up to `quantity` of the best free seats one by one: what a request that nothing fits is offered."""
    singles = sorted(
        (p.section_rank, p.row_rank, abs(p.number - _centre(row)), p.seat_id)
        for row in rows(places)
        for p in row
        if p.seat_id in free and wish.admits(p)
    )
    return tuple(s[3] for s in singles[: wish.quantity])


def spread(choices: Sequence[Choice], width: int, pick: int) -> Choice:
    """One of the `width` best choices, never one that strands a seat (or leaves an unfillable gap)
    when another among them does not: `pick` (a number per request, random) spreads concurrent
    requests over them. Sending every request to the one best block would make all but one lose
    and read again; the width trades a sliver of rank for a crowd served in few rounds."""
    top = choices[:width]
    flags = min(c.key[2:4] for c in top)
    equal = [c for c in top if c.key[2:4] == flags]
    return equal[pick % len(equal)]


NEAR_ROWS = 2  # rows either side of a lost seat searched first


@dataclass(frozen=True)
class Layout:
    """An event's places, indexed once (by seat and by row) for the lookups a lost claim makes."""

    places: tuple[Place, ...]
    by_id: dict[str, Place]
    by_row: dict[tuple[str, int], tuple[Place, ...]]

    @classmethod
    def of(cls, places: Iterable[Place]) -> Layout:
        ordered = tuple(places)
        by_row: dict[tuple[str, int], list[Place]] = {}
        for place in ordered:
            by_row.setdefault((place.section_id, place.row_rank), []).append(place)
        return cls(ordered, {p.seat_id: p for p in ordered}, {k: tuple(v) for k, v in by_row.items()})


def nearest(layout: Layout, wanted: Sequence[str], limit: int) -> list[str]:
    """Seats of the same tiers as `wanted`, nearest first (same section, then fewest rows away, then
    fewest seats along): the candidates a lost HoldSeats is offered instead, once found free. Looks in
    the lost seats' rows and the few either side first, so a 50,000-seat map costs a few rows."""
    lost = [layout.by_id[s] for s in wanted if s in layout.by_id]
    if not lost:
        return []
    tiers, skip = {p.tier_id for p in lost}, set(wanted)

    def distance(p: Place) -> tuple[int, int, int, str]:
        return min(
            (
                int(p.section_id != w.section_id),
                abs(p.row_rank - w.row_rank),
                abs(p.number - w.number),
                p.seat_id,
            )
            for w in lost
        )

    close: list[Place] = []
    for reach in range(NEAR_ROWS + 1):  # the lost seats' own rows first: a loser's cost stays small
        near = {(w.section_id, w.row_rank + d) for w in lost for d in range(-reach, reach + 1)}
        rows_near = (p for row in near for p in layout.by_row.get(row, ()))
        close = [p for p in rows_near if p.tier_id in tiers and p.seat_id not in skip]
        if len(close) >= limit:
            break
    if len(close) < limit:  # a thin tier: the whole map
        close = [p for p in layout.places if p.tier_id in tiers and p.seat_id not in skip]
    return [p.seat_id for p in sorted(close, key=distance)[:limit]]
