"""The waiting room (issue 16): each queued event's settings, commitment and admission bucket; one
entry per identity; the passes admission issues. PostgreSQL is the record: Redis only mirrors the
line for quick positions, and is rebuilt from here.

The claim function gains the pass: on a queued event the pass is taken (hold_id set) in the same
statement that takes the seats, after the seats were found claimable, so a pass takes exactly one
hold; a pass already taken raises AT003 and nothing is written.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 11:00:00.000000
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from alembic import op

# The 0008 function's text, unchanged since it was applied (a migration is never edited afterwards).
previous = importlib.import_module("booking.migrations.versions.0008_claim_function")

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = """
CREATE TABLE waiting_room (
    event_id uuid PRIMARY KEY REFERENCES event (id),
    enabled boolean NOT NULL,
    admissions_per_minute integer NOT NULL CHECK (admissions_per_minute BETWEEN 1 AND 60000),
    pass_lifetime_seconds integer NOT NULL CHECK (pass_lifetime_seconds BETWEEN 30 AND 3600),
    seed bytea NOT NULL,               -- secret until opened_at: the API reveals it only after
    commitment text NOT NULL,
    opens_at timestamptz NOT NULL,
    committed_at timestamptz NOT NULL,
    opened_at timestamptz,
    pre_queue_size integer NOT NULL DEFAULT 0,
    next_position bigint NOT NULL DEFAULT 0,
    tokens double precision NOT NULL DEFAULT 0,
    refilled_at timestamptz,
    admitted integer NOT NULL DEFAULT 0,
    passes_used integer NOT NULL DEFAULT 0
);
CREATE TABLE queue_entry (
    event_id uuid NOT NULL REFERENCES waiting_room (event_id),
    subject text NOT NULL,
    pseudonym text NOT NULL,
    request_id text NOT NULL,
    pre_queue boolean NOT NULL,
    joined_at timestamptz NOT NULL,
    position bigint,                   -- NULL in the pre-queue until the open
    shuffle_rank integer,              -- the place the open's shuffle gave (never changes): published
    admitted_at timestamptz,
    left_at timestamptz,
    PRIMARY KEY (event_id, subject)
);
CREATE INDEX queue_entry_line ON queue_entry (event_id, position)
    WHERE admitted_at IS NULL AND left_at IS NULL;
CREATE UNIQUE INDEX queue_entry_pseudonym ON queue_entry (event_id, pseudonym);
CREATE TABLE queue_pass (
    pass_id uuid PRIMARY KEY,
    event_id uuid NOT NULL REFERENCES waiting_room (event_id),
    subject text NOT NULL,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    hold_id uuid,
    used_at timestamptz,
    requeued_at timestamptz
);
CREATE INDEX queue_pass_holder ON queue_pass (event_id, subject, issued_at DESC);
CREATE INDEX queue_pass_unused ON queue_pass (expires_at) WHERE hold_id IS NULL AND requeued_at IS NULL;
"""

USE_ADMISSION = """
    IF p_pass IS NOT NULL THEN
        UPDATE queue_pass q SET hold_id = p_hold, used_at = p_now
        WHERE q.pass_id = p_pass AND q.event_id = p_event AND q.subject = p_customer
          AND q.hold_id IS NULL AND q.requeued_at IS NULL AND q.expires_at > p_now;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'queue pass already used' USING ERRCODE = 'AT003';
        END IF;
        UPDATE waiting_room w SET passes_used = w.passes_used + 1 WHERE w.event_id = p_event;
    END IF;
"""


def claim_with_pass() -> str:
    """The 0008 function, with a last parameter p_pass and the pass taken once the seats are known
    claimable (before anything is written, so a refusal writes nothing)."""
    source = previous.CLAIM_SEATS.replace(
        "p_outbox_routing_key text, p_outbox_payload bytea\n)",
        "p_outbox_routing_key text, p_outbox_payload bytea, p_pass uuid DEFAULT NULL\n)",
    )
    marker = "    INSERT INTO customer_event (event_id, customer)"
    if marker not in source or "p_pass uuid" not in source:
        raise RuntimeError("0008's claim function is not the text this migration edits")
    return str(source.replace(marker, USE_ADMISSION + "\n" + marker, 1))


OLD_SIGNATURE = (
    "claim_seats(uuid, text[], uuid, text, text, timestamptz, timestamptz, integer, text[], bigint[], text,"
    " uuid, text, text, text, text, bytea"
)


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(f"DROP FUNCTION {OLD_SIGNATURE})")
    op.execute(claim_with_pass())


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {OLD_SIGNATURE}, uuid)")
    op.execute(previous.CLAIM_SEATS)
    op.execute("DROP TABLE queue_pass; DROP TABLE queue_entry; DROP TABLE waiting_room;")
