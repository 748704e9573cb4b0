"""Many rows in and out of PostgreSQL without holding the event loop: a 50,000-seat map through the
ORM costs seconds of CPU on the loop (one tracked object per row), during which the server answers
nobody. Rows go in with COPY on the unit of work's own connection (so in its transaction), with the
COPY text built in a worker thread; rows come out as plain tuples from psycopg's C row parser."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any, LiteralString

import psycopg
from psycopg import sql
from sqlalchemy.ext.asyncio import AsyncSession

CHUNK_BYTES = 1 << 20  # one COPY write; the loop turns between writes
FETCH_SLICE = 5_000
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _field(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(value)
    return str(value).translate(_ESCAPES)


def copy_text(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows in COPY's text format (tab-separated, backslash escapes, \\N for NULL)."""
    return "".join("\t".join(map(_field, row)) + "\n" for row in rows).encode()


async def _driver(session: AsyncSession) -> psycopg.AsyncConnection[Any]:
    connection = await session.connection()  # begins the unit of work's transaction if need be
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, psycopg.AsyncConnection):
        raise TypeError(f"the unit of work runs on {type(driver).__name__}, not psycopg's AsyncConnection")
    return driver


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    if not rows:
        return
    payload = await asyncio.to_thread(copy_text, rows)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    driver = await _driver(session)
    async with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(payload), CHUNK_BYTES):
            await copy.write(payload[start : start + CHUNK_BYTES])


async def fetch_rows(
    session: AsyncSession, query: LiteralString, params: dict[str, object]
) -> list[tuple[Any, ...]]:
    """Plain tuples, on the unit of work's connection. Parsed in slices with a turn of the event loop
    between them: 50,000 rows in one go are ~40 ms of C the loop cannot interrupt."""
    driver = await _driver(session)
    rows: list[tuple[Any, ...]] = []
    async with driver.cursor() as cursor:
        await cursor.execute(query, params)
        while batch := await cursor.fetchmany(FETCH_SLICE):
            rows += batch
            await asyncio.sleep(0)
    return rows
