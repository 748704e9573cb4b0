"""The effect counters: refunds by provider and outcome at the gateway every refund passes, emails
sent and failed at the mailer every send passes. Fakes stand in for the provider and the mail server."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

import pytest
from prometheus_client import CollectorRegistry

from apextick_platform.errors import DomainError, ErrorCode
from booking import bootstrap
from booking.adapters.payments.counted import counted
from booking.domain.payment import Provider
from notification.adapters.counted_mailer import CountedMailer
from notification.domain.mail_content import MailContent
from notification.service_layer.ports import MailRejectedError, OutgoingMail, TransientError
from tests.fakes.world import FakeGateway, unreachable_verifier
from tests.unit.fake_container import SETTINGS


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


class DownGateway(FakeGateway):
    async def refund(
        self, order_id: uuid.UUID, payment_ref: str, amount_minor: int, currency_code: str
    ) -> str:
        raise DomainError(ErrorCode.PROVIDER_UNAVAILABLE, "provider down")


async def test_refunds_are_counted_by_provider_and_outcome() -> None:
    registry = CollectorRegistry()
    gateways = counted(
        {Provider.STRIPE: FakeGateway(), Provider.ONEPAY: DownGateway(Provider.ONEPAY)}, registry
    )
    await gateways[Provider.STRIPE].refund(uuid.uuid4(), "pi_1", 500, "USD")
    await gateways[Provider.STRIPE].refund(uuid.uuid4(), "pi_2", 500, "USD")
    with pytest.raises(DomainError):
        await gateways[Provider.ONEPAY].refund(uuid.uuid4(), "op_1", 500, "LKR")
    assert value(registry, "apextick_refunds_total", provider="STRIPE", outcome="refunded") == 2
    assert value(registry, "apextick_refunds_total", provider="ONEPAY", outcome="PROVIDER_UNAVAILABLE") == 1
    assert value(registry, "apextick_refunds_total", provider="ONEPAY", outcome="refunded") == 0


async def test_the_counted_gateway_passes_every_other_call_through() -> None:
    inner = FakeGateway()
    gateway = counted({Provider.STRIPE: inner}, CollectorRegistry())[Provider.STRIPE]
    order = uuid.uuid4()
    await gateway.close_session(order, "sess_1")
    assert inner.closed == ["sess_1"]
    assert gateway.provider is Provider.STRIPE
    assert gateway.supports("USD")
    assert not gateway.supports("US")


@dataclass
class ScriptedMailer:
    failure: Exception | None = None
    sent: int = 0

    def send(self, mail: OutgoingMail) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent += 1


def mail() -> OutgoingMail:
    return OutgoingMail("m-1", "a@example.com", MailContent("Your tickets", "text", "<p>html</p>"))


@pytest.mark.parametrize(
    ("failure", "kind"), [(MailRejectedError("550"), "rejected"), (TransientError("421"), "transient")]
)
def test_a_failed_send_counts_by_kind_and_still_raises(failure: Exception, kind: str) -> None:
    registry = CollectorRegistry()
    mailer = CountedMailer(ScriptedMailer(failure), registry)
    with pytest.raises(type(failure)):
        mailer.send(mail())
    assert value(registry, "apextick_emails_failed_total", kind=kind) == 1
    assert value(registry, "apextick_emails_sent_total") == 0


def test_a_send_the_server_accepts_counts_once() -> None:
    registry = CollectorRegistry()
    inner = ScriptedMailer()
    mailer = CountedMailer(inner, registry)
    mailer.send(mail())
    mailer.send(mail())
    assert inner.sent == 2
    assert value(registry, "apextick_emails_sent_total") == 2


async def test_the_composition_root_counts_refunds_in_the_process_registry() -> None:
    """The real adapters' gateways are the counted ones, in the registry the server serves."""
    settings = replace(SETTINGS, orders=replace(SETTINGS.orders, ticket_signing_secret="u" * 32))
    container = bootstrap.build(
        settings, gateways={Provider.STRIPE: FakeGateway()}, verifier=unreachable_verifier()
    )
    try:
        await container.gateways[Provider.STRIPE].refund(uuid.uuid4(), "pi_1", 500, "USD")
        assert value(container.registry, "apextick_refunds_total", provider="STRIPE", outcome="refunded") == 1
    finally:
        await container.close()
