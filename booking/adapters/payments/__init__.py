"""Payment provider adapters (Stripe, PayHere, Onepay) behind booking.service_layer.payment_ports."""

from booking.adapters.payments.factory import ClosableGateway, PaymentSettings, build_gateways

__all__ = ["ClosableGateway", "PaymentSettings", "build_gateways"]
