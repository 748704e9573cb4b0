"""`apextick queue verify`: checks an event's queue order from public data alone (GetQueue and
ListQueueEntries), independently of the service's code. The rules, as the contract states them:

- commitment = SHA-256 hex of `apextick-queue-commitment|{event id}|{opens_at}|{seed hex}`, opens_at in
  UTC as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`;
- the pre-queue's order = the entries sorted by HMAC-SHA256(seed, pseudonym) hex, then pseudonym;
  rank 1 first."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Proof:
    commitment_holds: bool
    entries: int
    misplaced: list[str] = field(default_factory=list)  # pseudonyms whose published rank differs

    @property
    def holds(self) -> bool:
        return self.commitment_holds and not self.misplaced


def _instant(text: str) -> str:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def recomputed_order(seed: bytes, pseudonyms: list[str]) -> list[str]:
    return sorted(set(pseudonyms), key=lambda p: (hmac.new(seed, p.encode(), hashlib.sha256).hexdigest(), p))


def check(queue: dict[str, Any], entries: list[dict[str, Any]]) -> Proof:
    """`queue` and `entries` as the JSON of GetQueue's queue and ListQueueEntries' entries."""
    seed_hex = queue.get("revealedSeed", "")
    if not seed_hex:
        raise ValueError("the seed is not revealed yet: the queue has not opened")
    seed = bytes.fromhex(seed_hex)
    event_id = queue["event"].removeprefix("events/")
    material = f"apextick-queue-commitment|{event_id}|{_instant(queue['opensAt'])}|{seed_hex}"
    holds = hmac.compare_digest(hashlib.sha256(material.encode()).hexdigest(), queue["commitment"])
    published = {entry["pseudonym"]: int(entry.get("rank", 0)) for entry in entries}
    order = recomputed_order(seed, list(published))
    misplaced = [p for rank, p in enumerate(order, start=1) if published[p] != rank]
    return Proof(holds, len(order), misplaced)
