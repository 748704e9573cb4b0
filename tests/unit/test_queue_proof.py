"""`apextick queue verify`'s checker, written apart from the service (clients/python knows only the
contract): it agrees with the service's shuffle, and it catches every way the published data could
lie: a seed that is not the committed one, a rank moved, two entries swapped, an entry slipped in."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from apextick_client.queue_proof import check, recomputed_order

from booking.domain.waiting_room import commitment, fair_order, pseudonym

EVENT = uuid.uuid4()
OPENS = datetime(2026, 12, 7, 12, 0, 30, 250_000, tzinfo=UTC)
SEED = random.Random(1).randbytes(32)


def published(
    seed: bytes = SEED, committed_seed: bytes = SEED
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What GetQueue and ListQueueEntries answer (JSON), from the service's own functions."""
    entries = [pseudonym(EVENT, f"user-{n}") for n in range(500)]
    ranks = {p: rank for rank, p in enumerate(fair_order(seed, entries), start=1)}
    queue = {
        "event": f"events/{EVENT}",
        "opensAt": OPENS.isoformat().replace("+00:00", "Z"),
        "commitment": commitment(committed_seed, EVENT, OPENS),
        "revealedSeed": seed.hex(),
    }
    return queue, [{"pseudonym": p, "rank": ranks[p]} for p in sorted(entries)]


def test_the_client_agrees_with_the_service() -> None:
    queue, entries = published()
    proof = check(queue, entries)
    assert proof.holds
    assert proof.entries == 500
    names = [e["pseudonym"] for e in entries]
    assert recomputed_order(SEED, names) == fair_order(SEED, names)


def test_a_seed_other_than_the_committed_one_fails() -> None:
    queue, entries = published(seed=bytes(32))  # ordered and revealed with a seed never committed
    proof = check(queue, entries)
    assert not proof.commitment_holds
    assert not proof.holds


def test_a_swapped_pair_is_caught() -> None:
    queue, entries = published()
    first = next(e for e in entries if e["rank"] == 1)
    second = next(e for e in entries if e["rank"] == 2)
    first["rank"], second["rank"] = 2, 1
    proof = check(queue, entries)
    assert sorted(proof.misplaced) == sorted([first["pseudonym"], second["pseudonym"]])


def test_an_entry_slipped_in_at_the_front_is_caught() -> None:
    queue, entries = published()
    entries.append({"pseudonym": "f" * 32, "rank": 1})  # a friend put first, after the fact
    proof = check(queue, entries)
    assert not proof.holds
    assert proof.misplaced  # the shuffle puts it (and so everyone after it) elsewhere
