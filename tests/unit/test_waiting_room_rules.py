"""The waiting room's pure rules: the commitment binds the seed, the shuffle is reproducible from public
data only and steered by nothing else, the bucket never lets more than the rate through, and every kind
of bad pass is refused with its own reason."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.waiting_room import (
    Bucket,
    QueuePass,
    QueueSettings,
    commitment,
    fair_order,
    pseudonym,
    read_pass,
    sign_pass,
    verify_reveal,
)

EVENT = uuid.UUID("00000000-0000-4000-8000-000000000001")
OPENS = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SECRET = b"k" * 32


def test_the_commitment_binds_the_seed_the_event_and_the_time() -> None:
    seed = bytes(range(32))
    published = commitment(seed, EVENT, OPENS)
    assert verify_reveal(seed, EVENT, OPENS, published)
    assert not verify_reveal(bytes(32), EVENT, OPENS, published)  # another seed
    assert not verify_reveal(seed, uuid.uuid4(), OPENS, published)  # another event
    assert not verify_reveal(seed, EVENT, OPENS + timedelta(seconds=1), published)  # another time


def test_the_order_is_a_function_of_the_seed_and_the_set_of_entries() -> None:
    seed = random.Random(7).randbytes(32)
    entries = [pseudonym(EVENT, f"user-{i}") for i in range(1000)]
    order = fair_order(seed, entries)
    shuffled = entries[:]
    random.Random(8).shuffle(shuffled)
    assert fair_order(seed, shuffled) == order  # arrival order does not matter
    assert fair_order(seed, entries + entries[:10]) == order  # nor joining twice
    assert fair_order(random.Random(9).randbytes(32), entries) != order  # the seed does
    assert sorted(order) == sorted(entries)


def test_the_shuffle_is_not_arrival_order() -> None:
    """Early arrivals gain nothing: over many seeds, the first joiner lands anywhere."""
    entries = [pseudonym(EVENT, f"user-{i}") for i in range(100)]
    places = [fair_order(random.Random(s).randbytes(32), entries).index(entries[0]) for s in range(200)]
    assert min(places) < 10
    assert max(places) > 90


def test_pseudonyms_differ_per_event_and_per_identity() -> None:
    assert pseudonym(EVENT, "alice") != pseudonym(uuid.uuid4(), "alice")
    assert pseudonym(EVENT, "alice") != pseudonym(EVENT, "bob")
    assert "alice" not in pseudonym(EVENT, "alice")


def test_the_bucket_never_admits_more_than_the_rate() -> None:
    rate, now = 600, OPENS
    bucket, admitted = Bucket(0.0, now), 0
    for tick in range(1, 601):  # ten minutes in 1 s steps, always 10,000 waiting
        now = OPENS + timedelta(seconds=tick)
        count, bucket = bucket.refill(rate, now).admit(10_000)
        admitted += count
    assert admitted == 6000


def test_a_quiet_spell_does_not_turn_into_a_burst() -> None:
    bucket = Bucket(0.0, OPENS).refill(600, OPENS + timedelta(minutes=10))  # nobody waiting for 10 min
    count, _ = bucket.admit(10_000)
    assert count == 20  # two batches at most, not ten minutes' worth


def test_a_late_turn_admits_what_the_rate_allowed_meanwhile() -> None:
    bucket = Bucket(0.0, OPENS)
    count, bucket = bucket.refill(600, OPENS + timedelta(seconds=1.6)).admit(10_000)  # 0.6 s late
    assert count == 16


def test_a_slow_rate_still_admits_whole_people() -> None:
    bucket, admitted = Bucket(0.0, OPENS), 0
    for tick in range(1, 121):
        count, bucket = bucket.refill(30, OPENS + timedelta(seconds=tick)).admit(100)
        admitted += count
    assert admitted == 60  # 30 a minute for two minutes


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (QueueSettings(True, 0), "admissions_per_minute"),
        (QueueSettings(True, 60_001), "admissions_per_minute"),
        (QueueSettings(True, 600, timedelta(seconds=5)), "pass_lifetime"),
        (QueueSettings(True, 600, timedelta(hours=2)), "pass_lifetime"),
    ],
)
def test_settings_out_of_range_are_refused(settings: QueueSettings, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        settings.validated()
    assert caught.value.violations[0].field == field


def issued(subject: str = "alice", event: uuid.UUID = EVENT, expires: datetime = OPENS) -> str:
    return sign_pass(QueuePass(uuid.uuid4(), event, subject, expires), SECRET)


def test_a_good_pass_reads_back() -> None:
    token = issued(expires=OPENS + timedelta(minutes=5))
    queue_pass = read_pass(token, SECRET, EVENT, "alice", OPENS)
    assert (queue_pass.event_id, queue_pass.subject) == (EVENT, "alice")


def _forged() -> str:
    prefix, body, mac = issued(expires=OPENS + timedelta(minutes=5)).split(".")
    return f"{prefix}.{body}.{mac[:-2]}AA"


def _other_key() -> str:
    return sign_pass(QueuePass(uuid.uuid4(), EVENT, "alice", OPENS + timedelta(minutes=5)), b"x" * 32)


@pytest.mark.parametrize(
    ("token", "subject", "reason"),
    [
        ("", "alice", ErrorCode.QUEUE_PASS_REQUIRED),
        ("not-a-pass", "alice", ErrorCode.QUEUE_PASS_INVALID),
        (_forged(), "alice", ErrorCode.QUEUE_PASS_INVALID),
        (_other_key(), "alice", ErrorCode.QUEUE_PASS_INVALID),
        (
            issued(event=uuid.uuid4(), expires=OPENS + timedelta(minutes=5)),
            "alice",
            ErrorCode.QUEUE_PASS_WRONG_EVENT,
        ),
        (
            issued(subject="mallory", expires=OPENS + timedelta(minutes=5)),
            "alice",
            ErrorCode.QUEUE_PASS_WRONG_USER,
        ),
        (issued(expires=OPENS), "alice", ErrorCode.QUEUE_PASS_EXPIRED),
    ],
)
def test_every_bad_pass_is_refused_with_its_reason(token: str, subject: str, reason: ErrorCode) -> None:
    with pytest.raises(DomainError) as caught:
        read_pass(token, SECRET, EVENT, subject, OPENS)
    assert caught.value.code is reason
