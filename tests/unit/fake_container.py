"""A container from the real composition root, assembled on in-memory fakes."""

from __future__ import annotations

from booking import bootstrap
from booking.bootstrap import Container
from booking.settings import BookingSettings, OrderSettings
from tests.fakes.world import FakeWorld, fake_world

# No connection is ever made from these: build() is handed its ports.
SETTINGS = BookingSettings(
    database_url="postgresql+psycopg://nobody@127.0.0.1:9/none",
    hold_ttl_seconds=600,
    orders=OrderSettings(ticket_signing_secret="unit", payment_window_seconds=900, payment_cap_seconds=1800),
)


def assemble(*, fast_reject: bool = True) -> tuple[Container, FakeWorld]:
    world = fake_world(fast_reject=fast_reject)
    return bootstrap.build(SETTINGS, clock=world.clock, ports=world.ports), world
