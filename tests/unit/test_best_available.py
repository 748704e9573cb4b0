"""Best-available choices on small maps worked out by hand: the map's ranking (section, row, centre),
adjacency, the orphan rule, the filters, and the offer when nothing fits."""

from __future__ import annotations

from booking.domain.best_available import Layout, Place, Wish, best_singles, nearest, ranked_choices, spread


def hall(rows: int = 3, per_row: int = 10, tiers: dict[str, str] | None = None) -> list[Place]:
    """Section "main", rows A.. front to back, seats 1..per_row; row A is "vip" unless `tiers` says."""
    places = []
    for r in range(rows):
        label = chr(ord("A") + r)
        for n in range(1, per_row + 1):
            tier = (tiers or {}).get(label, "vip" if label == "A" else "std")
            places.append(Place(f"main-{label}-{n}", "main", 1, label, r + 1, n, tier))
    return places


def ids(places: list[Place]) -> set[str]:
    return {p.seat_id for p in places}


def test_an_empty_hall_gives_the_front_rows_centre() -> None:
    best = ranked_choices(hall(), ids(hall()), Wish(2, together=True))[0]
    assert best.seat_ids == ("main-A-5", "main-A-6")


def test_together_means_one_run_of_consecutive_seats() -> None:
    free = ids(hall()) - {"main-A-5", "main-A-6", "main-A-3"}
    for choice in ranked_choices(hall(), free, Wish(3, together=True)):
        row = {s.split("-")[1] for s in choice.seat_ids}
        numbers = [int(s.split("-")[2]) for s in choice.seat_ids]
        assert len(row) == 1
        assert numbers == list(range(numbers[0], numbers[0] + 3))
        assert not set(choice.seat_ids) - free


def test_no_single_seat_is_stranded_when_a_choice_of_equal_rank_strands_none() -> None:
    row_a = hall(rows=1, per_row=5)
    best = ranked_choices(row_a, ids(row_a), Wish(2, together=True))[0]
    # 2-3 or 3-4 would leave seat 1 or 5 alone; 1-2 and 4-5 leave a pair
    assert best.seat_ids in {("main-A-1", "main-A-2"), ("main-A-4", "main-A-5")}


def test_a_better_row_still_comes_before_the_orphan_rule() -> None:
    places = hall(rows=2, per_row=3)
    best = ranked_choices(places, ids(places), Wish(2, together=True))[0]
    assert best.seat_ids[0].startswith("main-A-")  # row A strands a seat whatever; row B is behind


def test_filters_by_tier_and_section() -> None:
    places = hall()
    vip = ranked_choices(places, ids(places), Wish(2, together=True, tier_id="std"))[0]
    assert all(seat.startswith("main-B-") for seat in vip.seat_ids)
    assert ranked_choices(places, ids(places), Wish(2, together=True, section_id="balcony")) == []


def test_apart_takes_the_best_seats_one_by_one() -> None:
    places = hall(rows=2, per_row=5)
    free = {"main-A-1", "main-A-3", "main-A-5", "main-B-3"}
    (choice,) = ranked_choices(places, free, Wish(2, together=False))
    assert set(choice.seat_ids) == {"main-A-3", "main-A-1"} or set(choice.seat_ids) == {
        "main-A-3",
        "main-A-5",
    }
    assert ranked_choices(places, free, Wish(5, together=False)) == []


def test_when_nothing_fits_the_best_single_seats_are_offered() -> None:
    places = hall(rows=1, per_row=5)
    free = {"main-A-1", "main-A-3", "main-A-5"}
    assert ranked_choices(places, free, Wish(2, together=True)) == []
    assert best_singles(places, free, Wish(2, together=True)) == ("main-A-3", "main-A-1")


def test_concurrent_requests_are_spread_over_the_best_clean_choices() -> None:
    places = hall(rows=3, per_row=10)
    choices = ranked_choices(places, ids(places), Wish(2, together=True))
    picked = {spread(choices, 8, n).seat_ids for n in range(200)}
    assert len(picked) > 1
    assert picked <= {c.seat_ids for c in choices[:8]}  # within the width's best
    assert all(c.key[2:4] == (0, 0) for c in choices[:8] if c.seat_ids in picked)  # none strands a seat


def test_pairs_taken_at_even_offsets_fill_an_even_row_to_the_last_seat() -> None:
    row = hall(rows=1, per_row=10)
    free = ids(row)
    for n in range(5):
        choice = spread(ranked_choices(row, free, Wish(2, together=True)), 16, n * 7)
        free -= set(choice.seat_ids)
    assert free == set()


def test_a_lost_seat_is_offered_its_nearest_neighbours_of_the_same_tier() -> None:
    layout = Layout.of(hall())
    assert nearest(layout, ["main-A-5"], 4) == ["main-A-4", "main-A-6", "main-A-3", "main-A-7"]
    assert all(seat.startswith(("main-B-", "main-C-")) for seat in nearest(layout, ["main-B-1"], 30))
    assert nearest(layout, ["nowhere"], 4) == []
