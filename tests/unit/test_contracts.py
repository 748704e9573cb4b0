"""The domain and the protobuf contracts must not drift apart."""

from __future__ import annotations

from apextick.errors.v1 import error_reason_pb2

from apextick_platform.errors import ErrorCode
from apextick_platform.grpc.policy import policies_of
from apextick_platform.grpc.status import STATUS_BY_CODE
from apextick_platform.identity import CallerPolicy
from booking.entrypoints.grpc.server import SERVICES


def test_every_domain_error_code_is_a_declared_reason_and_has_a_status() -> None:
    declared = {
        name.removeprefix("ERROR_REASON_") for name in error_reason_pb2.ErrorReason.DESCRIPTOR.values_by_name
    }
    assert {code.value for code in ErrorCode} <= declared
    assert set(STATUS_BY_CODE) == set(ErrorCode)


def test_every_rpc_declares_a_caller_policy() -> None:
    table = policies_of(SERVICES)
    assert len(table) == sum(len(service.methods) for service in SERVICES) > 10
    assert CallerPolicy.UNSPECIFIED not in table.values()
    assert table["/apextick.catalog.v1.CatalogService/CreateEvent"] is CallerPolicy.ORGANIZER
    assert table["/apextick.catalog.v1.CatalogService/SearchEvents"] is CallerPolicy.PUBLIC
    assert table["/apextick.inventory.v1.InventoryService/HoldSeats"] is CallerPolicy.CUSTOMER


def test_the_platform_catalogue_mirrors_every_declared_reason() -> None:
    declared = {
        name.removeprefix("ERROR_REASON_")
        for name in error_reason_pb2.ErrorReason.DESCRIPTOR.values_by_name
        if name != "ERROR_REASON_UNSPECIFIED"
    }
    assert {code.value for code in ErrorCode} == declared
