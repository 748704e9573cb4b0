"""The waiting room's rules: who goes in when, and the proof that the order was fair. Pure.

Fairness that anyone can check:
- Before the sale opens the service publishes a commitment: the SHA-256 of a random seed, bound to the
  event and the opening time. The seed itself stays secret until the open.
- At the open, the pre-queue (everyone who joined before it) is ordered by a keyed shuffle: each entry's
  HMAC-SHA256 under the seed, ascending. Nobody, the service included, could steer that order without
  a seed other than the committed one.
- After the open the seed is revealed with the list of pre-queue entries, each a pseudonym of its
  identity (a hash of the event and the Keycloak subject: a customer finds their own line, nobody
  learns anyone else's). `fair_order` recomputes the order from those public data alone.
- Later arrivals join at the back in arrival order.

Admission runs at the organizer's outflow rate: a token bucket whose state lives in PostgreSQL, so
however many workers run and whatever happens to Redis, no minute admits more than the rate (and one
batch). Each
admitted identity gets a pass: signed, short-lived, bound to the identity and the event; the hold path
requires one on a queued event and takes it once."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode, invalid

MIN_RATE, MAX_RATE = 1, 60_000  # admissions per minute
MIN_PASS, MAX_PASS = timedelta(seconds=30), timedelta(hours=1)
BATCH = timedelta(seconds=1)  # how often a batch goes in
# The bucket holds two batches: a turn that runs late (the worker was busy) still admits what the
# rate allowed meanwhile, and a quiet spell still cannot become more than one extra batch.
BUCKET_BATCHES = 2
PASS_PREFIX = "qp1"  # noqa: S105 - the pass format's version tag, not a secret


@dataclass(frozen=True)
class QueueSettings:
    """The organizer's choice for one event: off, or on with an outflow rate and a pass lifetime."""

    enabled: bool
    admissions_per_minute: int = 600
    pass_lifetime: timedelta = timedelta(minutes=5)

    def validated(self) -> QueueSettings:
        if not MIN_RATE <= self.admissions_per_minute <= MAX_RATE:
            raise invalid("admissions_per_minute", f"must be between {MIN_RATE} and {MAX_RATE}")
        if not MIN_PASS <= self.pass_lifetime <= MAX_PASS:
            raise invalid("pass_lifetime", "must be between 30 seconds and 1 hour")
        return self


def pseudonym(event_id: UUID, subject: str) -> str:
    """What the public list shows for one identity: stable per event, unlinkable across events."""
    return hashlib.sha256(f"apextick-queue|{event_id}|{subject}".encode()).hexdigest()[:32]


def commitment(seed: bytes, event_id: UUID, opens_at: datetime) -> str:
    """Published before the open; the revealed seed must hash to it."""
    material = f"apextick-queue-commitment|{event_id}|{_instant(opens_at)}|{seed.hex()}"
    return hashlib.sha256(material.encode()).hexdigest()


def shuffle_key(seed: bytes, entry: str) -> str:
    return hmac.new(seed, entry.encode(), hashlib.sha256).hexdigest()


def fair_order(seed: bytes, pseudonyms: list[str]) -> list[str]:
    """The pre-queue's order at the open: ascending keyed hash, the pseudonym breaking a (vanishing)
    tie, so the order is a function of the seed and the set of entries only."""
    return sorted(set(pseudonyms), key=lambda entry: (shuffle_key(seed, entry), entry))


def verify_reveal(seed: bytes, event_id: UUID, opens_at: datetime, published: str) -> bool:
    return hmac.compare_digest(commitment(seed, event_id, opens_at), published)


@dataclass(frozen=True)
class Bucket:
    """Admission tokens: refilled at the outflow rate, never more than two batches' worth, so a quiet
    spell never turns into a burst (over any minute: at most the rate and one batch)."""

    tokens: float
    refilled_at: datetime

    def refill(self, rate_per_minute: int, now: datetime) -> Bucket:
        capacity = max(1.0, BUCKET_BATCHES * rate_per_minute * BATCH.total_seconds() / 60)
        elapsed = max(0.0, (now - self.refilled_at).total_seconds())
        return Bucket(min(capacity, self.tokens + rate_per_minute * elapsed / 60), now)

    def admit(self, waiting: int) -> tuple[int, Bucket]:
        """How many of `waiting` go in now, and the bucket after."""
        count = min(waiting, math.floor(self.tokens))
        return count, Bucket(self.tokens - count, self.refilled_at)


@dataclass(frozen=True)
class QueuePass:
    pass_id: UUID
    event_id: UUID
    subject: str
    expires_at: datetime


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_pass(queue_pass: QueuePass, secret: bytes) -> str:
    body = json.dumps(
        {"p": str(queue_pass.pass_id), "e": str(queue_pass.event_id), "s": queue_pass.subject,
         "x": _instant(queue_pass.expires_at)},
        separators=(",", ":"), sort_keys=True,
    ).encode()  # fmt: skip
    mac = hmac.new(secret, PASS_PREFIX.encode() + b"." + body, hashlib.sha256).digest()
    return f"{PASS_PREFIX}.{_b64(body)}.{_b64(mac)}"


def _pass_error(code: ErrorCode, message: str) -> DomainError:
    return DomainError(code, message, metadata={"field": "queue_pass"})


def _decoded(token: str, secret: bytes) -> QueuePass:
    """The pass's claims if its signature holds; QUEUE_PASS_INVALID otherwise (forged, truncated,
    another key's, or not a pass at all)."""
    try:
        prefix, body_text, mac_text = token.split(".")
        body, mac = _unb64(body_text), _unb64(mac_text)
        expected = hmac.new(secret, prefix.encode() + b"." + body, hashlib.sha256).digest()
        signed = prefix == PASS_PREFIX and hmac.compare_digest(mac, expected)
        claims = json.loads(body) if signed else {}
        return QueuePass(
            UUID(claims["p"]), UUID(claims["e"]), str(claims["s"]), datetime.fromisoformat(claims["x"])
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise _pass_error(
            ErrorCode.QUEUE_PASS_INVALID, "the queue pass is not one this service signed"
        ) from exc


def read_pass(token: str, secret: bytes, event_id: UUID, subject: str, now: datetime) -> QueuePass:
    """A pass this caller may use on this event now; each refusal has its own reason."""
    if not token:
        raise _pass_error(ErrorCode.QUEUE_PASS_REQUIRED, "this event's sale goes through its waiting room")
    queue_pass = _decoded(token, secret)
    if queue_pass.event_id != event_id:
        raise _pass_error(ErrorCode.QUEUE_PASS_WRONG_EVENT, "the queue pass is for another event")
    if queue_pass.subject != subject:
        raise _pass_error(ErrorCode.QUEUE_PASS_WRONG_USER, "the queue pass was issued to someone else")
    if queue_pass.expires_at <= now:
        raise _pass_error(ErrorCode.QUEUE_PASS_EXPIRED, "the queue pass has expired: join the queue again")
    return queue_pass


def queue_closed(event_id: UUID) -> DomainError:
    return DomainError(
        ErrorCode.QUEUE_CLOSED, "this event has no open waiting room", metadata={"event": str(event_id)}
    )
