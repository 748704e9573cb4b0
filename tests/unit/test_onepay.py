"""Onepay: the request hash computed here with hashlib from Onepay's documented formula, the callback parsing
(nothing in it is believed), and how a status answer is read."""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.payments.onepay import (
    OnepaySettings,
    _status_from,
    onepay_reference,
    parse_callback,
    request_hash,
)

ORDER = uuid.UUID("6f1c2d3e-4b5a-4978-8a6b-1c2d3e4f5a6b")


def test_the_request_hash_is_sha256_of_app_id_currency_amount_and_salt() -> None:
    expected = hashlib.sha256(b"MYAPPIDLKR200.00mysalt").hexdigest()
    assert request_hash("MYAPPID", "LKR", "200.00", "mysalt") == expected


def test_the_reference_fits_onepays_length_and_is_stable() -> None:
    reference = onepay_reference(ORDER)
    assert 10 <= len(reference) <= 21
    assert reference == onepay_reference(ORDER)
    assert reference != onepay_reference(uuid.uuid4())


def test_settings_never_print_secrets() -> None:
    settings = OnepaySettings(app_id="APP", app_token="token-value", hash_salt="salt-value")
    assert "token-value" not in repr(settings)
    assert "salt-value" not in repr(settings)


def test_a_callback_gives_its_transaction_id_and_our_order_hint() -> None:
    body = json.dumps(
        {"transaction_id": "WQBV118E584C83CBA50C6", "status": 1, "additional_data": str(ORDER)}
    ).encode()
    assert parse_callback(body) == ("WQBV118E584C83CBA50C6", ORDER)


def test_a_callback_without_our_order_id_still_names_its_transaction() -> None:
    body = json.dumps({"transaction_id": "T1", "status": 1, "additional_data": "whatever"}).encode()
    assert parse_callback(body) == ("T1", None)


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"status": 1}', b'{"transaction_id": ""}', b'{"transaction_id": 12}'],
)
def test_malformed_callbacks_are_rejected(body: bytes) -> None:
    with pytest.raises(DomainError) as caught:
        parse_callback(body)
    assert caught.value.code is ErrorCode.WEBHOOK_PAYLOAD_INVALID


@pytest.mark.parametrize(
    "answer",
    [
        {
            "status": 200,
            "data": {"status": True, "ipg_transaction_id": "T1", "amount": "1000.10", "currency": "LKR"},
        },
        {"status": True, "ipg_transaction_id": "T1", "amount": Decimal("1000.1"), "currency": "lkr"},
    ],
)
def test_a_paid_status_is_read_nested_or_flat_with_an_exact_amount(answer: dict[str, Any]) -> None:
    found = _status_from(answer, "T1")
    assert (found.paid, found.amount_minor, found.currency_code) == (True, 100010, "LKR")


@pytest.mark.parametrize("status", [False, "true", 1, None, "SUCCESS"])
def test_only_a_literal_true_is_paid(status: object) -> None:
    answer = {"data": {"status": status, "ipg_transaction_id": "T1", "amount": "5.00", "currency": "LKR"}}
    assert _status_from(answer, "T1").paid is False


@pytest.mark.parametrize(
    "answer",
    [
        {"data": {"status": True, "ipg_transaction_id": "T2", "amount": "5.00", "currency": "LKR"}},
        {"data": {"status": True, "ipg_transaction_id": "T1", "currency": "LKR"}},
        {"data": {"status": True, "ipg_transaction_id": "T1", "amount": "5.005", "currency": "LKR"}},
        {"message": "Transaction not found"},
    ],
)
def test_answers_about_another_transaction_or_without_an_exact_amount_are_not_believed(
    answer: dict[str, Any],
) -> None:
    with pytest.raises(DomainError) as caught:
        _status_from(answer, "T1")
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE
