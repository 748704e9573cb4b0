"""Finding a provider's gateway and closing an order's payment session: shared by checkout and
cancellation (order_use_cases) and by webhooks and reconciliation (payment_use_cases)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.order import Order
from booking.domain.payment import Provider
from booking.service_layer.payment_ports import PaymentGateway, PaymentLedger

log = logging.getLogger(__name__)


def gateway_for(
    gateways: Mapping[Provider, PaymentGateway], provider: Provider, currency_code: str = ""
) -> PaymentGateway:
    """The provider's gateway; PROVIDER_NOT_SUPPORTED when it is not configured here or (given a
    currency) cannot take that currency."""
    gateway = gateways.get(provider)
    if gateway is None or (currency_code and not gateway.supports(currency_code)):
        raise DomainError(
            ErrorCode.PROVIDER_NOT_SUPPORTED,
            f"{provider.value.lower()} cannot take this payment here",
            metadata={"provider": provider.value, "currency": currency_code},
        )
    return gateway


async def close_session(
    ledger: PaymentLedger, gateways: Mapping[Provider, PaymentGateway], order: Order
) -> bool:
    """Stop the order's session taking money and record that it did. False when the provider could not
    be reached: the reconciler tries again on its next round."""
    if order.session is None:
        return False
    try:
        await gateway_for(gateways, order.provider).close_session(order.id, order.session.session_id)
    except DomainError:
        log.warning("closing a payment session failed; retried later", extra={"order": str(order.id)})
        return False
    await ledger.mark_session_closed(order.id)
    return True
