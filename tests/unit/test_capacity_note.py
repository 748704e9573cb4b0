"""The capacity note's arithmetic, on figures chosen so every result can be worked out by hand."""

from __future__ import annotations

from benchmarks.flash_sale.capacity_note import figures

SIZES = {"booking_cores": 1.0, "hpa_min": 3, "hpa_max": 20, "hpa_target": 0.5, "pg_cores": 4.0}


def result(booking_us: float, postgres_us: float) -> dict[str, object]:
    return {"median": {"booking_cpu_us_per_attempt": booking_us, "postgres_cpu_us_per_attempt": postgres_us}}


def test_replicas_and_drops_follow_from_cpu_per_attempt() -> None:
    f = figures(result(booking_us=500, postgres_us=250), SIZES)
    assert f["per_core"] == 2000  # 1 s / 500 us
    assert f["per_replica"] == 1000  # one core at the autoscaler's 50 %
    assert f["replicas_for_cap"] == 5  # the edge's default cap, 5,000/s, at 1,000/s a replica
    assert f["pg_per_core"] == 4000
    assert f["drop_pg_cores"] == 1.25  # 5,000/s at 4,000/s a core
    assert f["drops_per_primary"] == 1  # 60 % of 4 cores = 2.4 cores: one drop of 1.25 cores, not two
    assert f["hpa_max_rate"] == 20_000


def test_a_cheaper_database_carries_more_drops() -> None:
    assert figures(result(500, 50), SIZES)["drops_per_primary"] == 9  # 2.4 / 0.25 cores per drop
