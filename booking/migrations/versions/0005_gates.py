"""Gate stations, every scan, and offline admission conflicts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 13:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Admission itself is the ticket row's conditional update (admitted_at IS NULL, from 0004); these tables
# record who scanned what, where and when, keyed so a retried scan cannot be recorded twice.
DDL = [
    """
    CREATE TABLE gate_station (
        id uuid PRIMARY KEY,
        event_id uuid NOT NULL REFERENCES event (id),
        display_name varchar(100) NOT NULL,
        staff varchar(255)[] NOT NULL,
        created_by varchar(255) NOT NULL,
        request_id varchar(36) NOT NULL,
        fingerprint bytea NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT uq_gate_station_request UNIQUE (created_by, request_id)
    )
    """,
    "CREATE INDEX ix_gate_station_event ON gate_station (event_id, created_at, id)",
    """
    CREATE TABLE gate_scan (
        nonce uuid PRIMARY KEY,
        gate_station_id uuid NOT NULL REFERENCES gate_station (id),
        event_id uuid NOT NULL REFERENCES event (id),
        ticket_id uuid REFERENCES ticket (id),
        scanner varchar(255) NOT NULL,
        outcome varchar(12) NOT NULL CONSTRAINT ck_gate_scan_outcome
            CHECK (outcome IN ('ADMITTED', 'DUPLICATE', 'VOID', 'WRONG_EVENT', 'FORGED')),
        first_gate varchar(100) NOT NULL DEFAULT '',
        first_at timestamptz,
        scanned_at timestamptz NOT NULL,
        offline boolean NOT NULL DEFAULT false
    )
    """,
    "CREATE INDEX ix_gate_scan_event ON gate_scan (event_id, scanned_at)",
    "CREATE INDEX ix_gate_scan_ticket ON gate_scan (ticket_id)",
    # A ticket admitted by an offline gate after another gate had admitted it: the admission that reached
    # the server first stands on the ticket; the other is kept here for the organizer, once per scan.
    """
    CREATE TABLE gate_conflict (
        nonce uuid PRIMARY KEY REFERENCES gate_scan (nonce),
        event_id uuid NOT NULL REFERENCES event (id),
        ticket_id uuid NOT NULL REFERENCES ticket (id),
        admitted_gate varchar(100) NOT NULL,
        admitted_at timestamptz NOT NULL,
        conflicting_gate varchar(100) NOT NULL,
        conflicting_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX ix_gate_conflict_event ON gate_conflict (event_id, conflicting_at)",
]


def upgrade() -> None:
    for statement in DDL:
        op.execute(statement)


def downgrade() -> None:
    for table in ("gate_conflict", "gate_scan", "gate_station"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
