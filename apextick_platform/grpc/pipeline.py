"""One interceptor for every ApexTick RPC: request id, authentication, caller policy, input
validation, structured access log, and the single translation of errors into gRPC statuses."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import grpc
import protovalidate
from google.protobuf.message import Message

from apextick_platform import call_context
from apextick_platform.errors import DomainError, ErrorCode, FieldViolation
from apextick_platform.grpc.status import STATUS_BY_CODE, internal_error, to_status
from apextick_platform.grpc.text_guard import reject_nul_characters
from apextick_platform.identity import CallerPolicy, Principal, authorize
from apextick_platform.metrics import RpcMetrics
from apextick_platform.tokens import TokenVerifier

log = logging.getLogger("apextick.access")

REQUEST_ID_HEADER = "x-request-id"
MAX_REQUEST_ID = 64

Metadata = Iterable[tuple[str, str | bytes]]
Unary = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]
Streaming = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Any]]


def _header(metadata: Metadata | None, name: str) -> str:
    for key, value in metadata or ():
        if key == name:
            return value if isinstance(value, str) else value.decode("latin-1")
    return ""


def _field_path(violation: protovalidate.Violation) -> str:
    path = violation.proto.field
    return ".".join(e.field_name for e in path.elements) if path is not None else ""


def _violations(error: protovalidate.ValidationError) -> DomainError:
    violations = [FieldViolation(_field_path(v), v.proto.message) for v in error.violations]
    return DomainError(ErrorCode.INVALID_ARGUMENT, "the request is invalid", violations=violations)


if TYPE_CHECKING:
    from typing import TypeAlias

    Handler: TypeAlias = grpc.RpcMethodHandler[Any, Any]
    _Interceptor = grpc.aio.ServerInterceptor[Any, Any]
else:
    _Interceptor = grpc.aio.ServerInterceptor


# Stands in for a request whose bytes did not parse, so the refusal goes through the pipeline (with its
# request id, its log line and the error table) instead of gRPC's own UNKNOWN with a Python message.
UNDECODABLE: Any = object()


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def parse(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except Exception:  # noqa: BLE001 - invalid UTF-8, truncated fields: all one INVALID_ARGUMENT
            return UNDECODABLE

    return parse


def _passing_bytes(serializer: Callable[[Any], bytes] | None) -> Callable[[Any], bytes] | None:
    """A stream may yield a message it encoded once for many streams (the live seat map does): those
    bytes go out as they are."""
    if serializer is None:
        return None

    def serialize(message: Any) -> bytes:
        return message if type(message) is bytes else serializer(message)

    return serialize


class CallPipeline(_Interceptor):
    """`transient` names the exceptions of a service's backing stores that mean "unreachable right now"
    (a lost database connection, Redis down): they answer UNAVAILABLE with a retry hint, not INTERNAL.
    The service hands them over, so this package imports no driver."""

    def __init__(
        self,
        policies: Mapping[str, CallerPolicy],
        verifier: TokenVerifier,
        transient: tuple[type[BaseException], ...] = (),
        metrics: RpcMetrics | None = None,
    ) -> None:
        self._policies = policies
        self._verifier = verifier
        self._transient = transient
        self._metrics = metrics
        self._validator = protovalidate.Validator()
        self._wrapped: dict[str, Handler] = {}  # built once per method, not once per call

    def warm(self, requests: Iterable[type[Message]]) -> None:
        """Compile each request type's validation rules now: the first compile of a type is CPU on the
        event loop that the first caller would otherwise wait for (with everyone else)."""
        for request_type in requests:
            with contextlib.suppress(protovalidate.ValidationError):
                self._validator.validate(request_type())

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler:
        method = handler_call_details.method
        wrapped = self._wrapped.get(method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(handler_call_details)
        policy = self._policies.get(method)
        if policy is None or handler is None:
            # Health, reflection, unknown methods: not ours, no policy to apply. A contract method this
            # server does not register (the seat-map process serves one RPC) stays UNIMPLEMENTED.
            return handler
        wrapped = self._wrap(method, policy, handler)
        self._wrapped[method] = wrapped
        return wrapped

    def _wrap(self, method: str, policy: CallerPolicy, handler: Handler) -> Handler:
        deserializer = _tolerant(handler.request_deserializer)
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(method, policy, cast("Unary", handler.unary_unary)),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(method, policy, cast("Streaming", handler.unary_stream)),
                request_deserializer=deserializer,
                response_serializer=_passing_bytes(handler.response_serializer),
            )
        return handler

    async def _admit(
        self, policy: CallerPolicy, request: Message, context: grpc.aio.ServicerContext[Any, Any]
    ) -> None:
        """Authenticate, authorize and validate; set the call context (the request id first, so that
        even a refused call is logged and answered with it)."""
        metadata = context.invocation_metadata()
        request_id = _header(metadata, REQUEST_ID_HEADER)[:MAX_REQUEST_ID] or uuid.uuid4().hex
        call_context.begin(call_context.Call(request_id, None))
        context.set_trailing_metadata(((REQUEST_ID_HEADER, request_id),))
        principal = await self._authenticate(_header(metadata, "authorization"))
        authorize(policy, principal)
        if request is UNDECODABLE:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT,
                "the request is not a valid message of this method (strings must be UTF-8)",
            )
        try:
            self._validator.validate(request)
        except protovalidate.ValidationError as error:
            raise _violations(error) from None
        reject_nul_characters(request)
        call_context.begin(call_context.Call(request_id, principal))

    async def _authenticate(self, authorization: str) -> Principal | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise DomainError(ErrorCode.TOKEN_INVALID, "the authorization header is not a bearer token")
        return await self._verifier.verify(token.strip())

    def _unary(self, method: str, policy: CallerPolicy, inner: Unary) -> Unary:
        async def behavior(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            outcome: DomainError | None = None
            try:
                await self._admit(policy, request, context)
                return await inner(request, context)
            except Exception as exc:  # noqa: BLE001 - every failure leaves through the error table
                outcome = _translate(exc, self._transient)
                await _abort(outcome, context)
            finally:
                self._answered(method, outcome, started)

        return behavior

    def _streaming(self, method: str, policy: CallerPolicy, inner: Streaming) -> Streaming:
        async def behavior(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            started = time.perf_counter()
            outcome: DomainError | None = None
            try:
                await self._admit(policy, request, context)
                async for response in inner(request, context):
                    yield response
            except Exception as exc:  # noqa: BLE001 - every failure leaves through the error table
                outcome = _translate(exc, self._transient)
                await _abort(outcome, context)
            finally:
                self._answered(method, outcome, started)

        return behavior

    def _answered(self, method: str, error: DomainError | None, started: float) -> None:
        """Every answer, once: the metrics and the access log. A stream its client left counts OK."""
        reason = "OK" if error is None else error.code.value
        if self._metrics is not None:
            code = "OK" if error is None else STATUS_BY_CODE.get(error.code, grpc.StatusCode.INTERNAL).name
            self._metrics.record(method, code, reason, time.perf_counter() - started)
        _access_log(method, reason, started)


def _translate(exc: Exception, transient: tuple[type[BaseException], ...] = ()) -> DomainError:
    if isinstance(exc, grpc.aio.AbortError):
        raise exc  # already a status
    if isinstance(exc, DomainError):
        return exc
    request_id = call_context.current().request_id
    if transient and isinstance(exc, transient):
        log.warning(
            "a backing service is unreachable", extra={"request_id": request_id, "error": type(exc).__name__}
        )
        return DomainError(
            ErrorCode.UNAVAILABLE,
            "a backing service is unreachable right now; retry shortly",
            metadata={"retry_ms": "500", "request_id": request_id},
        )
    log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
    return internal_error(request_id)


async def _abort(error: DomainError, context: grpc.aio.ServicerContext[Any, Any]) -> None:
    request_id = call_context.current().request_id
    # grpc.aio contexts have abort_with_status at run time; the type stubs only list it on the sync one.
    await context.abort_with_status(  # type: ignore[attr-defined]
        to_status(error, ((REQUEST_ID_HEADER, request_id),))
    )


# Outcomes that mean the service, not the caller, is in trouble: always logged. Everything else
# (successes and answers such as SEAT_UNAVAILABLE) is the access log, at DEBUG: on the flash-sale
# path a log line per request costs more than the claim itself.
_TROUBLE = frozenset({"INTERNAL", "UNAVAILABLE", "SEATS_BUSY"})


def _access_log(method: str, outcome: str, started: float) -> None:
    level = logging.WARNING if outcome in _TROUBLE else logging.DEBUG
    if not log.isEnabledFor(level):
        return
    call = call_context.current()
    log.log(
        level,
        "rpc",
        extra={
            "method": method,
            "outcome": outcome,
            "ms": round((time.perf_counter() - started) * 1000, 2),
            "request_id": call.request_id,
            "subject": call.principal.subject if call.principal else "",
        },
    )
