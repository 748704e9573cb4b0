"""Passes used are counted, not kept: 0009's claim function added one to the room's `passes_used` in
every winning claim on a queued event. That made the room's row a hot spot on the hold path (every
winner of the drop updating it in turn) and tied the claim to the door, which holds the same row's
lock for each admission turn. The figure is the number of passes that took a hold, which
`queue_pass` already records; the claim now takes its pass alone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from alembic import op

# 0009's texts, unchanged since it was applied (a migration is never edited afterwards).
previous = importlib.import_module("booking.migrations.versions.0009_waiting_room")

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTER = "        UPDATE waiting_room w SET passes_used = w.passes_used + 1 WHERE w.event_id = p_event;\n"


def claim_without_counter() -> str:
    source = previous.claim_with_pass()
    if COUNTER not in source:
        raise RuntimeError("0009's claim function is not the text this migration edits")
    return str(source.replace(COUNTER, ""))


def upgrade() -> None:
    op.execute(claim_without_counter())  # CREATE OR REPLACE, same signature
    op.execute("ALTER TABLE waiting_room DROP COLUMN passes_used")
    # The figure's read: a room's passes that took a hold.
    op.execute("CREATE INDEX queue_pass_used ON queue_pass (event_id) WHERE hold_id IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX queue_pass_used")
    op.execute("ALTER TABLE waiting_room ADD COLUMN passes_used integer NOT NULL DEFAULT 0")
    op.execute(
        "UPDATE waiting_room w SET passes_used ="
        " (SELECT count(*) FROM queue_pass q WHERE q.event_id = w.event_id AND q.hold_id IS NOT NULL)"
    )
    op.execute(previous.claim_with_pass())
