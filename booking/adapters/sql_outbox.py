"""The idempotency table, written inside the caller's transaction (the outbox writer is outbox.py)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking.adapters.orm import IdempotencyRow
from booking.service_layer.ports import IdempotencyKey, Replay


class SqlIdempotencyStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def begin(self, key: IdempotencyKey, fingerprint: bytes) -> Replay | None:
        """Claim the key. If another transaction holds it, PostgreSQL makes this INSERT wait for that
        transaction's end; then either it committed (we replay its result) or rolled back (we own it)."""
        claimed = await self._session.scalar(
            pg_insert(IdempotencyRow)
            .values(
                subject=key.subject,
                operation=key.operation,
                request_id=key.request_id,
                fingerprint=fingerprint,
                result="",
            )
            .on_conflict_do_nothing()
            .returning(IdempotencyRow.request_id)
        )
        if claimed is not None:
            return None
        row = (
            await self._session.execute(
                select(IdempotencyRow.fingerprint, IdempotencyRow.result).where(
                    IdempotencyRow.subject == key.subject,
                    IdempotencyRow.operation == key.operation,
                    IdempotencyRow.request_id == key.request_id,
                )
            )
        ).one()
        return Replay(bytes(row.fingerprint), row.result)

    async def finish(self, key: IdempotencyKey, result: str) -> None:
        await self._session.execute(
            update(IdempotencyRow)
            .where(
                IdempotencyRow.subject == key.subject,
                IdempotencyRow.operation == key.operation,
                IdempotencyRow.request_id == key.request_id,
            )
            .values(result=result)
        )
