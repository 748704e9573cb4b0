"""Publisher confirms, pipelined: a batch goes out without waiting, then the broker confirms all of it.

pika's `BlockingChannel.basic_publish` in confirm mode waits for each message's confirm before sending
the next: one quorum-queue round trip each, measured here at 0.74 ms (about 1,350 messages/s). Sending
the batch first and collecting the confirms afterwards measured about 11,600 messages/s on the same
broker. BlockingChannel offers no public way to do that, so this class drives the asynchronous channel
under it (`_impl`, pika's own `Channel`) through that channel's public methods only, and owns the
channel outright: nothing else may publish on it, or the delivery tags would no longer be ours.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pika
import pika.channel
import pika.exceptions
import pika.frame
import pika.spec
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection


class PublishError(Exception):
    """The batch was not confirmed in full: publish it again on a new connection."""


class PublishRejectedError(PublishError):
    """The broker nacked or returned (unroutable, mandatory) at least one message of the batch."""


class ConfirmTimeoutError(PublishError):
    """The broker did not confirm the whole batch in time."""


@dataclass(frozen=True)
class Outgoing:
    routing_key: str
    body: bytes
    properties: pika.BasicProperties


class ConfirmingPublisher:
    """Publishes batches to one exchange with the mandatory flag and returns only once the broker has
    confirmed every message of the batch; raises otherwise. After any exception the publisher (and its
    connection) must be discarded: which messages the broker took is then unknown."""

    def __init__(self, connection: BlockingConnection, exchange: str, confirm_timeout: float = 30.0) -> None:
        self._connection = connection
        self._exchange = exchange
        self._timeout = confirm_timeout
        self.channel: BlockingChannel = connection.channel()  # for declarations, before confirms start
        self._impl: pika.channel.Channel = self.channel._impl  # noqa: SLF001 (see the module docstring)
        self._unsettled: set[int] = set()
        self._last_tag = 0
        self._rejected: list[str] = []
        self._closed: BaseException | None = None
        self._selected = False

    def start_confirms(self) -> None:
        self._impl.add_on_return_callback(self._on_return)
        self._impl.add_on_close_callback(self._on_close)
        self._impl.confirm_delivery(self._on_confirm, self._on_select_ok)
        self._wait(lambda: self._selected)

    def publish(self, messages: Sequence[Outgoing]) -> None:
        self._rejected.clear()
        for message in messages:
            self._impl.basic_publish(
                self._exchange, message.routing_key, message.body, message.properties, mandatory=True
            )
            self._last_tag += 1  # the broker numbers confirmed publishes 1, 2, ... on each channel
            self._unsettled.add(self._last_tag)
        # A Basic.Return always precedes the Basic.Ack of its message: once all are settled, every
        # return of the batch has been seen.
        self._wait(lambda: not self._unsettled)
        if self._rejected:
            raise PublishRejectedError(
                f"{len(self._rejected)} of {len(messages)} not taken: {self._rejected[:3]}"
            )

    def _wait(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self._timeout
        while not done():
            if self._closed is not None or not self._connection.is_open:
                raise pika.exceptions.ChannelClosed(-1, f"publisher channel closed: {self._closed!r}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConfirmTimeoutError(
                    f"{len(self._unsettled)} messages unconfirmed after {self._timeout}s"
                )
            self._connection.process_data_events(time_limit=remaining)

    def _wake(self) -> None:
        # A due timer ends `process_data_events` at once instead of at its time limit.
        if self._connection.is_open:
            self._connection.call_later(0, _nothing)

    def _on_select_ok(self, _frame: pika.frame.Method[pika.spec.Confirm.SelectOk]) -> None:
        self._selected = True
        self._wake()

    def _on_confirm(self, frame: pika.frame.Method[pika.spec.Basic.Ack | pika.spec.Basic.Nack]) -> None:
        method = frame.method
        tags = (
            {t for t in self._unsettled if t <= method.delivery_tag}
            if method.multiple
            else {method.delivery_tag}
        )
        self._unsettled -= tags
        if isinstance(method, pika.spec.Basic.Nack):
            self._rejected += [f"nack #{tag}" for tag in sorted(tags)]
        if not self._unsettled:
            self._wake()

    def _on_return(
        self,
        _channel: pika.channel.Channel,
        method: pika.spec.Basic.Return,
        properties: pika.BasicProperties,
        _body: bytes,
    ) -> None:
        self._rejected.append(f"returned {properties.message_id} ({method.reply_text} {method.routing_key})")

    def _on_close(self, _channel: pika.channel.Channel, reason: BaseException) -> None:
        self._closed = reason
        self._wake()


def _nothing() -> None:
    """The timer callback that only wakes the connection."""
