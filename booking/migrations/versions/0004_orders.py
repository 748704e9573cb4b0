"""Orders, payments, provider events, refunds and tickets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 18:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The order path runs in raw psycopg like the seat claim (one transaction books seats, issues tickets
# and writes the outbox row), so its tables are declared here in plain DDL, constraints included: the
# constraints, not the code, are what make a duplicate webhook or a double booking impossible.
DDL = [
    """
    CREATE TABLE purchase_order (
        id uuid PRIMARY KEY,
        reference varchar(16) NOT NULL CONSTRAINT uq_purchase_order_reference UNIQUE,
        event_id uuid NOT NULL REFERENCES event (id),
        hold_id uuid NOT NULL CONSTRAINT uq_purchase_order_hold_id UNIQUE REFERENCES hold (id),
        customer varchar(255) NOT NULL,
        customer_name varchar(200) NOT NULL DEFAULT '',
        customer_email varchar(320) NOT NULL DEFAULT '',
        request_id varchar(64) NOT NULL,
        state varchar(16) NOT NULL CONSTRAINT ck_purchase_order_state
            CHECK (state IN ('PENDING_PAYMENT', 'PAID', 'CANCELLED', 'EXPIRED', 'REFUNDED')),
        currency_code varchar(3) NOT NULL,
        total_minor bigint NOT NULL CONSTRAINT ck_purchase_order_total CHECK (total_minor >= 0),
        payment_deadline timestamptz NOT NULL,
        refund_reason varchar(20) NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        paid_at timestamptz,
        ended_at timestamptz,
        CONSTRAINT uq_order_customer_request UNIQUE (customer, request_id)
    )
    """,
    "CREATE INDEX ix_order_customer ON purchase_order (customer, created_at DESC, id DESC)",
    "CREATE INDEX ix_order_pending ON purchase_order (payment_deadline) WHERE state = 'PENDING_PAYMENT'",
    """
    CREATE TABLE order_item (
        order_id uuid NOT NULL REFERENCES purchase_order (id),
        seat_id varchar(40) NOT NULL,
        tier_id varchar(30) NOT NULL,
        price_minor bigint NOT NULL CONSTRAINT ck_order_item_price CHECK (price_minor >= 0),
        PRIMARY KEY (order_id, seat_id)
    )
    """,
    # One payment per order: the provider session and, once captured, the provider's payment id.
    # `session_closed_at` tells the reconciler which ended orders still have a payable session.
    """
    CREATE TABLE payment (
        order_id uuid PRIMARY KEY REFERENCES purchase_order (id),
        provider varchar(10) NOT NULL,
        session_id varchar(255) NOT NULL DEFAULT '',
        redirect_url text NOT NULL DEFAULT '',
        form_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
        session_expires_at timestamptz,
        session_closed_at timestamptz,
        payment_ref varchar(255) NOT NULL DEFAULT '',
        captured_minor bigint,
        captured_at timestamptz
    )
    """,
    "CREATE INDEX ix_payment_session ON payment (provider, session_id)",
    "CREATE INDEX ix_payment_ref ON payment (provider, payment_ref) WHERE payment_ref <> ''",
    # Webhook idempotency: a provider event is applied in the transaction that inserts its row, so a
    # redelivery (or a concurrent copy, which waits on the unique index) changes nothing.
    """
    CREATE TABLE payment_event (
        provider varchar(10) NOT NULL,
        provider_event_id varchar(255) NOT NULL,
        order_id uuid REFERENCES purchase_order (id),
        kind varchar(16) NOT NULL,
        outcome varchar(40) NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, provider_event_id)
    )
    """,
    # At most one refund per order, ever: the row is the exactly-once guard and its order id is the
    # provider's idempotency key.
    """
    CREATE TABLE refund (
        order_id uuid PRIMARY KEY REFERENCES purchase_order (id),
        provider varchar(10) NOT NULL,
        payment_ref varchar(255) NOT NULL,
        amount_minor bigint NOT NULL,
        currency_code varchar(3) NOT NULL,
        reason varchar(20) NOT NULL,
        status varchar(10) NOT NULL
            CONSTRAINT ck_refund_status CHECK (status IN ('PENDING', 'SUCCEEDED', 'MANUAL')),
        provider_refund_id varchar(255) NOT NULL DEFAULT '',
        attempts integer NOT NULL DEFAULT 0,
        last_error text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX ix_refund_pending ON refund (updated_at) WHERE status = 'PENDING'",
    """
    CREATE TABLE ticket (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES purchase_order (id),
        event_id uuid NOT NULL REFERENCES event (id),
        seat_id varchar(40) NOT NULL,
        tier_id varchar(30) NOT NULL,
        customer varchar(255) NOT NULL,
        code text NOT NULL,
        status varchar(5) NOT NULL CONSTRAINT ck_ticket_status CHECK (status IN ('VALID', 'VOID')),
        issued_at timestamptz NOT NULL,
        voided_at timestamptz,
        admitted_at timestamptz,
        admitted_gate varchar(100)
    )
    """,
    # Invariant I1 for sold seats, in the database: one ticket per seat that is not void.
    "CREATE UNIQUE INDEX uq_ticket_seat_live ON ticket (event_id, seat_id) WHERE status <> 'VOID'",
    "CREATE INDEX ix_ticket_customer ON ticket (customer, issued_at DESC, id DESC)",
    "CREATE INDEX ix_ticket_order ON ticket (order_id)",
]


def upgrade() -> None:
    for statement in DDL:
        op.execute(statement)


def downgrade() -> None:
    for table in ("ticket", "refund", "payment_event", "payment", "order_item", "purchase_order"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
